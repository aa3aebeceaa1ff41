#include "runtime/run_store.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <sqlite3.h>

#include <unistd.h>

#include "runtime/error.hpp"
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

fs::path make_run_dir(const std::string& out, const scenario_spec& spec) {
  fs::path dir;
  if (!out.empty()) {
    dir = out;
  } else {
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    dir = fs::path("runs") / (spec.scenario + "-" + std::to_string(spec.seed) + "-" + stamp);
    // Two runs in the same second get distinct directories.
    for (int i = 2; fs::exists(dir); ++i)
      dir = fs::path("runs") / (spec.scenario + "-" + std::to_string(spec.seed) + "-" + stamp + "-" + std::to_string(i));
  }
  std::error_code ec;
  if (fs::exists(dir / "run.sqlite", ec))
    throw user_error("--out " + dir.string() + ": already holds a finished run (run.sqlite); choose another directory");
  fs::create_directories(dir, ec);
  if (ec) throw user_error("--out " + dir.string() + ": cannot create directory: " + ec.message());
  fs::remove(dir / "FAILED", ec);
  fs::remove(dir / "run.sqlite.partial", ec);
  return dir;
}

void run_store::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg + " in: " + sql);
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
  sqlite3_step(st);
  sqlite3_finalize(st);
}

run_store::run_store(const fs::path& dir, const scenario_spec& spec, int threads, const std::string& command_line)
    : dir_(dir), started_(steady_seconds()) {
  {
    // The resolved parameters first: a run that dies later can still be repeated.
    auto tmp = dir / "scenario.toml.tmp";
    std::ofstream f(tmp);
    f << resolved_toml(spec);
    f.close();
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
    fs::rename(tmp, dir / "scenario.toml");
  }
  auto file = dir / "run.sqlite.partial";
  if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errmsg(db_));
  exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;");
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

run_store::~run_store() {
  if (db_) sqlite3_close(db_);
}

void run_store::append(const std::vector<metric_row>& rows) {
  begin();
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "INSERT INTO metrics(tick, actor, name, value) VALUES(?, ?, ?, ?)", -1, &st, nullptr);
  for (auto& r : rows) {
    sqlite3_bind_int64(st, 1, r.tick);
    sqlite3_bind_text(st, 2, r.actor.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, r.value);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sqlite3_finalize(st);
      throw std::runtime_error(std::string("sqlite insert failed: ") + sqlite3_errmsg(db_));
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
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
}

void run_store::set_end_time() {
  set_run("ended", utc_now_iso());
  char wall[32];
  std::snprintf(wall, sizeof wall, "%.3f", steady_seconds() - started_);
  set_run("wall_seconds", wall);
}

void run_store::finish() {
  begin();
  set_run("status", "complete");
  set_end_time();
  commit();
  sqlite3_close(db_);
  db_ = nullptr;
  fs::rename(dir_ / "run.sqlite.partial", dir_ / "run.sqlite");
}

void run_store::fail(const std::string& reason) {
  if (db_) {
    try {
      begin();
      set_run("status", "failed: " + reason);
      set_end_time();
      commit();
    } catch (...) {
    }
  }
  std::ofstream(dir_ / "FAILED") << reason << "\n";
}

void run_store::discard() {
  if (db_) {
    sqlite3_close(db_);
    db_ = nullptr;
  }
  std::error_code ec;
  fs::remove(dir_ / "run.sqlite.partial", ec);
  fs::remove(dir_ / "scenario.toml", ec);
  if (fs::is_empty(dir_, ec)) fs::remove(dir_, ec);
}

std::vector<std::pair<std::string, std::string>> read_run_table(const fs::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    throw user_error(file.string() + ": " + msg);
  }
  std::vector<std::pair<std::string, std::string>> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM run ORDER BY key", -1, &st, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw user_error(file.string() + ": not a run database: " + msg);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto text = [&](int col) {
      auto* t = sqlite3_column_text(st, col);
      return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    out.emplace_back(text(0), text(1));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::vector<metric_row> read_metrics(const fs::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    throw user_error(file.string() + ": " + msg);
  }
  std::vector<metric_row> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT tick, actor, name, value FROM metrics ORDER BY tick, actor, name", -1, &st,
                         nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw user_error(file.string() + ": not a run database: " + msg);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    // A database written by someone else may hold anything: check before reading.
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || sqlite3_column_type(st, 1) != SQLITE_TEXT ||
        sqlite3_column_type(st, 2) != SQLITE_TEXT ||
        (sqlite3_column_type(st, 3) != SQLITE_FLOAT && sqlite3_column_type(st, 3) != SQLITE_INTEGER)) {
      sqlite3_finalize(st);
      sqlite3_close(db);
      throw user_error(file.string() + ": metrics row " + std::to_string(out.size() + 1) +
                       " is malformed (expected integer tick, text actor and name, numeric value)");
    }
    metric_row r;
    r.tick = sqlite3_column_int64(st, 0);
    r.actor = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    r.name = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
    r.value = sqlite3_column_double(st, 3);
    out.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace oversight
