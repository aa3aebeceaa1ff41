// The run directory and its SQLite store.
//
// Layout: runs/<scenario>-<seed>-<yyyymmdd-hhmmss>/ (or --out DIR)
//   run.sqlite   tables run(key, value), parameters(key, type, value),
//                metrics(tick, actor, name, value), events(tick, kind, detail)
//                The run table holds the provenance: scenario, source, seed, threads,
//                status, started, ended (UTC, ISO 8601), wall_seconds, host,
//                command_line, version, commit; and at the end ticks_committed and,
//                for a run that did not complete, reason.
//   scenario.toml every parameter resolved: `oversight run` on it repeats the run
//   report.html  plots of every metric (written by the tools after success)
//   events.msgpack every message between actors, when the run's events.log is true
//                (runtime/event_log.hpp has the format; `oversight replay DIR` prints it)
//   FAILED       present only when the run failed or was interrupted; holds the reason
//   checkpoint.bin the latest checkpoint (every `checkpoint.every` ticks, for the
//                scenarios that save their state): the state of the program and of every
//                role at the start of a tick, all ticks before it committed
//   .oversight.lock  held (flock) while a run owns the directory; removed at the end
//   .oversight.reserve  64 KiB held back while the run goes on, freed first when it ends
//                so a full disk still leaves the status and FAILED written
//
// Nothing half-written looks finished: rows go to run.sqlite.partial, which is renamed
// to run.sqlite only by finish(). The partial file is in WAL mode and every tick's rows
// are committed within 25 ms of reaching the recorder, so a run can be read while it runs
// (`oversight report DIR`) and a killed one keeps every tick it committed. Status in
// the run table: running, complete, interrupted (SIGINT/SIGTERM; FAILED says which and
// after how many ticks) or "failed: <reason>". A run killed with SIGKILL keeps status
// running, no FAILED, and its lock free: readers call that "killed".
//
// Ownership: oversight never deletes a directory it did not create and never overwrites
// a file it did not write. An existing --out is used only when it holds none of the
// files above (other files are left alone) and no other run holds its lock.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"
#include "runtime/spec.hpp"

struct sqlite3;

namespace oversight {

/// A run directory held by one run: created (or adopted when it holds nothing of a run),
/// locked with flock on DIR/.oversight.lock for the holder's lifetime.
class run_directory {
 public:
  /// Chooses (empty `out`: runs/<scenario>-<seed>-<time>, never an existing one) and
  /// claims the directory. Throws user_error naming --out when it cannot be created or
  /// written, is not a directory, another run holds it, or it holds a run (finished or
  /// not) or any file a run would write. Touches nothing when it throws, except to undo
  /// what it created.
  static run_directory claim(const std::string& out, const scenario_spec& spec);
  /// Claims the directory of an unfinished run (run.sqlite.partial and scenario.toml
  /// there, no run.sqlite) to resume it. Throws user_error naming DIR when there is no
  /// such run or another process holds it.
  static run_directory reclaim(const std::string& dir);
  run_directory(run_directory&& other) noexcept;
  run_directory& operator=(run_directory&&) = delete;
  run_directory(const run_directory&) = delete;
  ~run_directory();  ///< removes the lock file and releases the lock

  const std::filesystem::path& path() const { return dir_; }
  /// After a discard(): removes the directories this claim created, when empty.
  void remove_created_dirs();

 private:
  run_directory() = default;
  void lock(const std::string& origin);
  std::filesystem::path dir_;
  std::vector<std::filesystem::path> created_;  ///< innermost first
  int fd_ = -1;
};

/// Whether a run holds DIR's lock now (a run.sqlite.partial there is being written).
bool run_dir_locked(const std::filesystem::path& dir);

class run_store {
 public:
  /// Opens DIR/run.sqlite.partial and writes the run and parameters tables and
  /// DIR/scenario.toml. `command_line` is recorded as given (the words joined by spaces).
  run_store(const std::filesystem::path& dir, const scenario_spec& spec, int threads,
            const std::string& command_line = "");
  ~run_store();
  run_store(const run_store&) = delete;
  run_store& operator=(const run_store&) = delete;

  /// Reopens the unfinished run in DIR (claimed with run_directory::reclaim) to go on
  /// with it: status running again, FAILED removed, the resume recorded (run table
  /// `resumed`, an events row). Ticks the database already holds are not written again:
  /// their recomputed rows are compared with the stored ones (append), so a resumed run
  /// that would differ from its first part fails, naming the tick and metric.
  static std::unique_ptr<run_store> reopen(const std::filesystem::path& dir, const scenario_spec& spec, int threads,
                                           const std::string& command_line);
  /// Ticks whose rows were in the database when it was reopened (0 for a new run).
  int64_t ticks_stored() const { return verify_below_; }
  /// A resume that starts at `tick` (from a checkpoint) never recomputes the ticks
  /// before it: their stored rows join rows() as they are. Records where it resumed.
  void resume_at(int64_t tick);
  /// Commits every pending row, then writes DIR/checkpoint.bin (a temporary file renamed
  /// over the old one: a kill leaves the previous checkpoint or the new one, whole).
  void write_checkpoint(const checkpoint_blob& cp);

  /// Pending rows are committed at most this long after they were appended.
  static constexpr double commit_interval_s = 0.025;

  /// Appends one tick's rows, committing them within commit_interval_s (so they survive
  /// a kill; every other end of the run commits them at once). A write error
  /// (a full disk) throws std::runtime_error naming the file and SQLite's reason, and
  /// is remembered (failure()).
  void append(const std::vector<metric_row>& rows);
  void event(int64_t tick, const std::string& kind, const std::string& detail);
  /// Commits the pending transaction (rows are durable afterwards).
  void commit();
  /// Marks the run complete and renames the file to run.sqlite.
  void finish();
  /// Marks the run failed: commits what there is and writes DIR/FAILED with the reason.
  void fail(const std::string& reason);
  /// Marks the run interrupted by `signal` (committed ticks kept) and writes FAILED.
  /// Returns the one-line reason written.
  std::string interrupt(int signal);
  /// For bad input detected before anything ran: closes and deletes the files it wrote.
  void discard();

  /// Asks the run to stop after the tick in progress. Async-signal-safe.
  void request_stop(int signal) { stop_signal_.store(signal, std::memory_order_relaxed); }
  /// The signal that asked the run to stop, or 0.
  int stop_requested() const { return stop_signal_.load(std::memory_order_relaxed); }
  /// The first write error (e.g. "disk full"), or empty.
  const std::string& failure() const { return failure_; }
  /// Ticks stored so far (the highest tick appended + 1; 0 when none).
  int64_t ticks_committed() const { return ticks_committed_; }

  const std::vector<metric_row>& rows() const { return rows_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  run_store() = default;
  void exec(const std::string& sql);
  void begin();
  void set_run(const std::string& key, const std::string& value);
  void set_end(const std::string& status, const std::string& reason);
  std::filesystem::path dir_;
  sqlite3* db_ = nullptr;
  bool in_tx_ = false;
  std::vector<metric_row> rows_;  // kept for the summary and the report
  double started_ = 0;            // steady clock, seconds
  double last_commit_ = 0;
  int64_t ticks_ = 0;             // declared ticks (the "ticks" parameter), 0 when none
  int64_t ticks_committed_ = 0;
  int64_t ticks_at_commit_ = 0;   // ticks_committed_ at the last commit
  std::string failure_;
  std::string fingerprint_;  // of the resolved parameters, stamped on checkpoints
  uint64_t seed_ = 0;
  std::string scenario_;
  int64_t verify_below_ = 0;  // ticks [0, verify_below_) are stored: check, do not write
  std::map<int64_t, std::vector<metric_row>> stored_;  // their rows, by tick, as written
  std::atomic<int> stop_signal_{0};
  static_assert(std::atomic<int>::is_always_lock_free, "request_stop() runs in a signal handler");
};

/// The checkpoint in DIR made by a run of `spec` (nullopt when there is none). Throws
/// user_error naming the file when it is unreadable, truncated, or was written for other
/// parameters, another seed or scenario, or by another build of oversight.
std::optional<checkpoint_blob> read_checkpoint(const std::filesystem::path& dir, const scenario_spec& spec);

/// Reads the metrics table of a run.sqlite (or a .partial), ordered by (tick, actor,
/// name). Every column is type-checked: a malformed row is a user_error naming it.
std::vector<metric_row> read_metrics(const std::filesystem::path& sqlite_file);
/// The same rows in the order they were written (one tick's rows together, ticks in order).
std::vector<metric_row> read_metrics_as_written(const std::filesystem::path& sqlite_file);
/// read_metrics (sorted) or read_metrics_as_written.
std::vector<metric_row> read_metrics_ordered(const std::filesystem::path& sqlite_file, bool sorted);

/// Reads the run table (provenance and status) of a run.sqlite, in key order. NULL
/// keys or values read as empty text.
std::vector<std::pair<std::string, std::string>> read_run_table(const std::filesystem::path& sqlite_file);

/// The current time as UTC ISO 8601 (2026-11-26T23:19:59Z).
std::string utc_now_iso();

}  // namespace oversight
