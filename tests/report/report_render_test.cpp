// report.html in a real browser: run and sweep reports are rendered by headless Chromium
// (Debian's `chromium`, installed by tools/setup) and the page's self-check is read back
// from the DOM: <body data-plots> must be the number of charts expected from the inputs
// and <body data-errors> must be 0. Missing Chromium is a failure, not a skip: without it
// nothing checks that the charts draw at all.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <sqlite3.h>
#include <string>
#include <vector>

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
/// point x = 3 whose only run failed.
void write_sweep(const fs::path& dir) {
  fs::create_directories(dir / "runs");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "sweep.sqlite").c_str(), &db) == SQLITE_OK);
  exec(db,
       "CREATE TABLE points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, seconds REAL, "
       "error TEXT); CREATE TABLE sweep(key TEXT PRIMARY KEY, value TEXT)");
  for (int point = 0; point < 2; ++point) {
    for (int seed = 1; seed <= 3; ++seed) {
      const std::string run_dir = "runs/p" + std::to_string(point) + "-s" + std::to_string(seed);
      write_run(dir / run_dir, seed, {{"x", std::to_string(point + 1)}},
                run_rows(40, 0.1 * point + 0.01 * seed));
      exec(db, "INSERT INTO points VALUES(" + std::to_string(point) + ", " + std::to_string(seed) + ", '{\"x\": " +
                   std::to_string(point + 1) + "}', 'done', '" + run_dir + "', 1.5, NULL)");
    }
  }
  exec(db, "INSERT INTO points VALUES(2, 1, '{\"x\": 3}', 'failed', 'runs/p2-s1', 0.2, "
           "'shards = 20 exceeds population = 10 <&>')");
  sqlite3_close(db);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

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

TEST_CASE("report: a run's report draws every chart in a browser without script errors", "[report]") {
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

TEST_CASE("report: a long run is downsampled and still draws", "[report]") {
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

TEST_CASE("report: a sweep's report draws bands and bars in a browser without script errors", "[report]") {
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

TEST_CASE("report: `oversight report` renders a run directory and a sweep directory", "[report][cli]") {
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
