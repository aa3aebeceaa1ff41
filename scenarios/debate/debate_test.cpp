// The debate scenario's outcome, asserted on a small generated data set over three
// seeds and both of the k (4 and 6): debate raises the judge's accuracy
// substantially over k random pixels.
//
// The data set (tests/support/marker_images.hpp) puts the answer in a few marker
// pixels: k random pixels rarely hit one, so the judge alone is weak; an honest debater
// who searches finds them, and the liar cannot fake them.
#include <catch2/catch.hpp>

#include <map>

#include "actors/director/run.hpp"
#include "runtime/error.hpp"
#include "runtime/spec.hpp"
#include "tests/support/marker_images.hpp"
#include "tests/support/scenario_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> small(const fs::path& data, int k) {
  return {"data.dir=" + data.string(), "judge.pixels=" + std::to_string(k), "ticks=2", "eval.images_per_tick=60",
          "judge.hidden=32", "judge.steps=600", "judge.batch=64", "judge.lr=0.003", "search.width=4",
          "search.depth=2", "liar.probes=8", "debate.pairs=2"};
}

std::map<std::string, double> final_metrics(const fs::path& data, int k, uint64_t seed) {
  return oversight::testing::last_values(
      oversight::testing::run_scenario_file("scenarios/debate/debate.toml", seed, small(data, k)));
}

}  // namespace

TEST_CASE("debate: debate raises the sparse judge's accuracy substantially, k = 4 and k = 6",
          "[scenario][debate]") {
  temp_dir data("debate-data");
  oversight::testing::write_marker_images(data.path());
  for (int k : {4, 6}) {
    double alone = 0, debate = 0;
    for (uint64_t seed : {1, 2, 3}) {
      auto m = final_metrics(data.path(), k, seed);
      REQUIRE(m.count("judge_acc_alone"));
      REQUIRE(m.count("judge_acc_debate"));
      UNSCOPED_INFO("k " << k << " seed " << seed << ": judge alone " << m["judge_acc_alone"] << ", with debate "
                         << m["judge_acc_debate"]);
      CHECK(m["images_judged"] == 120);
      alone += m["judge_acc_alone"] / 3;
      debate += m["judge_acc_debate"] / 3;
      // Every seed shows it, not only the mean.
      CHECK(m["judge_acc_debate"] >= m["judge_acc_alone"] + 0.2);
    }
    INFO("k " << k << ": mean judge alone " << alone << ", with debate " << debate);
    // "Substantially": at least 20 points, as in the paper (+29.5 with 6 pixels, +37 with 4).
    CHECK(debate >= alone + 0.2);
  }
}

TEST_CASE("debate: a bad data directory or k is a user error naming it", "[scenario][debate]") {
  temp_dir data("debate-data"), out("debate-runs");
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/debate/debate.toml";
  run_options opt;
  opt.threads = 1;
  opt.out = (out / "missing").string();
  auto missing = load_spec(file, {"data.dir=" + (data / "nowhere").string()}, 1);
  CHECK_THROWS_AS(run_scenario(missing, opt), user_error);
  oversight::testing::write_marker_images(data.path());
  opt.out = (out / "too-many").string();
  auto too_many = load_spec(file, {"data.dir=" + data.path().string(), "judge.pixels=200"}, 1);
  CHECK_THROWS_WITH(run_scenario(too_many, opt), Catch::Contains("judge.pixels=200"));
}
