// rlhf: the over-optimization forms' fits, best-of-n's distribution, and the scenario's
// claims (scenarios/rlhf/claims/*.toml) at a smaller configuration, eight seeds.
#include <catch2/catch.hpp>

#include <cmath>

#include "policies/preference_math.hpp"
#include "runtime/claims.hpp"
#include "tests/support/claim_run.hpp"

using namespace oversight;
namespace pm = oversight::preference_math;

namespace {

const std::filesystem::path claims_dir = std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/rlhf/claims";

/// Half the PPO batch in minibatches of half the size (as many updates a step), a smaller
/// evaluation set; the same world, budgets, arms and number of PPO steps.
const std::vector<std::string> small = {"rl.batch=128", "ppo.minibatch=32", "eval.prompts=128", "rm.updates=60",
                                        "bon.max_log2=8"};

/// Runs the first file's sweep once and checks each file's claim on it: the claim files
/// share their [sweep] table (checked: a claim whose arms the sweep lacks fails).
std::vector<claim_verdict> claims_on_one_sweep(const std::vector<std::string>& files) {
  oversight::testing::temp_dir tmp("claim");
  sweep_options opt;
  opt.oversight_bin = OVERSIGHT_BIN;
  opt.out = tmp / "sweep";
  opt.jobs = 2;
  const auto res = run_sweep(make_sweep_plan(claims_dir / files.front(), small, std::nullopt), opt);
  const auto ex = load_experiment({res.dir});
  std::vector<claim_verdict> out;
  for (auto& f : files) out.push_back(check_claim(load_claim(claims_dir / f), ex));
  return out;
}

}  // namespace

TEST_CASE("rlhf: the RL and best-of-n forms are recovered from exact curves", "[rlhf][unit]") {
  std::vector<double> d, rl, bon;
  for (int i = 1; i <= 20; ++i) {
    const double x = 0.2 * i;
    d.push_back(x);
    rl.push_back(x * (1.5 - 0.8 * std::log(x)));
    bon.push_back(x * (1.5 - 0.4 * x));
  }
  const auto f = pm::fit_rl_form(d, rl);
  CHECK(f.alpha == Approx(1.5).margin(1e-9));
  CHECK(f.beta == Approx(0.8).margin(1e-9));
  CHECK(f.r2 == Approx(1.0).margin(1e-12));
  CHECK(f.peak_d == Approx(std::exp(1.5 / 0.8 - 1.0)));
  const auto b = pm::fit_bon_form(d, bon);
  CHECK(b.alpha == Approx(1.5).margin(1e-9));
  CHECK(b.beta == Approx(0.4).margin(1e-9));
  CHECK(b.peak_d == Approx(1.5 / 0.8));
}

TEST_CASE("rlhf: best-of-n's exact distribution", "[rlhf][unit]") {
  // Two rows of three responses; scores order them 2 > 0 > 1 in row 0.
  const std::vector<float> ref = {0.5f, 0.3f, 0.2f, 0.25f, 0.25f, 0.5f};
  const std::vector<float> score = {1.f, 0.f, 2.f, 0.f, 1.f, 2.f};
  const auto p1 = pm::best_of_n(ref, score, 3, 1.0);
  for (size_t i = 0; i < ref.size(); ++i) CHECK(p1[i] == Approx(ref[i]));
  const auto p2 = pm::best_of_n(ref, score, 3, 2.0);
  // Row 0, CDF in score order (1, 0, 2): 0.3, 0.8, 1.0.
  CHECK(p2[1] == Approx(0.09));
  CHECK(p2[0] == Approx(0.64 - 0.09));
  CHECK(p2[2] == Approx(1.0 - 0.64));
  CHECK(pm::mean_kl(p1, ref, 3) == Approx(0.0).margin(1e-12));
  CHECK(pm::mean_kl(p2, ref, 3) > 0.0);
}

// Breaks when the proxy is as good as the truth off the labelled distribution: with
// optimize=gold in the treatment arm (checked by hand) the over-optimization difference
// is about 0 and its CI straddles it; with a reward model that extrapolates pessimistically
// the proxy stops rising after the peak.
TEST_CASE("rlhf: over-optimization against the proxy, not against the truth, the proxy keeps rising",
          "[scenario][rlhf]") {
  const auto v = claims_on_one_sweep({"overoptimization.toml", "proxy_keeps_rising.toml"});
  for (auto& c : v) {
    INFO(oversight::testing::describe(c));
    REQUIRE(c.holds);
  }
}

// Breaks when labels do not improve the reward model where the policy goes: with the same
// budget in both arms (checked by hand) the differences are 0. labels_peak_later.toml (the
// peak along PPO comes later) does not hold at 8 seeds (README) and is not asserted; it is
// checked here only to keep the file valid.
TEST_CASE("rlhf: more labels, a higher peak, best-of-n's peak later", "[scenario][rlhf]") {
  const auto v =
      claims_on_one_sweep({"labels_peak_higher.toml", "labels_bon_peak_later.toml", "labels_peak_later.toml"});
  for (size_t i = 0; i < 2; ++i) {
    INFO(oversight::testing::describe(v[i]));
    REQUIRE(v[i].holds);
  }
  INFO(oversight::testing::describe(v[2]));
  CHECK(v[2].checks.size() == 1);
}
