#include "tools/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "actors/director/run.hpp"
#include "actors/expert/expert.hpp"
#include "base/error.hpp"
#include "runtime/protocol.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"
#include "runtime/sweep.hpp"
#include "runtime/tls.hpp"
#include "tools/bench_market.hpp"
#include "tools/bench_support.hpp"
#include "tools/torch_module.hpp"

namespace oversight {

namespace bench {

namespace {
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

using ping_atom = caf::atom_constant<caf::atom("ping")>;
}  // namespace

double round_trips_per_s(caf::actor_system& sys, int n,
                         std::function<void(caf::event_based_actor*, std::function<void()>)> send) {
  caf::scoped_actor waiter{sys};
  auto t0 = clock_type::now();
  auto driver = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    return {[=](caf::atom_value) -> caf::result<caf::atom_value> {
      auto rp = self->make_response_promise<caf::atom_value>();
      auto left = std::make_shared<int>(n);
      auto step = std::make_shared<std::function<void()>>();
      *step = [=]() mutable {
        if ((*left)-- == 0) {
          rp.deliver(caf::atom("done"));
          return;
        }
        send(self, *step);
      };
      (*step)();
      return caf::delegated<caf::atom_value>{};
    }};
  });
  waiter->request(driver, caf::infinite, caf::atom("go")).receive([](caf::atom_value) {}, [](caf::error&) {});
  const double s = seconds_since(t0);
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  return n / s;
}

caf::actor_system_config make_config(int threads) {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  cfg.set("scheduler.max-threads", threads);
  return cfg;
}

double best_of(int reps, const std::function<double()>& f) {
  double best = 0;
  for (int i = 0; i < reps; ++i) best = std::max(best, f());
  return best;
}

namespace {

/// What a child run cost.
struct child_cost {
  double wall = 0;  ///< seconds
  double rss = 0;   ///< peak RSS, bytes
  double cpu = 0;   ///< user + system seconds, every thread
};

/// Runs `oversight run ARGS...` as a child (this very binary), so each population gets
/// a process of its own.
child_cost run_child(const std::vector<std::string>& args) {
  std::vector<std::string> argv_s{"/proc/self/exe", "run"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  // The child's stderr goes to a file, so that a failed run says why.
  const auto err_file = std::filesystem::temp_directory_path() / ("oversight-bench-child-" + std::to_string(::getpid()));
  auto t0 = clock_type::now();
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(devnull, 1);
    dup2(err >= 0 ? err : devnull, 2);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const double s = seconds_since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why, line;
    std::ifstream in(err_file);
    while (std::getline(in, line))
      if (line.rfind("error: ", 0) == 0) why = line;
    std::filesystem::remove(err_file);
    throw std::runtime_error("bench: child run failed (exit " + std::to_string(WEXITSTATUS(status)) + ")" +
                             (why.empty() ? "" : ": " + why));
  }
  std::filesystem::remove(err_file);
  auto secs = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) * 1e-6; };
  return {s, double(ru.ru_maxrss) * 1024.0, secs(ru.ru_utime) + secs(ru.ru_stime)};
}

/// An `oversight node` on a loopback port of its choosing (this very binary), stopped
/// (SIGTERM) when destroyed.
struct node_child {
  pid_t pid = -1;
  int out = -1;          ///< its stdout, kept open so that it never writes to a closed pipe
  std::string address;   ///< "127.0.0.1:PORT"
  explicit node_child(const std::filesystem::path& tls) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("bench: cannot make a pipe for a node");
    std::vector<std::string> argv_s{"/proc/self/exe", "node", "--listen", "127.0.0.1:0", "--tls", tls.string(),
                                    "--threads", "2"};
    pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(fds[1], 1);
      dup2(devnull, 2);
      ::close(fds[0]);
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
    std::string line;
    char c;
    while (::read(out, &c, 1) == 1 && c != '\n') line += c;
    const auto at = line.find("127.0.0.1:");
    if (at == std::string::npos) throw std::runtime_error("bench: a node did not start (" + line + ")");
    address = line.substr(at, line.find(' ', at) - at);
  }
  ~node_child() {
    ::kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    ::close(out);
  }
  node_child(const node_child&) = delete;
  node_child& operator=(const node_child&) = delete;
};

/// Appends the libtorch module's figures named `symbol` (bench_support.hpp) to `out`.
void module_figures(const char* symbol, bool quick, std::vector<figure>& out) {
  reinterpret_cast<figures_fn*>(torch_module_symbol(symbol))(quick, out);
}

}  // namespace

}  // namespace bench

int run_bench(bool quick, const std::string& json_file) {
  using namespace bench;
  std::vector<figure> out;
  const int n = quick ? 50000 : 300000;

  // 4. agent_step_ns and rss_per_agent_bytes in principal_agent (scripted agents, sharded),
  // measured first, while this process is small: a child's peak RSS (ru_maxrss) counts
  // the pages it had from fork() before its exec, so children forked after this process
  // has loaded libtorch would all read about as large as it is.
  {
    const auto file = (std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/principal_agent/principal_agent.toml").string();
    auto dir = std::filesystem::temp_directory_path() / ("oversight-bench-pa-" + std::to_string(::getpid()));
    auto measure = [&](int population, int t) {
      std::filesystem::remove_all(dir);
      auto r = run_child({file, "--set", "population=" + std::to_string(population), "--set", "ticks=" + std::to_string(t),
                          "--set", "shards=8", "--set", "events.log=false", "--threads", "2", "--out", dir.string()});
      std::filesystem::remove_all(dir);
      return r;
    };
    // Step time: the difference between a long and a short run cancels start-up. Each
    // population runs about the same number of agent-steps (2e6 quick, 6e6 full), so
    // small populations get many ticks and their per-tick overhead shows, as it should.
    auto step_ns = [&](int population) {
      const int ticks = std::max(10, int((quick ? 2e6 : 6e6) / population));
      auto shortr = measure(population, 1), longr = measure(population, 1 + ticks);
      return (longr.wall - shortr.wall) / (double(ticks) * population) * 1e9;
    };
    const auto base = measure(8, 1);  // the process alone: CAF and the binary (no libtorch)
    for (int population : {1000, 10000, 100000}) {
      out.push_back({"agent_step_ns_" + std::to_string(population), step_ns(population),
                     "principal_agent, per agent (and its principal) per tick"});
    }
    const auto big = measure(100000, 2);
    out.push_back({"rss_per_agent_bytes_100000", (big.rss - base.rss) / 100000.0,
                   "(peak RSS at 100,000 agents - RSS of an 8-agent run) / 100,000; target <= 2048"});
    out.push_back({"process_baseline_rss_bytes", base.rss, "an 8-agent run: CAF + binary, no libtorch"});
    // market_ratio: the actor run's transactions per CPU-second (every thread; start-up
    // cancelled by a 1-tick run) over the bare loop's per second, at 100,000 agents,
    // 8 shards, 2 threads. Best of 3 each: noise only ever slows a run.
    {
      const int ticks = quick ? 20 : 60;
      double actor_cpu = 1e300, bare = 1e300, rate = 0;
      for (int rep = 0; rep < 3; ++rep) {
        actor_cpu = std::min(actor_cpu, measure(100000, 1 + ticks).cpu - measure(100000, 1).cpu);
        bare = std::min(bare, market_bare_loop_seconds(100000, ticks, 1, rate));
      }
      out.push_back({"market_seconds_per_tick_100000", actor_cpu / ticks,
                     "principal_agent CPU seconds per tick (every thread), 100,000 agents, 8 shards, 2 threads"});
      out.push_back({"market_bare_seconds_per_tick_100000", bare / ticks,
                     "the same market step as one plain loop over the same blocks, one thread (override rate " +
                         std::to_string(rate).substr(0, 6) + ")"});
      out.push_back({"market_ratio", bare / actor_cpu,
                     "actor run / bare loop, transactions per CPU-second; target >= 0.8"});
    }
    // Start-up: a whole `oversight run` of 8 agents for 1 tick, best of 3 (process start,
    // CAF initialization, the run directory, the report). principal_agent uses no
    // network, so libtorch is not loaded.
    double startup = 1e9;
    for (int i = 0; i < 3; ++i) startup = std::min(startup, measure(8, 1).wall);
    out.push_back({"startup_seconds_principal_agent", startup,
                   "wall time of a 1-tick, 8-agent principal_agent run (no network in it), best of 3; target < 0.1"});
  }
  // Start-up of a scenario with networks: a whole 1-tick red_team run, best of 3; the
  // same as above plus its networks and one tick. Its trainers are hand-written at the
  // shipped widths, so it does not load the libtorch module.
  {
    const auto file = (std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml").string();
    auto dir = std::filesystem::temp_directory_path() / ("oversight-bench-rt-" + std::to_string(::getpid()));
    double startup = 1e9;
    for (int i = 0; i < 3; ++i) {
      std::filesystem::remove_all(dir);
      startup = std::min(startup, run_child({file, "--set", "ticks=1", "--threads", "1", "--out", dir.string()}).wall);
    }
    std::filesystem::remove_all(dir);
    out.push_back({"startup_seconds_red_team", startup,
                   "wall time of a 1-tick red_team run (networks, no libtorch), best of 3; target < 0.1"});
  }

  // Every scenario's messages are registered in the actor systems below, and the module
  // is set up before the figures that train networks.
  load_all_scenarios();

  // Start-up of every other scenario: a whole run of its default file at the sizes the
  // test over every scenario uses (its smoke settings), for 1 tick where it has ticks,
  // best of 3 (1 with --quick). The scenarios in the libtorch module pay its loading.
  for (const scenario_info* info : all_scenarios()) {
    if (info->name == "principal_agent" || info->name == "red_team") continue;  // above
    const auto file =
        std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios" / info->name / (info->name + ".toml");
    if (!std::filesystem::exists(file)) continue;
    std::vector<std::string> args{file.string()};
    for (const auto& set : info->smoke) args.insert(args.end(), {"--set", set});
    bool ticks = false;
    for (const auto& p : info->params) ticks = ticks || p.key == "ticks";
    if (ticks) args.insert(args.end(), {"--set", "ticks=1"});
    auto dir = std::filesystem::temp_directory_path() / ("oversight-bench-start-" + std::to_string(::getpid()));
    args.insert(args.end(), {"--threads", "1", "--out", dir.string()});
    double best = 1e9;
    for (int i = 0; i < (quick ? 1 : 3); ++i) {
      std::filesystem::remove_all(dir);
      best = std::min(best, run_child(args).wall);
    }
    std::filesystem::remove_all(dir);
    out.push_back({"startup_seconds_" + info->name, best,
                   "wall time of a run of its default file at its smoke sizes" +
                       std::string(ticks ? ", 1 tick" : " (no ticks: the whole run)") + ", best of " +
                       (quick ? "1" : "3") + "; target < 0.1 for a scenario without networks"});
  }

  // 1. fabric_ratio
  {
    auto cfg = make_config(2);
    caf::actor_system sys{cfg};
    auto pong = sys.spawn([]() -> caf::behavior { return {[](ping_atom, int32_t x) { return x + 1; }}; });
    auto raw_once = [&] {
      return round_trips_per_s(sys, n, [=](caf::event_based_actor* self, std::function<void()> k) {
        self->request(pong, caf::infinite, ping_atom::value, int32_t(1)).then([=](int32_t) { k(); });
      });
    };
    auto world = std::shared_ptr<const ground_truth>();  // deliver never reads the world
    expert_settings es;
    auto expert = spawn_expert(sys, es, 0, world, 1);
    auto proto_once = [&] {
      return round_trips_per_s(sys, n, [=](caf::event_based_actor* self, std::function<void()> k) {
        self->request(expert, caf::infinite, deliver_atom::value, int64_t(0)).then([=](label_batch&) { k(); });
      });
    };
    raw_once();  // warm up the scheduler and allocator before either figure counts
    const double raw = best_of(3, raw_once), proto = best_of(3, proto_once);
    caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(expert, caf::exit_reason::user_shutdown);
    out.push_back({"raw_caf_round_trips_per_s", raw, "two bare actors, request/then"});
    out.push_back({"protocol_round_trips_per_s", proto, "director-style actor -> expert deliver"});
    out.push_back({"fabric_ratio", proto / raw, "target >= 0.5"});
  }

  // 2. red_team_steps_per_s (tick mode)
  for (auto [threads, free] : {std::pair{1, false}, std::pair{2, false}, std::pair{1, true}, std::pair{2, true}}) {
    const int ticks = quick ? 10 : 40;
    auto dir = std::filesystem::temp_directory_path() / ("oversight-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    auto spec = load_spec(std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml",
                          {"ticks=" + std::to_string(ticks), std::string("free_running=") + (free ? "true" : "false")},
                          std::nullopt);
    run_options opt;
    opt.threads = threads;
    opt.out = dir.string();
    auto t0 = clock_type::now();
    run_scenario(spec, opt);
    const double s = seconds_since(t0);
    std::filesystem::remove_all(dir);
    const double per_tick = double(spec.params.integer("traffic.queries_per_tick") +
                                   spec.params.integer("attacker.count") * spec.params.integer("attacker.queries_per_tick"));
    out.push_back({std::string("red_team_steps_per_s_") + (free ? "free" : "tick") + "_threads" + std::to_string(threads),
                   per_tick * ticks / s, "query answered + judged + fed back; includes evaluation each tick"});
    if (!free)
      out.push_back({"red_team_ms_per_tick_threads" + std::to_string(threads), s / ticks * 1e3,
                     "wall time of a red_team tick (default file, tick mode)"});
  }

  // 2b/2c. What a run pays for its event log and for its checkpoints: the same red_team
  // run with the feature off and on, interleaved, best of three each (ratio on / off).
  {
    const int ticks = quick ? 10 : 40;
    auto dir = std::filesystem::temp_directory_path() / ("oversight-bench-onoff-" + std::to_string(::getpid()));
    uintmax_t log_bytes = 0;
    auto on_over_off = [&](const std::vector<std::string>& off, const std::vector<std::string>& on) {
      double best[2] = {1e300, 1e300};
      for (int rep = 0; rep < 3; ++rep)
        for (int k = 0; k < 2; ++k) {
          std::filesystem::remove_all(dir);
          auto sets = k ? on : off;
          sets.push_back("ticks=" + std::to_string(ticks));
          auto spec = load_spec(std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml",
                                sets, std::nullopt);
          run_options opt;
          opt.threads = 2;
          opt.out = dir.string();
          auto t0 = clock_type::now();
          run_scenario(spec, opt);
          best[k] = std::min(best[k], seconds_since(t0));
          if (std::filesystem::exists(dir / "events.msgpack"))
            log_bytes = std::filesystem::file_size(dir / "events.msgpack");
        }
      std::filesystem::remove_all(dir);
      return best[1] / best[0];
    };
    const std::string what = "red_team " + std::to_string(ticks) + " ticks, 2 threads: wall time ";
    out.push_back({"event_log_cost", on_over_off({"events.log=false"}, {"events.log=true"}),
                   what + "events.log on / off, best of 3"});
    out.push_back({"event_log_bytes_per_tick", double(log_bytes) / ticks, "red_team events.msgpack size / ticks"});
    out.push_back({"checkpoint_cost",
                   on_over_off({"events.log=false", "checkpoint.every=0"}, {"events.log=false", "checkpoint.every=5"}),
                   what + "with a checkpoint every 5 ticks / with none (event log off), best of 3"});
  }

  // 3. train_ratio (the libtorch module's: bench_torch.cpp)
  module_figures(train_figures_symbol, quick, out);

  // 5. The sweep runner's own cost: the same red_team runs (about a second each) started
  // one after another by hand, then through `oversight sweep` with one and two processes
  // at a time. red_team is CPU-bound and fastest on one scheduler thread.
  {
    const int points = quick ? 4 : 8;
    const auto file = (std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml").string();
    const std::vector<std::string> sets = {"ticks=15"};
    auto dir = std::filesystem::temp_directory_path() / ("oversight-bench-sweep-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    double direct = 0;
    for (int seed = 1; seed <= points; ++seed) {
      auto r = run_child({file, "--set", sets[0], "--seed", std::to_string(seed), "--threads", "1", "--out",
                          (dir / ("direct-" + std::to_string(seed))).string()});
      direct += r.wall;
    }
    auto plan = make_sweep_plan(file, sets, "1.." + std::to_string(points));
    plan.points.resize(1);  // one point (the file's own strategy): the runs above, through the sweep
    plan.grid_keys.clear();
    plan.points[0].sets.clear();
    plan.points[0].params_json = "{}";
    auto sweep_with = [&](int jobs) {
      sweep_options opt;
      opt.oversight_bin = std::filesystem::read_symlink("/proc/self/exe");
      opt.out = dir / ("j" + std::to_string(jobs));
      opt.jobs = jobs;
      opt.threads_per_run = 1;  // as the direct runs: the difference is the runner alone
      return run_sweep(plan, opt);
    };
    const auto j1 = sweep_with(1);
    const auto j2 = sweep_with(2);
    std::filesystem::remove_all(dir);
    if (j1.failed || j2.failed) throw std::runtime_error("bench: a sweep run failed");
    out.push_back({"sweep_overhead_per_point", (j1.seconds - direct) / direct,
                   "(sweep -j 1 - the same runs started directly) / direct, red_team 15 ticks (~1 s a run); target < 0.05"});
    out.push_back({"sweep_run_seconds", direct / points, "one red_team run of 15 ticks, started directly"});
    out.push_back({"sweep_j2_speedup", j1.seconds / j2.seconds, "points per hour, -j 2 over -j 1; target >= 1.7 on 2 cores"});
  }

  // 6. League learner updates/s: batched against separate trainers (bench_torch.cpp)
  module_figures(league_figures_symbol, quick, out);

  // 7. Runs over nodes on loopback: the same run in one process and spread over 2 and 3
  // `oversight node` processes on this machine (TLS, a fresh lab set). Whole runs, best
  // of 2: connecting, the nodes building their share, every tick's messages through the
  // middleman. On loopback the nodes share this machine's cores, so the figures are the
  // cost of distribution, not its gain.
  {
    const auto root = std::filesystem::temp_directory_path() / ("oversight-bench-nodes-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    try {
      tls_init(root / "tls");
    } catch (const user_error& e) {
      std::filesystem::remove_all(root);
      throw std::runtime_error(std::string("bench: runs over nodes need a TLS set: ") + e.what());
    }
    std::vector<std::unique_ptr<node_child>> nodes;
    for (int i = 0; i < 3; ++i) nodes.push_back(std::make_unique<node_child>(root / "tls"));
    auto spread = [&](std::vector<std::string> args, size_t k) {
      double best = 1e300;
      for (int rep = 0; rep < 2; ++rep) {
        std::filesystem::remove_all(root / "run");
        auto a = args;
        a.insert(a.end(), {"--threads", "2", "--out", (root / "run").string()});
        if (k > 0) {
          std::string list;
          for (size_t i = 0; i < k; ++i) list += (i ? "," : "") + nodes[i]->address;
          a.insert(a.end(), {"--nodes", list, "--tls", (root / "tls").string()});
        }
        best = std::min(best, run_child(a).wall);
      }
      return best;
    };
    const auto dir = std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios";
    const int league_ticks = quick ? 10 : 40;
    const auto league = load_spec(dir / "league/league.toml", {}, std::nullopt);
    const double updates = double(league.params.integer("learner.count")) * league_ticks;
    std::vector<std::string> league_args{(dir / "league/league.toml").string(), "--set",
                                         "ticks=" + std::to_string(league_ticks), "--set", "events.log=false"};
    const double one = updates / spread(league_args, 0);
    out.push_back({"league_updates_per_s_process", one,
                   "league.toml (" + std::to_string(league.params.integer("learner.count")) + " learners, " +
                       std::to_string(league_ticks) + " ticks): learner updates / whole-run wall, one process"});
    for (size_t k : {2, 3}) {
      const double r = updates / spread(league_args, k);
      out.push_back({"league_updates_per_s_nodes" + std::to_string(k), r,
                     "the same run spread over " + std::to_string(k) + " loopback nodes"});
      out.push_back({"league_node_overhead_" + std::to_string(k), one / r,
                     "one process's rate / the rate over " + std::to_string(k) + " nodes (1: no overhead)"});
    }
    const int pa_ticks = quick ? 10 : 30;
    std::vector<std::string> pa_args{(dir / "principal_agent/principal_agent_100k.toml").string(), "--set",
                                     "ticks=" + std::to_string(pa_ticks)};
    const double pa_one = spread(pa_args, 0);
    out.push_back({"principal_agent_100k_seconds_process", pa_one,
                   "principal_agent_100k.toml, " + std::to_string(pa_ticks) + " ticks, whole run, one process"});
    for (size_t k : {2, 3})
      out.push_back({"principal_agent_100k_node_overhead_" + std::to_string(k), spread(pa_args, k) / pa_one,
                     "wall over " + std::to_string(k) + " loopback nodes / one process's"});
    nodes.clear();
    std::filesystem::remove_all(root);
  }

  std::printf("%-40s %14s  %s\n", "figure", "value", "note");
  for (auto& f : out) std::printf("%-40s %14.4g  %s\n", f.name.c_str(), f.value, f.note.c_str());
  if (!json_file.empty()) {
    auto tmp = json_file + ".tmp";
    {
      std::ofstream j(tmp);
      j << "{\n";
      for (size_t i = 0; i < out.size(); ++i)
        j << "  \"" << out[i].name << "\": " << out[i].value << (i + 1 < out.size() ? ",\n" : "\n");
      j << "}\n";
      if (!j) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, json_file);
  }
  return 0;
}

}  // namespace oversight
