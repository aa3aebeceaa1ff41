// The `oversight` command: run, list, report. Bad input exits with status 2 and one line
// naming the offending value; an internal failure exits with 1.
#include <CLI/CLI.hpp>
#include <charconv>
#include <climits>
#include <iostream>

#include "actors/director/run.hpp"
#include "runtime/error.hpp"
#include "runtime/experiment.hpp"
#include "runtime/log.hpp"
#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"
#include "tools/bench.hpp"
#include "tools/report.hpp"

using namespace oversight;

namespace {

/// --seed is read as text and converted here: CLI11 would wrap "-1" round to 2^64-1 and
/// saturate "99999999999999999999", and the message would name a value nobody typed.
std::optional<uint64_t> parse_seed(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  uint64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (text->empty() || ec != std::errc() || ptr != end || v > uint64_t(INT64_MAX))
    throw user_error("--seed " + *text + ": must be a whole number in [0, " + std::to_string(INT64_MAX) + "]");
  return v;
}

int cmd_run(const std::string& file, const std::vector<std::string>& sets, const std::optional<std::string>& seed_text,
            int threads, const std::string& out) {
  auto spec = load_spec(file, sets, parse_seed(seed_text));
  run_options opt;
  opt.threads = threads;
  opt.out = out;
  opt.progress = true;
  auto mode = spec.params.all().find("free_running");
  if (mode != spec.params.all().end() && std::get<bool>(mode->second))
    std::cerr << "note: free-running mode: metrics are reproducible in distribution, not bit for bit" << std::endl;
  auto res = run_scenario(spec, opt);
  // The run is complete once run.sqlite is in place; the report is derived from it, so a
  // failure here is reported but leaves the run intact (`oversight report DIR` redoes it).
  try {
    write_run_report(res.dir / "report.html", spec.scenario + " (seed " + std::to_string(spec.seed) + ")",
                     read_run_record(res.dir / "run.sqlite"));
  } catch (const std::exception& e) {
    std::cerr << "warning: run complete, but report.html was not written (" << e.what()
              << "); retry with: oversight report " << res.dir.string() << std::endl;
  }
  print_summary(std::cout, res.rows);
  std::cout << res.dir.string() << std::endl;
  return 0;
}

int cmd_list() {
  for (auto* s : all_scenarios()) {
    std::cout << s->name << ": " << s->doc << "\n  parameters:\n";
    for (auto& p : s->params) {
      std::cout << "    " << p.key << " (" << to_string(p.type) << ", default " << to_string(p.default_value);
      if (p.min && p.max) {
        if (p.type == param_type::integer)
          std::cout << ", range [" << int64_t(*p.min) << ", " << (*p.max >= 9.2e18 ? INT64_MAX : int64_t(*p.max)) << "]";
        else
          std::cout << ", range [" << *p.min << ", " << *p.max << "]";
      }
      if (!p.choices.empty()) {
        std::cout << ", one of:";
        for (auto& c : p.choices) std::cout << " " << c;
      }
      std::cout << "): " << p.doc << "\n";
    }
    std::cout << "  metrics:\n";
    for (auto& m : s->metrics) std::cout << "    " << m.name << ": " << m.doc << "\n";
  }
  return 0;
}

int cmd_report(const std::string& dir) {
  std::filesystem::path d(dir);
  const auto name = std::filesystem::weakly_canonical(d).filename().string();
  if (std::filesystem::exists(d / "sweep.sqlite")) {
    auto ex = load_experiment({d});
    auto s = summarize(ex, summary_options{});
    write_sweep_report(d / "report.html", "sweep " + name, ex, s);
    print_summary_table(std::cout, s);
    std::cout << (d / "report.html").string() << std::endl;
    return 0;
  }
  if (!std::filesystem::exists(d / "run.sqlite"))
    throw user_error(dir + ": no run.sqlite here (a failed or unfinished run?) and no sweep.sqlite (not a sweep)");
  auto run = read_run_record(d / "run.sqlite");
  write_run_report(d / "report.html", name, run);
  print_summary(std::cout, run.metrics);
  std::cout << (d / "report.html").string() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"oversight: multi-agent simulations of superalignment"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (default warn)");
  // Flag errors too are one line, like every other bad input (CLI11's default adds a second).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + " (see --help)\n";
  });

  auto* run = app.add_subcommand("run", "run a scenario file; prints a summary and the run directory");
  std::string file, out;
  std::vector<std::string> sets;
  std::optional<std::string> seed;
  int threads = 0;
  run->add_option("file", file, "scenario TOML file")->required();
  run->add_option("--set", sets, "override a parameter: key.path=value (repeatable)");
  run->add_option("--seed", seed, "run seed (overrides the file's)");
  run->add_option("--threads", threads, "scheduler threads (default: one per core)")->check(CLI::Range(0, 1024));
  run->add_option("--out", out, "run directory (default: runs/<scenario>-<seed>-<time>)");

  auto* list = app.add_subcommand("list", "every scenario with its parameters and metrics");
  auto* report = app.add_subcommand("report", "re-render report.html and the summary of a finished run");
  std::string report_dir;
  report->add_option("dir", report_dir, "run directory")->required();

  auto* bench = app.add_subcommand("bench", "measure the fabric, red_team throughput and training overhead");
  bool quick = false;
  std::string json;
  bench->add_flag("--quick", quick, "about a minute instead of several");
  bench->add_option("--json", json, "also write the figures to this JSON file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    set_log_level(log_level);
    if (run->parsed()) return cmd_run(file, sets, seed, threads, out);
    if (list->parsed()) return cmd_list();
    if (report->parsed()) return cmd_report(report_dir);
    if (bench->parsed()) return run_bench(quick, json);
  } catch (const user_error& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
