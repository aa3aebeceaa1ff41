// One run, start to finish: spec -> run directory -> actor system -> scenario -> store.
// Used by `oversight run` and by the tests, so both exercise the same path.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"
#include "runtime/spec.hpp"

namespace oversight {

struct run_options {
  int threads = 0;        ///< scheduler threads; 0: one per core
  std::string out;        ///< run directory; empty: runs/<scenario>-<seed>-<time>
  bool progress = false;  ///< progress line on stderr
  std::string command_line;  ///< recorded in the run table (provenance)
};

struct run_result {
  std::filesystem::path dir;
  std::vector<metric_row> rows;
};

/// Throws user_error for a bad --out; on any failure during the run, marks the
/// directory FAILED (with the reason) and rethrows.
run_result run_scenario(const scenario_spec& spec, const run_options& opt);

/// The scheduler thread count `threads` resolves to.
int resolve_threads(int threads);

}  // namespace oversight
