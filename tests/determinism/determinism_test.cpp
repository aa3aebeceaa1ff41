// A run is a function of its spec and seed: the scheduler's thread count must not change
// a single bit of the metrics, and the seed must matter. Runs in-process through
// run_scenario(), the path `oversight run` takes, and reads the stored run.sqlite back.
//
// The first test goes over every registered scenario (a new one is covered as soon as it
// registers): its shipped files load, its `smoke` configuration gives bit-identical
// metrics on 1 and 4 scheduler threads and other metrics at another seed, and it records
// only metric names it declares, every one of them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "actors/director/run.hpp"
#include "runtime/claims.hpp"
#include "runtime/scenario_registry.hpp"
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

/// Runs the spec into DIR/name and returns the metrics table as stored in run.sqlite.
/// `expected_ticks` < 0: any number of ticks from 0 on.
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
  REQUIRE(*ticks.begin() == 0);
  if (expected_ticks >= 0) {
    REQUIRE(ticks.size() == size_t(expected_ticks));
    REQUIRE(*ticks.rbegin() == expected_ticks - 1);
  }
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
  // The event log too is byte for byte the same: replies are logged in the order the
  // program asked, never in arrival order.
  if (spec.params.boolean("events.log")) {
    const auto log1 = oversight::testing::slurp(tmp / (tag + "threads1") / "events.msgpack");
    const auto log4 = oversight::testing::slurp(tmp / (tag + "threads4") / "events.msgpack");
    REQUIRE(log1.size() > 100);  // more than the header: the director asked something
    size_t at = 0;
    while (at < std::min(log1.size(), log4.size()) && log1[at] == log4[at]) ++at;
    INFO(tag << "events.msgpack: " << log1.size() << " vs " << log4.size() << " bytes, first difference at " << at);
    REQUIRE(log1 == log4);
  }
  return one;
}

}  // namespace

TEST_CASE("every registered scenario: its files load, 1 and 4 threads agree, the seed matters, metrics as declared",
          "[determinism]") {
  std::vector<std::string> names;
  for (const auto* info : all_scenarios())
    if (info->name != "spec_test") names.push_back(info->name);  // tests/spec's, not runnable
  REQUIRE(names.size() >= 10);
  const std::string name = GENERATE_COPY(from_range(names));
  const scenario_info& info = *find_scenario(name);
  INFO("scenario " << name);
  const fs::path folder = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios" / name;
  REQUIRE(fs::is_regular_file(folder / (name + ".toml")));

  // Every shipped scenario file of this scenario loads as it is; every claim file too.
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    CHECK(load_spec(entry.path(), {}, 1).scenario == name);
  }
  if (fs::is_directory(folder / "claims"))
    for (const auto& entry : fs::directory_iterator(folder / "claims")) {
      INFO(entry.path().string());
      CHECK_NOTHROW(load_claim(entry.path()));
    }

  temp_dir tmp("determinism");
  std::vector<std::string> sets = info.smoke;
  REQUIRE_FALSE(sets.empty());
  const bool reads_data = std::any_of(info.params.begin(), info.params.end(),
                                      [](const param_decl& d) { return d.key == "data.dir"; });
  if (reads_data) {
    oversight::testing::write_marker_images(tmp.path());
    sets.push_back("data.dir=" + tmp.path().string());
  }
  const auto file = folder / (name + ".toml");
  const auto one = require_thread_independent(load_spec(file, sets, 7), tmp, name + "-", -1);
  const auto other = run_and_read(load_spec(file, sets, 8), 2, tmp, name + "-seed8", -1);
  CHECK_FALSE(first_difference(one, other).empty());

  // The names it records are the names it declares: none undeclared, none never recorded.
  std::set<std::string> declared, recorded;
  for (const auto& m : info.metrics) declared.insert(m.name);
  for (const auto& r : one) recorded.insert(r.name);
  for (const auto& r : other) recorded.insert(r.name);
  for (const auto& n : recorded) {
    INFO("recorded, not declared: " << n);
    CHECK(declared.count(n) == 1);
  }
  for (const auto& n : declared) {
    INFO("declared, never recorded in the smoke runs: " << n);
    CHECK(recorded.count(n) == 1);
  }
}

TEST_CASE("determinism: self_enhancement's RLHF arm, 1 and 4 threads give bit-identical metrics", "[determinism]") {
  // The test above runs each scenario's default arm; this arm trains with PPO instead of DPO.
  temp_dir tmp("determinism");
  auto sets = find_scenario("self_enhancement")->smoke;
  sets.push_back("feedback=rlhf");
  const auto file = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/self_enhancement/self_enhancement.toml";
  require_thread_independent(load_spec(file, sets, 7), tmp, "rlhf-arm-", -1);
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

