// Sweeps: one scenario file run over a grid of parameter values and a list of seeds.
//
//   FILE + [sweep] table + --set + --seeds  ->  make_sweep_plan()  ->  sweep_plan
//   sweep_plan + sweep_options              ->  run_sweep()        ->  DIR/{sweep.sqlite, runs/, logs/}
//
// Each (point, seed) is one ordinary `oversight run` in its own process, writing the run
// directory DIR/runs/p<point>-s<seed> (stdout and stderr go to DIR/logs/p<point>-s<seed>.log).
// Up to `jobs` processes run at once. The index DIR/sweep.sqlite has
//   points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT,
//          seconds REAL, error TEXT)
// with params the JSON object of the point's grid values, status pending, running, done
// or failed, run_dir relative to DIR; and sweep(key, value) describing the plan.
// A sweep's runs write no event log (events.log = false) unless the scenario file, a
// --set or the grid sets events.log: a league run's log is some 100 MB, and a sweep is
// read through its metrics. Rows are
// committed as they change (WAL), so `oversight summary DIR` can read a sweep in flight.
//
// Contracts:
//  - Every grid value, --set and seed is validated before anything starts; bad input is a
//    user_error and DIR is not created or touched.
//  - A point that fails is recorded failed with its reason; the others go on.
//  - Running the same plan again on DIR resumes: done points are kept as they are, the
//    others run again (a finished run whose index row was not updated is recovered, not
//    rerun). A different plan on an existing sweep directory is a user_error.
//  - DIR is locked (flock) while a sweep runs on it; a second sweep is a user_error.
//  - A directory that holds anything but a sweep is never written into.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/spec.hpp"

namespace oversight {

struct sweep_point {
  int index = 0;
  std::string params_json;        ///< {"attacker.strategy": "none"}
  std::vector<std::string> sets;  ///< key=TOML value, given to `oversight run --set`
};

struct sweep_plan {
  std::filesystem::path file;           ///< the scenario file, absolute
  std::string scenario;
  std::vector<std::string> user_sets;   ///< --set given to the sweep: applied to every point
  std::vector<int64_t> seeds;
  std::vector<std::string> grid_keys;
  std::vector<sweep_point> points;      ///< the Cartesian product of the grid; one when it is empty
  /// Given to every run before the user's sets: {"events.log=false"} when neither the
  /// file, nor a --set, nor the grid sets events.log; else empty. Not in identity().
  std::vector<std::string> default_sets;
  /// The plan as JSON: two sweeps are the same when these are equal.
  std::string identity() const;
  size_t runs() const { return points.size() * seeds.size(); }
};

/// Validates FILE, --set and the seeds (`seeds_override` replaces the file's) and expands
/// the grid. Throws user_error.
sweep_plan make_sweep_plan(const std::filesystem::path& file, const std::vector<std::string>& sets,
                           const std::optional<std::string>& seeds_override);

struct sweep_options {
  std::filesystem::path oversight_bin;  ///< the `oversight` executable the runs use
  std::filesystem::path out;            ///< sweep directory; empty: sweeps/<scenario>-<time>
  int jobs = 0;                         ///< processes at once; 0: one per core
  int threads_per_run = 0;              ///< each run's --threads; 0: cores / jobs (at least 1)
  bool progress = false;                ///< live progress line on stderr
};

struct sweep_result {
  std::filesystem::path dir;
  size_t done = 0, failed = 0, interrupted = 0;  ///< interrupted: left pending by SIGINT/SIGTERM
  double seconds = 0;
};

/// Runs (or resumes) the sweep. Throws user_error for a directory in use, holding a
/// different sweep, or not a sweep directory.
sweep_result run_sweep(const sweep_plan& plan, const sweep_options& opt);

/// Default directory name for a sweep of `scenario` started now.
std::filesystem::path default_sweep_dir(const std::string& scenario);

}  // namespace oversight
