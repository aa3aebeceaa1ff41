// The red_team scenario's outcomes, asserted on a small configuration over three seeds
// (issue: "What the scenario must show").
#include <catch2/catch.hpp>

#include "tests/support/scenario_run.hpp"

using namespace oversight;

namespace {

using oversight::testing::mean_of_last;

/// Runs red_team with the given overrides; returns metric name -> values by tick.
oversight::testing::metric_series run_red_team(uint64_t seed, const std::vector<std::string>& sets) {
  return oversight::testing::run_scenario_file("scenarios/red_team/red_team.toml", seed, sets);
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
