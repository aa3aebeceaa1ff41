// The [sweep] table and the resolved scenario file: what `oversight sweep` expands into
// runs, how bad sweep input is reported, and that a run's scenario.toml reads back as the
// same parameters. Uses the "spec_test" scenario registered in spec_test.cpp (every
// parameter type, a nested key) and red_team.
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "runtime/report_table.hpp"
#include "runtime/spec.hpp"
#include "runtime/sweep.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const user_error& e) {
    return e.what();
  }
  FAIL("no user_error thrown");
  return {};
}

}  // namespace

TEST_CASE("sweep: oversight run ignores the [sweep] table", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("s.toml",
                        "scenario = \"spec_test\"\ncount = 7\n[sweep]\nseeds = \"1..3\"\n[sweep.grid]\nrate = [0.1, 0.2]\n");
  auto spec = load_spec(file, {}, std::nullopt);
  CHECK(spec.params.integer("count") == 7);
  CHECK(spec.params.real("rate") == 0.25);  // the default: the grid is not applied by run
}

TEST_CASE("sweep: seeds, quoted and dotted grid keys, and the Cartesian product in file order", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("s.toml",
                        "scenario = \"spec_test\"\n"
                        "[sweep]\nseeds = [4, 2]\n"
                        "[sweep.grid]\n\"mode\" = [\"fast\", \"slow\"]\nnested.depth = [1, -2, 3]\n");
  auto table = load_sweep_table(file);
  CHECK(table.seeds == std::vector<int64_t>{4, 2});
  REQUIRE(table.grid.size() == 2);
  CHECK(table.grid[0].key == "mode");
  CHECK(table.grid[1].key == "nested.depth");

  auto plan = make_sweep_plan(file, {"count=9"}, std::nullopt);
  CHECK(plan.scenario == "spec_test");
  CHECK(plan.seeds == std::vector<int64_t>{4, 2});
  CHECK(plan.grid_keys == std::vector<std::string>{"mode", "nested.depth"});
  REQUIRE(plan.points.size() == 6);
  CHECK(plan.runs() == 12);
  // The last axis varies fastest.
  CHECK(plan.points[0].params_json == R"({"mode": "fast", "nested.depth": 1})");
  CHECK(plan.points[1].params_json == R"({"mode": "fast", "nested.depth": -2})");
  CHECK(plan.points[3].params_json == R"({"mode": "slow", "nested.depth": 1})");
  CHECK(plan.points[5].sets == std::vector<std::string>{"mode=\"slow\"", "nested.depth=3"});
  CHECK(plan.user_sets == std::vector<std::string>{"count=9"});

  // --seeds replaces the file's seeds; the identity tells the two plans apart.
  auto other = make_sweep_plan(file, {"count=9"}, std::string("1..3"));
  CHECK(other.seeds == std::vector<int64_t>{1, 2, 3});
  CHECK(other.identity() != plan.identity());
  CHECK(make_sweep_plan(file, {"count=9"}, std::nullopt).identity() == plan.identity());
}

TEST_CASE("sweep: a file without a grid sweeps its one point over the seeds", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("s.toml", "scenario = \"spec_test\"\n");
  auto plan = make_sweep_plan(file, {}, std::string("3,1"));
  REQUIRE(plan.points.size() == 1);
  CHECK(plan.points[0].params_json == "{}");
  CHECK(plan.seeds == std::vector<int64_t>{3, 1});
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {}, std::nullopt); }), Contains("no seeds to sweep"));
}

TEST_CASE("sweep: listed points times the grid, for sweeps that are not a full product", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("s.toml",
                        "scenario = \"spec_test\"\n[sweep]\nseeds = \"1..2\"\n"
                        "points = [{count = 1, nested.depth = 2}, {\"nested.depth\" = 5, count = 3}]\n"
                        "[sweep.grid]\nverbose = [false, true]\n");
  auto plan = make_sweep_plan(file, {}, std::nullopt);
  CHECK(plan.grid_keys == std::vector<std::string>{"count", "nested.depth", "verbose"});
  REQUIRE(plan.points.size() == 4);
  CHECK(plan.points[0].params_json == R"({"count": 1, "nested.depth": 2, "verbose": false})");
  CHECK(plan.points[1].params_json == R"({"count": 1, "nested.depth": 2, "verbose": true})");
  CHECK(plan.points[3].params_json == R"({"count": 3, "nested.depth": 5, "verbose": true})");
  CHECK(plan.points[3].sets == std::vector<std::string>{"count=3", "nested.depth=5", "verbose=true"});

  auto uneven = tmp.write("u.toml", "scenario = \"spec_test\"\n[sweep]\npoints = [{count = 1}, {rate = 0.5}]\n");
  CHECK_THAT(error_of([&] { make_sweep_plan(uneven, {}, std::string("1")); }),
             Contains("every entry must set the same parameters (count)"));
  auto bad = tmp.write("b.toml", "scenario = \"spec_test\"\n[sweep]\npoints = [{count = 0}]\n");
  CHECK_THAT(error_of([&] { make_sweep_plan(bad, {}, std::string("1")); }),
             StartsWith(bad.string() + ":3:") && Contains("'count' = 0 is out of range"));
  auto both = tmp.write("d.toml",
                        "scenario = \"spec_test\"\n[sweep]\npoints = [{count = 2}]\n[sweep.grid]\ncount = [1]\n");
  CHECK_THAT(error_of([&] { make_sweep_plan(both, {}, std::string("1")); }), Contains("both a sweep.grid axis"));
}

TEST_CASE("sweep: bad grid values name the file, line, key and value before anything runs", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  struct bad {
    const char* grid;
    std::vector<std::string> names;
  };
  const bad cases[] = {
      {"\"mode\" = [\"fast\", \"warp\"]", {"s.toml:5:", "'mode'", "\"warp\"", "fast, slow"}},
      {"rate = [0.5, 1.5]", {"s.toml:5:", "'rate' = 1.5", "out of range"}},
      {"count = [1, \"two\"]", {"s.toml:5:", "'count'", "\"two\"", "integer"}},
      {"rat = [0.5]", {"s.toml:5:", "unknown parameter 'rat'", "did you mean 'rate'"}},
      {"rate = 0.5", {"s.toml:5:", "'rate' must be a non-empty array"}},
      {"rate = []", {"s.toml:5:", "'rate' must be a non-empty array"}},
      {"rate = [0.5, 0.5]", {"s.toml:5:", "lists 0.5 twice"}},
      {"seed = [1, 2]", {"s.toml:5:", "sweep.seeds"}},
  };
  for (auto& c : cases) {
    INFO(c.grid);
    auto file = tmp.write("s.toml", std::string("scenario = \"spec_test\"\n[sweep]\nseeds = \"1..2\"\n[sweep.grid]\n") +
                                        c.grid + "\n");
    auto msg = error_of([&] { make_sweep_plan(file, {}, std::nullopt); });
    CHECK_THAT(msg, StartsWith(file.string() + ":"));
    for (auto& n : c.names) CHECK_THAT(msg, Contains(n));
  }
}

TEST_CASE("sweep: bad seeds and a --set on a grid axis are user errors", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("s.toml", "scenario = \"spec_test\"\n[sweep]\nseeds = \"1..4\"\n[sweep.grid]\nrate = [0.1]\n");
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {"rate=0.2"}, std::nullopt); }),
             Contains("--set rate=0.2: 'rate' is set by " + file.string() + "'s [sweep.grid]"));
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {"mode=warp"}, std::nullopt); }), Contains("--set mode=warp"));
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {}, std::string("5..2")); }), Contains("the range is empty"));
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {}, std::string("1,x")); }), Contains("'x' is not a seed"));
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {}, std::string("1,2,1")); }), Contains("listed twice"));
  CHECK_THAT(error_of([&] { make_sweep_plan(file, {}, std::string("-1..2")); }), Contains("--seeds"));
  auto bad_seeds = tmp.write("b.toml", "scenario = \"spec_test\"\n[sweep]\nseeds = [1, -3]\n");
  CHECK_THAT(error_of([&] { make_sweep_plan(bad_seeds, {}, std::nullopt); }), StartsWith(bad_seeds.string() + ":3:"));
  auto unknown = tmp.write("u.toml", "scenario = \"spec_test\"\n[sweep]\nseed = \"1..2\"\n");
  CHECK_THAT(error_of([&] { make_sweep_plan(unknown, {}, std::nullopt); }), Contains("unknown key 'sweep.seed'"));
}

TEST_CASE("report table: [[report.xy]] is read, and `oversight run` accepts it", "[spec][sweep][report]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("s.toml",
                        "scenario = \"rlhf\"\n[labels]\nbudget = 300\n"
                        "[[report.xy]]\nx = \"learner.sqrt_kl\"\ny = [\"learner.true_gain\", \"reward_model.proxy_gain\"]\n"
                        "[[report.xy]]\nx = \"learner.kl\"\ny = \"experts.labels_spent\"\n");
  auto spec = load_spec(file, {}, std::nullopt);
  CHECK(spec.params.integer("labels.budget") == 300);
  auto table = load_report_table(file);
  REQUIRE(table.xy.size() == 2);
  CHECK(table.xy[0].x == "learner.sqrt_kl");
  CHECK(table.xy[0].x_origin == file.string() + ":5:5");
  CHECK(table.xy[0].y == std::vector<std::string>{"learner.true_gain", "reward_model.proxy_gain"});
  CHECK(table.xy[0].y_origins == std::vector<std::string>{file.string() + ":6:6", file.string() + ":6:27"});
  CHECK(table.xy[1].y == std::vector<std::string>{"experts.labels_spent"});
  CHECK(load_report_table(tmp.write("n.toml", "scenario = \"rlhf\"\n")).xy.empty());
}

TEST_CASE("report table: bad entries name the file, line, key and value before anything runs",
          "[spec][sweep][report]") {
  temp_dir tmp("sweep-spec");
  struct bad {
    const char* report;
    std::vector<std::string> names;
  };
  const bad cases[] = {
      {"[[report.xy]]\nx = \"learner.sqrt_kll\"\ny = \"learner.true_gain\"",
       {":3:5: report.xy.x = \"learner.sqrt_kll\": not actor.metric with a metric scenario 'rlhf' declares",
        "(did you mean 'learner.sqrt_kl'?)"}},
      {"[[report.xy]]\nx = \"sqrt_kl\"\ny = \"learner.true_gain\"",
       {":3:5: report.xy.x = \"sqrt_kl\": not actor.metric", "(did you mean 'actor.sqrt_kl'?)"}},
      {"[[report.xy]]\nx = \"learner.sqrt_kl\"\ny = [\"learner.true_gain\", \"learner.zzzzzzzz\"]",
       {":4:27: report.xy.y = \"learner.zzzzzzzz\"", "(`oversight list rlhf` shows them)"}},
      {"[[report.xy]]\nx = \"learner.sqrt_kl\"\ny = []", {":4:5: report.xy.y: the list is empty"}},
      {"[[report.xy]]\nx = \"learner.sqrt_kl\"\ny = [\"learner.kl\", \"learner.kl\"]",
       {":4:20: report.xy.y: 'learner.kl' is listed twice"}},
      {"[[report.xy]]\nx = \"learner.kl\"\ny = \"learner.kl\"", {":4:5: report.xy.y: 'learner.kl' is x too"}},
      {"[[report.xy]]\nx = 3\ny = \"learner.kl\"", {":3:5: report.xy.x must be a metric name \"actor.metric\""}},
      {"[[report.xy]]\ny = \"learner.kl\"", {"report.xy: this entry has no x"}},
      {"[[report.xy]]\nx = \"learner.kl\"", {"report.xy: this entry has no y"}},
      {"[[report.xy]]\nx = \"learner.kl\"\ny = \"learner.sqrt_kl\"\ncolour = \"red\"",
       {":5:1: unknown key 'report.xy.colour' (an entry holds x and y)"}},
      {"[report]\nxz = 1", {":3:1: unknown key 'report.xz' (a [report] table holds xy)"}},
      {"[report]\nxy = [1]", {":3:7: report.xy: every entry must be a table"}},
  };
  for (auto& c : cases) {
    INFO(c.report);
    auto file = tmp.write("s.toml", std::string("scenario = \"rlhf\"\n") + c.report + "\n");
    // load_spec() refuses it, so `oversight run`, `sweep` and `claim` start nothing.
    auto msg = error_of([&] { load_spec(file, {}, std::nullopt); });
    CHECK_THAT(msg, StartsWith(file.string() + ":"));
    for (auto& n : c.names) CHECK_THAT(msg, Contains(n));
    CHECK(error_of([&] { load_report_table(file); }) == msg);
  }
  auto not_table = tmp.write("t.toml", "report = 3\nscenario = \"rlhf\"\n");
  CHECK_THAT(error_of([&] { load_spec(not_table, {}, std::nullopt); }), Contains(":1:10: 'report' must be a table"));
}

TEST_CASE("resolved scenario file: every parameter reads back exactly", "[spec][sweep]") {
  temp_dir tmp("sweep-spec");
  auto file = tmp.write("r.toml", "scenario = \"red_team\"\nticks = 3\n[attacker]\nstrategy = \"random\"\n");
  auto spec = load_spec(file, {"critic.lr=0.0123456789", "world.pocket_share=1e-3"}, 777);
  auto text = resolved_toml(spec);
  CHECK_THAT(text, Contains("scenario = \"red_team\""));
  CHECK_THAT(text, Contains("[attacker]"));
  auto again = load_spec(tmp.write("resolved.toml", text), {}, std::nullopt);
  CHECK(again.scenario == "red_team");
  CHECK(again.seed == 777);
  CHECK(again.params.all() == spec.params.all());

  // Values that need care: a real that looks whole, quotes and backslashes in a string.
  CHECK(to_toml(param_value(8.0)) == "8.0");
  CHECK(to_toml(param_value(0.1)) == "0.1");
  CHECK(to_toml(param_value(int64_t(-3))) == "-3");
  CHECK(to_toml(param_value(true)) == "true");
  auto tricky = load_spec(tmp.write("t.toml", "scenario = \"spec_test\"\n"), {"label=\"a \\\"b\\\" \\\\ c\""}, 1);
  auto tricky_again = load_spec(tmp.write("t2.toml", resolved_toml(tricky)), {}, std::nullopt);
  CHECK(tricky_again.params.text("label") == "a \"b\" \\ c");
}
