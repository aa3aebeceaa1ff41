// Experiments: sweep and run directories built by hand with sqlite3, summarized against
// numbers worked out in the comments.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <sqlite3.h>
#include <sstream>
#include <tuple>

#include "base/error.hpp"
#include "runtime/experiment.hpp"
#include "runtime/json.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::slurp;
using oversight::testing::temp_dir;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;

namespace {

namespace fs = std::filesystem;

/// A database written with plain SQL; every statement must succeed.
class sql_file {
 public:
  explicit sql_file(const fs::path& file) {
    fs::create_directories(file.parent_path());
    REQUIRE(sqlite3_open(file.c_str(), &db_) == SQLITE_OK);
  }
  ~sql_file() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

/// A run database as run_store writes it: run, parameters, metrics and events tables.
/// `params` are (key, type, value) rows; `metrics` are (tick, actor, name, value) rows.
struct run_db {
  int64_t seed = 1;
  std::vector<std::array<std::string, 3>> params;
  std::vector<std::tuple<int64_t, std::string, std::string, double>> metrics;

  void write(const fs::path& file) const {
    sql_file db(file);
    db.exec(
        "CREATE TABLE run(key TEXT PRIMARY KEY, value TEXT);"
        "CREATE TABLE parameters(key TEXT PRIMARY KEY, type TEXT, value TEXT);"
        "CREATE TABLE metrics(tick INTEGER, actor TEXT, name TEXT, value REAL);"
        "CREATE TABLE events(tick INTEGER, kind TEXT, detail TEXT);");
    db.exec("INSERT INTO run VALUES('scenario', 'red_team'), ('seed', '" + std::to_string(seed) +
            "'), ('status', 'complete')");
    db.exec("INSERT INTO parameters VALUES('seed', 'integer', '" + std::to_string(seed) + "')");
    for (const auto& [k, type, v] : params)
      db.exec("INSERT INTO parameters VALUES('" + k + "', '" + type + "', '" + v + "')");
    for (const auto& [tick, actor, name, v] : metrics)
      db.exec("INSERT INTO metrics VALUES(" + std::to_string(tick) + ", '" + actor + "', '" + name + "', " + num(v) +
              ")");
  }
};

/// The learner.rate series of the test sweep: 0, 0, 2 L, L at ticks 0..3, so
///   at last:         L
///   at mean_last:2:  (2 L + L) / 2 = 1.5 L
///   at mean_last:10: all four ticks, 3 L / 4 = 0.75 L
void add_rate(run_db& r, double last) {
  r.metrics.emplace_back(0, "learner", "rate", 0.0);
  r.metrics.emplace_back(1, "learner", "rate", 0.0);
  r.metrics.emplace_back(2, "learner", "rate", 2 * last);
  r.metrics.emplace_back(3, "learner", "rate", last);
}

/// A sweep over attacker.strategy in {none, greedy}:
///   none   seeds 1, 2, 3: learner.rate last 0.5, 0.6, 0.7; critic.gap only in seeds 1
///          (ticks 2, 3: 0.1, 0.2) and 2 (tick 3: 0.4)
///   greedy seeds 1, 2, 4: learner.rate last 0.8, 1.0, 0.9; seed 3 failed; seed 5 pending
/// Seed 2 of greedy has an absolute run_dir (accepted as well as relative ones).
fs::path write_test_sweep(const temp_dir& tmp) {
  const fs::path dir = tmp / "sweep";
  struct point {
    int index;
    int64_t seed;
    std::string strategy, status;
    double last;
  };
  const std::vector<point> points{{0, 1, "none", "done", 0.5},     {0, 2, "none", "done", 0.6},
                                  {0, 3, "none", "done", 0.7},     {1, 1, "greedy", "done", 0.8},
                                  {1, 2, "greedy", "done", 1.0},   {1, 3, "greedy", "failed", 0},
                                  {1, 4, "greedy", "done", 0.9},   {1, 5, "greedy", "pending", 0}};
  sql_file index(dir / "sweep.sqlite");
  index.exec(
      "CREATE TABLE points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, seconds REAL, "
      "error TEXT)");
  for (const auto& p : points) {
    const std::string rel = "runs/p00" + std::to_string(p.index) + "-s" + std::to_string(p.seed);
    const std::string run_dir = (p.strategy == "greedy" && p.seed == 2) ? (dir / rel).string() : rel;
    const std::string error = p.status == "failed" ? "'exit status 1'" : "NULL";
    index.exec("INSERT INTO points VALUES(" + std::to_string(p.index) + ", " + std::to_string(p.seed) +
               ", '{\"attacker.strategy\": \"" + p.strategy + "\"}', '" + p.status + "', '" + run_dir + "', 2.5, " +
               error + ")");
    if (p.status != "done") continue;
    run_db r;
    r.seed = p.seed;
    add_rate(r, p.last);
    if (p.strategy == "none" && p.seed == 1) {
      r.metrics.emplace_back(2, "critic", "gap", 0.1);
      r.metrics.emplace_back(3, "critic", "gap", 0.2);
    }
    if (p.strategy == "none" && p.seed == 2) r.metrics.emplace_back(3, "critic", "gap", 0.4);
    r.write(dir / rel / "run.sqlite");
  }
  return dir;
}

const arm_params none{{"attacker.strategy", "\"none\""}};
const arm_params greedy{{"attacker.strategy", "\"greedy\""}};

template <class F>
std::string user_error_of(F&& f) {
  try {
    f();
  } catch (const user_error& e) {
    return e.what();
  }
  FAIL("no user_error thrown");
  return "";
}

}  // namespace

TEST_CASE("a sweep directory loads into arms and runs", "[summary]") {
  temp_dir tmp("summary");
  const auto dir = write_test_sweep(tmp);
  const auto ex = load_experiment({dir});
  CHECK(ex.arm_keys == std::vector<std::string>{"attacker.strategy"});
  REQUIRE(ex.arms() == std::vector<arm_params>{none, greedy});
  REQUIRE(ex.runs.size() == 8);
  CHECK(ex.runs[3].params == greedy);
  CHECK(ex.runs[3].seed == 1);
  CHECK(ex.runs[3].rows.size() == 4);
  CHECK(ex.runs[5].status == "failed");
  CHECK(ex.runs[5].error == "exit status 1");
  CHECK(ex.runs[5].rows.empty());
  CHECK(ex.runs[7].status == "pending");
  CHECK(ex.runs[0].seconds == 2.5);
  CHECK(ex.runs[0].dir == dir / "runs/p000-s1");
  CHECK(arm_label(none) == "attacker.strategy=none");
  CHECK(arm_label({}) == "(all runs)");
}

TEST_CASE("summarize: per-arm statistics at the last tick", "[summary]") {
  temp_dir tmp("summary");
  const auto ex = load_experiment({write_test_sweep(tmp)});
  const auto s = summarize(ex, {});
  REQUIRE(s.arms.size() == 2);
  CHECK(s.paired.empty());
  const auto& rate = s.arms[0].metrics.at("learner.rate");
  // none: 0.5, 0.6, 0.7: mean 0.6, sd 0.1, CI 0.6 +- t_{0.975,2} 0.1 / sqrt 3
  //       = 0.6 +- 4.302653 * 0.057735 = 0.6 +- 0.248414.
  CHECK(rate.n == 3);
  CHECK_THAT(rate.mean, WithinAbs(0.6, 1e-12));
  CHECK_THAT(rate.sd, WithinAbs(0.1, 1e-12));
  CHECK_THAT(rate.ci_lo, WithinAbs(0.6 - 0.248414, 1e-6));
  CHECK_THAT(rate.ci_hi, WithinAbs(0.6 + 0.248414, 1e-6));
  // greedy: 0.8, 1.0, 0.9 (the failed and the pending seed do not count).
  const auto& g = s.arms[1].metrics.at("learner.rate");
  CHECK(g.n == 3);
  CHECK_THAT(g.mean, WithinAbs(0.9, 1e-12));
  CHECK_THAT(g.sd, WithinAbs(0.1, 1e-12));
  // critic.gap: only none's seeds 1 and 2 record it (last values 0.2, 0.4): n 2, mean 0.3,
  // sd sqrt(0.02) = 0.141421, CI 0.3 +- 12.706205 * 0.141421 / sqrt 2 = 0.3 +- 1.270620.
  const auto& gap = s.arms[0].metrics.at("critic.gap");
  CHECK(gap.n == 2);
  CHECK_THAT(gap.mean, WithinAbs(0.3, 1e-12));
  CHECK_THAT(gap.sd, WithinAbs(std::sqrt(0.02), 1e-12));
  CHECK_THAT(gap.ci_hi, WithinAbs(0.3 + 1.270620, 1e-6));
  // greedy never records it: n 0, everything undefined.
  const auto& no_gap = s.arms[1].metrics.at("critic.gap");
  CHECK(no_gap.n == 0);
  CHECK(std::isnan(no_gap.mean));
  CHECK(std::isnan(no_gap.sd));
  CHECK(std::isnan(no_gap.ci_lo));
}

TEST_CASE("summarize: --at mean_last:K and --metric", "[summary]") {
  temp_dir tmp("summary");
  const auto ex = load_experiment({write_test_sweep(tmp)});
  summary_options opt;
  opt.metrics = {"learner.rate"};
  opt.at = value_at::parse("mean_last:2");
  auto s = summarize(ex, opt);
  REQUIRE(s.arms[0].metrics.size() == 1);
  // mean_last:2 is 1.5 L: none 0.75, 0.9, 1.05: mean 0.9, sd 0.15.
  CHECK_THAT(s.arms[0].metrics.at("learner.rate").mean, WithinAbs(0.9, 1e-12));
  CHECK_THAT(s.arms[0].metrics.at("learner.rate").sd, WithinAbs(0.15, 1e-12));
  // More ticks asked for than recorded: the mean of all four, 0.75 L: greedy 0.675.
  opt.at = value_at::parse("mean_last:10");
  s = summarize(ex, opt);
  CHECK_THAT(s.arms[1].metrics.at("learner.rate").mean, WithinAbs(0.675, 1e-12));
  CHECK(value_at::parse("last").last_k == 1);
  CHECK(value_at::parse("mean_last:5").last_k == 5);
}

TEST_CASE("summarize: baseline pairing by seed", "[summary]") {
  temp_dir tmp("summary");
  const auto ex = load_experiment({write_test_sweep(tmp)});
  summary_options opt;
  opt.baseline = {"attacker.strategy=none"};
  const auto s = summarize(ex, opt);
  REQUIRE(s.paired.size() == 2);  // greedy x {critic.gap, learner.rate}
  const auto& p = s.paired[1];
  CHECK(p.metric == "learner.rate");
  CHECK(p.params == greedy);
  CHECK(p.baseline == none);
  // Seeds both arms finished: 1 and 2 (none's 3 failed in greedy, greedy's 4 is not in
  // none). Differences 0.8 - 0.5 = 0.3, 1.0 - 0.6 = 0.4: mean 0.35, sd sqrt(0.005),
  // se 0.05, CI 0.35 +- 12.706205 * 0.05 = 0.35 +- 0.635310, t = 7 with df 1:
  // p = 1 - (2/pi) atan 7 = 0.090334. Wilcoxon needs n >= 6: undefined.
  CHECK(p.n == 2);
  CHECK_THAT(p.mean_diff, WithinAbs(0.35, 1e-12));
  CHECK_THAT(p.ci_lo, WithinAbs(0.35 - 0.635310, 1e-6));
  CHECK_THAT(p.ci_hi, WithinAbs(0.35 + 0.635310, 1e-6));
  CHECK_THAT(p.p_t, WithinAbs(0.090334, 1e-6));
  CHECK(std::isnan(p.p_wilcoxon));
  // critic.gap: greedy has none, so no pairs.
  CHECK(s.paired[0].metric == "critic.gap");
  CHECK(s.paired[0].n == 0);
  CHECK(std::isnan(s.paired[0].mean_diff));
  CHECK(std::isnan(s.paired[0].p_t));

  // The value may be given as JSON text too.
  opt.baseline = {"attacker.strategy=\"greedy\""};
  const auto reverse = summarize(ex, opt);
  REQUIRE(reverse.paired.size() == 2);
  CHECK(reverse.paired[1].params == none);
  CHECK_THAT(reverse.paired[1].mean_diff, WithinAbs(-0.35, 1e-12));
}

TEST_CASE("summarize: Wilcoxon p-values from six paired seeds", "[summary]") {
  temp_dir tmp("summary");
  const fs::path dir = tmp / "sweep";
  sql_file index(dir / "sweep.sqlite");
  index.exec(
      "CREATE TABLE points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, seconds REAL, "
      "error TEXT)");
  // Differences (x = 1 minus x = 0) per seed: 0.3, -0.1, 0.5, 0.7, -0.2, 0.9: no ties, W- =
  // 1 + 2 = 3; 5 of the 64 sign patterns have W- <= 3, p = 2 * 5/64 = 0.15625.
  const std::vector<double> base{1, 1, 1, 1, 1, 1}, diff{0.3, -0.1, 0.5, 0.7, -0.2, 0.9};
  for (int x = 0; x < 2; ++x)
    for (int seed = 1; seed <= 6; ++seed) {
      const std::string rel = "runs/p" + std::to_string(x) + "-s" + std::to_string(seed);
      index.exec("INSERT INTO points VALUES(" + std::to_string(x) + ", " + std::to_string(seed) + ", '{\"x\": " +
                 std::to_string(x) + "}', 'done', '" + rel + "', 1, NULL)");
      run_db r;
      r.seed = seed;
      r.metrics.emplace_back(0, "a", "m", base[seed - 1] + (x ? diff[seed - 1] : 0.0));
      r.write(dir / rel / "run.sqlite");
    }
  summary_options opt;
  opt.baseline = {"x=0"};
  const auto s = summarize(load_experiment({dir}), opt);
  REQUIRE(s.paired.size() == 1);
  CHECK(s.paired[0].n == 6);
  CHECK_THAT(s.paired[0].p_wilcoxon, WithinAbs(0.15625, 1e-12));
  CHECK(arm_label(s.paired[0].params) == "x=1");
}

TEST_CASE("print_summary_table: readable, NaN as '-'", "[summary]") {
  temp_dir tmp("summary");
  const auto ex = load_experiment({write_test_sweep(tmp)});
  summary_options opt;
  opt.baseline = {"attacker.strategy=none"};
  std::ostringstream os;
  print_summary_table(os, summarize(ex, opt));
  const std::string out = os.str();
  INFO(out);
  CHECK_THAT(out, Contains("attacker.strategy=none\n"));
  CHECK_THAT(out, Contains("attacker.strategy=greedy\n"));
  // none's learner.rate: n 3, mean 0.6, sd 0.1, CI [0.3516, 0.8484] (4 significant digits).
  CHECK_THAT(out, Contains("learner.rate    3        0.6        0.1  [0.3516, 0.8484]"));
  // greedy's critic.gap has no values at all.
  CHECK_THAT(out, Contains("critic.gap      0          -          -  -\n"));
  CHECK_THAT(out, Contains("paired differences against attacker.strategy=none"));
  CHECK_THAT(out, Contains("0.35  [-0.2853, 0.9853]"));
  CHECK_THAT(out, Contains("0.09033"));
  CHECK(out.find("nan") == std::string::npos);
  CHECK(out.find("inf") == std::string::npos);
}

TEST_CASE("write_summary_json: the documented shape, NaN as null", "[summary]") {
  temp_dir tmp("summary");
  summary s;
  arm_summary a;
  a.params = none;
  a.metrics["learner.rate"] = metric_stats{3, 0.6, 0.1, 0.35, 0.85};
  a.metrics["critic.gap"] = metric_stats{1, 0.2, NAN, NAN, NAN};
  s.arms.push_back(a);
  paired_diff p;
  p.params = greedy;
  p.baseline = none;
  p.metric = "learner.rate";
  p.n = 2;
  p.mean_diff = 0.35;
  p.ci_lo = -0.25;
  p.ci_hi = 0.95;
  p.p_t = 0.09;
  p.p_wilcoxon = NAN;
  s.paired.push_back(p);
  const auto file = tmp / "summary.json";
  write_summary_json(file, s);
  CHECK(slurp(file) ==
        "{\n"
        "  \"arms\": [\n"
        "    {\"params\": {\"attacker.strategy\": \"none\"}, \"metrics\": {\n"
        "      \"critic.gap\": {\"n\": 1, \"mean\": 0.2, \"sd\": null, \"ci95\": [null, null]},\n"
        "      \"learner.rate\": {\"n\": 3, \"mean\": 0.6, \"sd\": 0.1, \"ci95\": [0.35, 0.85]}\n"
        "    }}\n"
        "  ],\n"
        "  \"paired\": [\n"
        "    {\"params\": {\"attacker.strategy\": \"greedy\"}, \"baseline\": {\"attacker.strategy\": \"none\"}, "
        "\"metric\": \"learner.rate\", \"n\": 2, \"mean_diff\": 0.35, \"ci95\": [-0.25, 0.95], \"p_t\": 0.09, "
        "\"p_wilcoxon\": null}\n"
        "  ]\n"
        "}\n");
  CHECK_FALSE(fs::exists(tmp / "summary.json.tmp"));
  // Overwrites atomically; an empty summary still has both lists.
  write_summary_json(file, summary{});
  CHECK(slurp(file) == "{\n  \"arms\": [],\n  \"paired\": []\n}\n");
  // A directory that does not exist is a user error naming the file.
  CHECK_THAT(user_error_of([&] { write_summary_json(tmp / "no/such/dir/s.json", s); }), Contains("s.json"));
}

TEST_CASE("arm_band: per-tick mean and CI over an arm's seeds", "[summary]") {
  temp_dir tmp("summary");
  const auto ex = load_experiment({write_test_sweep(tmp)});
  const auto band = arm_band(ex, none, "learner.rate");
  REQUIRE(band.size() == 4);
  // Tick 0: 0, 0, 0: zero variance, CI collapses.
  CHECK(band[0].tick == 0);
  CHECK(band[0].n == 3);
  CHECK(band[0].mean == 0);
  CHECK(band[0].ci_lo == 0);
  CHECK(band[0].ci_hi == 0);
  // Tick 3: the last values 0.5, 0.6, 0.7.
  CHECK(band[3].tick == 3);
  CHECK_THAT(band[3].mean, WithinAbs(0.6, 1e-12));
  CHECK_THAT(band[3].ci_lo, WithinAbs(0.6 - 0.248414, 1e-6));
  // critic.gap: tick 2 has one run (NaN bounds), tick 3 two (0.2, 0.4).
  const auto gap = arm_band(ex, none, "critic.gap");
  REQUIRE(gap.size() == 2);
  CHECK(gap[0].n == 1);
  CHECK(gap[0].mean == 0.1);
  CHECK(std::isnan(gap[0].ci_lo));
  CHECK(std::isnan(gap[0].ci_hi));
  CHECK(gap[1].n == 2);
  CHECK_THAT(gap[1].ci_lo, WithinAbs(0.3 - 1.270620, 1e-6));
  CHECK(arm_band(ex, greedy, "critic.gap").empty());
}

TEST_CASE("loose run directories: the arm is the parameters that differ", "[summary]") {
  temp_dir tmp("summary");
  auto make = [&](const std::string& name, int64_t seed, const std::string& strategy, const std::string& conflict,
                  double last) {
    run_db r;
    r.seed = seed;
    r.params = {{"attacker.strategy", "text", strategy},
                {"world.size", "integer", "8"},
                {"critic.enabled", "boolean", "true"},
                {"conflict", "real", conflict}};
    add_rate(r, last);
    r.write(tmp / name / "run.sqlite");
    return tmp / name;
  };
  const auto a1 = make("a1", 1, "none", "0.3", 0.5);
  const auto a2 = make("a2", 2, "none", "0.3", 0.7);
  const auto b1 = make("b1", 1, "greedy", "0.5", 0.9);
  // A failed run: only the partial database and FAILED with the reason.
  run_db failed;
  failed.seed = 2;
  failed.params = {{"attacker.strategy", "text", "greedy"}, {"world.size", "integer", "8"},
                   {"critic.enabled", "boolean", "true"}, {"conflict", "real", "0.5"}};
  failed.write(tmp / "b2" / "run.sqlite.partial");
  tmp.write("b2/FAILED", "learner diverged\n");

  const auto ex = load_experiment({a1, a2, b1, tmp / "b2"});
  CHECK(ex.arm_keys == std::vector<std::string>{"attacker.strategy", "conflict"});
  const arm_params a{{"attacker.strategy", "\"none\""}, {"conflict", "0.3"}};
  const arm_params b{{"attacker.strategy", "\"greedy\""}, {"conflict", "0.5"}};
  REQUIRE(ex.arms() == std::vector<arm_params>{a, b});
  CHECK(arm_label(a) == "attacker.strategy=none, conflict=0.3");
  REQUIRE(ex.runs.size() == 4);
  CHECK(ex.runs[3].status == "failed");
  CHECK(ex.runs[3].error == "learner diverged");
  CHECK(ex.runs[3].seed == 2);
  CHECK(ex.runs[1].seed == 2);
  CHECK(ex.runs[1].status == "done");

  summary_options opt;
  opt.baseline = {"conflict=0.30"};  // numbers compare as numbers
  const auto s = summarize(ex, opt);
  CHECK_THAT(s.arms[0].metrics.at("learner.rate").mean, WithinAbs(0.6, 1e-12));
  CHECK(s.arms[1].metrics.at("learner.rate").n == 1);
  CHECK(std::isnan(s.arms[1].metrics.at("learner.rate").sd));
  REQUIRE(s.paired.size() == 1);
  CHECK(s.paired[0].n == 1);  // seed 1 only: greedy's seed 2 failed
  CHECK_THAT(s.paired[0].mean_diff, WithinAbs(0.4, 1e-12));
  CHECK(std::isnan(s.paired[0].ci_lo));
  CHECK(std::isnan(s.paired[0].p_t));

  // One run alone is one arm with no keys.
  const auto single = load_experiment({a1});
  CHECK(single.arm_keys.empty());
  CHECK(single.arms() == std::vector<arm_params>{arm_params{}});
}

TEST_CASE("bad databases are user errors naming the file", "[summary]") {
  temp_dir tmp("summary");
  SECTION("a NULL actor in a run's metrics") {
    const auto dir = write_test_sweep(tmp);
    const auto file = dir / "runs/p001-s4/run.sqlite";
    sql_file(file).exec("INSERT INTO metrics VALUES(5, NULL, 'rate', 1.0)");
    const auto msg = user_error_of([&] { load_experiment({dir}); });
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains("actor"));
  }
  SECTION("a text value in a run's metrics") {
    run_db r;
    r.metrics.emplace_back(0, "a", "m", 1.0);
    r.write(tmp / "run" / "run.sqlite");
    sql_file(tmp / "run" / "run.sqlite").exec("INSERT INTO metrics VALUES(1, 'a', 'm', 'high')");
    const auto msg = user_error_of([&] { load_experiment({tmp / "run"}); });
    CHECK_THAT(msg, Contains((tmp / "run" / "run.sqlite").string()));
    CHECK_THAT(msg, Contains("'high' is not a number"));
  }
  SECTION("a run.sqlite that is not a database") {
    tmp.write("run.sqlite", "this is not SQLite");
    const auto msg = user_error_of([&] { load_experiment({tmp.path()}); });
    CHECK_THAT(msg, Contains((tmp / "run.sqlite").string()));
  }
  SECTION("a sweep index whose params are not a JSON object") {
    sql_file index(tmp / "sweep.sqlite");
    index.exec(
        "CREATE TABLE points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, seconds REAL, "
        "error TEXT);"
        "INSERT INTO points VALUES(0, 1, '{\"a\": [1]}', 'pending', NULL, NULL, NULL)");
    const auto msg = user_error_of([&] { load_experiment({tmp.path()}); });
    CHECK_THAT(msg, Contains((tmp / "sweep.sqlite").string()));
    CHECK_THAT(msg, Contains("point 0"));
  }
  SECTION("a done point whose run directory is missing") {
    sql_file index(tmp / "sweep.sqlite");
    index.exec(
        "CREATE TABLE points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, seconds REAL, "
        "error TEXT);"
        "INSERT INTO points VALUES(0, 1, '{}', 'done', 'runs/gone', 1, NULL)");
    CHECK_THAT(user_error_of([&] { load_experiment({tmp.path()}); }), Contains("runs/gone"));
  }
  SECTION("a directory that is neither") {
    CHECK_THAT(user_error_of([&] { load_experiment({tmp.path()}); }), Contains(tmp.path().string()));
    CHECK_THAT(user_error_of([&] { load_experiment({tmp / "missing"}); }), Contains("missing: no such directory"));
  }
}

TEST_CASE("bad --at, --metric and --baseline are user errors naming them", "[summary]") {
  for (const char* bad : {"first", "mean_last:", "mean_last:0", "mean_last:x", "mean_last:-2", "mean_last:2.5"})
    CHECK_THAT(user_error_of([&] { value_at::parse(bad); }), Contains(std::string("--at ") + bad));

  temp_dir tmp("summary");
  const auto ex = load_experiment({write_test_sweep(tmp)});
  summary_options opt;
  opt.metrics = {"learner.rat"};
  auto msg = user_error_of([&] { summarize(ex, opt); });
  CHECK_THAT(msg, Contains("--metric learner.rat"));
  CHECK_THAT(msg, Contains("learner.rate"));  // lists what there is

  opt.metrics.clear();
  opt.baseline = {"attacker=none"};
  msg = user_error_of([&] { summarize(ex, opt); });
  CHECK_THAT(msg, Contains("--baseline attacker=none"));
  CHECK_THAT(msg, Contains("arm keys: attacker.strategy"));

  opt.baseline = {"attacker.strategy=random"};
  msg = user_error_of([&] { summarize(ex, opt); });
  CHECK_THAT(msg, Contains("matches no arm"));
  CHECK_THAT(msg, Contains("attacker.strategy=greedy"));

  opt.baseline = {"attacker.strategy"};
  CHECK_THAT(user_error_of([&] { summarize(ex, opt); }), Contains("expected key=value"));
}

TEST_CASE("json helpers", "[summary]") {
  CHECK(json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(json_number(0.1) == "0.1");
  CHECK(json_number(-3) == "-3");
  CHECK(json_number(1e-7) == "1e-07");
  CHECK(json_number(NAN) == "null");
  CHECK(json_number(INFINITY) == "null");
  CHECK(json_object({{"b", "1"}, {"a", "\"x\""}}) == "{\"a\": \"x\", \"b\": 1}");
  CHECK(json_object({}) == "{}");
  const auto obj = parse_json_object(R"( {"s": "a\"\u00e9", "n": -1.5e3, "t": true, "z": null} )");
  CHECK(obj.at("s") == "\"a\\\"\xc3\xa9\"");
  CHECK(obj.at("n") == "-1.5e3");
  CHECK(obj.at("t") == "true");
  CHECK(obj.at("z") == "null");
  CHECK(parse_json_object("{}").empty());
  for (const char* bad : {"", "{", "{\"a\": }", "{\"a\": 01}", "{\"a\": [1]}", "{\"a\": 1} x", "{\"a\": 1, \"a\": 2}",
                          "{a: 1}", "{\"a\": tru}"})
    CHECK_THROWS_WITH(parse_json_object(bad), Contains("offset"));
  CHECK(json_display("\"none\"") == "none");
  CHECK(json_display("0.3") == "0.3");
  CHECK(json_scalar_equal("0.30", "0.3"));
  CHECK(json_scalar_equal("3e-1", "0.3"));
  CHECK(json_scalar_equal("\"A\"", "\"\\u0041\""));
  CHECK_FALSE(json_scalar_equal("\"0.3\"", "0.3"));
  CHECK_FALSE(json_scalar_equal("true", "\"true\""));
}
