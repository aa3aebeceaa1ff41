#include "runtime/run_store.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "base/state_io.hpp"
#include "runtime/version.hpp"

namespace oversight {

namespace fs = std::filesystem;

namespace {
double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string utc_now_iso() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return stamp;
}

namespace {

const char* const lock_name = ".oversight.lock";
const char* const reserve_name = ".oversight.reserve";

void release_reserve(const fs::path& dir) {
  std::error_code ec;
  fs::remove(dir / reserve_name, ec);
}

/// Space held back for the last words: when the disk fills mid-run, release_reserve
/// frees it so that the status and FAILED can still be written.
void hold_reserve(const fs::path& dir) {
  std::ofstream r(dir / reserve_name, std::ios::binary);
  const std::string block(64 << 10, '\0');
  r << block;
  r.close();
  if (!r) throw std::runtime_error("cannot write " + (dir / reserve_name).string() + " (disk full?)");
}

/// What identifies the run a checkpoint belongs to: its resolved parameters.
std::string spec_fingerprint(const scenario_spec& spec) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fnv1a(resolved_toml(spec)));
  return hex;
}

/// checkpoint.bin: a header naming the run and the build, then the states.
struct checkpoint_header {
  std::string magic = "oversight checkpoint 1";
  std::string commit;
  std::string scenario;
  uint64_t seed = 0;
  std::string fingerprint;
  int64_t tick = 0;
  void state(state_io& io) { io(magic, commit, scenario, seed, fingerprint, tick); }
};
struct checkpoint_file {
  checkpoint_header header;
  std::vector<char> bytes;
  void state(state_io& io) { io(header, bytes); }
};

/// The files a run writes into its directory: an existing one is refused, never overwritten.
const char* const run_files[] = {"run.sqlite",       "run.sqlite.partial",     "run.sqlite.partial-wal",
                                 "run.sqlite.partial-shm", "run.sqlite.partial-journal", "scenario.toml",
                                 "scenario.toml.tmp", "report.html",            "report.html.tmp",
                                 "FAILED",            "checkpoint.bin",         "checkpoint.bin.tmp",
                                 "events.msgpack"};

std::string signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(sig);
  }
}

/// The status recorded in a run.sqlite.partial, or "" when unreadable.
std::string partial_status(const fs::path& file) {
  try {
    for (auto& [k, v] : read_run_table(file))
      if (k == "status") return v;
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace

bool run_dir_locked(const fs::path& dir) {
  const int fd = ::open((dir / lock_name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

run_directory::run_directory(run_directory&& o) noexcept
    : dir_(std::move(o.dir_)), created_(std::move(o.created_)), fd_(o.fd_) {
  o.fd_ = -1;
  o.created_.clear();
}

run_directory::~run_directory() {
  if (fd_ >= 0) {
    // Unlinked while still held: a run that opened the old file meanwhile sees (by its
    // inode check) that it lost, and a new one creates a fresh file.
    std::error_code ec;
    fs::remove(dir_ / lock_name, ec);
    ::close(fd_);
    fd_ = -1;
  }
}

void run_directory::remove_created_dirs() {
  std::error_code ec;
  if (fd_ >= 0) {
    fs::remove(dir_ / lock_name, ec);
    ::close(fd_);
    fd_ = -1;
  }
  for (auto& d : created_) fs::remove(d, ec);  // fails, harmlessly, on a non-empty one
  created_.clear();
}

void run_directory::lock(const std::string& origin) {
  const fs::path lock = dir_ / lock_name;
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    remove_created_dirs();
    throw user_error(origin + ": cannot write in this directory: " + why);
  }
  struct stat held {}, named {};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::fstat(fd, &held) != 0 || ::stat(lock.c_str(), &named) != 0 ||
      held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
    // Another run holds it (or held it and just let go): touch nothing of its.
    ::close(fd);
    created_.clear();
    throw user_error(origin + ": another oversight run is using this directory");
  }
  fd_ = fd;
}

run_directory run_directory::reclaim(const std::string& dir) {
  run_directory d;
  d.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(d.dir_, ec)) throw user_error(dir + ": no such run directory");
  if (fs::exists(d.dir_ / "run.sqlite", ec))
    throw user_error(dir + ": the run is complete (run.sqlite); nothing to resume");
  if (!fs::exists(d.dir_ / "run.sqlite.partial", ec))
    throw user_error(dir + ": holds no run to resume (no run.sqlite.partial)");
  if (!fs::exists(d.dir_ / "scenario.toml", ec))
    throw user_error(dir + ": holds no scenario.toml, so the run cannot be repeated; start it again");
  d.lock(dir);
  return d;
}

run_directory run_directory::claim(const std::string& out, const scenario_spec& spec) {
  run_directory d;
  std::error_code ec;
  if (out.empty()) {
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const fs::path runs("runs");
    if (!fs::exists(runs, ec)) {
      fs::create_directories(runs, ec);
      if (ec) throw user_error("runs/: cannot create directory: " + ec.message() + " (give --out DIR)");
      d.created_.push_back(runs);
    }
    // Two runs in the same second get distinct directories: create_directory is atomic.
    const std::string base = spec.scenario + "-" + std::to_string(spec.seed) + "-" + stamp;
    for (int i = 1;; ++i) {
      const fs::path dir = runs / (i == 1 ? base : base + "-" + std::to_string(i));
      if (fs::create_directory(dir, ec)) {
        d.dir_ = dir;
        d.created_.insert(d.created_.begin(), dir);
        break;
      }
      if (ec || i > 1000) throw user_error(dir.string() + ": cannot create directory: " + ec.message());
    }
  } else {
    d.dir_ = out;
    const std::string origin = "--out " + out;
    if (fs::exists(d.dir_, ec) && !fs::is_directory(d.dir_, ec))
      throw user_error(origin + ": exists and is not a directory");
    std::vector<fs::path> missing;
    for (fs::path p = fs::absolute(d.dir_, ec); !p.empty() && p != p.parent_path() && !fs::exists(p, ec);
         p = p.parent_path())
      missing.push_back(p);
    fs::create_directories(d.dir_, ec);
    if (ec) throw user_error(origin + ": cannot create directory: " + ec.message());
    d.created_ = std::move(missing);
  }
  const std::string origin = "--out " + d.dir_.string();
  d.lock(origin);
  // From here the destructor removes the lock file (and remove_created_dirs the rest).
  if (fs::exists(d.dir_ / "run.sqlite", ec)) {
    d.remove_created_dirs();
    throw user_error(origin + ": already holds a finished run (run.sqlite); choose another directory");
  }
  if (fs::exists(d.dir_ / "run.sqlite.partial", ec)) {
    std::string status = partial_status(d.dir_ / "run.sqlite.partial");
    if (status == "running") status = "killed";
    d.remove_created_dirs();
    throw user_error(origin + ": holds an unfinished run (" + (status.empty() ? "unreadable" : status) +
                     "); its committed ticks are kept (oversight report " + d.dir_.string() +
                     " reads them): delete the directory or choose another");
  }
  for (const char* f : run_files)
    if (fs::exists(fs::symlink_status(d.dir_ / f, ec))) {
      d.remove_created_dirs();
      throw user_error(origin + ": holds " + f +
                       ", which a run would overwrite and oversight did not write; choose an empty or new directory");
    }
  return d;
}

void run_store::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw std::runtime_error("cannot write " + (dir_ / "run.sqlite.partial").string() + ": " + msg);
  }
}

void run_store::begin() {
  if (!in_tx_) {
    exec("BEGIN");
    in_tx_ = true;
  }
}

void run_store::set_run(const std::string& key, const std::string& value) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO run(key, value) VALUES(?, ?)", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, value.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    throw std::runtime_error("cannot write " + (dir_ / "run.sqlite.partial").string() + ": " + sqlite3_errmsg(db_));
}

run_store::run_store(const fs::path& dir, const scenario_spec& spec, int threads, const std::string& command_line)
    : dir_(dir), started_(steady_seconds()), fingerprint_(spec_fingerprint(spec)), seed_(spec.seed),
      scenario_(spec.scenario) {
  auto ticks = spec.params.all().find("ticks");
  if (ticks != spec.params.all().end())
    if (auto* t = std::get_if<int64_t>(&ticks->second)) ticks_ = *t;
  {
    // The resolved parameters first: a run that dies later can still be repeated.
    auto tmp = dir / "scenario.toml.tmp";
    std::ofstream f(tmp);
    f << resolved_toml(spec);
    f.close();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + tmp.string() + " (disk full?)");
    }
    fs::rename(tmp, dir / "scenario.toml");
  }
  hold_reserve(dir);
  auto file = dir / "run.sqlite.partial";
  if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errmsg(db_));
  // WAL: readers see every committed tick while the run goes on; synchronous=NORMAL
  // makes a commit durable against the process dying (not against power loss) without
  // an fsync per tick.
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  exec("CREATE TABLE run(key TEXT PRIMARY KEY, value TEXT)");
  exec("CREATE TABLE parameters(key TEXT PRIMARY KEY, type TEXT, value TEXT)");
  exec("CREATE TABLE metrics(tick INTEGER, actor TEXT, name TEXT, value REAL)");
  exec("CREATE TABLE events(tick INTEGER, kind TEXT, detail TEXT)");
  begin();
  set_run("scenario", spec.scenario);
  set_run("source", spec.source);
  set_run("seed", std::to_string(spec.seed));
  set_run("threads", std::to_string(threads));
  set_run("status", "running");
  set_run("started", utc_now_iso());
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  set_run("host", host);
  set_run("command_line", command_line);
  set_run("version", oversight_version());
  set_run("commit", oversight_commit());
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "INSERT INTO parameters(key, type, value) VALUES(?, ?, ?)", -1, &st, nullptr);
  for (auto& [k, v] : spec.params.all()) {
    const char* type = std::holds_alternative<int64_t>(v) ? "integer"
                       : std::holds_alternative<double>(v) ? "real"
                       : std::holds_alternative<bool>(v) ? "boolean" : "text";
    std::string text = std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : to_string(v);
    sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, text.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  commit();
}

std::unique_ptr<run_store> run_store::reopen(const fs::path& dir, const scenario_spec& spec, int threads,
                                             const std::string& command_line) {
  std::unique_ptr<run_store> s(new run_store);
  s->dir_ = dir;
  s->started_ = steady_seconds();
  s->fingerprint_ = spec_fingerprint(spec);
  s->seed_ = spec.seed;
  s->scenario_ = spec.scenario;
  if (auto t = spec.params.all().find("ticks"); t != spec.params.all().end())
    if (auto* v = std::get_if<int64_t>(&t->second)) s->ticks_ = *v;
  const auto file = dir / "run.sqlite.partial";
  std::string resumed = "0";
  for (auto& [k, v] : read_run_table(file)) {  // user_error naming the file when unreadable
    if (k == "scenario" && v != spec.scenario)
      throw user_error(file.string() + ": holds a run of " + v + ", but scenario.toml names " + spec.scenario);
    if (k == "seed" && v != std::to_string(spec.seed))
      throw user_error(file.string() + ": holds a run with seed " + v + ", but scenario.toml has seed " +
                       std::to_string(spec.seed));
    if (k == "resumed") resumed = v;
  }
  // The stored rows, in the order they were written: the recomputed ticks must match.
  for (auto& r : read_metrics_as_written(file)) {
    s->verify_below_ = std::max(s->verify_below_, r.tick + 1);
    s->stored_[r.tick].push_back(std::move(r));
  }
  s->ticks_committed_ = s->ticks_at_commit_ = s->verify_below_;
  hold_reserve(dir);
  if (sqlite3_open(file.c_str(), &s->db_) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errmsg(s->db_));
  sqlite3_busy_timeout(s->db_, 2000);
  s->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  s->begin();
  s->set_run("status", "running");
  s->exec("DELETE FROM run WHERE key IN ('reason', 'ended', 'wall_seconds')");
  s->set_run("resumed", std::to_string(std::stoll(resumed) + 1));
  s->set_run("threads", std::to_string(threads));
  s->set_run("resume_command_line", command_line);
  s->commit();
  std::error_code ec;
  fs::remove(dir / "FAILED", ec);
  return s;
}

void run_store::resume_at(int64_t tick) {
  for (auto& [t, rows] : stored_)
    if (t < tick) rows_.insert(rows_.end(), rows.begin(), rows.end());
  begin();
  event(tick, "resumed",
        tick > 0 ? "from the checkpoint at tick " + std::to_string(tick) + "; " + std::to_string(verify_below_) +
                       " ticks were stored"
                 : "from the start (no checkpoint); the " + std::to_string(verify_below_) +
                       " stored ticks are recomputed and checked");
  commit();
}

void run_store::write_checkpoint(const checkpoint_blob& cp) {
  commit();
  checkpoint_header h;
  h.commit = oversight_commit();
  h.scenario = scenario_;
  h.seed = seed_;
  h.fingerprint = fingerprint_;
  h.tick = cp.tick;
  // checkpoint_file's layout, written piece by piece: the states (the bulk of it, at a
  // population's scale) go from the message to the file without a copy.
  auto io = state_io::writer();
  io(h);
  uint64_t n = cp.bytes.size();
  io(n);
  const auto tmp = dir_ / "checkpoint.bin.tmp";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(io.bytes().data(), std::streamsize(io.bytes().size()));
    out.write(cp.bytes.data(), std::streamsize(cp.bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + " (disk full?)");
    fs::rename(tmp, dir_ / "checkpoint.bin");
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    if (failure_.empty()) failure_ = e.what();
    throw;
  }
}

std::optional<checkpoint_blob> read_checkpoint(const fs::path& dir, const scenario_spec& spec) {
  const auto file = dir / "checkpoint.bin";
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) throw user_error(file.string() + ": cannot read");
  const std::string hint = "; delete it to resume by recomputing the stored ticks instead";
  checkpoint_file f;
  try {
    auto io = state_io::reader(std::move(bytes), file.string());
    f.state(io);
    io.finish();
  } catch (const std::runtime_error& e) {
    throw user_error(std::string(e.what()) + " (not a checkpoint, or a damaged one)" + hint);
  }
  if (f.header.magic != checkpoint_header{}.magic)
    throw user_error(file.string() + ": not an oversight checkpoint" + hint);
  if (f.header.commit != oversight_commit())
    throw user_error(file.string() + ": written by oversight commit " + f.header.commit + ", this is " +
                     oversight_commit() + ": a checkpoint is read back by the build that wrote it" + hint);
  if (f.header.scenario != spec.scenario || f.header.seed != spec.seed ||
      f.header.fingerprint != spec_fingerprint(spec))
    throw user_error(file.string() + ": written for other parameters than the directory's scenario.toml" + hint);
  return checkpoint_blob{f.header.tick, std::move(f.bytes)};
}

run_store::~run_store() {
  if (db_) sqlite3_close_v2(db_);
}

namespace {
bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
}  // namespace

void run_store::append(const std::vector<metric_row>& rows) {
  if (!rows.empty() && rows.front().tick < verify_below_) {
    // A resumed run recomputing a tick it already stored: the rows must be the same.
    const int64_t t = rows.front().tick;
    const auto& was = stored_[t];
    for (size_t i = 0; i < std::max(rows.size(), was.size()); ++i) {
      const metric_row* a = i < was.size() ? &was[i] : nullptr;
      const metric_row* b = i < rows.size() ? &rows[i] : nullptr;
      if (a && b && a->tick == b->tick && a->actor == b->actor && a->name == b->name && same_value(a->value, b->value))
        continue;
      char detail[160];
      if (a && b)
        std::snprintf(detail, sizeof detail, "%s.%s stored %.17g, recomputed %s.%s %.17g", a->actor.c_str(),
                      a->name.c_str(), a->value, b->actor.c_str(), b->name.c_str(), b->value);
      else
        std::snprintf(detail, sizeof detail, "%zu rows stored, %zu recomputed", was.size(), rows.size());
      failure_ = "the resumed run differs from the stored one at tick " + std::to_string(t) + " (" + detail +
                 "): the directory was run by another build, or the scenario is not reproducible";
      throw std::runtime_error(failure_);
    }
    rows_.insert(rows_.end(), rows.begin(), rows.end());
    return;
  }
  try {
    begin();
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "INSERT INTO metrics(tick, actor, name, value) VALUES(?, ?, ?, ?)", -1, &st,
                           nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot write " + (dir_ / "run.sqlite.partial").string() + ": " +
                               sqlite3_errmsg(db_));
    for (auto& r : rows) {
      sqlite3_bind_int64(st, 1, r.tick);
      sqlite3_bind_text(st, 2, r.actor.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, r.name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_double(st, 4, r.value);
      if (sqlite3_step(st) != SQLITE_DONE) {
        const std::string msg = sqlite3_errmsg(db_);
        sqlite3_finalize(st);
        throw std::runtime_error("cannot write " + (dir_ / "run.sqlite.partial").string() + ": " + msg);
      }
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    for (auto& r : rows) ticks_committed_ = std::max(ticks_committed_, r.tick + 1);
    // Committed at most commit_interval_s after it was recorded: a SIGKILL loses at most
    // that much, and a commit (about 40 us in WAL mode) costs at most 0.2% of a run
    // whatever its ticks take. Every other end commits everything first.
    if (steady_seconds() - last_commit_ >= commit_interval_s) commit();
  } catch (const std::exception& e) {
    if (failure_.empty()) failure_ = e.what();
    if (in_tx_) {
      // The rollback drops every tick appended since the last commit (a commit covers
      // all the ticks of commit_interval_s), not only this one.
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      in_tx_ = false;
      ticks_committed_ = ticks_at_commit_;
      std::erase_if(rows_, [&](const metric_row& r) { return r.tick >= ticks_committed_; });
    }
    throw;
  }
  rows_.insert(rows_.end(), rows.begin(), rows.end());
}

void run_store::event(int64_t tick, const std::string& kind, const std::string& detail) {
  begin();
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "INSERT INTO events(tick, kind, detail) VALUES(?, ?, ?)", -1, &st, nullptr);
  sqlite3_bind_int64(st, 1, tick);
  sqlite3_bind_text(st, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, detail.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_step(st);
  sqlite3_finalize(st);
}

void run_store::commit() {
  if (in_tx_) {
    exec("COMMIT");
    in_tx_ = false;
  }
  ticks_at_commit_ = ticks_committed_;
  last_commit_ = steady_seconds();
}

void run_store::set_end(const std::string& status, const std::string& reason) {
  begin();
  set_run("status", status);
  set_run("ended", utc_now_iso());
  char wall[32];
  std::snprintf(wall, sizeof wall, "%.3f", steady_seconds() - started_);
  set_run("wall_seconds", wall);
  set_run("ticks_committed", std::to_string(ticks_committed_));
  if (!reason.empty()) set_run("reason", reason);
  commit();
}

void run_store::finish() {
  release_reserve(dir_);
  std::error_code ec;
  fs::remove(dir_ / "checkpoint.bin", ec);  // a complete run is never resumed
  set_end("complete", "");
  // Fold the WAL back in and leave a single self-contained file: run.sqlite is read
  // (read-only) without its -wal and -shm companions. Best effort while a reader is on it.
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;", nullptr, nullptr, nullptr);
  sqlite3_close_v2(db_);
  db_ = nullptr;
  fs::rename(dir_ / "run.sqlite.partial", dir_ / "run.sqlite");
}

void run_store::fail(const std::string& reason) {
  release_reserve(dir_);
  if (db_) {
    try {
      set_end("failed: " + reason, reason);  // commits the ticks still pending too
    } catch (...) {
      // A full disk may refuse this too; FAILED below and the message still say why.
    }
  }
  std::ofstream(dir_ / "FAILED") << reason << "\n";
}

std::string run_store::interrupt(int signal) {
  std::string reason = "interrupted by " + signal_name(signal) + " after " + std::to_string(ticks_committed_) +
                       (ticks_ > 0 ? " of " + std::to_string(ticks_) : std::string()) +
                       " ticks; the committed ticks are in " + (dir_ / "run.sqlite.partial").string();
  release_reserve(dir_);
  if (db_) {
    try {
      set_end("interrupted", reason);  // commits the ticks still pending too
    } catch (...) {
    }
  }
  std::ofstream(dir_ / "FAILED") << reason << "\n";
  return reason;
}

void run_store::discard() {
  if (db_) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  std::error_code ec;
  for (const char* f : {"run.sqlite.partial", "run.sqlite.partial-wal", "run.sqlite.partial-shm", "scenario.toml",
                        reserve_name})
    fs::remove(dir_ / f, ec);
}

namespace {

/// A run database opened read-only, closed on scope exit; errors are user_errors naming
/// the file (whatever it holds came from outside this process).
struct reader {
  fs::path file;
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  explicit reader(const fs::path& f) : file(f) {
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) throw user_error(f.string() + ": no such file");
    if (sqlite3_open_v2(f.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) fail("cannot open");
    sqlite3_busy_timeout(db, 2000);  // a live run's checkpoint may hold it for a moment
  }
  ~reader() {
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw user_error(file.string() + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
  }
  void prepare(const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) fail("not a run database");
  }
  /// true: a row is there; false: done. A read error (corrupt file) throws.
  bool step() {
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("cannot read");
    return false;
  }
  std::string text(int col) const {
    auto* t = sqlite3_column_text(st, col);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(st, col))) : std::string();
  }
};

}  // namespace

std::vector<std::pair<std::string, std::string>> read_run_table(const fs::path& file) {
  reader r(file);
  r.prepare("SELECT key, value FROM run ORDER BY key");
  std::vector<std::pair<std::string, std::string>> out;
  while (r.step()) out.emplace_back(r.text(0), r.text(1));
  return out;
}

std::vector<metric_row> read_metrics(const fs::path& file) { return read_metrics_ordered(file, true); }
std::vector<metric_row> read_metrics_as_written(const fs::path& file) { return read_metrics_ordered(file, false); }

std::vector<metric_row> read_metrics_ordered(const fs::path& file, bool sorted) {
  reader rd(file);
  rd.prepare(sorted ? "SELECT tick, actor, name, value FROM metrics ORDER BY tick, actor, name"
                    : "SELECT tick, actor, name, value FROM metrics ORDER BY rowid");
  std::vector<metric_row> out;
  while (rd.step()) {
    // A database written by someone else may hold anything: check before reading.
    const int value_type = sqlite3_column_type(rd.st, 3);
    if (sqlite3_column_type(rd.st, 0) != SQLITE_INTEGER || sqlite3_column_type(rd.st, 1) != SQLITE_TEXT ||
        sqlite3_column_type(rd.st, 2) != SQLITE_TEXT ||
        (value_type != SQLITE_FLOAT && value_type != SQLITE_INTEGER && value_type != SQLITE_NULL))
      throw user_error(file.string() + ": metrics row " + std::to_string(out.size() + 1) +
                       " is malformed (expected integer tick, text actor and name, numeric value)");
    metric_row r;
    r.tick = sqlite3_column_int64(rd.st, 0);
    r.actor = rd.text(1);
    r.name = rd.text(2);
    // SQLite stores a NaN as NULL: read it back as the NaN the run recorded.
    r.value = value_type == SQLITE_NULL ? std::nan("") : sqlite3_column_double(rd.st, 3);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace oversight
