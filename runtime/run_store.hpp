// The run directory and its SQLite store.
//
// Layout: runs/<scenario>-<seed>-<yyyymmdd-hhmmss>/ (or --out DIR)
//   run.sqlite   tables run(key, value), parameters(key, type, value),
//                metrics(tick, actor, name, value), events(tick, kind, detail)
//                The run table holds the provenance: scenario, source, seed, threads,
//                status, started, ended (UTC, ISO 8601), wall_seconds, host,
//                command_line, version, commit.
//   scenario.toml every parameter resolved: `oversight run` on it repeats the run
//   report.html  plots of every metric (written by the tools after success)
//   FAILED       present only when the run failed; holds the reason
// Nothing half-written looks finished: rows go to run.sqlite.partial, which is renamed
// to run.sqlite only by finish(). A failed run keeps its .partial and gets FAILED.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"
#include "runtime/spec.hpp"

struct sqlite3;

namespace oversight {

/// Chooses and creates the run directory. Throws user_error when `out` already holds a
/// finished run or cannot be created.
std::filesystem::path make_run_dir(const std::string& out, const scenario_spec& spec);

class run_store {
 public:
  /// Opens DIR/run.sqlite.partial and writes the run and parameters tables and
  /// DIR/scenario.toml. `command_line` is recorded as given (the words joined by spaces).
  run_store(const std::filesystem::path& dir, const scenario_spec& spec, int threads,
            const std::string& command_line = "");
  ~run_store();
  run_store(const run_store&) = delete;
  run_store& operator=(const run_store&) = delete;

  void append(const std::vector<metric_row>& rows);
  void event(int64_t tick, const std::string& kind, const std::string& detail);
  /// Commits the pending transaction (rows are durable afterwards).
  void commit();
  /// Marks the run complete and renames the file to run.sqlite.
  void finish();
  /// Marks the run failed: commits what there is and writes DIR/FAILED with the reason.
  void fail(const std::string& reason);
  /// For bad input detected before anything ran: closes and deletes the partial file,
  /// and the directory too when nothing else is in it.
  void discard();

  const std::vector<metric_row>& rows() const { return rows_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void exec(const std::string& sql);
  void begin();
  void set_run(const std::string& key, const std::string& value);
  std::filesystem::path dir_;
  sqlite3* db_ = nullptr;
  bool in_tx_ = false;
  void set_end_time();
  std::vector<metric_row> rows_;  // kept for the summary and the report
  double started_ = 0;            // steady clock, seconds
};

/// Reads the metrics table of a finished run.sqlite, ordered by (tick, actor, name).
std::vector<metric_row> read_metrics(const std::filesystem::path& sqlite_file);

/// Reads the run table (provenance and status) of a run.sqlite, in key order.
std::vector<std::pair<std::string, std::string>> read_run_table(const std::filesystem::path& sqlite_file);

/// The current time as UTC ISO 8601 (2026-11-26T23:19:59Z).
std::string utc_now_iso();

}  // namespace oversight
