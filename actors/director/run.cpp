#include "actors/director/run.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <new>
#include <optional>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

#include "actors/director/director.hpp"
#include "actors/node/node.hpp"
#include "actors/recorder/recorder.hpp"
#include "base/address_space.hpp"
#include "base/error.hpp"
#include "base/log.hpp"
#include "runtime/event_log.hpp"
#include "runtime/run_context.hpp"
#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

namespace {

// ---- signals ---------------------------------------------------------------------------

std::atomic<run_store*> active_store{nullptr};

extern "C" void oversight_run_stop_handler(int sig) {
  run_store* s = active_store.load();
  if (!s || s->stop_requested()) {
    // The second signal: stop now, the default way (what is committed stays).
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  s->request_stop(sig);
  static const char msg[] = "\noversight: stopping after the tick in progress (signal again to stop at once)\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
}

/// SIGINT and SIGTERM ask `store` to stop for as long as it lives.
class stop_signals {
 public:
  explicit stop_signals(run_store& store, bool on) : on_(on) {
    if (!on_) return;
    active_store = &store;
    struct sigaction sa {};
    sa.sa_handler = oversight_run_stop_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~stop_signals() {
    if (!on_) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    active_store = nullptr;
  }
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;

 private:
  bool on_;
  struct sigaction old_int_ {}, old_term_ {};
};

// ---- causes of failure -------------------------------------------------------------------

/// CAF reports an exception thrown inside an actor to its peers only as
/// sec::runtime_error, and prints the exception's what() as a line through the actor
/// system's printer (stdout). The printer is redirected here so that a failed run names
/// its cause; the line is kept, not printed.
struct actor_failures {
  std::mutex m;
  std::condition_variable cv;
  std::string first;  ///< what() of the first unhandled exception, first line only

  void add(const std::string& line) {
    // "*** unhandled exception: [id: 7, name: ..., exception typeid: ...]: WHAT"
    const std::string tag = "*** unhandled exception: [";
    if (line.rfind(tag, 0) != 0) {
      std::cout << line << std::flush;  // not ours to swallow
      return;
    }
    auto close = line.find("]: ");
    std::string what = close == std::string::npos ? line.substr(tag.size()) : line.substr(close + 3);
    // c10::Error's what() carries a backtrace after the message: keep the message.
    what = what.substr(0, what.find('\n'));
    while (!what.empty() && (what.back() == '\r' || what.back() == ' ')) what.pop_back();
    std::lock_guard<std::mutex> lock(m);
    if (first.empty()) first = what.empty() ? "an actor threw an exception" : what;
    cv.notify_all();
  }
  /// The first cause, waiting up to `wait` for the printer to deliver it.
  std::string get(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, wait, [&] { return !first.empty(); });
    return first;
  }
};

std::atomic<bool> allocation_failed{false};

/// operator new's handler: remembers that memory ran out, then fails as usual.
void on_out_of_memory() {
  allocation_failed = true;
  std::set_new_handler(nullptr);
  throw std::bad_alloc();
}

bool out_of_memory_text(const std::string& s) {
  return s.find("bad_alloc") != std::string::npos || s.find("not enough memory") != std::string::npos ||
         s.find("out of memory") != std::string::npos || s.find("Cannot allocate memory") != std::string::npos;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
  else std::snprintf(buf, sizeof buf, "%.0f MB", b / 1e6);
  return buf;
}

/// Memory this process may still use: the least of what the system has available
/// (MemAvailable + free swap), what the address-space limit leaves, and the cgroup's.
double memory_available() {
  double avail = 0, swap = 0;
  std::ifstream mi("/proc/meminfo");
  for (std::string key; mi >> key;) {
    double kb = 0;
    mi >> kb;
    if (key == "MemAvailable:") avail = kb * 1024;
    if (key == "SwapFree:") swap = kb * 1024;
    mi.ignore(64, '\n');
  }
  double limit = avail > 0 ? avail + swap : 1e300;
  if (const double as = address_space_limit_bytes(); as > 0) limit = std::min(limit, as - address_space_bytes());
  std::ifstream cg("/sys/fs/cgroup/memory.max"), cg_used("/sys/fs/cgroup/memory.current");
  std::string max_text;
  double used = 0;
  if (cg >> max_text && max_text != "max" && cg_used >> used) limit = std::min(limit, std::stod(max_text) - used);
  return limit;
}

/// Whether `threads` scheduler threads can start (an address-space or process limit may
/// forbid it). Checked just before the actor system starts them, because CAF aborts the
/// process ("terminate called without an active exception") when one of its threads
/// fails to start. Throws std::runtime_error naming --threads and the limit.
void check_threads_can_start(int threads) {
  // CAF starts `threads` workers plus a few of its own, and each detached actor (the
  // recorder, trainers) takes one more: probe that many plus a margin, with headroom
  // for what the run allocates next held in reserve meanwhile.
  const int want = threads + 32;
  const size_t headroom = size_t(1) << 30;
  void* reserve = ::mmap(nullptr, headroom, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  std::vector<std::thread> probe;
  std::atomic<bool> go{false};
  std::string failure;
  try {
    probe.reserve(size_t(want));
    for (int i = 0; i < want; ++i)
      probe.emplace_back([&go] {
        // Allocate as a worker does: glibc gives threads their own malloc arenas (64 MiB
        // of address space each, up to 8 per core), which the workers reuse later.
        volatile char* p = static_cast<char*>(std::malloc(64));
        while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::free(const_cast<char*>(p));
      });
  } catch (const std::system_error& e) {
    failure = e.what();
  }
  const size_t started = probe.size();
  go = true;
  for (auto& t : probe) t.join();
  if (reserve != MAP_FAILED) ::munmap(reserve, headroom);
  else failure = "no address space left for the run";
  if (!failure.empty()) {
    const std::string limit = address_space_limit_clause();
    throw std::runtime_error("--threads " + std::to_string(threads) + ": only " + std::to_string(started) +
                             " of the " + std::to_string(want) + " threads a run needs could start" + limit + " (" +
                             failure + "); use fewer threads");
  }
}

}  // namespace

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

memory_estimate estimate_memory(const scenario_spec& spec) {
  const scenario_info* info = find_scenario(spec.scenario);
  return info && info->memory ? info->memory(spec.params) : memory_estimate{};
}

run_result run_scenario(const scenario_spec& spec, const run_options& opt) {
  const scenario_info* info = ensure_scenario(spec.scenario);
  if (!info) throw user_error("unknown scenario '" + spec.scenario + "'");
  const int threads = resolve_threads(opt.threads);
  // Sizes that cannot fit are bad input, refused before anything is created.
  if (auto need = estimate_memory(spec); need.bytes > 0) {
    const double have = memory_available();
    if (need.bytes > have)
      throw user_error(need.parameter + ": needs at least " + human_bytes(need.bytes) + " of memory, " +
                       human_bytes(std::max(0.0, have)) + " available; use a smaller value");
  }
  if (opt.resume && info->inexact)
    if (auto note = info->inexact(spec.params); !note.empty())
      throw user_error(opt.out + ": cannot be resumed: " + note);
  auto dir_claim = opt.resume ? run_directory::reclaim(opt.out) : run_directory::claim(opt.out, spec);
  const auto dir = dir_claim.path();
  std::unique_ptr<run_store> store_ptr;
  run_checkpoints checkpoints;
  checkpoints.every = spec.params.integer("checkpoint.every");
  if (info->inexact && !info->inexact(spec.params).empty()) checkpoints.every = 0;  // requests may be in flight
  if (opt.resume) {
    // A bad checkpoint or database is refused before anything in the directory changes.
    if (auto cp = read_checkpoint(dir, spec)) checkpoints.restore = std::make_shared<const checkpoint_blob>(std::move(*cp));
    store_ptr = run_store::reopen(dir, spec, threads, opt.command_line);
    store_ptr->resume_at(checkpoints.restore ? checkpoints.restore->tick : 0);
    log().info("resuming {} seed {} in {} at tick {} ({} ticks stored)", spec.scenario, spec.seed, dir.string(),
               checkpoints.restore ? checkpoints.restore->tick : 0, store_ptr->ticks_stored());
  } else {
    try {
      store_ptr = std::make_unique<run_store>(dir, spec, threads, opt.command_line);
    } catch (const std::exception& e) {
      // Nothing ran: leave the directory as it was found.
      std::error_code ec;
      for (const char* f : {"run.sqlite.partial", "run.sqlite.partial-wal", "run.sqlite.partial-shm",
                            "scenario.toml", "scenario.toml.tmp", ".oversight.reserve", "events.msgpack"})
        std::filesystem::remove(dir / f, ec);
      dir_claim.remove_created_dirs();
      throw std::runtime_error(std::string("cannot start the run in ") + dir.string() + ": " + e.what());
    }
  }
  run_store& store = *store_ptr;
  std::unique_ptr<event_log> events;
  if (spec.params.all().count("events.log") && spec.params.boolean("events.log")) {
    try {
      events = opt.resume ? event_log::reopen(dir / "events.msgpack", spec.scenario, spec.seed,
                                              checkpoints.restore ? checkpoints.restore->tick : 0)
                          : std::make_unique<event_log>(dir / "events.msgpack", spec.scenario, spec.seed);
    } catch (const std::exception& e) {
      store.fail(e.what());
      throw std::runtime_error(e.what());
    }
  }
  stop_signals signals(store, opt.handle_signals);
  auto failures = std::make_shared<actor_failures>();
  allocation_failed = false;
  auto old_new_handler = std::set_new_handler(on_out_of_memory);
  struct restore_new_handler {
    std::new_handler h;
    ~restore_new_handler() { std::set_new_handler(h); }
  } restore{old_new_handler};

  log().info("run {} seed {} in {} with {} scheduler threads", spec.scenario, spec.seed, dir.string(), threads);
  // The cause of a failure, in one line: the store's write error, an actor's exception,
  // running out of memory (with the parameter that sized it), or what was thrown.
  auto cause = [&](const std::string& thrown) {
    std::string why = store.failure();
    if (why.empty() && events) why = events->failure();
    if (why.empty()) why = failures->get(std::chrono::milliseconds(0));
    if (why.empty()) why = thrown;
    why = why.substr(0, why.find('\n'));
    if (allocation_failed || out_of_memory_text(why)) {
      std::string msg = "out of memory (" + why + ")";
      if (auto need = estimate_memory(spec); !need.parameter.empty())
        msg += "; the largest need is " + need.parameter + " (at least " + human_bytes(need.bytes) + ")";
      return msg;
    }
    return why;
  };
  try {
    check_threads_can_start(threads);
    event_log_config cfg;
    cfg.events = events.get();
    register_protocol(cfg);
    cfg.set("scheduler.max-threads", threads);
    // A phase's requests all land in the queue of the worker the director runs on; an
    // idle worker finds them only by stealing, which by default it tries every 10th poll
    // (every 5th, 50 us apart, once it polls moderately): up to a quarter millisecond lost
    // per phase, four phases a tick. Stealing at every poll costs an idle worker nothing.
    cfg.set("work-stealing.aggressive-steal-interval", 1);
    cfg.set("work-stealing.moderate-steal-interval", 1);
    if (!opt.nodes.empty()) use_tls(cfg, opt.tls);
    caf::actor_system sys{cfg};
    caf::actor_ostream::redirect_all(sys, ":oversight-actor-output");
    // The group is looked up here, on this thread: looking it up inside the listener can
    // block the listener's worker waiting for the group's own actor, which with one
    // scheduler thread never gets to run (a hang seen with --threads 1).
    auto output_group = sys.groups().get_local(":oversight-actor-output");
    auto listener = sys.spawn([failures, output_group](caf::event_based_actor* self) -> caf::behavior {
      self->join(output_group);
      return {[failures](const std::string&, const std::string& line) { failures->add(line); },
              [](caf::get_atom) { return true; }};
    });
    // The listener joins the group when it first runs, on a worker; a line printed before
    // that (a role that throws while it starts) would reach no one. Its answer to this
    // request comes after the join.
    {
      caf::scoped_actor waiter{sys};
      waiter->request(listener, caf::infinite, caf::get_atom::value).receive([](bool) {}, [](caf::error&) {});
    }
    auto recorder = spawn_recorder(sys, &store);
    const bool tty = isatty(STDERR_FILENO);
    int64_t last_decile = -1;
    run_context ctx(sys, spec, recorder, [&](int64_t tick, int64_t ticks) {
      if (!opt.progress) return;
      if (tty) {
        std::fprintf(stderr, "\r[%s seed %llu] tick %lld/%lld", spec.scenario.c_str(),
                     (unsigned long long)spec.seed, (long long)tick, (long long)ticks);
        if (tick == ticks) std::fputc('\n', stderr);
      } else if (tick * 10 / ticks != last_decile) {
        last_decile = tick * 10 / ticks;
        std::fprintf(stderr, "[%s seed %llu] tick %lld/%lld\n", spec.scenario.c_str(),
                     (unsigned long long)spec.seed, (long long)tick, (long long)ticks);
      }
    });
    ctx.set_checkpoints(checkpoints);
    // Over nodes: connect (a refusal is bad input, exit 2), have each build its share.
    std::optional<node_links> links;
    std::optional<placement> plan;
    if (!opt.nodes.empty()) {
      try {
        links = connect_nodes(sys, opt.nodes, opt.tls);
      } catch (...) {
        caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
        throw;
      }
      std::vector<bool> gpus;
      for (auto& f : links->facts) gpus.push_back(f.gpu);
      plan.emplace(placement::mode::coordinator, gpus, spec.params.boolean("placement.coordinator"));
      ctx.set_placement(&*plan);
    }
    std::exception_ptr failure;
    try {
      if (links) {
        host_on_nodes(sys, *links, spec, *plan);
        if (plan->remote_count() == 0)
          std::cerr << "note: " << spec.scenario << " places no roles on nodes: the whole run is in this process"
                    << std::endl;
      }
      info->run(ctx);
    } catch (...) {
      failure = std::current_exception();
    }
    if (links) caf::anon_send_exit(links->anchor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
    if (failure) {
      // Let the printer hand over an actor's exception before the listener goes: it
      // arrives on the printer's own thread, which a loaded machine (or a sanitizer
      // build) may not schedule for a while. When the director saw a role throw, the
      // line is on its way, so wait for it; otherwise briefly, for a line from a role
      // whose exception reached the director some other way.
      std::string said;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        said = e.what();
      } catch (...) {
      }
      const bool threw = said.find(role_threw_exception) != std::string::npos;
      if (!store.stop_requested() && store.failure().empty())
        failures->get(std::chrono::milliseconds(threw ? 5000 : 200));
    }
    caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
    if (failure) std::rethrow_exception(failure);
    // The records of a tick that did not end (none in a complete run) and the file's end.
    if (events && !events->close()) throw std::runtime_error(events->failure());
  } catch (const user_error& e) {
    // Bad input found while wiring the scenario (e.g. a combination of parameters no
    // single declaration can rule out): nothing ran, so nothing is kept. A resumed run
    // keeps what it had.
    if (opt.resume) {
      store.fail(e.what());
      throw;
    }
    if (events) {
      events.reset();
      std::error_code ec;
      std::filesystem::remove(dir / "events.msgpack", ec);
    }
    store.discard();
    dir_claim.remove_created_dirs();
    throw;
  } catch (const std::exception& e) {
    if (events) events->close();  // keeps the records of every tick that ran
    if (int sig = store.stop_requested()) {
      auto reason = store.interrupt(sig);
      log().info("run interrupted, {} marked FAILED: {}", dir.string(), reason);
      throw run_interrupted(reason, sig, dir);
    }
    const std::string reason = cause(e.what());
    log().info("run failed, {} marked FAILED: {}", dir.string(), reason);  // the caller prints it
    store.fail(reason);
    if (!opt.nodes.empty())
      throw std::runtime_error(reason + "; `oversight resume " + dir.string() +
                               " --nodes HOST:PORT,... --tls " + opt.tls.dir.string() +
                               "` continues from the last checkpoint on the nodes given");
    throw std::runtime_error(reason);
  }
  if (int sig = store.stop_requested()) {
    // The signal came after the last tick was stored: the run is whole.
    log().info("signal {} after the last tick: the run is complete", sig);
  }
  store.finish();
  log().info("run complete: {} metric rows in {}", store.rows().size(), (dir / "run.sqlite").string());
  return {dir, store.rows()};
}

}  // namespace oversight
