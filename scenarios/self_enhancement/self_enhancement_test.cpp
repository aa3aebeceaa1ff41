// self_enhancement: the DPO loss against values computed by hand, and the scenario's
// claims (scenarios/self_enhancement/claims/*.toml) at their shipped configuration, eight seeds.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "policies/preference.hpp"
#include "runtime/claims.hpp"
#include "tests/support/claim_run.hpp"

using namespace oversight;

TEST_CASE("self_enhancement: the DPO loss, by hand", "[self_enhancement][unit]") {
  // One pair: policy log-probs -1 (preferred) and -2 (dispreferred), reference -1.5 and
  // -1.0. Margin = (-1 - -1.5) - (-2 - -1.0) = 1.5; loss = log(1 + exp(-beta * 1.5)).
  CHECK(dpo_loss({-1.f}, {-2.f}, {-1.5f}, {-1.0f}, 0.1) == Approx(0.6209570477895321).epsilon(1e-6));
  // beta scales the margin: a larger beta, a smaller loss for a pair already ranked right.
  CHECK(dpo_loss({-1.f}, {-2.f}, {-1.5f}, {-1.0f}, 1.0) == Approx(0.20141327798275246).epsilon(1e-6));
  // Only the log-ratio to the reference counts: a policy equal to its reference scores
  // log 2 whatever its probabilities and beta.
  CHECK(dpo_loss({-3.f}, {-0.1f}, {-3.f}, {-0.1f}, 0.5) == Approx(std::log(2.0)).epsilon(1e-6));
  // The same policy log-probs against another reference give another loss: the
  // reference's log-probabilities enter with the opposite sign.
  CHECK(dpo_loss({-1.f}, {-2.f}, {-1.0f}, {-2.0f}, 0.1) == Approx(std::log(2.0)).epsilon(1e-6));
  // Averaged over pairs: the second pair's margin is (-0.5 + 0.2) - (-0.7 + 1.4) = -1.
  CHECK(dpo_loss({-1.f, -0.5f}, {-2.f, -0.7f}, {-1.5f, -0.2f}, {-1.0f, -1.4f}, 0.1) ==
        Approx(0.6826768539315515).epsilon(1e-6));
  CHECK_THROWS(dpo_loss({-1.f}, {-2.f}, {-1.5f}, {-1.0f}, 0.0));
  CHECK_THROWS(dpo_loss({-1.f}, {-2.f, -1.f}, {-1.5f}, {-1.0f}, 0.1));
}

namespace {

const std::filesystem::path claims_dir =
    std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/self_enhancement/claims";

/// The claims run at their shipped configuration: a self_enhancement run takes about 2 s of
/// CPU. (With critic.updates=60 the critic is weaker and ai_beats_random's CI reaches below
/// 0: 0.086 [-0.004, 0.176].)
const std::vector<std::string> shipped = {};

struct claims_run {
  experiment ex;
  std::vector<claim_verdict> verdicts;
};

/// Runs the first file's sweep once and checks each file's claim on it: the claim files
/// share their [sweep] table but for its arms, so the first must have every arm the
/// others name (a claim whose arms the sweep lacks fails).
claims_run claims_on_one_sweep(const std::vector<std::string>& files) {
  oversight::testing::temp_dir tmp("claim");
  sweep_options opt;
  opt.oversight_bin = OVERSIGHT_BIN;
  opt.out = tmp / "sweep";
  opt.jobs = 2;
  const auto res = run_sweep(make_sweep_plan(claims_dir / files.front(), shipped, std::nullopt), opt);
  claims_run out{load_experiment({res.dir}), {}};
  for (auto& f : files) out.verdicts.push_back(check_claim(load_claim(claims_dir / f), out.ex));
  return out;
}

}  // namespace

// ai_beats_random breaks when the critic's labels carry no signal: with feedback=random in
// the treatment arm (checked by hand) the difference is 0.
// critic_drift.toml (the critic's labels get worse round after round, against coin flips)
// holds on seeds 1-8 but not on seeds 101-108 (+0.04 [-0.03, 0.11]), and human_vs_ai.toml
// (DPO on the human labels themselves ends higher) does not hold (README): neither is
// asserted; both are checked here only to keep the files valid against the sweep.
// rlhf_vs_ai.toml (RLHF on the same human labels ends higher than DPO on the critic's
// labels) holds on seeds 101-108 (-0.38 [-0.60, -0.15]) but not on seeds 1-8 (-0.08
// [-0.33, 0.18]: PPO over-optimizes the critic on half of them): not asserted either.
// Its sweep has all four arms, so it runs first and the others are checked on it.
TEST_CASE("self_enhancement: AI feedback beats coin flips, the RLHF arm runs", "[scenario][self_enhancement]") {
  const auto run = claims_on_one_sweep({"rlhf_vs_ai.toml", "ai_beats_random.toml", "critic_drift.toml", "human_vs_ai.toml"});
  const auto& v = run.verdicts;
  INFO(oversight::testing::describe(v[1]));
  REQUIRE(v[1].holds);
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 1) continue;
    INFO(oversight::testing::describe(v[i]));
    CHECK_FALSE(v[i].checks.empty());
    CHECK(v[i].why_not.find("no runs of") == std::string::npos);  // the sweep has every arm it names
  }

  // feedback = rlhf: eight runs, each recording the scenario's metrics, its learner moved
  // off the reference by PPO, and the critic scoring every sampled response.
  size_t rlhf_runs = 0;
  for (const auto& r : run.ex.runs) {
    if (r.params.at("feedback") != "\"rlhf\"") continue;
    ++rlhf_runs;
    INFO(r.dir << ": " << r.status << " " << r.error);
    REQUIRE(r.status == "done");
    std::map<std::string, double> last;  // actor.name -> value at the last tick it was recorded
    for (const auto& m : r.rows) last[m.actor + "." + m.name] = m.value;
    for (const char* name : {"learner.true_gain", "learner.kl", "learner.label_accuracy", "critic.agreement_policy",
                             "critic.ai_labels", "rounds.peak_true", "rounds.final_true", "rounds.label_accuracy_drop"})
      CHECK(last.count(name) == 1);
    CHECK(last["learner.kl"] > 0.0);
    CHECK(last["critic.ai_labels"] == 20.0 * 256.0);  // rounds x pairs_per_round rewards
    CHECK(last["experts.labels_spent"] > 0.0);
  }
  CHECK(rlhf_runs == 8);
}
