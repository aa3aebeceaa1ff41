#include "actors/director/run.hpp"

#include <cstdio>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "actors/recorder/recorder.hpp"
#include "policies/nets.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/run_context.hpp"
#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

run_result run_scenario(const scenario_spec& spec, const run_options& opt) {
  const scenario_info* info = find_scenario(spec.scenario);
  if (!info) throw user_error("unknown scenario '" + spec.scenario + "'");
  const int threads = resolve_threads(opt.threads);
  init_torch(1);  // one intra-op thread: bit-identical results whatever the scheduler does

  auto dir = make_run_dir(opt.out, spec);
  run_store store(dir, spec, threads, opt.command_line);
  log().info("run {} seed {} in {} with {} scheduler threads", spec.scenario, spec.seed, dir.string(), threads);
  try {
    caf::actor_system_config cfg;
    register_protocol(cfg);
    cfg.set("scheduler.max-threads", threads);
    caf::actor_system sys{cfg};
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
    std::exception_ptr failure;
    try {
      info->run(ctx);
    } catch (...) {
      failure = std::current_exception();
    }
    caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
    if (failure) std::rethrow_exception(failure);
  } catch (const user_error&) {
    // Bad input found while wiring the scenario (e.g. a combination of parameters no
    // single declaration can rule out): nothing ran, so nothing is kept.
    store.discard();
    throw;
  } catch (const std::exception& e) {
    log().error("run failed, {} marked FAILED: {}", dir.string(), e.what());
    store.fail(e.what());
    throw;
  }
  store.finish();
  log().info("run complete: {} metric rows in {}", store.rows().size(), (dir / "run.sqlite").string());
  return {dir, store.rows()};
}

}  // namespace oversight
