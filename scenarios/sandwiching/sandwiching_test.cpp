// The sandwiching scenario: the model argues only from what it holds (checked on the
// world directly), its two claims at a reduced size over 8 seeds, and what questioning
// does to calibration and to deference.
#include <catch2/catch.hpp>

#include <map>

#include "policies/sandwich.hpp"
#include "tests/support/claim_run.hpp"
#include "tests/support/scenario_run.hpp"

using namespace oversight;

namespace {

/// The claims' test size: 1,000 questions a run instead of 2,000.
const std::vector<std::string> kSmall = {"ticks=5", "questions_per_tick=200"};

std::map<std::string, double> final_metrics(uint64_t seed, std::vector<std::string> sets) {
  sets.insert(sets.end(), kSmall.begin(), kSmall.end());
  return oversight::testing::last_values(
      oversight::testing::run_scenario_file("scenarios/sandwiching/sandwiching.toml", seed, sets));
}

std::filesystem::path claim_file(const char* name) {
  return std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/sandwiching/claims" / name;
}

/// Share of the model's arguments whose cited fact holds, split by whether the option
/// argued for is the true answer, over every option of `n` questions.
struct fact_rates {
  double for_truth = 0, for_false = 0;
};
fact_rates argument_fact_rates(const quiz_world& w, size_t n, uint64_t seed, bool only_unknown = false) {
  double hold_t = 0, n_t = 0, hold_f = 0, n_f = 0;
  for (size_t q = 0; q < n; ++q) {
    if (only_unknown && w.model_knows(int64_t(q))) continue;
    for (int32_t o = 0; o < w.options(); ++o) {
      const bool holds = w.argument_fact_holds(int64_t(q), o, seed);
      if (o == w.truth(int64_t(q))) hold_t += holds, n_t += 1;
      else hold_f += holds, n_f += 1;
    }
  }
  return {hold_t / n_t, hold_f / n_f};
}

}  // namespace

TEST_CASE("sandwiching: the model's arguments carry only what it knows", "[scenario][sandwiching]") {
  quiz_config c;
  const size_t n = 20000;
  SECTION("a model that knows nothing: a cited fact holds as often for the truth as for a false option") {
    c.model_knows = 0;
    const quiz_world w(c, n, 3);
    for (size_t q = 0; q < n; ++q) REQUIRE_FALSE(w.model_knows(int64_t(q)));
    const auto r = argument_fact_rates(w, n, 3);
    INFO("fact holds: for the truth " << r.for_truth << ", for a false option " << r.for_false);
    // Both are lie_plausibility (0.3); 5,000 and 15,000 draws put each within 0.02. A
    // world that reads the truth for its arguments (0.95 for the true option) fails.
    CHECK(r.for_truth == Approx(c.lie_plausibility).margin(0.02));
    CHECK(r.for_false == Approx(c.lie_plausibility).margin(0.02));
  }
  SECTION("a model that knows everything backs the truth with facts that hold") {
    c.model_knows = 1;
    const quiz_world w(c, n, 3);
    for (size_t q = 0; q < n; ++q) REQUIRE(w.model_knows(int64_t(q)));
    const auto r = argument_fact_rates(w, n, 3);
    INFO("fact holds: for the truth " << r.for_truth << ", for a false option " << r.for_false);
    CHECK(r.for_truth == Approx(0.95).margin(0.02));
    CHECK(r.for_false == Approx(c.lie_plausibility).margin(0.02));
  }
  SECTION("at the default, the questions the model does not know get no truth-tracking arguments") {
    const quiz_world w(c, n, 3);
    const auto r = argument_fact_rates(w, n, 3, /*only_unknown=*/true);
    INFO("on unknown questions, fact holds: for the truth " << r.for_truth << ", for a false option " << r.for_false);
    CHECK(r.for_truth == Approx(c.lie_plausibility).margin(0.03));
  }
}

TEST_CASE("sandwiching: the model's knowledge does not move the questions, the non-expert or the expert",
          "[scenario][sandwiching]") {
  quiz_config a, b;
  a.model_knows = 0;
  b.model_knows = 0.9;
  const quiz_world wa(a, 500, 9), wb(b, 500, 9);
  size_t differ = 0;
  for (int64_t q = 0; q < 500; ++q) {
    REQUIRE(wa.truth(q) == wb.truth(q));
    REQUIRE(wa.expert_label(q) == wb.expert_label(q));
    REQUIRE(wa.nonexpert_belief(q) == wb.nonexpert_belief(q));
    differ += wa.model_belief(q) != wb.model_belief(q);
  }
  CHECK(differ > 250);  // the model itself does change
}

// Claim: with model.knows = 0 the pair scores below the non-expert alone. Measured at
// this size (seeds 1..8): difference -0.046 [-0.059, -0.032]. Fails when the model knows
// something (model.knows = 0.55, as in the next claim: +0.26). A world whose arguments
// read the truth is caught by the test above ("carry only what it knows"); this claim
// alone would still hold then (-0.013), because the non-expert counts only the check of
// the model's own answer.
TEST_CASE("sandwiching claim: a model that knows nothing does not lift the non-expert",
          "[scenario][sandwiching][claim]") {
  const auto v = oversight::testing::run_claim_file(claim_file("ignorant_model.toml"), kSmall, "1..8");
  INFO(oversight::testing::describe(v));
  REQUIRE(v.holds);
}

// Claim: with model.knows = 0.55 the pair beats the model alone and the non-expert alone.
// Measured at this size (seeds 1..8): +0.125 [0.117, 0.132] and +0.26 [0.23, 0.30].
// Fails without questioning (--set nonexpert.reasks=0 nonexpert.cross=0: the pair then
// equals the model alone on every seed).
TEST_CASE("sandwiching claim: with a knowing model the pair beats both alone", "[scenario][sandwiching][claim]") {
  const auto v = oversight::testing::run_claim_file(claim_file("knowing_model.toml"), kSmall, "1..8");
  INFO(oversight::testing::describe(v));
  REQUIRE(v.holds);
}

TEST_CASE("sandwiching: questioning a knowing model calibrates the non-expert, an ignorant one only emboldens it",
          "[scenario][sandwiching]") {
  for (uint64_t seed : {1, 2, 3}) {
    auto knowing = final_metrics(seed, {});
    auto ignorant = final_metrics(seed, {"model.knows=0"});
    INFO("seed " << seed << ": calibration error alone " << knowing["nonexpert_calibration_error"]
                 << ", with a knowing model " << knowing["calibration_error"] << "; with an ignorant model accuracy "
                 << ignorant["nonexpert_acc"] << " -> " << ignorant["sandwich_acc"] << ", confidence "
                 << ignorant["nonexpert_confidence"] << " -> " << ignorant["sandwich_confidence"]);
    // Measured: 0.20 -> 0.06 (seed 1).
    CHECK(knowing["calibration_error"] < 0.5 * knowing["nonexpert_calibration_error"]);
    // Measured: accuracy 0.45 -> 0.42, confidence 0.49 -> 0.59 (seed 1).
    CHECK(ignorant["sandwich_confidence"] > ignorant["nonexpert_confidence"] + 0.05);
  }
}

TEST_CASE("sandwiching: without re-asking or cross-examination the non-expert only defers to the model",
          "[scenario][sandwiching]") {
  for (uint64_t seed : {1, 2, 3}) {
    auto m = final_metrics(seed, {"nonexpert.reasks=0", "nonexpert.cross=0"});
    INFO("seed " << seed << ": model " << m["model_acc"] << ", non-expert with model " << m["sandwich_acc"]
                 << ", confidence alone " << m["nonexpert_confidence"] << ", with " << m["sandwich_confidence"]);
    CHECK(m["sandwich_acc"] <= m["model_acc"] + 0.02);
    CHECK(m["sandwich_confidence"] > m["nonexpert_confidence"] + 0.2);  // the paper's confidence jump
  }
}
