// Turning runs into what a person reads: the summary table printed at the end of
// `oversight run`, a run's report.html and a sweep's report.html.
//
// A report is one self-contained HTML file: the chart library (uPlot, tools/vendor), the
// page's script and style and the data (JSON) are all embedded, nothing is fetched, so
// it opens offline from disk anywhere. Tables (parameters, provenance, single values,
// statistics) are plain HTML; the charts are drawn by the page's script
// (tools/report.js documents the data it reads).
//
// Charts: a metric recorded at several ticks is a line chart (x: tick, y: value) with
// one line per actor (run) or per arm (sweep: the mean over seeds with its 95% band); a
// metric recorded at one tick only is a table and a horizontal bar chart (one bar per
// actor, or per arm with 95% CI whiskers), never an empty chart.
//
// Metric against metric (a sweep's [report] table, runtime/report_table.hpp): per arm
// the points (mean over seeds of x at tick t, mean over seeds of y at t) for every tick
// where both have a mean, joined in tick order, with y's 95% band; one chart per y,
// drawn first on the page.
//
// Long runs: a line chart whose tick axis has more than report_max_points ticks is
// downsampled here to the minimum and maximum of each of report_max_points / 2 runs of
// consecutive ticks (spikes survive, the file stays small), and the chart says so.
//
// Self-check: once drawn, <body> carries data-plots (charts drawn) and data-errors
// (script errors caught), and the element #errors lists the messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "runtime/experiment.hpp"
#include "runtime/protocol.hpp"
#include "runtime/report_table.hpp"

namespace oversight {

/// Ticks kept per line chart before it is downsampled.
inline constexpr size_t report_max_points = 4000;

/// What a run's report shows, as read from its run.sqlite.
struct run_record {
  struct parameter {
    std::string key, type, value;
  };
  std::vector<std::pair<std::string, std::string>> run;  ///< the run table (provenance, status), as written
  std::vector<parameter> parameters;                      ///< by key
  std::vector<metric_row> metrics;                        ///< by (tick, actor, name)
};

/// Reads run.sqlite (or a failed run's run.sqlite.partial). Throws std::runtime_error
/// naming the file when it cannot be opened or lacks the run, parameters or metrics table.
run_record read_run_record(const std::filesystem::path& sqlite_file);

/// One line per (actor, metric): first, last, min and max over ticks.
void print_summary(std::ostream& os, const std::vector<metric_row>& rows);

/// A run's report: a chart per metric name, the single-value metrics as a table and
/// bars, the parameters and every key of the run table. Writes `file` atomically (a
/// temporary, then a rename); throws std::runtime_error when it cannot.
void write_run_report(const std::filesystem::path& file, const std::string& title, const run_record& run);

/// One point of a metric-against-metric line: at `tick`, the means over an arm's seeds
/// of x and of y, and y's 95% CI (NaN with fewer than two seeds).
struct xy_point {
  int64_t tick = 0;
  double x = 0, y = 0, y_lo = 0, y_hi = 0;
};

/// One arm's line of y against x.
struct xy_line {
  size_t arm = 0;  ///< index into ex.arms()
  std::vector<xy_point> points;  ///< ascending tick
};

/// Per arm (in ex.arms() order, arms without a point left out) the points where both x
/// and y have a mean over the arm's finished runs.
std::vector<xy_line> xy_lines(const experiment& ex, const std::string& x, const std::string& y);

/// A sweep's report: per metric the arms' means over seeds with 95% bands (arm_band), or
/// bars of the arms' means with CI whiskers for single-value metrics; the final values
/// per arm with CIs (s.arms), the paired differences (s.paired) when there are any, and
/// every run that is not done with its status and reason; first, the charts `xy` asks
/// for. An x or y that no finished run recorded is a user_error naming the value and its
/// place in the scenario file (when no run finished, the charts are left out). Writes
/// `file` atomically.
void write_sweep_report(const std::filesystem::path& file, const std::string& title, const experiment& ex,
                        const summary& s, const std::vector<xy_request>& xy = {});

/// The scenario file a sweep directory was run from (sweep.sqlite's sweep table), or
/// nullopt when it does not say.
std::optional<std::filesystem::path> sweep_scenario_file(const std::filesystem::path& sweep_dir);

}  // namespace oversight
