// `oversight sweep` as a user meets it: a grid over seeds becomes one run directory per
// (point, seed) and an index; a failing point is recorded and the others go on; the same
// command resumes; a directory in use, holding another sweep, or not a sweep is refused;
// bad grid values start nothing. Runs principal_agent at a tiny size (a run is mostly
// process start-up).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <map>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "runtime/run_store.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using namespace oversight::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

process_result oversight_cmd(const std::vector<std::string>& args, const temp_dir& cwd) {
  return run_process(OVERSIGHT_BIN, args, cwd.path());
}

struct point_row {
  int64_t point, seed;
  std::string params, status, run_dir, error;
};

std::vector<point_row> points(const fs::path& dir) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "sweep.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT point, seed, params, status, run_dir, coalesce(error, '') FROM points "
                             "ORDER BY point, seed",
                             -1, &st, nullptr) == SQLITE_OK);
  std::vector<point_row> out;
  auto text = [&](int c) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))); };
  while (sqlite3_step(st) == SQLITE_ROW)
    out.push_back({sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), text(2), text(3), text(4), text(5)});
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

void exec_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

const char* tiny_market =
    "scenario = \"principal_agent\"\nticks = 3\npopulation = 10\nshards = 2\n"
    "[sweep]\nseeds = \"1..2\"\n[sweep.grid]\n\"principal.observe_prob\" = [0.1, 0.9]\n";

}  // namespace

TEST_CASE("sweep: every (point, seed) runs once, into its own run directory and the index", "[cli][sweep]") {
  temp_dir tmp("sweep");
  auto file = tmp.write("market.toml", tiny_market);
  const auto dir = tmp / "sw";
  auto r = oversight_cmd({"sweep", file.string(), "-j", "2", "--out", dir.string()}, tmp);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(!r.out_lines().empty());
  CHECK(r.out_lines().back() == dir.string());
  CHECK_THAT(r.err, Contains("4 done, 0 failed, 4 total"));

  const auto rows = points(dir);
  REQUIRE(rows.size() == 4);
  std::map<std::string, int> per_params;
  for (auto& p : rows) {
    INFO(p.run_dir);
    CHECK(p.status == "done");
    CHECK(p.error.empty());
    CHECK(fs::is_regular_file(dir / p.run_dir / "run.sqlite"));
    CHECK(fs::is_regular_file(dir / "logs" / (fs::path(p.run_dir).filename().string() + ".log")));
    // No event log: the file does not ask for one.
    CHECK(!fs::exists(dir / p.run_dir / "events.msgpack"));
    CHECK_THAT(slurp(dir / p.run_dir / "scenario.toml"), Contains("log = false"));
    ++per_params[p.params];
    // The run used the point's value and seed.
    std::map<std::string, std::string> run;
    for (auto& [k, v] : read_run_table(dir / p.run_dir / "run.sqlite")) run[k] = v;
    CHECK(run["seed"] == std::to_string(p.seed));
    const std::string prob = p.point == 0 ? "0.1" : "0.9";
    CHECK(p.params == "{\"principal.observe_prob\": " + prob + "}");
    CHECK_THAT(slurp(dir / p.run_dir / "scenario.toml"), Contains("observe_prob = " + prob));
  }
  CHECK(per_params.size() == 2);
  CHECK(fs::is_regular_file(dir / "report.html"));

  // Different points give different metrics (the grid value reached the runs).
  auto observed = [&](const point_row& p) {
    double v = -1;
    for (auto& m : read_metrics(dir / p.run_dir / "run.sqlite"))
      if (m.actor == "principals" && m.name == "observed_share") v = m.value;  // the last tick's
    return v;
  };
  CHECK(observed(rows[0]) < 0.5);
  CHECK(observed(rows[2]) > 0.5);

  SECTION("the same command resumes: done points are kept, the others run") {
    const auto kept = fs::last_write_time(dir / rows[0].run_dir / "run.sqlite");
    exec_sql(dir / "sweep.sqlite", "UPDATE points SET status = 'failed', error = 'x' WHERE point = 1 AND seed = 2");
    fs::remove_all(dir / rows[3].run_dir);
    auto again = oversight_cmd({"sweep", file.string(), "-j", "2", "--out", dir.string()}, tmp);
    INFO("stderr:\n" << again.err);
    REQUIRE(again.status == 0);
    CHECK(fs::last_write_time(dir / rows[0].run_dir / "run.sqlite") == kept);
    CHECK(fs::is_regular_file(dir / rows[3].run_dir / "run.sqlite"));
    for (auto& p : points(dir)) CHECK(p.status == "done");
  }
  SECTION("a finished run the index missed is recovered, not rerun") {
    const auto kept = fs::last_write_time(dir / rows[1].run_dir / "run.sqlite");
    exec_sql(dir / "sweep.sqlite", "UPDATE points SET status = 'running' WHERE point = 0 AND seed = 2");
    auto again = oversight_cmd({"sweep", file.string(), "--out", dir.string()}, tmp);
    REQUIRE(again.status == 0);
    CHECK(fs::last_write_time(dir / rows[1].run_dir / "run.sqlite") == kept);
    CHECK(points(dir)[1].status == "done");
  }
  SECTION("a second sweep on a directory in use is refused") {
    const int fd = ::open((dir / ".sweep.lock").c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    auto busy = oversight_cmd({"sweep", file.string(), "--out", dir.string()}, tmp);
    ::close(fd);
    CHECK(busy.status == 2);
    CHECK_THAT(busy.err, StartsWith("error: --out " + dir.string() + ": another sweep is running"));
  }
  SECTION("another plan on the same directory is refused") {
    auto other = oversight_cmd({"sweep", file.string(), "--seeds", "1..3", "--out", dir.string()}, tmp);
    CHECK(other.status == 2);
    CHECK_THAT(other.err, Contains("holds a different sweep"));
    CHECK(points(dir).size() == 4);
  }
}

TEST_CASE("sweep: runs keep an event log only when the file or a --set asks for one", "[cli][sweep]") {
  temp_dir tmp("sweep-events");
  std::string one_seed = tiny_market;  // two points, one seed
  one_seed.replace(one_seed.find("1..2"), 4, "3..3");
  auto by_set = tmp.write("by_set.toml", one_seed);
  auto in_file = tmp.write("in_file.toml", one_seed + "[events]\nlog = true\n");
  auto has_logs = [&](const std::vector<std::string>& args, const std::string& out) {
    std::vector<std::string> cmd = {"sweep"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmd.insert(cmd.end(), {"--out", (tmp / out).string()});
    auto r = oversight_cmd(cmd, tmp);
    INFO("stderr:\n" << r.err);
    REQUIRE(r.status == 0);
    int logs = 0;
    for (auto& p : points(tmp / out)) logs += fs::is_regular_file(tmp / out / p.run_dir / "events.msgpack");
    return logs;
  };
  CHECK(has_logs({by_set.string(), "--set", "events.log=true"}, "a") == 2);
  CHECK(has_logs({in_file.string()}, "b") == 2);
  CHECK(has_logs({in_file.string(), "--set", "events.log=false"}, "c") == 0);
}

TEST_CASE("sweep: a point that fails is recorded with its reason and the others go on", "[cli][sweep]") {
  temp_dir tmp("sweep");
  // shards = 20 > population = 10 passes each declaration but fails when the run wires it.
  auto file = tmp.write("market.toml",
                        "scenario = \"principal_agent\"\nticks = 2\npopulation = 10\n"
                        "[sweep]\nseeds = [3]\n[sweep.grid]\nshards = [2, 20]\n");
  const auto dir = tmp / "sw";
  auto r = oversight_cmd({"sweep", file.string(), "--out", dir.string()}, tmp);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.status == 1);
  const auto rows = points(dir);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].status == "done");
  CHECK(rows[1].status == "failed");
  CHECK_THAT(rows[1].error, Contains("shards = 20 exceeds population = 10"));
}

TEST_CASE("sweep: bad input starts nothing and names the value", "[cli][sweep]") {
  temp_dir tmp("sweep");
  const auto dir = tmp / "sw";
  SECTION("a grid value out of range") {
    auto file = tmp.write("bad.toml",
                          "scenario = \"principal_agent\"\n[sweep]\nseeds = \"1..2\"\n"
                          "[sweep.grid]\n\"principal.observe_prob\" = [0.5, 1.5]\n");
    auto r = oversight_cmd({"sweep", file.string(), "--out", dir.string()}, tmp);
    CHECK(r.status == 2);
    REQUIRE(r.err_lines().size() == 1);
    CHECK_THAT(r.err, StartsWith("error: " + file.string() + ":5:"));
    CHECK_THAT(r.err, Contains("'principal.observe_prob' = 1.5"));
    CHECK_FALSE(fs::exists(dir));
  }
  SECTION("bad --seeds") {
    auto file = tmp.write("ok.toml", tiny_market);
    auto r = oversight_cmd({"sweep", file.string(), "--seeds", "3..1", "--out", dir.string()}, tmp);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("--seeds"));
    CHECK_FALSE(fs::exists(dir));
  }
  SECTION("a directory that is not a sweep") {
    fs::create_directories(dir);
    tmp.write("sw/notes.txt", "mine");
    auto file = tmp.write("ok.toml", tiny_market);
    auto r = oversight_cmd({"sweep", file.string(), "--out", dir.string()}, tmp);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("is not a sweep directory"));
    CHECK(slurp(dir / "notes.txt") == "mine");
    CHECK_FALSE(fs::exists(dir / "sweep.sqlite"));
  }
}
