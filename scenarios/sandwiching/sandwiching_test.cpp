// The sandwiching scenario's outcomes on small configurations over three seeds:
// the non-expert with the model beats both alone on the documented default, and does
// not when it may not question the model (no re-asks, no cross-examination).
#include <catch2/catch.hpp>

#include <map>

#include "actors/director/run.hpp"
#include "runtime/spec.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

std::map<std::string, double> final_metrics(uint64_t seed, std::vector<std::string> sets, const temp_dir& out,
                                            const std::string& name) {
  sets.push_back("ticks=5");
  sets.push_back("questions_per_tick=200");
  auto spec = load_spec(fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/sandwiching/sandwiching.toml", sets, seed);
  run_options opt;
  opt.threads = 2;
  opt.out = (out / (name + "-" + std::to_string(seed))).string();
  auto res = run_scenario(spec, opt);
  std::map<std::string, double> last;
  for (auto& r : res.rows) last[r.name] = r.value;  // running values: the last tick's are the run's
  return last;
}

}  // namespace

TEST_CASE("sandwiching: the non-expert with the model beats both alone (default configuration)",
          "[scenario][sandwiching]") {
  temp_dir out("sandwiching");
  for (uint64_t seed : {1, 2, 3}) {
    auto m = final_metrics(seed, {}, out, "default");
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
  temp_dir out("sandwiching");
  for (uint64_t seed : {1, 2, 3}) {
    auto m = final_metrics(seed, {"nonexpert.reasks=0", "nonexpert.cross=0"}, out, "no-questions");
    INFO("seed " << seed << ": model " << m["model_acc"] << ", non-expert with model " << m["sandwich_acc"]);
    CHECK(m["sandwich_acc"] <= m["model_acc"] + 0.02);
  }
}
