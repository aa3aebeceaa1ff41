// libFuzzer target: the readers of a run directory's database, as `oversight report DIR`
// and `oversight summary DIR` use them on files anyone may have written.
//
// Input: either a database file (it starts with SQLite's header, "SQLite format 3") or SQL
// run against a fresh database (so the fuzzer explores schemas, types and NULLs far
// faster than by flipping bits in a file). ATTACH and other statements that reach outside
// the file are denied, and long statements are cut off.
// Contract checked: every reader returns or throws a std::exception; a crash, a
// sanitizer report or a hang is a finding.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sqlite3.h>
#include <string>
#include <unistd.h>

#include "runtime/experiment.hpp"
#include "runtime/run_store.hpp"
#include "tools/report.hpp"

namespace fs = std::filesystem;
using namespace oversight;

namespace {

int deny_outside(void*, int action, const char*, const char*, const char*, const char*) {
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_PRAGMA:
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

int stop_long(void* steps) { return ++*static_cast<int*>(steps) > 2000; }

void build_from_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return;
  }
  sqlite3_set_authorizer(db, deny_outside, nullptr);
  int steps = 0;
  sqlite3_progress_handler(db, 1000, stop_long, &steps);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
  sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);  // errors are part of the game
  sqlite3_close(db);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("oversight-fuzz-db-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  std::error_code ec;
  for (const char* f : {"run.sqlite", "run.sqlite-journal", "run.sqlite-wal", "run.sqlite-shm", "report.html"})
    fs::remove(dir / f, ec);
  const auto file = dir / "run.sqlite";
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (input.rfind("SQLite format 3", 0) == 0) {
    std::ofstream(file, std::ios::binary) << input;
  } else {
    build_from_sql(file, input);
  }
  if (!fs::exists(file)) return 0;
  try {
    (void)read_metrics(file);
  } catch (const std::exception&) {
  }
  try {
    (void)read_run_table(file);
  } catch (const std::exception&) {
  }
  try {
    const auto run = read_run_record(file);
    write_run_report(dir / "report.html", "fuzz", run);
  } catch (const std::exception&) {
  }
  try {
    const auto ex = load_experiment({dir});
    (void)summarize(ex, summary_options{});
  } catch (const std::exception&) {
  }
  return 0;
}
