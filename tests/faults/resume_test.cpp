// Killed runs resume: for every registered scenario a run SIGKILLed at random ticks
// (several times, resumes killed too) and resumed with `oversight resume` ends with the
// same metrics table, row for row and bit for bit, as the same file and seed run without
// interruption. Also what resume refuses, and a resumed run that would differ.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sqlite3.h>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rng.hpp"
#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"
#include "tests/support/marker_images.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using namespace oversight::testing;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

process_result oversight_cmd(const std::vector<std::string>& args, const temp_dir& cwd) {
  return run_process(OVERSIGHT_BIN, args, cwd.path());
}

/// Runs `args` with the process set to SIGKILL itself after recording tick `tick`.
process_result killed_at(int64_t tick, const std::vector<std::string>& args, const temp_dir& cwd) {
  ::setenv("OVERSIGHT_TEST_KILL_AT_TICK", std::to_string(tick).c_str(), 1);
  auto r = oversight_cmd(args, cwd);
  ::unsetenv("OVERSIGHT_TEST_KILL_AT_TICK");
  return r;
}

/// Every metric row in the order it was written, as text with the value's 17 digits.
std::vector<std::string> table(const fs::path& db) {
  std::vector<std::string> out;
  char buf[64];
  for (auto& r : read_metrics_as_written(db)) {
    std::snprintf(buf, sizeof buf, "%.17g", r.value);
    out.push_back(std::to_string(r.tick) + " " + r.actor + " " + r.name + " " + buf);
  }
  return out;
}

std::string run_key(const fs::path& db, const std::string& key) {
  for (auto& [k, v] : read_run_table(db))
    if (k == key) return v;
  return "";
}

/// The scenario's shipped file with its smoke overrides, resolved into one file (what a
/// user would run), plus `extra` overrides.
fs::path smoke_file(const scenario_info& info, const temp_dir& tmp, const std::vector<std::string>& extra) {
  auto sets = info.smoke;
  if (std::any_of(info.params.begin(), info.params.end(), [](const param_decl& d) { return d.key == "data.dir"; })) {
    write_marker_images(tmp.path());
    sets.push_back("data.dir=" + tmp.path().string());
  }
  sets.insert(sets.end(), extra.begin(), extra.end());
  const auto shipped = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios" / info.name / (info.name + ".toml");
  auto spec = load_spec(shipped, sets, 5);
  return tmp.write(info.name + ".toml", resolved_toml(spec));
}

}  // namespace

TEST_CASE("resume: every scenario killed at random ticks and resumed ends bit-identical to an uninterrupted run",
          "[resume]") {
  std::vector<std::string> names;
  for (const auto* info : all_scenarios())
    if (info->name != "spec_test") names.push_back(info->name);  // tests/spec's, not runnable
  REQUIRE(names.size() >= 10);
  const std::string name = GENERATE_COPY(from_range(names));
  const scenario_info& info = *find_scenario(name);
  INFO("scenario " << name);
  temp_dir tmp("resume");
  // A checkpoint every 2 ticks: kills land before, on and after checkpoints.
  const auto file = smoke_file(info, tmp, {"checkpoint.every=2"});
  {
    // The file a run directory keeps (scenario.toml) reads back as the same run.
    INFO(slurp(file));
    REQUIRE(resolved_toml(load_spec(file, {}, std::nullopt)) == slurp(file));
  }

  auto whole = oversight_cmd({"run", file.string(), "--out", (tmp / "whole").string(), "--threads", "2"}, tmp);
  INFO(whole.err);
  REQUIRE(whole.status == 0);
  const auto expected = table(tmp / "whole/run.sqlite");
  REQUIRE_FALSE(expected.empty());
  const int64_t ticks = read_metrics_as_written(tmp / "whole/run.sqlite").back().tick + 1;
  REQUIRE(ticks >= 2);

  // Killed at tick a by `run`, at a later tick b by the first `resume`, then resumed to
  // the end with another thread count. The ticks are drawn from a stream named by the
  // scenario: random, and the same on every machine.
  rng draw(2024, "resume-" + name);
  const int64_t a = int64_t(draw.below(uint64_t(ticks - 1)));
  const int64_t b = a + 1 + int64_t(draw.below(uint64_t(ticks - 1 - a)));
  const auto dir = tmp / "killed";
  auto first = killed_at(a, {"run", file.string(), "--out", dir.string(), "--threads", "2"}, tmp);
  INFO("killed at tick " << a << ", then at " << b << "; " << first.err);
  REQUIRE(first.status == 128 + SIGKILL);
  REQUIRE(fs::exists(dir / "run.sqlite.partial"));
  auto second = killed_at(b, {"resume", dir.string(), "--threads", "3"}, tmp);
  INFO(second.err);
  REQUIRE(second.status == 128 + SIGKILL);
  auto last = oversight_cmd({"resume", dir.string(), "--threads", "1"}, tmp);
  INFO(last.err);
  REQUIRE(last.status == 0);
  CHECK(run_key(dir / "run.sqlite", "status") == "complete");
  CHECK(run_key(dir / "run.sqlite", "resumed") == "2");
  CHECK_FALSE(fs::exists(dir / "FAILED"));
  CHECK_FALSE(fs::exists(dir / "checkpoint.bin"));  // a complete run is never resumed
  CHECK(fs::is_regular_file(dir / "report.html"));
  const auto got = table(dir / "run.sqlite");
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("row " << i);
    REQUIRE(got[i] == expected[i]);
  }
  // The event log too: the ticks before the checkpoint kept, the rest written again.
  REQUIRE(fs::exists(tmp / "whole/events.msgpack"));
  CHECK(slurp(dir / "events.msgpack") == slurp(tmp / "whole/events.msgpack"));
}

TEST_CASE("resume: SIGKILL at random moments of a long run, resumed each time, ends identical", "[resume]") {
  // Kills from outside at times nobody chose, mid-tick and mid-checkpoint included.
  temp_dir tmp("resume");
  const auto file = smoke_file(*find_scenario("principal_agent"), tmp, {"ticks=3000", "checkpoint.every=7"});
  const auto t0 = std::chrono::steady_clock::now();
  auto whole = oversight_cmd({"run", file.string(), "--out", (tmp / "whole").string()}, tmp);
  REQUIRE(whole.status == 0);
  const auto took_ms = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - t0).count());
  const auto dir = tmp / "killed";
  rng draw(7, "resume-sigkill");
  int kills = 0;
  std::vector<std::string> args{"run", file.string(), "--out", dir.string()};
  for (int attempt = 0; attempt < 12 && !fs::exists(dir / "run.sqlite"); ++attempt) {
    std::vector<std::string> argv_s{OVERSIGHT_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(argv_s[0].c_str(), argv.data());
      ::_exit(127);
    }
    // Once the run has begun storing (before that a kill leaves nothing to resume), at a
    // random moment.
    for (int i = 0; i < 2000 && !fs::exists(dir / "run.sqlite.partial"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + draw.below(took_ms / 3 + 1)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++kills;
    args = {"resume", dir.string()};
  }
  if (!fs::exists(dir / "run.sqlite")) REQUIRE(oversight_cmd({"resume", dir.string()}, tmp).status == 0);
  INFO(kills << " kills");
  CHECK(kills >= 2);
  CHECK(table(dir / "run.sqlite") == table(tmp / "whole/run.sqlite"));
}

TEST_CASE("resume: refuses what it cannot resume, naming it, and leaves it as it was", "[resume]") {
  temp_dir tmp("resume");
  const auto file = smoke_file(*find_scenario("principal_agent"), tmp, {"checkpoint.every=2"});
  auto no_dir = oversight_cmd({"resume", (tmp / "nowhere").string()}, tmp);
  CHECK(no_dir.status == 2);
  CHECK_THAT(no_dir.err, Contains("nowhere") && Contains("no such run directory"));

  REQUIRE(oversight_cmd({"run", file.string(), "--out", (tmp / "done").string()}, tmp).status == 0);
  auto done = oversight_cmd({"resume", (tmp / "done").string()}, tmp);
  CHECK(done.status == 2);
  CHECK_THAT(done.err, Contains("the run is complete"));

  fs::create_directories(tmp / "empty");
  auto empty = oversight_cmd({"resume", (tmp / "empty").string()}, tmp);
  CHECK(empty.status == 2);
  CHECK_THAT(empty.err, Contains("no scenario.toml"));

  // A checkpoint that is not one: refused, the directory untouched.
  const auto dir = tmp / "killed";
  REQUIRE(killed_at(4, {"run", file.string(), "--out", dir.string()}, tmp).status == 128 + SIGKILL);
  REQUIRE(fs::exists(dir / "checkpoint.bin"));
  const std::string saved = slurp(dir / "checkpoint.bin");
  std::ofstream(dir / "checkpoint.bin", std::ios::binary | std::ios::trunc) << saved.substr(0, saved.size() / 2);
  auto bad = oversight_cmd({"resume", dir.string()}, tmp);
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Contains("checkpoint.bin") && Contains("truncated"));
  CHECK(run_key(dir / "run.sqlite.partial", "status") == "running");
  CHECK(run_key(dir / "run.sqlite.partial", "resumed").empty());

  // Without the checkpoint it recomputes the stored ticks, and completes.
  fs::remove(dir / "checkpoint.bin");
  auto again = oversight_cmd({"resume", dir.string()}, tmp);
  INFO(again.err);
  CHECK(again.status == 0);
  CHECK(table(dir / "run.sqlite") == table(tmp / "done/run.sqlite"));
}

TEST_CASE("resume: a resumed run that computes other values than the stored ticks fails, naming the tick",
          "[resume]") {
  temp_dir tmp("resume");
  const auto file = smoke_file(*find_scenario("principal_agent"), tmp, {"checkpoint.every=4"});
  const auto dir = tmp / "killed";
  // The checkpoint at tick 4 commits ticks 0 to 3 before it is written; without it the
  // resume recomputes them from the start.
  REQUIRE(killed_at(5, {"run", file.string(), "--out", dir.string()}, tmp).status == 128 + SIGKILL);
  REQUIRE(fs::remove(dir / "checkpoint.bin"));
  // Someone changed a stored value: recomputing tick 2 cannot give it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "run.sqlite.partial").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE metrics SET value = value + 1 WHERE rowid = (SELECT min(rowid) FROM metrics "
                           "WHERE tick = 2)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto r = oversight_cmd({"resume", dir.string()}, tmp);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("differs from the stored one at tick 2"));
  CHECK(fs::exists(dir / "FAILED"));
  CHECK_THAT(run_key(dir / "run.sqlite.partial", "status"), Contains("failed"));
}
