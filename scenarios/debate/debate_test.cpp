// The debate scenario's claims (scenarios/debate/claims/*.toml), each run as
// `oversight claim` runs it, over 8 seeds, in a configuration small enough for CI:
// the shipped claim files with their judge, search and image count shrunk, on a small
// generated data set (tests/support/marker_images.hpp) in place of fashion_mnist.
//
// That data set puts the answer in a few marker pixels: k random pixels rarely hit one,
// so the judge alone, and the judge given random reveals, are weak; an honest debater
// who searches finds a marker of the truth, which the liar cannot fake. What the claims
// test here is the mechanism: the debaters' choice of pixels, not the 2-way choice or
// the judge, is what beats the control. Their size on fashion_mnist is measured at the
// claim files' own configuration (README).
//
// Switching the mechanism off breaks every claim test: with the debaters' reveals
// replaced by the random ones (debate.reveal read as "random" in both arms), each
// paired difference is exactly 0 and no claim holds.
//
// Last, the scenario's message (debate_positions) survives serialization.
#include <catch2/catch.hpp>

#include <map>

#include "actors/director/run.hpp"
#include "base/error.hpp"
#include "runtime/protocol.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"
#include "scenarios/debate/messages.hpp"
#include "tests/support/claim_run.hpp"
#include "tests/support/marker_images.hpp"
#include "tests/support/round_trip.hpp"
#include "tests/support/scenario_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

/// Shrinks a claim file (or debate.toml) for CI: 2 x 30 images, a small judge and a
/// narrow search, on the marker images in `data`.
std::vector<std::string> small(const fs::path& data) {
  return {"data.dir=" + data.string(), "ticks=2", "eval.images_per_tick=30", "judge.hidden=32",
          "judge.steps=600", "judge.batch=64", "judge.lr=0.003", "search.width=4", "search.depth=2",
          "liar.probes=8", "debate.pairs=2"};
}

fs::path claim_file(const std::string& name) {
  return fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/debate/claims" / name;
}

std::map<std::string, double> final_metrics(const fs::path& data, uint64_t seed, std::vector<std::string> sets) {
  auto all = small(data);
  all.insert(all.end(), sets.begin(), sets.end());
  return oversight::testing::last_values(
      oversight::testing::run_scenario_file("scenarios/debate/debate.toml", seed, all));
}

}  // namespace

TEST_CASE("debate: each claim holds over 8 seeds (debate against random reveals, k = 4 and 6)",
          "[scenario][debate]") {
  const std::string name =
      GENERATE(as<std::string>{}, "all_lies_k6.toml", "all_lies_k4.toml", "one_lie_k6.toml", "one_lie_k4.toml");
  temp_dir data("debate-data");
  oversight::testing::write_marker_images(data.path());
  const auto v = oversight::testing::run_claim_file(claim_file(name), small(data.path()), "1..8");
  INFO(name << ":\n" << oversight::testing::describe(v));
  REQUIRE(v.holds);
}

TEST_CASE("debate: random reveals under all_lies are exactly the judge alone, under one_lie never below it",
          "[scenario][debate]") {
  // The control's identity on a real run: the truth beats all 9 lies on the same random
  // pixels iff it is the judge's argmax (a protocol that let one lost game pass, or
  // games that did not share the judge-alone pixels, breaks the equality).
  temp_dir data("debate-data");
  oversight::testing::write_marker_images(data.path());
  auto all = final_metrics(data.path(), 4, {"debate.protocol=all_lies", "debate.reveal=random"});
  auto one = final_metrics(data.path(), 4, {"debate.protocol=one_lie", "debate.reveal=random"});
  auto debated = final_metrics(data.path(), 4, {"debate.protocol=all_lies", "debate.reveal=debaters"});
  CHECK(all["images_judged"] == 60);
  CHECK(all["judge_acc_debate"] == all["judge_acc_alone"]);
  CHECK(one["judge_acc_alone"] == all["judge_acc_alone"]);  // the same judge and pixels
  CHECK(one["judge_acc_debate"] >= one["judge_acc_alone"]);
  CHECK(one["judge_acc_debate"] > all["judge_acc_debate"]);  // the 2-way choice is easier
  // The honest side wins the image only by winning all 9 games.
  CHECK(all["games_won_honest"] > all["judge_acc_debate"]);
  CHECK(debated["judge_acc_alone"] == all["judge_acc_alone"]);  // the pairing of the claims
  // A seed trains its own judge and draws its own images.
  auto other = final_metrics(data.path(), 5, {"debate.protocol=all_lies", "debate.reveal=random"});
  CHECK(other["judge_train_acc"] != all["judge_train_acc"]);
}

TEST_CASE("debate: a bad data directory, k, or an odd k with debaters is a user error naming it",
          "[scenario][debate]") {
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
  // Debaters alternate reveals: an odd k would give one side an extra pixel.
  opt.out = (out / "odd").string();
  auto odd = load_spec(file, {"data.dir=" + data.path().string(), "judge.pixels=5"}, 1);
  CHECK_THROWS_WITH(run_scenario(odd, opt), Catch::Contains("judge.pixels=5") && Catch::Contains("odd"));
  // The random control has no turns, so any k is fair there.
  auto odd_random = final_metrics(data.path(), 1, {"judge.pixels=5", "debate.reveal=random"});
  CHECK(odd_random["images_judged"] == 60);
}

TEST_CASE("debate: its positions round-trip through CAF's binary serializer", "[debate][protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);  // registers every scenario's messages, the debate's included
  caf::actor_system sys{cfg};
  debate_positions pos;
  pos.pixels = 2;
  pos.images = {0.f, 1.f, 0.5f, 0.25f};
  pos.honest = {3, 4};
  pos.liar = {5, 6};
  pos.revealed_count = 1;
  pos.revealed = {1, 0};
  const auto back = oversight::testing::message_round_trip(sys, pos);
  CHECK(back.pixels == pos.pixels);
  CHECK(back.images == pos.images);
  CHECK(back.honest == pos.honest);
  CHECK(back.liar == pos.liar);
  CHECK(back.revealed_count == pos.revealed_count);
  CHECK(back.revealed == pos.revealed);
}

TEST_CASE("debate: a lookahead or a population of pairs too large to fit is estimated before the run, naming it",
          "[scenario][debate]") {
  temp_dir data("debate-mem");
  oversight::testing::write_marker_images(data.path());  // 12 x 12 = 144 pixels
  const auto* info = find_scenario("debate");
  REQUIRE(info);
  REQUIRE(info->memory);
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/debate/debate.toml";
  auto need = [&](std::vector<std::string> sets) {
    sets.push_back("data.dir=" + data.path().string());
    return info->memory(load_spec(file, sets, 1).params);
  };
  // The shipped size: 100 images x 9 games x 8 nodes at the deepest level, each scoring
  // 138 unrevealed pixels at 52 bytes: about 4 MB.
  const auto shipped = need({});
  CHECK(shipped.bytes < 1e8);
  // Six plies (judge.pixels) of width 8: 900 x 8^5 nodes, each 138 x 52 bytes plus its
  // 512-byte prefix: about 227 GB.
  const auto deep = need({"search.depth=16"});
  CHECK(deep.bytes == Approx(900.0 * 32768 * (138 * 52 + 4 * 128)));
  CHECK(deep.parameter == "search.depth = 16 with search.width = 8");
  // Every pair's two debaters and the judge hold the judge's first layer: 2,049 x 2 x 144
  // x 4096 floats, about 9.7 GB.
  const auto pairs = need({"debate.pairs=1024", "judge.hidden=4096"});
  CHECK(pairs.parameter == "debate.pairs = 1024 with judge.hidden = 4096");
  CHECK(pairs.bytes == Approx(2049.0 * 4 * 2 * 144 * 4096));
  // The random-reveal control searches nothing.
  CHECK(need({"search.depth=16", "debate.reveal=random"}).parameter.rfind("debate.pairs", 0) == 0);
}
