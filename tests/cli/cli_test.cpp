// The `oversight` command as a user meets it, run as a subprocess: bad input exits with
// status 2 and one "error: " line naming the offending value, and never leaves a run
// directory that looks finished; a good run leaves a complete one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sqlite3.h>

#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"
#include "tests/support/marker_images.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using namespace oversight::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

const fs::path red_team_toml = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml";

process_result oversight_cmd(const std::vector<std::string>& args, const temp_dir& cwd) {
  return run_process(OVERSIGHT_BIN, args, cwd.path());
}

/// Status 2, exactly one stderr line, "error: ...", naming each of `names`.
void require_user_error_line(const process_result& r, const std::vector<std::string>& names) {
  require_user_error(r, names);
  CHECK(r.err.back() == '\n');
}

/// Nothing there looks like a finished run.
void require_no_finished_run(const fs::path& dir) {
  INFO("run directory " << dir);
  CHECK((!fs::exists(dir) || !fs::exists(dir / "run.sqlite")));
}

std::string run_status(const fs::path& sqlite_file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(sqlite_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::string status;
  if (sqlite3_prepare_v2(db, "SELECT value FROM run WHERE key = 'status'", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    status = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return status;
}

}  // namespace

TEST_CASE("cli: a bad scenario file exits 2 with one error line and no finished run", "[cli]") {
  temp_dir tmp("cli");
  const auto out = tmp / "out";
  struct bad {
    const char* what;
    const char* file;  ///< name under tmp
    const char* text;  ///< nullptr: the file is not created
    std::vector<std::string> names;
  };
  const bad cases[] = {
      {"malformed TOML", "malformed.toml", "scenario = \"red_team\"\nticks = 3\n[attacker\n",
       {"malformed.toml:3:", "invalid TOML"}},
      {"unknown key", "unknown.toml", "scenario = \"red_team\"\n[attacker]\nstratgy = \"random\"\n",
       {"unknown.toml:3:1:", "'attacker.stratgy'", "'attacker.strategy'"}},
      {"wrong type", "type.toml", "scenario = \"red_team\"\nticks = \"ten\"\n",
       {"type.toml:2:", "'ticks'", "\"ten\"", "integer"}},
      {"out of range", "range.toml", "scenario = \"red_team\"\nticks = 0\n",
       {"range.toml:2:", "'ticks' = 0", "out of range"}},
      {"not a choice", "choice.toml", "scenario = \"red_team\"\n[attacker]\nstrategy = \"nuke\"\n",
       {"choice.toml:3:", "'attacker.strategy'", "\"nuke\"", "evolutionary"}},
      {"missing file", "no_such.toml", nullptr, {"no_such.toml", "not found"}},
      {"missing scenario key", "noscen.toml", "ticks = 3\n", {"noscen.toml", "'scenario'"}},
      {"unknown scenario", "unkscen.toml", "scenario = \"blue_team\"\n", {"unkscen.toml:1:", "'blue_team'"}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      const auto file = c.text ? tmp.write(c.file, c.text) : tmp / c.file;
      auto r = oversight_cmd({"run", file.string(), "--set", "ticks=3", "--out", out.string()}, tmp);
      require_user_error_line(r, c.names);
      require_no_finished_run(out);
    }
  }
}

TEST_CASE("cli: a bad --set or --seed exits 2 with one error line and no finished run", "[cli]") {
  temp_dir tmp("cli");
  const auto out = tmp / "out";
  struct bad {
    const char* what;
    std::vector<std::string> args;
    std::vector<std::string> names;
  };
  const bad cases[] = {
      {"unknown key", {"--set", "attacker.stratgy=random"}, {"--set attacker.stratgy=random: ", "'attacker.strategy'"}},
      {"no '='", {"--set", "ticks"}, {"--set ticks: "}},
      {"wrong type", {"--set", "ticks=ten"}, {"--set ticks=ten: ", "'ticks'", "\"ten\""}},
      {"out of range", {"--set", "ticks=0"}, {"--set ticks=0: ", "'ticks' = 0", "out of range"}},
      {"negative --seed", {"--seed", "-1"}, {"--seed", "-1"}},
      {"--seed too large", {"--seed", "99999999999999999999"}, {"--seed", "99999999999999999999"}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      std::vector<std::string> args{"run", red_team_toml.string(), "--out", out.string()};
      args.insert(args.end(), c.args.begin(), c.args.end());
      auto r = oversight_cmd(args, tmp);
      require_user_error_line(r, c.names);
      require_no_finished_run(out);
    }
  }
}

TEST_CASE("cli: bad flags exit 2 with one error line", "[cli]") {
  temp_dir tmp("cli");
  const auto out = tmp / "out";
  struct bad {
    const char* what;
    std::vector<std::string> args;
    std::string names;
  };
  const bad cases[] = {
      {"--threads abc", {"run", red_team_toml.string(), "--threads", "abc", "--out", out.string()}, "abc"},
      {"unknown option", {"run", red_team_toml.string(), "--bogus", "--out", out.string()}, "--bogus"},
      {"unknown subcommand", {"rnu"}, "rnu"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto r = oversight_cmd(c.args, tmp);
      require_user_error_line(r, {c.names});
      require_no_finished_run(out);
      CHECK_FALSE(fs::exists(tmp / "runs"));
    }
  }
}

TEST_CASE("cli: --help exits 0", "[cli]") {
  temp_dir tmp("cli");
  SECTION("oversight --help") {
    auto r = oversight_cmd({"--help"}, tmp);
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("run"));
    CHECK_THAT(r.out, Contains("list"));
  }
  SECTION("oversight run --help") {
    auto r = oversight_cmd({"run", "--help"}, tmp);
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("--set"));
    CHECK_THAT(r.out, Contains("--out"));
  }
}

TEST_CASE("cli: list shows the scenarios, their parameters, choices and metrics", "[cli]") {
  temp_dir tmp("cli");
  auto r = oversight_cmd({"list"}, tmp);
  INFO("stderr: " << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("red_team"));
  CHECK_THAT(r.out, Contains("attacker.strategy"));
  CHECK_THAT(r.out, Contains("true_failure_rate"));
  CHECK_THAT(r.out, Contains("critic_agreement"));
  const scenario_info* info = find_scenario("red_team");
  REQUIRE(info != nullptr);
  // attacker.strategy's choices, in their declared order.
  std::string choices = "one of:";
  for (auto& p : info->params)
    if (p.key == "attacker.strategy")
      for (auto& c : p.choices) choices += " " + c;
  CHECK_THAT(choices, Contains(" none") && Contains(" evolutionary"));
  CHECK_THAT(r.out, Contains(choices));
  // Every declared parameter and metric of red_team is listed.
  for (auto& p : info->params) CHECK_THAT(r.out, Contains("    " + p.key + " ("));
  for (auto& m : info->metrics) CHECK_THAT(r.out, Contains("    " + m.name + ": "));
}

TEST_CASE("cli: a tiny run leaves a complete run directory and prints it last", "[cli]") {
  temp_dir tmp("cli");
  const auto out = tmp / "run";
  auto r = oversight_cmd({"run", red_team_toml.string(), "--set", "ticks=3", "--set", "eval.queries=64", "--threads",
                          "2", "--out", out.string()},
                         tmp);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.status == 0);
  const auto lines = r.out_lines();
  REQUIRE(!lines.empty());
  CHECK(lines.back() == out.string());
  for (auto& l : r.err_lines()) CHECK_THAT(l, !StartsWith("error"));

  REQUIRE(fs::is_regular_file(out / "run.sqlite"));
  CHECK(fs::is_regular_file(out / "report.html"));
  CHECK(fs::file_size(out / "report.html") > 0);
  CHECK_FALSE(fs::exists(out / "run.sqlite.partial"));
  CHECK_FALSE(fs::exists(out / "FAILED"));
  CHECK(run_status(out / "run.sqlite") == "complete");

  const auto rows = read_metrics(out / "run.sqlite");
  REQUIRE(!rows.empty());
  std::set<int64_t> ticks;
  for (auto& row : rows) ticks.insert(row.tick);
  CHECK(ticks == std::set<int64_t>{0, 1, 2});
  std::set<std::string> names;
  for (auto& row : rows) names.insert(row.name);
  CHECK(names.count("true_failure_rate") == 1);
  CHECK(names.count("critic_agreement") == 1);
  CHECK_FALSE(fs::exists(tmp / "runs"));  // --out is honoured; nothing lands in the default place
}

TEST_CASE("cli: every registered scenario is listed with its parameters and metrics and runs from `oversight run`",
          "[cli]") {
  temp_dir tmp("cli");
  auto listed = oversight_cmd({"list"}, tmp);
  REQUIRE(listed.status == 0);
  write_marker_images(tmp.path());
  for (const scenario_info* info : all_scenarios()) {
    if (info->name == "spec_test") continue;  // registered by tests/spec, not by the binary
    INFO("scenario " << info->name);
    CHECK_THAT(listed.out, Contains(info->name + ": "));
    for (auto& p : info->params) CHECK_THAT(listed.out, Contains("    " + p.key + " ("));
    for (auto& m : info->metrics) CHECK_THAT(listed.out, Contains("    " + m.name + ": "));

    // Its smoke configuration through the command a user types.
    const auto out = tmp / info->name;
    std::vector<std::string> args{
        "run", (fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios" / info->name / (info->name + ".toml")).string(), "--out",
        out.string()};
    auto sets = info->smoke;
    if (std::any_of(info->params.begin(), info->params.end(), [](const param_decl& d) { return d.key == "data.dir"; }))
      sets.push_back("data.dir=" + tmp.path().string());
    for (auto& s : sets) args.insert(args.end(), {"--set", s});
    auto r = oversight_cmd(args, tmp);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    REQUIRE(r.status == 0);
    CHECK(run_status(out / "run.sqlite") == "complete");
    CHECK(fs::is_regular_file(out / "report.html"));
    CHECK_FALSE(read_metrics(out / "run.sqlite").empty());
  }
}

TEST_CASE("cli: --out refuses a directory that already holds a finished run", "[cli]") {
  temp_dir tmp("cli");
  const auto out = tmp / "done";
  fs::create_directories(out);
  const std::string bytes = std::string("SQLite format 3") + '\0' + "not really, but it is someone's finished run";
  const auto existing = tmp.write("done/run.sqlite", bytes);
  const auto before = fs::last_write_time(existing);

  auto r = oversight_cmd({"run", red_team_toml.string(), "--set", "ticks=3", "--out", out.string()}, tmp);
  require_user_error_line(r, {out.string(), "run.sqlite"});
  CHECK(slurp(existing) == bytes);
  CHECK(fs::last_write_time(existing) == before);
  CHECK_FALSE(fs::exists(out / "run.sqlite.partial"));
  CHECK_FALSE(fs::exists(out / "FAILED"));
  CHECK_FALSE(fs::exists(out / "report.html"));
}

TEST_CASE("cli: list shows principal_agent and oversight_monitor and their shipped files load", "[cli]") {
  temp_dir tmp("cli");
  auto r = oversight_cmd({"list"}, tmp);
  INFO("stderr: " << r.err);
  CHECK(r.status == 0);
  for (const char* name : {"principal_agent", "oversight_monitor"}) {
    const scenario_info* info = find_scenario(name);
    REQUIRE(info != nullptr);
    CHECK_THAT(r.out, Contains(std::string(name) + ": "));
    for (auto& p : info->params) CHECK_THAT(r.out, Contains("    " + p.key + " ("));
    for (auto& m : info->metrics) CHECK_THAT(r.out, Contains("    " + m.name + ": "));
  }
  const auto dir = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios";
  for (const char* file : {"principal_agent/principal_agent.toml", "principal_agent/principal_agent_100k.toml",
                           "oversight_monitor/oversight_monitor.toml"}) {
    INFO(file);
    CHECK_NOTHROW(load_spec(dir / file, {}, std::nullopt));
  }
  CHECK(load_spec(dir / "principal_agent/principal_agent_100k.toml", {}, std::nullopt).params.integer("population") ==
        100000);
}

TEST_CASE("cli: principal_agent and oversight_monitor reject impossible combinations with exit 2", "[cli]") {
  temp_dir tmp("cli");
  const auto dir = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios";
  {
    const auto out = tmp / "pa";
    auto r = oversight_cmd({"run", (dir / "principal_agent/principal_agent.toml").string(), "--set", "population=3",
                            "--set", "shards=4", "--out", out.string()},
                           tmp);
    require_user_error_line(r, {"principal_agent.toml", "shards = 4", "population = 3"});
    require_no_finished_run(out);
  }
  {
    const auto out = tmp / "om";
    auto r = oversight_cmd({"run", (dir / "oversight_monitor/oversight_monitor.toml").string(), "--set",
                            "monitor.critic=false", "--set", "monitor.rules=false", "--out", out.string()},
                           tmp);
    require_user_error_line(r, {"oversight_monitor.toml", "monitor.critic = false", "monitor.rules = false"});
    require_no_finished_run(out);
  }
}
