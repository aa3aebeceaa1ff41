// report.html in a real browser: run and sweep reports are rendered by headless Chromium
// (Debian's `chromium`, installed by tools/setup) and the page's self-check is read back
// from the DOM: <body data-plots> must be the number of charts expected from the inputs
// and <body data-errors> must be 0. Missing Chromium is a failure, not a skip: without it
// nothing checks that the charts draw at all.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sqlite3.h>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/experiment.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/embedded_assets.hpp"
#include "tools/report.hpp"

namespace fs = std::filesystem;
using namespace oversight;
using namespace oversight::testing;

namespace {

const char* const chromium = "/usr/bin/chromium";

struct page_check {
  int plots = -1, errors = -1;
  std::string body_tag, dom;
};

/// The integer value of attribute `name` in `tag`, or -1 when it is absent.
int attribute(const std::string& tag, const std::string& name) {
  auto at = tag.find(name + "=\"");
  if (at == std::string::npos) return -1;
  return std::stoi(tag.substr(at + name.size() + 2));
}

/// Loads `html` in headless Chromium (fresh profile, no network) and returns the DOM
/// after the page's scripts have run.
page_check render(const fs::path& html) {
  if (!fs::exists(chromium))
    FAIL(chromium << " is missing: run tools/setup (it installs Debian's chromium) to render reports in tests");
  temp_dir profile("chromium");
  auto r = run_process(chromium,
                       {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--user-data-dir=" + profile.path().string(), "--virtual-time-budget=5000", "--dump-dom",
                        "file://" + fs::absolute(html).string()},
                       profile.path());
  INFO("chromium stderr:\n" << r.err);
  REQUIRE(r.status == 0);
  page_check c;
  c.dom = r.out;
  auto body = c.dom.find("<body");
  REQUIRE(body != std::string::npos);
  c.body_tag = c.dom.substr(body, c.dom.find('>', body) - body + 1);
  c.plots = attribute(c.body_tag, "data-plots");
  c.errors = attribute(c.body_tag, "data-errors");
  return c;
}

/// The text of #errors, for failure messages.
std::string error_list(const page_check& c) {
  auto at = c.dom.find("id=\"errors\"");
  return at == std::string::npos ? "(no #errors element)" : c.dom.substr(at, c.dom.find("</div>", at) - at);
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO(sql << ": " << (err ? err : ""));
  sqlite3_free(err);
  REQUIRE(rc == SQLITE_OK);
}

/// A finished run's run.sqlite in `dir`, as run_store writes it.
void write_run(const fs::path& dir, int64_t seed, const std::map<std::string, std::string>& params,
               const std::vector<metric_row>& rows) {
  fs::create_directories(dir);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "run.sqlite").c_str(), &db) == SQLITE_OK);
  exec(db,
       "CREATE TABLE run(key TEXT PRIMARY KEY, value TEXT);"
       "CREATE TABLE parameters(key TEXT PRIMARY KEY, type TEXT, value TEXT);"
       "CREATE TABLE metrics(tick INTEGER, actor TEXT, name TEXT, value REAL);"
       "CREATE TABLE events(tick INTEGER, kind TEXT, detail TEXT); BEGIN;");
  exec(db, "INSERT INTO run VALUES('scenario', 'synthetic'), ('seed', '" + std::to_string(seed) +
               "'), ('host', 'test-host'), ('command_line', 'oversight run <x> & \"y\"'), ('status', 'complete')");
  exec(db, "INSERT INTO parameters VALUES('seed', 'integer', '" + std::to_string(seed) + "')");
  for (auto& [k, v] : params) exec(db, "INSERT INTO parameters VALUES('" + k + "', 'real', '" + v + "')");
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO metrics VALUES(?, ?, ?, ?)", -1, &st, nullptr) == SQLITE_OK);
  size_t inserted = 0;  // one check for all rows, not an assertion per row
  for (auto& r : rows) {
    sqlite3_bind_int64(st, 1, r.tick);
    sqlite3_bind_text(st, 2, r.actor.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, r.value);
    inserted += sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  REQUIRE(inserted == rows.size());
  exec(db, "COMMIT");
  sqlite3_close(db);
}

/// Two actors over `ticks` ticks for "reward", a constant "loss" (a flat line, the case
/// a min..max axis used to draw as an empty box), and two metrics recorded at the last
/// tick only: "pgr" by one actor, "accuracy" by both. Two line charts, two bar charts.
std::vector<metric_row> run_rows(int64_t ticks, double shift) {
  std::vector<metric_row> rows;
  for (int64_t t = 0; t < ticks; ++t) {
    rows.push_back({t, "alice", "reward", shift + 0.01 * double(t % 97)});
    rows.push_back({t, "bob", "reward", shift - 0.02 * double(t % 31)});
    rows.push_back({t, "alice", "loss", 0.25});
  }
  rows.push_back({ticks - 1, "alice", "pgr", 0.3 + shift});
  rows.push_back({ticks - 1, "alice", "accuracy", 0.8});
  rows.push_back({ticks - 1, "bob", "accuracy", 0.7 + shift});
  return rows;
}

/// DIR/sweep.sqlite and DIR/runs/: arms x = 1 and x = 2 over seeds 1-3, and a third
/// point x = 3 whose only run failed. With `kl`, the runs also record rlhf's
/// learner.sqrt_kl and learner.true_gain (two more line charts).
void write_sweep(const fs::path& dir, bool kl = false) {
  fs::create_directories(dir / "runs");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "sweep.sqlite").c_str(), &db) == SQLITE_OK);
  exec(db,
       "CREATE TABLE points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, seconds REAL, "
       "error TEXT); CREATE TABLE sweep(key TEXT PRIMARY KEY, value TEXT)");
  for (int point = 0; point < 2; ++point) {
    for (int seed = 1; seed <= 3; ++seed) {
      const std::string run_dir = "runs/p" + std::to_string(point) + "-s" + std::to_string(seed);
      auto rows = run_rows(40, 0.1 * point + 0.01 * seed);
      for (int64_t t = 0; kl && t < 40; ++t) {
        const double d = std::sqrt(0.1 * double(t) * (point + 1));
        rows.push_back({t, "learner", "sqrt_kl", d});
        rows.push_back({t, "learner", "true_gain", d * (0.5 - 0.2 * d) + 0.01 * seed});
      }
      write_run(dir / run_dir, seed, {{"x", std::to_string(point + 1)}}, rows);
      exec(db, "INSERT INTO points VALUES(" + std::to_string(point) + ", " + std::to_string(seed) + ", '{\"x\": " +
                   std::to_string(point + 1) + "}', 'done', '" + run_dir + "', 1.5, NULL)");
    }
  }
  exec(db, "INSERT INTO points VALUES(2, 1, '{\"x\": 3}', 'failed', 'runs/p2-s1', 0.2, "
           "'shards = 20 exceeds population = 10 <&>')");
  sqlite3_close(db);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

size_t count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

/// A report is one file: nothing is loaded from elsewhere.
void check_self_contained(const std::string& html) {
  CHECK_FALSE(contains(html, "<link"));
  CHECK_FALSE(contains(html, " src="));
  CHECK_FALSE(contains(html, "@import"));
}

}  // namespace

TEST_CASE("report: embedded assets cannot end the element that holds them early", "[report]") {
  auto lower = [](std::string_view v) {
    std::string s(v);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
  };
  for (auto js : {assets::uplot_js(), assets::report_js()}) {
    REQUIRE(js.size() > 1000);
    CHECK_FALSE(contains(lower(js), "</script"));
    CHECK_FALSE(contains(lower(js), "<!--"));
  }
  for (auto css : {assets::uplot_css(), assets::report_css()}) {
    REQUIRE(css.size() > 100);
    CHECK_FALSE(contains(lower(css), "</style"));
  }
}

TEST_CASE("report: a run's report draws every chart in a browser without script errors", "[report][browser]") {
  temp_dir tmp("report");
  write_run(tmp / "run", 7, {{"learner.lr", "0.003"}}, run_rows(60, 0.0));
  const auto run = read_run_record(tmp / "run" / "run.sqlite");
  CHECK(run.metrics.size() == 60 * 3 + 3);
  REQUIRE(run.parameters.size() == 2);
  CHECK(run.parameters[0].key == "learner.lr");

  const auto file = tmp / "report.html";
  write_run_report(file, "synthetic <run>", run);
  const auto html = slurp(file);
  check_self_contained(html);
  CHECK(contains(html, "<title>synthetic &lt;run&gt;</title>"));
  CHECK(contains(html, "learner.lr"));                                     // parameters
  CHECK(contains(html, "test-host"));                                      // provenance
  CHECK(contains(html, "oversight run &lt;x&gt; &amp; &quot;y&quot;"));   // escaped
  CHECK(contains(html, "Single-value metrics"));
  CHECK_FALSE(contains(html, "Downsampled"));

  const auto page = render(file);
  INFO(page.body_tag << "\n" << error_list(page));
  CHECK(page.errors == 0);
  CHECK(page.plots == 4);  // reward, loss; pgr, accuracy
}

TEST_CASE("report: a long run is downsampled and still draws", "[report][browser]") {
  temp_dir tmp("report");
  write_run(tmp / "run", 1, {}, run_rows(12000, 0.0));
  const auto file = tmp / "report.html";
  write_run_report(file, "long", read_run_record(tmp / "run" / "run.sqlite"));
  const auto html = slurp(file);
  CHECK(contains(html, "Downsampled for display: 12000 ticks"));
  // Two line charts of 4000 points (not 12000), two bars, the scripts: well under 1 MB.
  CHECK(fs::file_size(file) < 400'000);
  const auto page = render(file);
  INFO(page.body_tag << "\n" << error_list(page));
  CHECK(page.errors == 0);
  CHECK(page.plots == 4);
}

TEST_CASE("report: a sweep's report draws bands and bars in a browser without script errors", "[report][browser]") {
  temp_dir tmp("report");
  write_sweep(tmp / "sweep");
  const auto ex = load_experiment({tmp / "sweep"});
  REQUIRE(ex.runs.size() == 7);

  SECTION("default summary: no paired table") {
    const auto s = summarize(ex, summary_options{});
    const auto file = tmp / "report.html";
    write_sweep_report(file, "synthetic sweep", ex, s);
    const auto html = slurp(file);
    check_self_contained(html);
    CHECK(contains(html, "Final values per arm"));
    CHECK_FALSE(contains(html, "Paired differences"));
    CHECK(contains(html, "shards = 20 exceeds population = 10 &lt;&amp;&gt;"));  // the failed point's reason
    const auto page = render(file);
    INFO(page.body_tag << "\n" << error_list(page));
    CHECK(page.errors == 0);
    // Line charts with bands: alice.loss, alice.reward, bob.reward; bars: alice.accuracy,
    // alice.pgr, bob.accuracy.
    CHECK(page.plots == 6);
  }
  SECTION("with a baseline: the paired differences") {
    summary_options opt;
    opt.baseline = {"x=1"};
    const auto s = summarize(ex, opt);
    REQUIRE_FALSE(s.paired.empty());
    const auto file = tmp / "report.html";
    write_sweep_report(file, "synthetic sweep", ex, s);
    CHECK(contains(slurp(file), "Paired differences"));
    const auto page = render(file);
    INFO(page.body_tag << "\n" << error_list(page));
    CHECK(page.errors == 0);
    CHECK(page.plots == 6);
  }
}

TEST_CASE("report: metric against metric: per arm the means over seeds of x and y at each tick, in tick order",
          "[report]") {
  auto run = [](int64_t seed, const std::string& arm, const std::string& status, std::vector<metric_row> rows) {
    run_entry r;
    r.dir = "runs/" + arm + "-" + std::to_string(seed);
    r.seed = seed;
    r.params = {{"x", arm}};
    r.status = status;
    r.rows = std::move(rows);
    return r;
  };
  experiment ex;
  ex.arm_keys = {"x"};
  // Arm x=1, seeds 1 and 2: kl = t s, gain = 10 t + s at ticks 0-2, and a gain at tick 3
  // without a kl (no point there). Arm x=2: one done seed (no band) and a failed run whose
  // rows do not count.
  for (int64_t seed : {1, 2}) {
    std::vector<metric_row> rows;
    for (int64_t t : {0, 1, 2}) {
      rows.push_back({t, "learner", "kl", double(t * seed)});
      rows.push_back({t, "learner", "gain", double(10 * t + seed)});
    }
    rows.push_back({3, "learner", "gain", 99});
    ex.runs.push_back(run(seed, "1", "done", rows));
  }
  std::vector<metric_row> other, failed;
  for (int64_t t : {0, 1, 2}) {
    other.push_back({t, "learner", "kl", double(t + 100)});
    other.push_back({t, "learner", "gain", double(-t)});
    failed.push_back({t, "learner", "kl", 1e6});
    failed.push_back({t, "learner", "gain", 1e6});
  }
  ex.runs.push_back(run(1, "2", "done", other));
  ex.runs.push_back(run(2, "2", "failed", failed));

  const auto lines = xy_lines(ex, "learner.kl", "learner.gain");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].arm == 0);
  REQUIRE(lines[0].points.size() == 3);
  for (int64_t t = 0; t < 3; ++t) {
    auto& p = lines[0].points[size_t(t)];
    INFO("tick " << t);
    CHECK(p.tick == t);
    CHECK(p.x == Approx(1.5 * double(t)));
    CHECK(p.y == Approx(10.0 * double(t) + 1.5));
    CHECK(p.y_lo < p.y);  // two seeds: a band
    CHECK(p.y_hi > p.y);
  }
  CHECK(lines[1].arm == 1);
  REQUIRE(lines[1].points.size() == 3);
  CHECK(lines[1].points[2].tick == 2);
  CHECK(lines[1].points[2].x == 102);
  CHECK(lines[1].points[2].y == -2);
  CHECK(std::isnan(lines[1].points[2].y_lo));  // one seed: no band
  CHECK(xy_lines(ex, "learner.kl", "learner.nothing").empty());
}

TEST_CASE("report: a sweep's metric-against-metric charts draw, and name a metric no run recorded",
          "[report][browser]") {
  temp_dir tmp("report");
  write_sweep(tmp / "sweep");
  const auto ex = load_experiment({tmp / "sweep"});
  const auto s = summarize(ex, summary_options{});
  const auto file = tmp / "report.html";
  xy_request r{"alice.reward", {"alice.loss", "bob.reward"}, "s.toml:7:5", {"s.toml:8:6", "s.toml:8:20"}};

  SECTION("one chart per y, one line per arm, drawn first") {
    write_sweep_report(file, "synthetic sweep", ex, s, {r});
    const auto html = slurp(file);
    REQUIRE(contains(html, "Metric against metric"));
    CHECK(html.find("id=\"xy-charts\"") < html.find("id=\"line-charts\""));
    CHECK(contains(html, "\"title\":\"alice.loss against alice.reward\""));
    const auto page = render(file);
    INFO(page.body_tag << "\n" << error_list(page));
    CHECK(page.errors == 0);
    CHECK(page.plots == 8);  // the 6 of the plain report and 2 xy charts
    // Each xy chart drew a line through 2 arms x 40 ticks (the failed arm has none).
    CHECK(count(page.dom, "data-points=\"80\"") == 2);
  }
  SECTION("an x or y no finished run recorded is the user's error, naming it and where it came from") {
    r.x = "carol.reward";
    try {
      write_sweep_report(file, "synthetic sweep", ex, s, {r});
      FAIL("no user_error");
    } catch (const user_error& e) {
      CHECK(std::string(e.what()) ==
            "s.toml:7:5: report.xy.x = \"carol.reward\": no finished run of this sweep recorded it (recorded: "
            "alice.reward, bob.reward)");
    }
    r.x = "alice.reward";
    r.y[1] = "bob.los";
    try {
      write_sweep_report(file, "synthetic sweep", ex, s, {r});
      FAIL("no user_error");
    } catch (const user_error& e) {
      CHECK(std::string(e.what()) == "s.toml:8:20: report.xy.y = \"bob.los\": no finished run of this sweep recorded it");
    }
    CHECK_FALSE(fs::exists(file));
  }
}

TEST_CASE("report: `oversight report` draws the sweep's [report] charts from its scenario file", "[report][cli][browser]") {
  temp_dir tmp("report");
  write_sweep(tmp / "sweep", true);
  const auto toml = tmp / "s.toml";
  auto set_file = [&](const std::string& x) {
    std::ofstream(toml) << "scenario = \"rlhf\"\n[[report.xy]]\nx = \"" << x << "\"\ny = [\"learner.true_gain\"]\n";
  };
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp / "sweep" / "sweep.sqlite").c_str(), &db) == SQLITE_OK);
    exec(db, "INSERT INTO sweep VALUES('file', '" + toml.string() + "')");
    sqlite3_close(db);
  }
  auto report = [&]() { return run_process(OVERSIGHT_BIN, {"report", (tmp / "sweep").string()}, tmp.path()); };

  set_file("learner.sqrt_kl");
  auto ok = report();
  INFO("stdout:\n" << ok.out << "\nstderr:\n" << ok.err);
  REQUIRE(ok.status == 0);
  const auto page = render(tmp / "sweep" / "report.html");
  INFO(page.body_tag << "\n" << error_list(page));
  CHECK(page.errors == 0);
  CHECK(page.plots == 9);  // 5 line charts, 3 bars, 1 xy
  CHECK(count(page.dom, "data-points=\"80\"") == 1);

  // A metric the scenario does not declare, and an actor that recorded nothing: one line
  // naming the value and its place in the file, exit 2. `oversight run` refuses the first.
  set_file("learner.sqrt_kll");
  auto undeclared = report();
  CHECK(undeclared.status == 2);
  CHECK(undeclared.err == "error: " + toml.string() +
                              ":3:5: report.xy.x = \"learner.sqrt_kll\": not actor.metric with a metric scenario "
                              "'rlhf' declares (did you mean 'learner.sqrt_kl'?)\n");
  auto run = run_process(OVERSIGHT_BIN, {"run", toml.string(), "--out", (tmp / "run").string()}, tmp.path());
  CHECK(run.status == 2);
  CHECK(run.err == undeclared.err);
  CHECK_FALSE(fs::exists(tmp / "run"));

  set_file("lerner.sqrt_kl");
  auto unrecorded = report();
  CHECK(unrecorded.status == 2);
  CHECK(unrecorded.err == "error: " + toml.string() +
                              ":3:5: report.xy.x = \"lerner.sqrt_kl\": no finished run of this sweep recorded it "
                              "(recorded: learner.sqrt_kl)\n");
}

TEST_CASE("report: `oversight report` renders a run directory and a sweep directory", "[report][cli][browser]") {
  temp_dir tmp("report");
  write_run(tmp / "run", 3, {}, run_rows(30, 0.0));
  write_sweep(tmp / "sweep");
  for (auto [dir, plots] : {std::pair{tmp / "run", 4}, std::pair{tmp / "sweep", 6}}) {
    auto r = run_process(OVERSIGHT_BIN, {"report", dir.string()}, tmp.path());
    INFO(dir << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, (dir / "report.html").string()));
    const auto page = render(dir / "report.html");
    INFO(page.body_tag << "\n" << error_list(page));
    CHECK(page.errors == 0);
    CHECK(page.plots == plots);
  }
}
