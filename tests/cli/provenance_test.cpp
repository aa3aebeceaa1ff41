// What a run records about itself and how the command greets a user: the run table's
// provenance, the resolved scenario.toml that repeats a run bit for bit, --version, help
// with no arguments, --log-level after the subcommand, and `list NAME`.
#include <catch2/catch.hpp>

#include <map>

#include "runtime/run_store.hpp"
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

}  // namespace

TEST_CASE("provenance: the run table says what ran, where, when and from which build", "[cli][provenance][git]") {
  temp_dir tmp("prov");
  const auto out = tmp / "run";
  auto r = oversight_cmd({"run", red_team_toml.string(), "--set", "ticks=2", "--set", "eval.queries=64", "--seed", "5",
                          "--out", out.string(), "--log-level", "error"},
                         tmp);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.status == 0);
  std::map<std::string, std::string> run;
  for (auto& [k, v] : read_run_table(out / "run.sqlite")) run[k] = v;
  for (auto key : {"started", "ended", "wall_seconds", "host", "command_line", "version", "commit"}) {
    INFO(key);
    CHECK(run.count(key) == 1);
    CHECK_FALSE(run[key].empty());
  }
  CHECK_THAT(run["started"], StartsWith("20"));
  CHECK_THAT(run["started"], Contains("T"));
  CHECK(std::stod(run["wall_seconds"]) > 0);
  CHECK_THAT(run["command_line"], Contains("run " + red_team_toml.string() + " --set ticks=2"));
  CHECK_THAT(run["command_line"], Contains("--seed 5"));
  // Built from this checkout: a 40-digit commit (with -dirty while files are modified).
  CHECK(run["commit"].size() >= 40);
  CHECK(run["commit"].find_first_not_of("0123456789abcdef") >= 40);
  CHECK(run["status"] == "complete");
}

TEST_CASE("provenance: the run's scenario.toml repeats it bit for bit", "[cli][provenance]") {
  temp_dir tmp("prov");
  const auto first = tmp / "first", again = tmp / "again";
  auto r = oversight_cmd({"run", red_team_toml.string(), "--set", "ticks=3", "--set", "eval.queries=64", "--set",
                          "attacker.strategy=random", "--seed", "11", "--out", first.string()},
                         tmp);
  INFO("stderr:\n" << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(fs::is_regular_file(first / "scenario.toml"));
  const auto text = slurp(first / "scenario.toml");
  CHECK_THAT(text, Contains("seed = 11"));
  CHECK_THAT(text, Contains("strategy = \"random\""));
  auto r2 = oversight_cmd({"run", (first / "scenario.toml").string(), "--out", again.string()}, tmp);
  INFO("stderr:\n" << r2.err);
  REQUIRE(r2.status == 0);
  const auto a = read_metrics(first / "run.sqlite"), b = read_metrics(again / "run.sqlite");
  REQUIRE(a.size() == b.size());
  REQUIRE(!a.empty());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("row " << i << ": " << a[i].actor << "." << a[i].name << " at tick " << a[i].tick);
    CHECK(a[i].tick == b[i].tick);
    CHECK(a[i].actor == b[i].actor);
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].value == b[i].value);  // exact
  }
}

TEST_CASE("cli: --version, help with no arguments, --log-level after the subcommand, list NAME", "[cli]") {
  temp_dir tmp("cli");
  SECTION("--version") {
    auto r = oversight_cmd({"--version"}, tmp);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, StartsWith("oversight "));
    CHECK_THAT(r.out, Contains("commit "));
  }
  SECTION("no arguments") {
    auto r = oversight_cmd({}, tmp);
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("sweep"));
    CHECK_THAT(r.out, Contains("summary"));
    CHECK(r.err.empty());
  }
  SECTION("--log-level before and after the subcommand") {
    CHECK(oversight_cmd({"--log-level", "error", "list", "red_team"}, tmp).status == 0);
    auto r = oversight_cmd({"list", "red_team", "--log-level", "error"}, tmp);
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
  }
  SECTION("list NAME shows that scenario only") {
    auto r = oversight_cmd({"list", "debate"}, tmp);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, StartsWith("debate: "));
    CHECK_THAT(r.out, !Contains("red_team:"));
    auto bad = oversight_cmd({"list", "debait"}, tmp);
    CHECK(bad.status == 2);
    CHECK_THAT(bad.err, StartsWith("error: list debait: unknown scenario"));
  }
}
