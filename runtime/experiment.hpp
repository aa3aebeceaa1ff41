// Experiments: finished runs grouped into arms, and statistics over their seeds.
//
//   sweep DIR (sweep.sqlite + runs/) or run DIRs  ->  load_experiment()  ->  experiment
//   experiment + summary_options                  ->  summarize()        ->  summary
//   summary  ->  print_summary_table() (stdout)  /  write_summary_json() (--json FILE)
//
// An arm is a grid point without its seed. In a sweep directory the arms are the
// `params` JSON objects of sweep.sqlite's `points` table. For loose run directories the
// arm of a run is the set of its parameters (the run.sqlite `parameters` table, seed
// excluded) whose values differ between the runs given.
//
// A run's value of a metric ("actor.metric", as in the run summary) is its last tick's
// value (`at = last`) or the mean of its last K ticks (`mean_last:K`). Per arm and
// metric: n, mean, sd (n - 1 in the denominator), 95% CI (Student t). With a baseline,
// every other arm is paired with the baseline arm over the seeds both have: mean
// difference (arm minus baseline), its 95% CI, a two-sided paired-t p-value, and a
// two-sided Wilcoxon signed-rank p-value where n >= 6. Undefined figures (sd, CI and p
// with n < 2, p with zero variance) are NaN, printed as "-" and written as JSON null.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"

namespace oversight {

/// Parameter values of an arm: key -> value as JSON text ("\"none\"", "0.3", "true").
using arm_params = std::map<std::string, std::string>;

struct run_entry {
  std::filesystem::path dir;
  int64_t seed = 0;
  arm_params params;
  std::string status;  ///< done, failed, pending, running (loose run dirs: done or failed)
  std::string error;   ///< the reason, for failed runs
  double seconds = 0;
  std::vector<metric_row> rows;  ///< empty unless done
};

struct experiment {
  std::vector<std::string> arm_keys;  ///< the parameter keys that tell arms apart
  std::vector<run_entry> runs;        ///< in (arm, seed) order
  /// Distinct arms in first-appearance order.
  std::vector<arm_params> arms() const;
};

/// Reads a sweep directory or several run directories. Throws user_error naming the
/// directory when one is neither, or holds an unreadable database.
experiment load_experiment(const std::vector<std::filesystem::path>& dirs);

/// How a run's value of a metric is taken from its time series.
struct value_at {
  int last_k = 1;  ///< 1: the last tick's value; K: the mean of the last K ticks
  /// Parses "last" or "mean_last:K" (K >= 1); throws user_error naming the text.
  static value_at parse(const std::string& text);
};

struct metric_stats {
  size_t n = 0;
  double mean = 0, sd = 0, ci_lo = 0, ci_hi = 0;  ///< NaN where undefined
};

struct arm_summary {
  arm_params params;
  std::map<std::string, metric_stats> metrics;  ///< "actor.metric" -> stats
};

struct paired_diff {
  arm_params params, baseline;
  std::string metric;
  size_t n = 0;
  double mean_diff = 0, ci_lo = 0, ci_hi = 0, p_t = 0, p_wilcoxon = 0;  ///< NaN where undefined
};

struct summary_options {
  std::vector<std::string> metrics;   ///< empty: every metric recorded
  value_at at;
  std::vector<std::string> baseline;  ///< "key=value" terms selecting the baseline arm
};

struct summary {
  std::vector<arm_summary> arms;
  std::vector<paired_diff> paired;
};

/// Throws user_error when a --metric is recorded by no run or --baseline matches no arm.
summary summarize(const experiment& ex, const summary_options& opt);

void print_summary_table(std::ostream& os, const summary& s);
/// Writes atomically (a temporary, then a rename).
void write_summary_json(const std::filesystem::path& file, const summary& s);

/// A metric's per-tick mean over an arm's seeds with its 95% CI: the sweep report's band.
struct band_point {
  int64_t tick = 0;
  size_t n = 0;
  double mean = 0, ci_lo = 0, ci_hi = 0;
};
std::vector<band_point> arm_band(const experiment& ex, const arm_params& arm, const std::string& metric);

/// A run's value of each metric it recorded ("actor.metric" -> value), read as `at` says;
/// metrics whose value is NaN are left out.
std::map<std::string, double> run_values(const run_entry& run, const value_at& at);

/// "key=value, key=value" for tables and legends ("(all runs)" for the empty arm).
std::string arm_label(const arm_params& arm);

}  // namespace oversight
