// The `oversight` executable without libtorch: the scenarios that need libtorch, and
// libtorch's trainers, are in liboversight_torch.so beside it, loaded only by the
// commands and trainers that need them (tools/torch_module.hpp, policies/nets.hpp). The
// other scenarios, and networks small enough for the hand-written trainers, run without
// the module; a missing or broken module is one error line naming the file, exit 1.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

const fs::path scenarios_dir = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios";
const std::string module_name = "liboversight_torch.so";

/// One error line on stderr, naming `names`, and `status`.
void require_error_line(const process_result& r, int status, const std::vector<std::string>& names) {
  INFO("status " << r.status << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.status == status);
  const auto lines = r.err_lines();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], StartsWith("error: "));
  for (auto& n : names) CHECK_THAT(lines[0], Contains(n));
}

}  // namespace

TEST_CASE("cli: the libtorch module is loaded by a trainer too wide to write by hand and not by small networks",
          "[cli]") {
  temp_dir tmp("module");
  REQUIRE(fs::is_regular_file(fs::path(OVERSIGHT_BIN).parent_path() / module_name));
  auto run = [&](const std::string& scenario, std::vector<std::string> sets, const std::string& out) {
    std::vector<std::string> args = {"run", (scenarios_dir / scenario / (scenario + ".toml")).string(), "--set",
                                     "ticks=2", "--log-level", "info", "--out", (tmp / out).string()};
    for (auto& s : sets) {
      args.push_back("--set");
      args.push_back(s);
    }
    auto r = run_process(OVERSIGHT_BIN, args, tmp.path());
    INFO(scenario << " stderr:\n" << r.err);
    CHECK(r.status == 0);
    CHECK(fs::is_regular_file(tmp / out / "run.sqlite"));
    return r;
  };
  // No network; then networks of the default widths, trained by hand.
  CHECK_THAT(run("principal_agent", {}, "pa").err, !Contains(module_name));
  CHECK_THAT(run("red_team", {"eval.queries=64"}, "rt").err, !Contains(module_name));
  // A critic wider than hand_written_max_hidden trains on libtorch: the module loads.
  CHECK_THAT(run("red_team", {"eval.queries=64", "critic.hidden=256"}, "rt_wide").err,
             Contains("loaded ") && Contains(module_name));

  // Every symbol the module needs is in the executable or libtorch (the module is loaded
  // lazily: a missing function would otherwise fail only when first called).
  auto bound = run_process("/usr/bin/env", {"LD_BIND_NOW=1", OVERSIGHT_BIN, "list"}, tmp.path());
  INFO("LD_BIND_NOW=1 oversight list, stderr:\n" << bound.err);
  CHECK(bound.status == 0);
  CHECK_THAT(bound.out, Contains("red_team: "));
}

TEST_CASE("cli: without its libtorch module oversight runs the other scenarios and names the missing file",
          "[cli]") {
  // A copy of the executable in a directory of its own: the module is looked for beside it.
  temp_dir tmp("module");
  const auto bin = tmp / "oversight";
  fs::copy_file(OVERSIGHT_BIN, bin);
  const auto module = tmp / module_name;
  auto oversight = [&](std::vector<std::string> args) { return run_process(bin.string(), args, tmp.path()); };

  auto version = oversight({"--version"});
  CHECK(version.status == 0);
  CHECK_THAT(version.out, StartsWith("oversight "));

  for (const char* name : {"principal_agent", "oversight_monitor", "abstention", "sandwiching", "red_team", "league"}) {
    INFO("scenario " << name);
    const auto out = tmp / name;
    auto r = oversight({"run", (scenarios_dir / name / (std::string(name) + ".toml")).string(), "--set", "ticks=1",
                        "--out", out.string()});
    INFO("stderr:\n" << r.err);
    CHECK(r.status == 0);
    CHECK(fs::is_regular_file(out / "run.sqlite"));
  }
  auto report = oversight({"report", (tmp / "principal_agent").string()});
  CHECK(report.status == 0);
  auto summary = oversight({"summary", (tmp / "principal_agent").string()});
  CHECK(summary.status == 0);

  // The commands that need the module name it and dlerror()'s reason, exit 1: a scenario
  // in the module, before anything is written; a trainer that needs libtorch, when its
  // role starts (the run ends as failed, with the reason).
  const auto rlhf = (scenarios_dir / "rlhf/rlhf.toml").string();
  require_error_line(oversight({"run", rlhf, "--out", (tmp / "rlhf").string()}), 1,
                     {module.string(), "No such file"});
  CHECK_FALSE(fs::exists(tmp / "rlhf"));
  const auto red_team = (scenarios_dir / "red_team/red_team.toml").string();
  require_error_line(
      oversight({"run", red_team, "--set", "critic.hidden=256", "--set", "ticks=2", "--out", (tmp / "wide").string()}),
      1, {"a critic trainer with hidden = 256", module.string(), "No such file"});
  CHECK_FALSE(fs::exists(tmp / "wide" / "run.sqlite"));
  require_error_line(oversight({"list"}), 1, {module.string(), "No such file"});
  // A scenario that is in neither: the module is needed to know that.
  require_error_line(oversight({"list", "no_such_scenario"}), 1, {module.string()});

  // A file that is not a shared library.
  {
    std::ofstream(module) << std::string(256, 'x');
  }
  require_error_line(oversight({"run", rlhf, "--out", (tmp / "rlhf").string()}), 1, {module.string(), "ELF"});
  CHECK_FALSE(fs::exists(tmp / "rlhf"));
}
