// The `oversight` command: run, resume, sweep, summary, report, replay, list, bench, node,
// tls-init. Bad
// input exits with status 2 and one line naming the offending value; an internal failure
// exits with 1.
#include <CLI/CLI.hpp>
#include <charconv>
#include <climits>
#include <iostream>
#include <malloc.h>

#include "actors/director/run.hpp"
#include "actors/node/node.hpp"
#include "runtime/claims.hpp"
#include "base/error.hpp"
#include "runtime/event_log.hpp"
#include "runtime/experiment.hpp"
#include "base/log.hpp"
#include "runtime/report_table.hpp"
#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/sweep.hpp"
#include "runtime/version.hpp"
#include "tools/bench.hpp"
#include "tools/report.hpp"
#include "base/device.hpp"
#include "tools/torch_module.hpp"

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

/// The command line as typed, for the run's provenance (words with spaces or quotes are
/// single-quoted so the line can be pasted back into a shell).
std::string command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string w = argv[i];
    if (w.empty() || w.find_first_of(" \t\n'\"\\$`*?;&|<>()[]{}!#~") != std::string::npos) {
      std::string q = "'";
      for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      w = q + "'";
    }
    line += (i ? " " : "") + w;
  }
  return line;
}

int run_and_report(const scenario_spec& spec, const run_options& opt);

/// --nodes and --tls into `opt`: both or neither (every connection to a node is TLS).
void read_node_flags(run_options& opt, const std::string& nodes, const std::string& tls) {
  if (nodes.empty() && tls.empty()) return;
  if (nodes.empty()) throw user_error("--tls " + tls + " without --nodes: nothing to connect to");
  if (tls.empty())
    throw user_error("--nodes " + nodes + " needs --tls DIR: runs reach their nodes over TLS only (oversight tls-init "
                     "DIR makes a lab's set)");
  opt.nodes = parse_node_list(nodes, "--nodes");
  opt.tls = read_tls_set(tls, "--tls");
}

int cmd_run(const std::string& file, const std::vector<std::string>& sets, const std::optional<std::string>& seed_text,
            int threads, const std::string& out, const std::string& nodes, const std::string& tls,
            const std::string& command) {
  auto spec = load_spec(file, sets, parse_seed(seed_text));
  run_options opt;
  read_node_flags(opt, nodes, tls);
  opt.threads = threads;
  opt.out = out;
  opt.progress = true;
  opt.command_line = command;
  if (const auto* info = find_scenario(spec.scenario); info && info->inexact)
    if (auto note = info->inexact(spec.params); !note.empty()) std::cerr << "note: " << note << std::endl;
  return run_and_report(spec, opt);
}

/// Runs (or resumes) and prints what `oversight run` prints: the summary and the directory.
int run_and_report(const scenario_spec& spec, const run_options& opt) {
  run_result res;
  try {
    res = run_scenario(spec, opt);
  } catch (const run_interrupted& e) {
    std::cerr << e.what() << " (oversight report " << e.dir().string() << " reads them; oversight resume "
              << e.dir().string() << " continues)" << std::endl;
    return 128 + e.signal();
  }
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

int cmd_resume(const std::string& dir, int threads, const std::string& nodes, const std::string& tls,
               const std::string& command) {
  const auto toml = std::filesystem::path(dir) / "scenario.toml";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw user_error(dir + ": no such run directory");
  if (!std::filesystem::exists(toml, ec))
    throw user_error(dir + ": holds no scenario.toml, so the run cannot be repeated");
  auto spec = load_spec(toml.string(), {}, std::nullopt);
  run_options opt;
  read_node_flags(opt, nodes, tls);
  opt.threads = threads;
  opt.out = dir;
  opt.progress = true;
  opt.command_line = command;
  opt.resume = true;
  return run_and_report(spec, opt);
}

int cmd_list(const std::string& name) {
  load_all_scenarios();
  std::vector<const scenario_info*> shown;
  if (name.empty()) {
    shown = all_scenarios();
  } else if (auto* one = find_scenario(name)) {
    shown.push_back(one);
  } else {
    std::string all;
    for (auto* s : all_scenarios()) all += (all.empty() ? "" : ", ") + s->name;
    throw user_error("list " + name + ": unknown scenario (known: " + all + ")");
  }
  for (auto* s : shown) {
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
    // The [report] charts come from the sweep's scenario file as it is now, so editing
    // its [report] table and running this again redraws them.
    std::vector<xy_request> xy;
    if (auto f = sweep_scenario_file(d)) {
      if (std::filesystem::exists(*f))
        xy = load_report_table(*f).xy;
      else
        std::cerr << "note: " << f->string() << ", the sweep's scenario file, is gone: no [report] charts"
                  << std::endl;
    }
    write_sweep_report(d / "report.html", "sweep " + name, ex, s, xy);
    print_summary_table(std::cout, s);
    std::cout << (d / "report.html").string() << std::endl;
    return 0;
  }
  std::filesystem::path file = d / "run.sqlite";
  std::string incomplete;
  if (!std::filesystem::exists(file)) {
    // An unfinished run (interrupted, failed, killed or still running): its committed
    // ticks are read from the partial file, and the report says it is incomplete.
    file = d / "run.sqlite.partial";
    if (!std::filesystem::exists(file))
      throw user_error(dir + ": no run.sqlite or run.sqlite.partial here (not a run directory) and no sweep.sqlite "
                             "(not a sweep)");
    std::string status, reason;
    for (auto& [k, v] : read_run_table(file)) {
      if (k == "status") status = v;
      if (k == "reason") reason = v;
    }
    if (status == "running") status = run_dir_locked(d) ? "still running" : "killed (no FAILED, lock released)";
    incomplete = "incomplete run: " + (reason.empty() ? status : reason);
  }
  read_metrics(file);  // type-checks every row: a malformed database is named, not rendered
  auto run = read_run_record(file);
  write_run_report(d / "report.html", incomplete.empty() ? name : name + " (incomplete)", run);
  if (!incomplete.empty()) std::cerr << "note: " << incomplete << std::endl;
  print_summary(std::cout, run.metrics);
  std::cout << (d / "report.html").string() << std::endl;
  return 0;
}

int cmd_replay(const std::string& dir, const std::string& actor, const std::optional<std::string>& ticks,
               const std::string& type) {
  replay_filter f;
  f.actor = actor;
  f.type = type;
  if (ticks) parse_tick_range(*ticks, f);
  replay_events(dir, f, std::cout);
  return 0;
}

int cmd_summary(const std::vector<std::string>& dirs, const std::vector<std::string>& metrics, const std::string& at,
                const std::vector<std::string>& baseline, const std::string& json) {
  std::vector<std::filesystem::path> paths(dirs.begin(), dirs.end());
  auto ex = load_experiment(paths);
  summary_options opt;
  opt.metrics = metrics;
  opt.at = value_at::parse(at);
  opt.baseline = baseline;
  auto s = summarize(ex, opt);
  print_summary_table(std::cout, s);
  // Runs that did not finish are in no statistic above: say which, and why.
  for (const auto& r : ex.runs)
    if (r.status != "done" && !r.rows.empty())
      std::cerr << "note: incomplete run, not in the statistics: " << r.dir.string() << " ("
                << (r.error.empty() ? r.status : r.error) << ")" << std::endl;
  if (!json.empty()) write_summary_json(json, s);
  return 0;
}

int cmd_sweep(const std::string& file, const std::vector<std::string>& sets, const std::optional<std::string>& seeds,
              int jobs, int threads, const std::string& out) {
  auto plan = make_sweep_plan(file, sets, seeds);
  const auto xy = load_report_table(file).xy;
  sweep_options opt;
  opt.oversight_bin = std::filesystem::read_symlink("/proc/self/exe");
  opt.out = out;
  opt.jobs = jobs;
  opt.threads_per_run = threads;
  opt.progress = true;
  auto res = run_sweep(plan, opt);
  bool bad_report = false;
  try {
    auto ex = load_experiment({res.dir});
    auto s = summarize(ex, summary_options{});
    write_sweep_report(res.dir / "report.html",
                       "sweep " + std::filesystem::weakly_canonical(res.dir).filename().string(), ex, s, xy);
  } catch (const user_error& e) {
    // A [report] chart names a metric no run recorded: the runs are kept.
    std::cerr << "error: " << e.what() << "; the sweep report is not written (fix the file, then oversight report "
              << res.dir.string() << ")" << std::endl;
    bad_report = true;
  } catch (const std::exception& e) {
    std::cerr << "warning: sweep report not written (" << e.what() << "); retry with: oversight report "
              << res.dir.string() << std::endl;
  }
  if (res.interrupted > 0)
    std::cerr << "sweep interrupted: " << res.interrupted << " run(s) left pending; the same command resumes it"
              << std::endl;
  if (res.failed > 0)
    std::cerr << res.failed << " run(s) failed; their reasons are in " << (res.dir / "sweep.sqlite").string()
              << " (and `oversight report`)" << std::endl;
  std::cout << res.dir.string() << std::endl;
  if (res.interrupted > 0) return 130;
  if (res.failed > 0) return 1;
  return bad_report ? 2 : 0;
}

int cmd_claim(const std::vector<std::string>& files, const std::vector<std::string>& sets,
              const std::optional<std::string>& seeds, int jobs, const std::string& out, bool markdown) {
  // Every file is read and checked before any sweep starts.
  std::vector<claim> claims;
  for (auto& f : files) claims.push_back(load_claim(f));
  bool all_hold = true;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::filesystem::path file(files[i]);
    const auto scenario = make_sweep_plan(file, sets, seeds).scenario;
    sweep_options opt;
    opt.oversight_bin = std::filesystem::read_symlink("/proc/self/exe");
    // A stable directory per claim file: running the command again resumes it.
    opt.out = (out.empty() ? std::filesystem::path("claims") : std::filesystem::path(out)) /
              (scenario + "-" + file.stem().string());
    opt.jobs = jobs;
    opt.progress = true;
    const auto verdict = run_claim(file, sets, seeds, opt);
    if (markdown) {
      print_verdict_markdown(std::cout, verdict);
    } else {
      print_verdict(std::cout, verdict);
      std::cout << "  runs: " << opt.out.string() << "\n" << std::endl;
    }
    all_hold = all_hold && verdict.holds;
  }
  return all_hold ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Batches of a large population are allocated on one scheduler thread and freed on
  // another, every tick. By default glibc maps the large ones afresh and hands freed
  // memory back to the kernel (each tick pays its page faults again), and keeps an arena
  // per thread (each holding its own copy of a tick's batches). One arena that keeps
  // freed memory for reuse removes both; small allocations are still served without a
  // lock from glibc's per-thread cache.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"oversight: multi-agent simulations of superalignment"};
  app.require_subcommand(0, 1);
  app.fallthrough();  // --log-level is accepted after the subcommand too
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (default warn)");
  app.set_version_flag("--version", std::string("oversight ") + oversight_version() + " (commit " +
                                        oversight_commit() + ")");
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
  run->add_option("--threads", threads, "scheduler threads, 1 to 1024 (default: one per core)")
      ->check(CLI::Range(1, 1024));
  run->add_option("--out", out, "run directory (default: runs/<scenario>-<seed>-<time>)");
  std::string nodes, tls;
  run->add_option("--nodes", nodes, "spread the run's placed roles over these nodes: HOST:PORT,HOST:PORT,...");
  run->add_option("--tls", tls, "the lab's TLS set for --nodes (oversight tls-init DIR makes one)");

  auto* resume = app.add_subcommand("resume", "continue a killed, interrupted or failed run in its directory");
  std::string resume_dir;
  int resume_threads = 0;
  resume->add_option("dir", resume_dir, "the run directory")->required();
  resume->add_option("--threads", resume_threads, "scheduler threads, 1 to 1024 (default: one per core)")
      ->check(CLI::Range(1, 1024));
  std::string resume_nodes, resume_tls;
  resume->add_option("--nodes", resume_nodes, "continue over these nodes: HOST:PORT,... (any number, or none)");
  resume->add_option("--tls", resume_tls, "the lab's TLS set for --nodes");

  auto* node = app.add_subcommand("node", "serve a share of runs' roles to `oversight run --nodes` (until SIGINT/SIGTERM)");
  std::string node_listen, node_tls;
  int node_threads = 0;
  node->add_option("--listen", node_listen, "HOST:PORT to accept runs on (port 0: any free port, printed)")->required();
  node->add_option("--tls", node_tls, "the lab's TLS set (oversight tls-init DIR makes one)")->required();
  node->add_option("--threads", node_threads, "scheduler threads, 1 to 1024 (default: one per core)")
      ->check(CLI::Range(1, 1024));

  auto* tls_init_cmd = app.add_subcommand("tls-init", "make a lab's TLS set for nodes: a CA, a certificate, a secret");
  std::string tls_init_dir;
  tls_init_cmd->add_option("dir", tls_init_dir, "a new directory to write ca.pem, cert.pem, key.pem and secret into")
      ->required();

  auto* list = app.add_subcommand("list", "every scenario (or one) with its parameters and metrics");
  std::string list_name;
  list->add_option("name", list_name, "show this scenario only");

  auto* sweep = app.add_subcommand("sweep", "run a scenario file over its [sweep] grid and seeds");
  std::string sweep_file, sweep_out;
  std::vector<std::string> sweep_sets;
  std::optional<std::string> sweep_seeds;
  int sweep_jobs = 0, sweep_threads = 0;
  sweep->add_option("file", sweep_file, "scenario TOML file with a [sweep] table")->required();
  sweep->add_option("--set", sweep_sets, "override a parameter for every point: key.path=value (repeatable)");
  sweep->add_option("--seeds", sweep_seeds, "seeds: A..B or A,B,C (overrides the file's)");
  sweep->add_option("-j,--jobs", sweep_jobs, "runs at once, each its own process (default: one per core)")
      ->check(CLI::Range(1, 1024));
  sweep->add_option("--threads", sweep_threads, "scheduler threads of each run (default: cores / jobs)")
      ->check(CLI::Range(1, 1024));
  sweep->add_option("--out", sweep_out, "sweep directory (default: sweeps/<scenario>-<time>); resumes one");
  auto* report = app.add_subcommand("report", "re-render report.html and the summary of a run or a sweep directory");
  std::string report_dir;
  report->add_option("dir", report_dir, "run directory or sweep directory")->required();

  auto* bench = app.add_subcommand("bench", "measure the fabric, red_team throughput and training overhead");
  bool quick = false;
  std::string json;
  bench->add_flag("--quick", quick, "about a minute instead of several");
  bench->add_option("--json", json, "also write the figures to this JSON file");

  auto* replay = app.add_subcommand("replay", "print a run's event log (events.msgpack), one line per message");
  std::string replay_dir, replay_actor, replay_type;
  std::optional<std::string> replay_ticks;
  replay->add_option("dir", replay_dir, "run directory")->required();
  replay->add_option("--actor", replay_actor, "only messages from or to this role (e.g. director, expert-0)");
  replay->add_option("--ticks", replay_ticks, "only ticks A:B (inclusive; A:, :B or A)");
  replay->add_option("--type", replay_type, "only messages of this type (a request's atom, e.g. deliver; a reply's type)");

  auto* summary_cmd = app.add_subcommand("summary", "statistics over seeds per arm of a sweep or of run directories");
  std::vector<std::string> summary_dirs, summary_metrics, summary_baseline;
  std::string summary_at = "last", summary_json;
  summary_cmd->add_option("dir", summary_dirs, "a sweep directory, or run directories")->required();
  summary_cmd->add_option("--metric", summary_metrics, "actor.metric to summarize (repeatable; default: all)");
  summary_cmd->add_option("--at", summary_at, "a run's value: last (default) or mean_last:K");
  summary_cmd->add_option("--baseline", summary_baseline, "key=value selecting the baseline arm (repeatable)");
  summary_cmd->add_option("--json", summary_json, "also write the figures to this JSON file");

  auto* claim_cmd = app.add_subcommand("claim", "run claim files (a sweep with a [claim] table) and say whether each holds");
  std::vector<std::string> claim_files, claim_sets;
  std::optional<std::string> claim_seeds;
  std::string claim_out;
  int claim_jobs = 0;
  bool claim_markdown = false;
  claim_cmd->add_option("file", claim_files, "claim TOML files, e.g. scenarios/red_team/claims/*.toml")->required();
  claim_cmd->add_option("--set", claim_sets, "override a parameter in every run: key.path=value (repeatable)");
  claim_cmd->add_option("--seeds", claim_seeds, "seeds: A..B or A,B,C (overrides the files')");
  claim_cmd->add_option("-j,--jobs", claim_jobs, "runs at once (default: one per core)")->check(CLI::Range(1, 1024));
  claim_cmd->add_flag("--markdown", claim_markdown, "print each verdict as rows of a markdown table (README)");
  claim_cmd->add_option("--out", claim_out, "where the claims' sweeps go (default: claims/); reruns resume");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    set_log_level(log_level);
    // The scenarios that use libtorch are in its module, loaded when a command needs one.
    set_scenario_loader(load_torch_module);
    // Trainers wider than the hand-written ones, or on a GPU, load it when they start.
    set_libtorch_loader(load_torch_module);
    if (run->parsed()) return cmd_run(file, sets, seed, threads, out, nodes, tls, command_line(argc, argv));
    if (resume->parsed())
      return cmd_resume(resume_dir, resume_threads, resume_nodes, resume_tls, command_line(argc, argv));
    if (node->parsed()) return serve_node(node_listen, read_tls_set(node_tls, "--tls"), node_threads);
    if (tls_init_cmd->parsed()) {
      tls_init(tls_init_dir);
      std::cout << tls_init_dir << ": ca.pem, cert.pem, key.pem, secret (copy the directory to every machine of the lab)"
                << std::endl;
      return 0;
    }
    if (list->parsed()) return cmd_list(list_name);
    if (sweep->parsed()) return cmd_sweep(sweep_file, sweep_sets, sweep_seeds, sweep_jobs, sweep_threads, sweep_out);
    if (report->parsed()) return cmd_report(report_dir);
    if (replay->parsed()) return cmd_replay(replay_dir, replay_actor, replay_ticks, replay_type);
    if (bench->parsed()) return run_bench(quick, json);
    if (claim_cmd->parsed()) return cmd_claim(claim_files, claim_sets, claim_seeds, claim_jobs, claim_out, claim_markdown);
    if (summary_cmd->parsed())
      return cmd_summary(summary_dirs, summary_metrics, summary_at, summary_baseline, summary_json);
  } catch (const user_error& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  std::cout << app.help();  // no subcommand
  return 0;
}
