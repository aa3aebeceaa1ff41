#include "runtime/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "base/error.hpp"
#include "runtime/json.hpp"
#include "runtime/spec_detail.hpp"

extern char** environ;

namespace oversight {

namespace fs = std::filesystem;

namespace {

std::string json_value(const param_value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return json_quote(*s);
  if (auto* d = std::get_if<double>(&v)) return json_number(*d);
  return to_string(v);  // integers and booleans read the same in JSON
}

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string point_name(int point, int64_t seed) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "p%03d-s%lld", point, (long long)seed);
  return buf;
}

std::string hms(double seconds) {
  const long s = long(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

/// The sweep index, one statement per change (autocommit, WAL): readable while it runs.
class sweep_index {
 public:
  explicit sweep_index(const fs::path& file) : file_(file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errmsg(db_));
    exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;");
    exec("CREATE TABLE IF NOT EXISTS sweep(key TEXT PRIMARY KEY, value TEXT)");
    exec("CREATE TABLE IF NOT EXISTS points(point INTEGER, seed INTEGER, params TEXT, status TEXT, run_dir TEXT, "
         "seconds REAL, error TEXT, PRIMARY KEY(point, seed))");
  }
  ~sweep_index() {
    // Back to a single file once nobody writes: no -wal/-shm files left beside it.
    sqlite3_exec(db_, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  sweep_index(const sweep_index&) = delete;
  sweep_index& operator=(const sweep_index&) = delete;

  std::optional<std::string> meta(const std::string& key) {
    stmt st(db_, "SELECT value FROM sweep WHERE key = ?");
    st.text(1, key);
    if (sqlite3_step(st.s) != SQLITE_ROW || sqlite3_column_type(st.s, 0) != SQLITE_TEXT) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)));
  }
  void set_meta(const std::string& key, const std::string& value) {
    stmt st(db_, "INSERT OR REPLACE INTO sweep(key, value) VALUES(?, ?)");
    st.text(1, key);
    st.text(2, value);
    st.step();
  }
  /// status of (point, seed), or "" when there is no row.
  std::string status(int point, int64_t seed) {
    stmt st(db_, "SELECT status FROM points WHERE point = ? AND seed = ?");
    sqlite3_bind_int(st.s, 1, point);
    sqlite3_bind_int64(st.s, 2, seed);
    if (sqlite3_step(st.s) != SQLITE_ROW || sqlite3_column_type(st.s, 0) != SQLITE_TEXT) return "";
    return reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
  }
  void put(int point, int64_t seed, const std::string& params, const std::string& status, const std::string& run_dir,
           double seconds, const std::string& error) {
    stmt st(db_,
            "INSERT OR REPLACE INTO points(point, seed, params, status, run_dir, seconds, error) "
            "VALUES(?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_int(st.s, 1, point);
    sqlite3_bind_int64(st.s, 2, seed);
    st.text(3, params);
    st.text(4, status);
    st.text(5, run_dir);
    sqlite3_bind_double(st.s, 6, seconds);
    if (error.empty()) sqlite3_bind_null(st.s, 7);
    else st.text(7, error);
    st.step();
  }
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      throw std::runtime_error(file_.string() + ": " + msg);
    }
  }

 private:
  struct stmt {
    sqlite3_stmt* s = nullptr;
    sqlite3* db;
    stmt(sqlite3* d, const char* sql) : db(d) {
      if (sqlite3_prepare_v2(d, sql, -1, &s, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(d));
    }
    ~stmt() { sqlite3_finalize(s); }
    void text(int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), -1, SQLITE_TRANSIENT); }
    void step() {
      if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
    }
  };
  fs::path file_;
  sqlite3* db_ = nullptr;
};

/// Whether DIR/run.sqlite is a complete run (a finished run the index missed).
bool run_complete(const fs::path& run_dir) {
  auto file = run_dir / "run.sqlite";
  if (!fs::exists(file)) return false;
  sqlite3* db = nullptr;
  bool complete = false;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT value FROM run WHERE key = 'status'", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
      complete = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "complete";
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return complete;
}

/// Why a run failed, in one line: its FAILED file, else its last "error:" line, else
/// how the process ended.
std::string failure_reason(const fs::path& run_dir, const fs::path& log, int wait_status) {
  std::string reason;
  std::ifstream failed(run_dir / "FAILED");
  if (failed && std::getline(failed, reason) && !reason.empty()) return reason;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("error: ", 0) == 0) reason = line.substr(7);
  if (!reason.empty()) return reason;
  if (WIFSIGNALED(wait_status)) return std::string("killed by signal ") + strsignal(WTERMSIG(wait_status));
  return "exit status " + std::to_string(WEXITSTATUS(wait_status)) + " (see " + log.string() + ")";
}

std::atomic<int> stop_signal{0};
extern "C" void on_stop_signal(int sig) { stop_signal = sig; }

/// Holds an exclusive flock on DIR/.sweep.lock for its lifetime.
class dir_lock {
 public:
  explicit dir_lock(const fs::path& dir) {
    auto file = dir / ".sweep.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw user_error("--out " + dir.string() + ": cannot create " + file.string() + ": " + strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw user_error("--out " + dir.string() + ": another sweep is running on this directory");
    }
  }
  ~dir_lock() { ::close(fd_); }
  dir_lock(const dir_lock&) = delete;
  dir_lock& operator=(const dir_lock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::string sweep_plan::identity() const {
  std::vector<std::string> sets_json, keys_json, seeds_json, points_json;
  for (auto& s : user_sets) sets_json.push_back(json_quote(s));
  for (auto& k : grid_keys) keys_json.push_back(json_quote(k));
  for (auto s : seeds) seeds_json.push_back(std::to_string(s));
  for (auto& p : points) points_json.push_back(p.params_json);
  return json_object({{"file", json_quote(file.string())},
                      {"scenario", json_quote(scenario)},
                      {"set", json_array(sets_json)},
                      {"grid", json_array(keys_json)},
                      {"points", json_array(points_json)},
                      {"seeds", json_array(seeds_json)}});
}

sweep_plan make_sweep_plan(const fs::path& file, const std::vector<std::string>& sets,
                           const std::optional<std::string>& seeds_override) {
  const auto spec = load_spec(file, sets, std::nullopt);  // the file and every --set, validated
  const auto table = load_sweep_table(file);
  sweep_plan plan;
  std::error_code ec;
  plan.file = fs::absolute(file, ec);
  plan.scenario = spec.scenario;
  plan.user_sets = sets;
  if (seeds_override) plan.seeds = parse_seed_list(*seeds_override, "--seeds");
  else plan.seeds = table.seeds;
  if (plan.seeds.empty())
    throw user_error(file.string() + ": no seeds to sweep: give [sweep] seeds = \"1..10\" in the file, or --seeds");
  auto refuse_set_on = [&](const std::string& key, const char* where) {
    for (auto& s : sets)
      if (s.rfind(key + "=", 0) == 0)
        throw user_error("--set " + s + ": '" + key + "' is set by " + file.string() + "'s " + where +
                         "; remove one of the two");
  };
  for (auto& key : table.point_keys) {
    refuse_set_on(key, "sweep.points");
    plan.grid_keys.push_back(key);
  }
  for (auto& axis : table.grid) {
    refuse_set_on(axis.key, "[sweep.grid]");
    plan.grid_keys.push_back(axis.key);
  }
  // No event log per run unless someone asked for one (sweep.hpp).
  const std::string events = "events.log";
  const bool asked = !!spec_detail::parse_scenario_file(file).at_path(events) ||
                     std::any_of(sets.begin(), sets.end(), [&](auto& s) { return s.rfind(events + "=", 0) == 0; }) ||
                     std::count(plan.grid_keys.begin(), plan.grid_keys.end(), events) > 0;
  if (!asked) plan.default_sets.push_back(events + "=false");
  // The listed combinations (or one empty one) times the grid's Cartesian product, the
  // last axis varying fastest.
  const std::vector<std::vector<std::pair<std::string, param_value>>> listed =
      table.points.empty() ? std::vector<std::vector<std::pair<std::string, param_value>>>(1) : table.points;
  size_t product = 1;
  for (auto& axis : table.grid) {
    product *= axis.values.size();
    if (product * listed.size() > 100000) throw user_error(file.string() + ": the sweep has more than 100000 points");
  }
  for (size_t p = 0; p < listed.size() * product; ++p) {
    sweep_point point;
    point.index = int(p);
    std::map<std::string, std::string> members;
    for (auto& [key, v] : listed[p / product]) {
      members[key] = json_value(v);
      point.sets.push_back(key + "=" + to_toml(v));
    }
    std::vector<std::string> grid_sets;
    size_t rest = p % product;
    for (size_t a = table.grid.size(); a-- > 0;) {
      const auto& axis = table.grid[a];
      const auto& v = axis.values[rest % axis.values.size()];
      rest /= axis.values.size();
      members[axis.key] = json_value(v);
      grid_sets.insert(grid_sets.begin(), axis.key + "=" + to_toml(v));
    }
    point.sets.insert(point.sets.end(), grid_sets.begin(), grid_sets.end());
    point.params_json = json_object(members);
    plan.points.push_back(std::move(point));
  }
  return plan;
}

fs::path default_sweep_dir(const std::string& scenario) {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  fs::path dir = fs::path("sweeps") / (scenario + "-" + stamp);
  for (int i = 2; fs::exists(dir); ++i) dir = fs::path("sweeps") / (scenario + "-" + stamp + "-" + std::to_string(i));
  return dir;
}

sweep_result run_sweep(const sweep_plan& plan, const sweep_options& opt) {
  const fs::path dir = opt.out.empty() ? default_sweep_dir(plan.scenario) : opt.out;
  const std::string origin = "--out " + dir.string();
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  if (existed) {
    if (!fs::is_directory(dir, ec)) throw user_error(origin + ": exists and is not a directory");
    if (!fs::exists(dir / "sweep.sqlite") && !fs::is_empty(dir, ec))
      throw user_error(origin + ": exists and is not a sweep directory (no sweep.sqlite); choose another");
  } else {
    fs::create_directories(dir, ec);
    if (ec) throw user_error(origin + ": cannot create directory: " + ec.message());
  }
  dir_lock lock(dir);
  sweep_index index(dir / "sweep.sqlite");
  const std::string identity = plan.identity();
  if (auto old = index.meta("plan")) {
    if (*old != identity)
      throw user_error(origin + ": holds a different sweep (another file, grid, seeds or --set); resume it with "
                       "the command that started it, or choose another directory");
  } else {
    index.set_meta("plan", identity);
    index.set_meta("file", plan.file.string());
    index.set_meta("scenario", plan.scenario);
  }
  fs::create_directories(dir / "runs", ec);
  fs::create_directories(dir / "logs", ec);

  // What is left to do; rows for every (point, seed) exist from here on.
  struct job {
    const sweep_point* point;
    int64_t seed;
  };
  std::vector<job> todo;
  sweep_result res;
  res.dir = dir;
  for (auto& p : plan.points)
    for (auto s : plan.seeds) {
      const std::string name = point_name(p.index, s), run_dir = "runs/" + name;
      const std::string status = index.status(p.index, s);
      if (status == "done") {
        ++res.done;
        continue;
      }
      if (run_complete(dir / run_dir)) {  // finished, but the index never heard of it
        index.put(p.index, s, p.params_json, "done", run_dir, 0, "");
        ++res.done;
        continue;
      }
      fs::remove_all(dir / run_dir, ec);  // leftovers of a failed or killed try: ours to clear
      index.put(p.index, s, p.params_json, "pending", run_dir, 0, "");
      todo.push_back({&p, s});
    }

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int jobs = std::max(1, opt.jobs > 0 ? opt.jobs : int(cores));
  const int threads_each = opt.threads_per_run > 0 ? opt.threads_per_run : std::max(1, int(cores) / jobs);
  stop_signal = 0;
  struct sigaction sa {}, old_int{}, old_term{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  const double start = now_seconds();
  const size_t total = plan.runs(), already = res.done;
  const bool tty = isatty(STDERR_FILENO);
  auto progress = [&](bool final_line) {
    if (!opt.progress || (final_line && !tty)) return;  // a log already has the last line
    const double elapsed = now_seconds() - start;
    const size_t finished_now = res.done + res.failed - already;
    const size_t left = total - res.done - res.failed;
    std::string eta = "?";
    if (finished_now > 0) eta = hms(elapsed / double(finished_now) * double(left));
    std::fprintf(stderr, "%s[sweep %s] %zu done, %zu failed, %zu total, elapsed %s, left ~%s%s", tty ? "\r" : "",
                 plan.scenario.c_str(), res.done, res.failed, total, hms(elapsed).c_str(),
                 left ? eta.c_str() : "0s", tty && !final_line ? "   " : "\n");
    std::fflush(stderr);
  };

  struct running {
    job j;
    double started;
  };
  std::map<pid_t, running> live;
  size_t next = 0;
  if (opt.progress)
    std::fprintf(stderr, "sweep %s: %zu point(s) x %zu seed(s), %zu to run, %d at a time, in %s\n",
                 plan.scenario.c_str(), plan.points.size(), plan.seeds.size(), todo.size(), jobs, dir.c_str());
  progress(false);
  while (next < todo.size() || !live.empty()) {
    while (!stop_signal && next < todo.size() && int(live.size()) < jobs) {
      const job& j = todo[next++];
      const std::string name = point_name(j.point->index, j.seed);
      const fs::path log = dir / "logs" / (name + ".log");
      std::vector<std::string> args = {opt.oversight_bin.string(), "run", plan.file.string()};
      for (auto& s : plan.default_sets) args.insert(args.end(), {"--set", s});
      for (auto& s : plan.user_sets) args.insert(args.end(), {"--set", s});
      for (auto& s : j.point->sets) args.insert(args.end(), {"--set", s});
      args.insert(args.end(), {"--seed", std::to_string(j.seed), "--threads", std::to_string(threads_each), "--out",
                               (dir / "runs" / name).string()});
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
      posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
      pid_t pid = 0;
      const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&fa);
      if (rc != 0) {
        index.put(j.point->index, j.seed, j.point->params_json, "failed", "runs/" + name, 0,
                  std::string("cannot start ") + argv[0] + ": " + strerror(rc));
        ++res.failed;
        progress(false);
        continue;
      }
      index.put(j.point->index, j.seed, j.point->params_json, "running", "runs/" + name, 0, "");
      live[pid] = {j, now_seconds()};
    }
    if (live.empty()) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waitpid: ") + strerror(errno));
    }
    auto it = live.find(pid);
    if (it == live.end()) continue;
    const job j = it->second.j;
    const double seconds = now_seconds() - it->second.started;
    live.erase(it);
    const std::string name = point_name(j.point->index, j.seed), run_dir = "runs/" + name;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      index.put(j.point->index, j.seed, j.point->params_json, "done", run_dir, seconds, "");
      ++res.done;
    } else if (stop_signal) {
      // Stopped by the user, not failed: left pending for the next invocation to resume.
      index.put(j.point->index, j.seed, j.point->params_json, "pending", run_dir, 0, "");
      ++res.interrupted;
    } else {
      index.put(j.point->index, j.seed, j.point->params_json, "failed", run_dir, seconds,
                failure_reason(dir / run_dir, dir / "logs" / (name + ".log"), status));
      ++res.failed;
    }
    progress(false);
  }
  res.interrupted += todo.size() - next;
  progress(true);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  res.seconds = now_seconds() - start;
  return res;
}

}  // namespace oversight
