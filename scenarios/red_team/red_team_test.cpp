// The red_team scenario's outcomes, asserted on a small configuration over three seeds
// (issue: "What the scenario must show").
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <numeric>

#include "actors/director/run.hpp"
#include "runtime/spec.hpp"

using namespace oversight;

namespace {

std::filesystem::path source_dir() { return OVERSIGHT_SOURCE_DIR; }

/// Runs red_team with the given overrides; returns metric name -> values by tick.
std::map<std::string, std::vector<double>> run_red_team(uint64_t seed, std::vector<std::string> sets) {
  auto spec = load_spec(source_dir() / "scenarios/red_team/red_team.toml", sets, seed);
  run_options opt;
  opt.threads = 2;
  opt.out = (std::filesystem::temp_directory_path() /
             ("oversight-red-team-" + std::to_string(::getpid()) + "-" + std::to_string(seed) + "-" +
              std::to_string(std::hash<std::string>{}(std::accumulate(sets.begin(), sets.end(), std::string())))))
                .string();
  std::filesystem::remove_all(opt.out);
  auto res = run_scenario(spec, opt);
  std::filesystem::remove_all(opt.out);
  std::map<std::string, std::vector<double>> out;
  for (auto& r : res.rows) out[r.name].push_back(r.value);
  return out;
}

double mean_of_last(const std::vector<double>& v, size_t n) {
  REQUIRE(v.size() >= n);
  return std::accumulate(v.end() - std::ptrdiff_t(n), v.end(), 0.0) / double(n);
}

}  // namespace

TEST_CASE("red_team: the adaptive attacker lowers the learner's failure rate on held-out adversarial queries",
          "[scenario][red_team]") {
  double with_attacker = 0, without = 0;
  for (uint64_t seed : {1, 2, 3}) {
    auto on = run_red_team(seed, {});
    auto off = run_red_team(seed, {"attacker.strategy=none"});
    const double a = mean_of_last(on.at("adv_failure_rate_true"), 5);
    const double b = mean_of_last(off.at("adv_failure_rate_true"), 5);
    UNSCOPED_INFO("seed " << seed << ": adversarial failure with attacker " << a << ", without " << b);
    with_attacker += a / 3;
    without += b / 3;
  }
  INFO("mean over seeds: with attacker " << with_attacker << ", without " << without);
  // At least 30% lower, relative: the threshold.
  CHECK(with_attacker <= 0.7 * without);
}

TEST_CASE("red_team: the critic's agreement with the truth rises as labels are spent", "[scenario][red_team]") {
  for (uint64_t seed : {1, 2, 3}) {
    auto m = run_red_team(seed, {"attacker.strategy=none", "ticks=20"});
    const auto& agree = m.at("critic_agreement");
    const auto& spent = m.at("labels_spent");
    INFO("seed " << seed << ": agreement first " << agree.front() << ", last " << agree.back() << ", labels "
                 << spent.front() << " -> " << spent.back());
    CHECK(spent.back() > spent.front());
    CHECK(mean_of_last(agree, 3) > agree.front() + 0.2);
  }
}
