// The sandwiching scenario's outcomes on small configurations over three seeds:
// the non-expert with the model beats both alone on the documented default, and does
// not when it may not question the model (no re-asks, no cross-examination).
#include <catch2/catch.hpp>

#include <map>

#include "tests/support/scenario_run.hpp"

using namespace oversight;

namespace {

std::map<std::string, double> final_metrics(uint64_t seed, std::vector<std::string> sets) {
  sets.push_back("ticks=5");
  sets.push_back("questions_per_tick=200");
  return oversight::testing::last_values(
      oversight::testing::run_scenario_file("scenarios/sandwiching/sandwiching.toml", seed, sets));
}

}  // namespace

TEST_CASE("sandwiching: the non-expert with the model beats both alone (default configuration)",
          "[scenario][sandwiching]") {
  for (uint64_t seed : {1, 2, 3}) {
    auto m = final_metrics(seed, {});
    INFO("seed " << seed << ": model " << m["model_acc"] << ", non-expert " << m["nonexpert_acc"]
                 << ", non-expert with model " << m["sandwich_acc"] << ", calibration error "
                 << m["calibration_error"]);
    CHECK(m["sandwich_acc"] > m["model_acc"]);
    CHECK(m["sandwich_acc"] > m["nonexpert_acc"]);
    CHECK(m["calibration_error"] >= 0.0);
    CHECK(m["calibration_error"] <= 1.0);
  }
}

TEST_CASE("sandwiching: without re-asking or cross-examination the non-expert only defers to the model",
          "[scenario][sandwiching]") {
  for (uint64_t seed : {1, 2, 3}) {
    auto m = final_metrics(seed, {"nonexpert.reasks=0", "nonexpert.cross=0"});
    INFO("seed " << seed << ": model " << m["model_acc"] << ", non-expert with model " << m["sandwich_acc"]);
    CHECK(m["sandwich_acc"] <= m["model_acc"] + 0.02);
  }
}
