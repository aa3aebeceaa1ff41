// One run, start to finish: spec -> run directory -> actor system -> scenario -> store.
// Used by `oversight run` and by the tests, so both exercise the same path.
//
// How a run ends, and what it leaves (runtime/run_store.hpp has the files):
//  - complete: run.sqlite; returns.
//  - bad input found while wiring (user_error): nothing kept (the files it wrote and the
//    directories it created are removed); rethrown: exit 2.
//  - SIGINT or SIGTERM: the tick in progress finishes and is committed, the run stops,
//    status interrupted, FAILED with the reason; throws run_interrupted (exit 128 + sig).
//    A second signal stops the process at once (the committed ticks are still kept).
//  - SIGKILL: what was committed stays (status running, the lock free); `oversight
//    resume DIR` continues it into the same directory (run_options::resume), from the
//    latest checkpoint, and the metrics table ends bit-identical to an uninterrupted run.
//  - any other failure (a full disk, out of memory, threads that cannot start): status
//    failed, FAILED with the cause in one line (naming the parameter when its size
//    caused it); throws std::runtime_error with that line (exit 1).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/placement.hpp"
#include "runtime/protocol.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"
#include "runtime/tls.hpp"

namespace oversight {

struct run_options {
  int threads = 0;        ///< scheduler threads; 0: one per core
  std::string out;        ///< run directory; empty: runs/<scenario>-<seed>-<time>
  bool progress = false;  ///< progress line on stderr
  std::string command_line;  ///< recorded in the run table (provenance)
  bool handle_signals = true;  ///< SIGINT/SIGTERM stop the run cleanly (off: default actions)
  /// Resume the unfinished run in `out` (whose scenario.toml gave `spec`) instead of
  /// starting one: from its checkpoint when there is one, else from tick 0, the stored
  /// ticks recomputed and checked against the stored rows; the ticks after them appended.
  bool resume = false;
  /// Spread the placed roles over these nodes (actors/node/node.hpp), connecting with
  /// `tls`; empty: everything in this process.
  std::vector<node_address> nodes;
  tls_set tls;
};

struct run_result {
  std::filesystem::path dir;
  std::vector<metric_row> rows;
};

/// The run was stopped by a signal; what() is the reason also written to FAILED.
class run_interrupted : public std::runtime_error {
 public:
  run_interrupted(const std::string& reason, int signal, std::filesystem::path dir)
      : std::runtime_error(reason), signal_(signal), dir_(std::move(dir)) {}
  int signal() const { return signal_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  int signal_;
  std::filesystem::path dir_;
};

/// Throws user_error for a bad --out or input found while wiring, run_interrupted on
/// SIGINT/SIGTERM; on any other failure marks the directory FAILED (with the reason) and
/// throws std::runtime_error with the same one-line reason.
run_result run_scenario(const scenario_spec& spec, const run_options& opt);

/// The scheduler thread count `threads` resolves to.
int resolve_threads(int threads);

/// The registered scenario's memory estimate for `spec` (scenario_info::memory); {0, ""}
/// when it declares none.
memory_estimate estimate_memory(const scenario_spec& spec);

}  // namespace oversight
