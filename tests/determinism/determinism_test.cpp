// A run is a function of its spec and seed: the scheduler's thread count must not change
// a single bit of the metrics, and the seed must matter. Runs in-process through
// run_scenario(), the path `oversight run` takes, and reads the stored run.sqlite back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "actors/director/run.hpp"
#include "runtime/run_store.hpp"
#include "runtime/spec.hpp"
#include "tests/support/marker_images.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kTicks = 8;

scenario_spec small_red_team(uint64_t seed) {
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml";
  return load_spec(file, {"ticks=" + std::to_string(kTicks), "eval.queries=128", "eval.adversarial_queries=64"},
                   seed);
}

/// principal_agent, small, with audits on so every message kind flows.
scenario_spec small_principal_agent(uint64_t seed) {
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/principal_agent/principal_agent.toml";
  return load_spec(file,
                   {"ticks=" + std::to_string(kTicks), "population=600", "shards=3", "audit.rate=0.2",
                    "audit.auditors=2", "audit.false_flag=0.05"},
                   seed);
}

scenario_spec small_oversight_monitor(uint64_t seed) {
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/oversight_monitor/oversight_monitor.toml";
  return load_spec(file, {"ticks=" + std::to_string(kTicks), "human.count=3"}, seed);
}

scenario_spec small_debate(const fs::path& data, uint64_t seed) {
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/debate/debate.toml";
  return load_spec(file,
                   {"data.dir=" + data.string(), "ticks=" + std::to_string(kTicks), "eval.images_per_tick=12",
                    "judge.pixels=4", "judge.hidden=16", "judge.steps=100", "judge.batch=32", "search.width=3",
                    "liar.probes=4", "debate.pairs=3"},
                   seed);
}

/// Runs the spec into DIR/name and returns the metrics table as stored in run.sqlite.
std::vector<metric_row> run_and_read(const scenario_spec& spec, int threads, const temp_dir& dir,
                                     const std::string& name, int64_t expected_ticks = kTicks) {
  run_options opt;
  opt.threads = threads;
  opt.out = (dir / name).string();
  auto res = run_scenario(spec, opt);
  REQUIRE(res.dir == dir / name);
  REQUIRE(fs::is_regular_file(res.dir / "run.sqlite"));
  REQUIRE_FALSE(fs::exists(res.dir / "FAILED"));
  auto stored = read_metrics(res.dir / "run.sqlite");

  // What was stored is exactly what the run produced (read_metrics sorts by tick, actor, name).
  auto produced = res.rows;
  std::stable_sort(produced.begin(), produced.end(), [](const metric_row& a, const metric_row& b) {
    return std::tie(a.tick, a.actor, a.name) < std::tie(b.tick, b.actor, b.name);
  });
  REQUIRE(produced.size() == stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    REQUIRE(produced[i].tick == stored[i].tick);
    REQUIRE(produced[i].actor == stored[i].actor);
    REQUIRE(produced[i].name == stored[i].name);
    REQUIRE(produced[i].value == stored[i].value);
  }

  // Non-empty, and every tick is there.
  REQUIRE(!stored.empty());
  std::set<int64_t> ticks;
  for (auto& r : stored) ticks.insert(r.tick);
  REQUIRE(ticks.size() == size_t(expected_ticks));
  REQUIRE(*ticks.begin() == 0);
  REQUIRE(*ticks.rbegin() == expected_ticks - 1);
  return stored;
}

std::string describe(const metric_row& r) {
  std::ostringstream os;
  os.precision(17);
  os << "tick " << r.tick << " " << r.actor << "." << r.name << " = " << r.value;
  return os.str();
}

/// "" when the tables are identical row by row (values compared with ==); else the first difference.
std::string first_difference(const std::vector<metric_row>& a, const std::vector<metric_row>& b) {
  if (a.size() != b.size())
    return "row counts differ: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const bool same = a[i].tick == b[i].tick && a[i].actor == b[i].actor && a[i].name == b[i].name &&
                      a[i].value == b[i].value;
    if (!same) return "row " + std::to_string(i) + ": " + describe(a[i]) + " vs " + describe(b[i]);
  }
  return "";
}

/// Runs `spec` on 1 and on 4 scheduler threads and requires bit-identical metrics;
/// returns the 1-thread table.
std::vector<metric_row> require_thread_independent(const scenario_spec& spec, const temp_dir& tmp,
                                                   const std::string& tag = "", int64_t ticks = kTicks) {
  const auto one = run_and_read(spec, 1, tmp, tag + "threads1", ticks);
  const auto four = run_and_read(spec, 4, tmp, tag + "threads4", ticks);
  const auto diff = first_difference(one, four);
  INFO(tag << "threads=1 vs threads=4: " << diff);
  REQUIRE(diff.empty());
  return one;
}

}  // namespace

TEST_CASE("determinism: 1 and 4 scheduler threads give bit-identical metrics", "[determinism]") {
  temp_dir tmp("determinism");
  const auto spec = small_red_team(7);
  require_thread_independent(spec, tmp);
}

TEST_CASE("determinism: debate gives bit-identical metrics on 1 and 4 scheduler threads", "[determinism][debate]") {
  temp_dir tmp("determinism");
  oversight::testing::write_marker_images(tmp.path());
  const auto spec = small_debate(tmp.path(), 7);
  require_thread_independent(spec, tmp);
}

TEST_CASE("determinism: sandwiching gives bit-identical metrics on 1 and 4 scheduler threads",
          "[determinism][sandwiching]") {
  temp_dir tmp("determinism");
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/sandwiching/sandwiching.toml";
  const auto spec = load_spec(file, {"ticks=" + std::to_string(kTicks), "questions_per_tick=50"}, 7);
  require_thread_independent(spec, tmp);
}

TEST_CASE("determinism: the same seed repeats exactly and another seed differs", "[determinism]") {
  temp_dir tmp("determinism");
  const auto a = run_and_read(small_red_team(11), 2, tmp, "seed11a");
  const auto b = run_and_read(small_red_team(11), 2, tmp, "seed11b");
  const auto c = run_and_read(small_red_team(12), 2, tmp, "seed12");
  {
    const auto diff = first_difference(a, b);
    INFO("seed 11 twice: " << diff);
    REQUIRE(diff.empty());
  }
  // Same shape (same ticks, actors and metric names), different values.
  REQUIRE(a.size() == c.size());
  bool values_differ = false;
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].tick == c[i].tick);
    REQUIRE(a[i].actor == c[i].actor);
    REQUIRE(a[i].name == c[i].name);
    values_differ |= a[i].value != c[i].value;
  }
  CHECK(values_differ);
}

TEST_CASE("determinism: principal_agent gives bit-identical metrics with 1 and 4 threads", "[determinism]") {
  temp_dir tmp("determinism");
  const auto spec = small_principal_agent(7);
  const auto one = require_thread_independent(spec, tmp);
  const auto other = run_and_read(small_principal_agent(8), 2, tmp, "seed8");
  CHECK_FALSE(first_difference(one, other).empty());
}

TEST_CASE("determinism: oversight_monitor gives bit-identical metrics with 1 and 4 threads", "[determinism]") {
  temp_dir tmp("determinism");
  const auto spec = small_oversight_monitor(7);
  const auto one = require_thread_independent(spec, tmp);
  const auto other = run_and_read(small_oversight_monitor(8), 2, tmp, "seed8");
  CHECK_FALSE(first_difference(one, other).empty());
}

TEST_CASE("determinism: weak_to_strong and w2s_deception, 1 and 4 threads give bit-identical metrics",
          "[determinism]") {
  temp_dir tmp("determinism");
  // 3 epochs x 3 phases (weak and ceiling; students; bootstrapped student) = 9 ticks.
  const std::vector<std::string> small = {"world.train_samples=600", "world.test_samples=300", "train.epochs=3",
                                          "boot.steps=1", "ladder.features=0,8,16", "ladder.hidden=0,0,16",
                                          "ladder.inputs=4,0,0", "ladder.concepts=0,2,4", "strong.size=2",
                                          "ladder.input_noise=30,0,0", "ladder.concept_noise=0,20,5"};
  for (const char* name : {"weak_to_strong", "w2s_deception"}) {
    const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios" / name / (std::string(name) + ".toml");
    const auto spec = load_spec(file, small, 5);
    require_thread_independent(spec, tmp, std::string(name) + "-", 9);
  }
}

TEST_CASE("determinism: rlhf and self_enhancement, 1 and 4 threads give bit-identical metrics", "[determinism]") {
  temp_dir tmp("determinism");
  struct small_run {
    std::string name, tag;
    std::vector<std::string> sets;
  };
  const std::vector<small_run> small = {
      {"rlhf", "rlhf-", {"labels.budget=40", "labels.ticks=2", "rl.steps=5", "rl.batch=32", "eval.prompts=32", "rm.updates=10", "bon.max_log2=3"}},
      {"self_enhancement", "self_enhancement-", {"human.labels=40", "human.ticks=2", "rounds=5", "pairs_per_round=32", "eval.prompts=32", "critic.updates=10"}},
      {"self_enhancement", "self_enhancement-rlhf-", {"feedback=rlhf", "human.labels=40", "human.ticks=2", "rounds=5", "pairs_per_round=32", "eval.prompts=32", "critic.updates=10"}},
      {"league", "league-", {"ticks=8", "learner.count=16", "attacker.count=16", "eval.every=4", "eval.queries=64", "eval.adversarial_queries=32", "snapshot.every=3", "snapshot.count=2", "snapshot.pool=4", "probe.rounds=4", "probe.queries=16", "critic.updates=5"}},
  };
  for (const auto& r : small)  // 2 label ticks + 1 tick of latency + 5 steps or rounds = kTicks
    require_thread_independent(
        load_spec(fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios" / r.name / (r.name + ".toml"), r.sets, 7), tmp, r.tag);
}
