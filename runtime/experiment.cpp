#include "runtime/experiment.hpp"
#include "runtime/run_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sqlite3.h>
#include <sstream>

#include "base/error.hpp"
#include "runtime/json.hpp"
#include "runtime/stats.hpp"

namespace oversight {

namespace fs = std::filesystem;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---- reading SQLite files -----------------------------------------------------------
// Every problem in a file a user hands us (missing, not a database, wrong schema, NULLs
// or text where numbers belong) is a user_error naming the file, never a crash.

class database {
 public:
  explicit database(const fs::path& file) : file_(file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot open";
      sqlite3_close(db_);
      db_ = nullptr;
      throw user_error(file.string() + ": " + msg);
    }
  }
  ~database() { sqlite3_close(db_); }
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  const fs::path& file() const { return file_; }
  [[noreturn]] void fail(const std::string& what) const { throw user_error(file_.string() + ": " + what); }

  /// Runs `sql` and calls on_row(stmt) for each row.
  template <class F>
  void each_row(const std::string& sql, F&& on_row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_finalize(st);
      fail("not the expected database (" + msg + ")");
    }
    int rc;
    try {
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) on_row(st);
    } catch (...) {
      sqlite3_finalize(st);
      throw;
    }
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) fail("cannot read (" + msg + ")");
  }

 private:
  fs::path file_;
  sqlite3* db_ = nullptr;
};

bool is_null(sqlite3_stmt* st, int col) { return sqlite3_column_type(st, col) == SQLITE_NULL; }

std::string text_column(sqlite3_stmt* st, int col) {
  const unsigned char* p = sqlite3_column_text(st, col);
  return p ? reinterpret_cast<const char*>(p) : std::string();
}

/// A column that must hold an integer (or a text of one: the run table stores text).
int64_t integer_column(const database& db, sqlite3_stmt* st, int col, const std::string& what) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER: return sqlite3_column_int64(st, col);
    case SQLITE_TEXT: {
      std::string s = text_column(st, col);
      try {
        size_t used = 0;
        long long v = std::stoll(s, &used);
        if (used == s.size()) return v;
      } catch (const std::exception&) {
      }
      db.fail(what + " is '" + s + "', not an integer");
    }
    case SQLITE_NULL: db.fail(what + " is NULL");
    default: db.fail(what + " is not an integer");
  }
}

/// The metrics table, checked cell by cell. SQLite stores a NaN as NULL, so a NULL
/// value reads back as NaN; NaN values then count as missing (see value_of()).
std::vector<metric_row> read_metric_rows(const fs::path& file) {
  database db(file);
  std::vector<metric_row> rows;
  db.each_row("SELECT tick, actor, name, value FROM metrics ORDER BY tick, actor, name, rowid", [&](sqlite3_stmt* st) {
    const std::string where = "metrics row " + std::to_string(rows.size() + 1);
    metric_row r;
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) db.fail(where + ": tick is not an integer");
    r.tick = sqlite3_column_int64(st, 0);
    const std::string at_tick = where + " (tick " + std::to_string(r.tick) + ")";
    if (sqlite3_column_type(st, 1) != SQLITE_TEXT) db.fail(at_tick + ": actor is NULL or not text");
    if (sqlite3_column_type(st, 2) != SQLITE_TEXT) db.fail(at_tick + ": name is NULL or not text");
    r.actor = text_column(st, 1);
    r.name = text_column(st, 2);
    switch (sqlite3_column_type(st, 3)) {
      case SQLITE_INTEGER:
      case SQLITE_FLOAT: r.value = sqlite3_column_double(st, 3); break;
      case SQLITE_NULL: r.value = nan; break;
      default:
        db.fail(at_tick + ", " + r.actor + "." + r.name + ": value '" + text_column(st, 3) + "' is not a number");
    }
    rows.push_back(std::move(r));
  });
  return rows;
}

// ---- sweep directories ---------------------------------------------------------------

std::vector<run_entry> read_sweep(const fs::path& dir) {
  database db(dir / "sweep.sqlite");
  std::vector<run_entry> runs;
  db.each_row("SELECT point, seed, params, status, run_dir, seconds, error FROM points ORDER BY point, seed",
              [&](sqlite3_stmt* st) {
                run_entry r;
                const int64_t point = integer_column(db, st, 0, "points.point");
                const std::string where = "point " + std::to_string(point);
                r.seed = integer_column(db, st, 1, where + ": seed");
                if (sqlite3_column_type(st, 2) != SQLITE_TEXT) db.fail(where + ": params is NULL or not text");
                try {
                  r.params = parse_json_object(text_column(st, 2));
                } catch (const std::invalid_argument& e) {
                  db.fail(where + ": params: " + e.what());
                }
                r.status = text_column(st, 3);
                if (r.status != "pending" && r.status != "running" && r.status != "done" && r.status != "failed")
                  db.fail(where + ": status '" + r.status + "' is none of pending, running, done, failed");
                if (!is_null(st, 4)) {
                  fs::path run_dir = text_column(st, 4);
                  r.dir = run_dir.is_absolute() ? run_dir : dir / run_dir;
                }
                r.seconds = is_null(st, 5) ? 0.0 : sqlite3_column_double(st, 5);
                r.error = text_column(st, 6);
                if (r.status == "done") {
                  if (r.dir.empty()) db.fail(where + " is done but has no run_dir");
                  r.rows = read_metric_rows(r.dir / "run.sqlite");
                }
                runs.push_back(std::move(r));
              });
  return runs;
}

// ---- loose run directories ----------------------------------------------------------

struct loose_run {
  run_entry entry;
  arm_params all_params;  // every parameter but the seed, as JSON value texts
};

std::string parameter_json(const database& db, const std::string& key, const std::string& type,
                           const std::string& value) {
  const std::string where = "parameter '" + key + "' (" + type + ") = '" + value + "'";
  if (type == "text") return json_quote(value);
  if (type == "boolean") {
    if (value == "true" || value == "1") return "true";
    if (value == "false" || value == "0") return "false";
    db.fail(where + " is not a boolean");
  }
  if (type == "integer" || type == "real") {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(v)) db.fail(where + " is not a finite number");
    // Integers keep their digits (a double would round ones beyond 2^53).
    return type == "integer" ? value : json_number(v);
  }
  db.fail(where + ": unknown type");
}

loose_run read_loose_run(const fs::path& dir) {
  loose_run out;
  run_entry& r = out.entry;
  r.dir = dir;
  fs::path file = dir / "run.sqlite";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    r.status = "done";
  } else {
    file = dir / "run.sqlite.partial";
    r.status = "failed";
    std::ifstream failed(dir / "FAILED");
    if (failed) {
      std::stringstream ss;
      ss << failed.rdbuf();
      r.error = ss.str();
      while (!r.error.empty() && (r.error.back() == '\n' || r.error.back() == '\r')) r.error.pop_back();
    } else {
      r.error = run_dir_locked(dir) ? "unfinished: still running" : "unfinished: killed (run.sqlite.partial without FAILED)";
    }
  }
  database db(file);
  bool have_seed = false;
  db.each_row("SELECT key, value FROM run WHERE key = 'seed'", [&](sqlite3_stmt* st) {
    r.seed = integer_column(db, st, 1, "run.seed");
    have_seed = true;
  });
  if (!have_seed) db.fail("the run table has no seed");
  db.each_row("SELECT key, type, value FROM parameters ORDER BY key", [&](sqlite3_stmt* st) {
    if (sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_type(st, 1) != SQLITE_TEXT ||
        is_null(st, 2))
      db.fail("parameters row with a NULL key, type or value");
    const std::string key = text_column(st, 0);
    if (key == "seed") return;
    out.all_params[key] = parameter_json(db, key, text_column(st, 1), text_column(st, 2));
  });
  // An unfinished run's committed ticks are read too: summaries show its metrics but
  // count only done runs in their statistics (the command lists it as incomplete).
  r.rows = read_metric_rows(file);
  return out;
}

/// The arm of each loose run: the parameters whose values are not the same in all runs
/// (a key some runs lack counts as differing).
std::vector<run_entry> arms_of_loose_runs(std::vector<loose_run> loose, std::vector<std::string>& arm_keys) {
  std::set<std::string> all_keys, differing;
  for (const auto& l : loose)
    for (const auto& [k, v] : l.all_params) all_keys.insert(k);
  for (const auto& k : all_keys) {
    const auto first = loose.front().all_params.find(k);
    for (const auto& l : loose) {
      const auto it = l.all_params.find(k);
      const bool same = it != l.all_params.end() && first != loose.front().all_params.end() &&
                        json_scalar_equal(it->second, first->second);
      if (!same) {
        differing.insert(k);
        break;
      }
    }
  }
  arm_keys.assign(differing.begin(), differing.end());
  std::vector<run_entry> runs;
  for (auto& l : loose) {
    for (const auto& k : differing) {
      const auto it = l.all_params.find(k);
      if (it != l.all_params.end()) l.entry.params[k] = it->second;
    }
    runs.push_back(std::move(l.entry));
  }
  return runs;
}

// ---- values of metrics ----------------------------------------------------------------

std::string metric_key(const metric_row& r) { return r.actor + "." + r.name; }

/// Per metric, a run's (tick, value) series in tick order; a repeated tick keeps its
/// last row.
std::map<std::string, std::vector<std::pair<int64_t, double>>> series_of(const run_entry& run) {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
  for (const auto& r : run.rows) {
    auto& s = out[metric_key(r)];
    if (!s.empty() && s.back().first == r.tick) s.back().second = r.value;
    else s.emplace_back(r.tick, r.value);
  }
  return out;
}

/// A run's value of each metric: the last tick's, or the mean of the last K ticks (of
/// all ticks when it has fewer). NaN recorded values make the value missing.
std::map<std::string, double> values_of(const run_entry& run, const value_at& at) {
  std::map<std::string, double> out;
  for (const auto& [metric, series] : series_of(run)) {
    const size_t k = std::min(series.size(), static_cast<size_t>(at.last_k));
    std::vector<double> window;
    for (size_t i = series.size() - k; i < series.size(); ++i) window.push_back(series[i].second);
    const double v = stats::mean(window);
    if (!std::isnan(v)) out[metric] = v;
  }
  return out;
}

metric_stats stats_of(const std::vector<double>& x) {
  metric_stats s;
  s.n = x.size();
  s.mean = stats::mean(x);
  s.sd = stats::sample_sd(x);
  const auto ci = stats::mean_ci95(x);
  s.ci_lo = ci.lo;
  s.ci_hi = ci.hi;
  return s;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

/// The arm a --baseline "key=value" list selects.
arm_params select_baseline(const experiment& ex, const std::vector<std::string>& terms) {
  const std::string flag = "--baseline " + join(terms, " --baseline ");
  std::vector<std::pair<std::string, std::string>> wanted;
  for (const auto& term : terms) {
    const auto eq = term.find('=');
    if (eq == std::string::npos || eq == 0)
      throw user_error("--baseline " + term + ": expected key=value (e.g. --baseline attacker.strategy=none)");
    const std::string key = term.substr(0, eq);
    if (std::find(ex.arm_keys.begin(), ex.arm_keys.end(), key) == ex.arm_keys.end())
      throw user_error("--baseline " + term + ": '" + key + "' is not a key that tells arms apart; " +
                       (ex.arm_keys.empty() ? std::string("the runs form a single arm")
                                            : "arm keys: " + join(ex.arm_keys, ", ")));
    wanted.emplace_back(key, term.substr(eq + 1));
  }
  auto matches = [&](const arm_params& arm) {
    for (const auto& [key, value] : wanted) {
      const auto it = arm.find(key);
      if (it == arm.end()) return false;
      // A bare word matches a string of that text too: attacker.strategy=none.
      if (!json_scalar_equal(it->second, value) && !json_scalar_equal(it->second, json_quote(value))) return false;
    }
    return true;
  };
  std::vector<arm_params> found;
  std::vector<std::string> labels;
  for (const auto& arm : ex.arms()) {
    labels.push_back(arm_label(arm));
    if (matches(arm)) found.push_back(arm);
  }
  if (found.size() == 1) return found.front();
  if (found.empty()) throw user_error(flag + ": matches no arm; arms: " + join(labels, "; "));
  std::vector<std::string> found_labels;
  for (const auto& arm : found) found_labels.push_back(arm_label(arm));
  throw user_error(flag + ": matches " + std::to_string(found.size()) + " arms (" + join(found_labels, "; ") +
                   "); add key=value terms until one is left");
}

/// seed -> value of `metric` over an arm's done runs. Pairing needs one run per seed.
std::map<int64_t, double> by_seed(const experiment& ex, const std::vector<std::map<std::string, double>>& values,
                                  const arm_params& arm, const std::string& metric) {
  std::map<int64_t, double> out;
  std::map<int64_t, fs::path> dir_of_seed;
  for (size_t i = 0; i < ex.runs.size(); ++i) {
    const auto& run = ex.runs[i];
    if (run.params != arm || run.status != "done") continue;
    if (auto [it, fresh] = dir_of_seed.emplace(run.seed, run.dir); !fresh)
      throw user_error("arm " + arm_label(arm) + " has seed " + std::to_string(run.seed) + " twice (" +
                       it->second.string() + ", " + run.dir.string() + "): pairing by seed needs one run per seed");
    const auto v = values[i].find(metric);
    if (v != values[i].end()) out[run.seed] = v->second;
  }
  return out;
}

// ---- formatting -------------------------------------------------------------------------

std::string number4(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string ci_text(double lo, double hi) {
  if (std::isnan(lo) || std::isnan(hi)) return "-";
  return "[" + number4(lo) + ", " + number4(hi) + "]";
}

std::string pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string json_params(const arm_params& p) { return json_object(p); }

}  // namespace

std::vector<arm_params> experiment::arms() const {
  std::vector<arm_params> out;
  for (const auto& r : runs)
    if (std::find(out.begin(), out.end(), r.params) == out.end()) out.push_back(r.params);
  return out;
}

experiment load_experiment(const std::vector<fs::path>& dirs) {
  if (dirs.empty()) throw user_error("summary: no directory given");
  experiment ex;
  std::vector<loose_run> loose;
  std::vector<run_entry> swept;
  std::set<std::string> keys;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw user_error(dir.string() + ": " + (fs::exists(dir, ec) ? "not a directory" : "no such directory"));
    if (fs::exists(dir / "sweep.sqlite", ec)) {
      for (auto& r : read_sweep(dir)) {
        for (const auto& [k, v] : r.params) keys.insert(k);
        swept.push_back(std::move(r));
      }
    } else if (fs::exists(dir / "run.sqlite", ec) || fs::exists(dir / "run.sqlite.partial", ec)) {
      loose.push_back(read_loose_run(dir));
    } else {
      throw user_error(dir.string() +
                       ": neither a sweep directory (no sweep.sqlite) nor a run directory (no run.sqlite)");
    }
  }
  if (!swept.empty() && !loose.empty())
    throw user_error("give sweep directories or run directories, not both (" + dirs.front().string() + ", ...)");
  if (!loose.empty()) {
    ex.runs = arms_of_loose_runs(std::move(loose), ex.arm_keys);
  } else {
    ex.runs = std::move(swept);
    ex.arm_keys.assign(keys.begin(), keys.end());
  }
  // (arm, seed) order, arms in first-appearance order.
  const auto arms = ex.arms();
  auto arm_index = [&](const arm_params& p) { return std::find(arms.begin(), arms.end(), p) - arms.begin(); };
  std::stable_sort(ex.runs.begin(), ex.runs.end(), [&](const run_entry& a, const run_entry& b) {
    const auto ia = arm_index(a.params), ib = arm_index(b.params);
    return ia != ib ? ia < ib : a.seed < b.seed;
  });
  return ex;
}

value_at value_at::parse(const std::string& text) {
  if (text == "last") return value_at{1};
  const std::string prefix = "mean_last:";
  if (text.rfind(prefix, 0) == 0) {
    const std::string k = text.substr(prefix.size());
    const bool digits = !k.empty() && k.size() <= 9 &&
                        std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && std::stoi(k) >= 1) return value_at{std::stoi(k)};
  }
  throw user_error("--at " + text + ": expected last or mean_last:K with an integer K >= 1 (e.g. mean_last:5)");
}

summary summarize(const experiment& ex, const summary_options& opt) {
  // Each run's value of each metric, computed once.
  std::vector<std::map<std::string, double>> values;
  std::set<std::string> recorded;
  for (const auto& run : ex.runs) {
    values.push_back(run.status == "done" ? values_of(run, opt.at) : std::map<std::string, double>{});
    for (const auto& r : run.rows) recorded.insert(metric_key(r));
  }
  std::vector<std::string> metrics;
  if (opt.metrics.empty()) {
    metrics.assign(recorded.begin(), recorded.end());
  } else {
    for (const auto& m : opt.metrics) {
      if (!recorded.count(m))
        throw user_error("--metric " + m + ": recorded by no run; " +
                         (recorded.empty() ? std::string("no run recorded any metric")
                                           : "metrics: " + join({recorded.begin(), recorded.end()}, ", ")));
      if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
    }
    // The same (name) order as the per-arm tables, whatever order the flags came in.
    std::sort(metrics.begin(), metrics.end());
  }

  summary s;
  const auto arms = ex.arms();
  for (const auto& arm : arms) {
    arm_summary a;
    a.params = arm;
    for (const auto& m : metrics) {
      std::vector<double> x;
      for (size_t i = 0; i < ex.runs.size(); ++i) {
        if (ex.runs[i].params != arm) continue;
        const auto it = values[i].find(m);
        if (it != values[i].end()) x.push_back(it->second);
      }
      a.metrics[m] = stats_of(x);
    }
    s.arms.push_back(std::move(a));
  }

  if (opt.baseline.empty()) return s;
  const arm_params base = select_baseline(ex, opt.baseline);
  for (const auto& arm : arms) {
    if (arm == base) continue;
    for (const auto& m : metrics) {
      const auto arm_values = by_seed(ex, values, arm, m), base_values = by_seed(ex, values, base, m);
      std::vector<double> a, b;
      for (const auto& [seed, v] : arm_values) {
        const auto it = base_values.find(seed);
        if (it == base_values.end()) continue;
        a.push_back(v);
        b.push_back(it->second);
      }
      const auto d = stats::paired_differences(a, b);
      paired_diff p;
      p.params = arm;
      p.baseline = base;
      p.metric = m;
      p.n = d.size();
      p.mean_diff = stats::mean(d);
      const auto ci = stats::mean_ci95(d);
      p.ci_lo = ci.lo;
      p.ci_hi = ci.hi;
      p.p_t = stats::t_test_p(d);
      // Below 6 pairs the exact test cannot reach p < 0.05 (its least p is 2/2^n).
      p.p_wilcoxon = d.size() >= 6 ? stats::wilcoxon_signed_rank_p(d) : nan;
      s.paired.push_back(std::move(p));
    }
  }
  return s;
}

void print_summary_table(std::ostream& os, const summary& s) {
  if (s.arms.empty()) {
    os << "no runs\n";
    return;
  }
  size_t metric_width = 6;
  for (const auto& a : s.arms)
    for (const auto& [m, st] : a.metrics) metric_width = std::max(metric_width, m.size());
  bool first = true;
  for (const auto& a : s.arms) {
    if (!first) os << "\n";
    first = false;
    os << arm_label(a.params) << "\n";
    if (a.metrics.empty()) {
      os << "  (no metrics)\n";
      continue;
    }
    os << "  " << pad("metric", metric_width, false) << pad("n", 5, true) << pad("mean", 11, true)
       << pad("sd", 11, true) << "  ci95\n";
    for (const auto& [m, st] : a.metrics)
      os << "  " << pad(m, metric_width, false) << pad(std::to_string(st.n), 5, true) << pad(number4(st.mean), 11, true)
         << pad(number4(st.sd), 11, true) << "  " << ci_text(st.ci_lo, st.ci_hi) << "\n";
  }
  if (s.paired.empty()) return;
  size_t arm_width = 3;
  for (const auto& p : s.paired) arm_width = std::max(arm_width, arm_label(p.params).size());
  os << "\npaired differences against " << arm_label(s.paired.front().baseline)
     << " (arm minus baseline, paired by seed)\n";
  os << "  " << pad("arm", arm_width, false) << "  " << pad("metric", metric_width, false) << pad("n", 5, true)
     << pad("mean_diff", 11, true) << "  " << pad("ci95", 22, false) << pad("p_t", 10, true)
     << pad("p_wilcoxon", 12, true) << "\n";
  for (const auto& p : s.paired)
    os << "  " << pad(arm_label(p.params), arm_width, false) << "  " << pad(p.metric, metric_width, false)
       << pad(std::to_string(p.n), 5, true) << pad(number4(p.mean_diff), 11, true) << "  "
       << pad(ci_text(p.ci_lo, p.ci_hi), 22, false) << pad(number4(p.p_t), 10, true)
       << pad(number4(p.p_wilcoxon), 12, true) << "\n";
}

void write_summary_json(const fs::path& file, const summary& s) {
  std::ostringstream js;
  js << "{\n  \"arms\": [";
  for (size_t i = 0; i < s.arms.size(); ++i) {
    const auto& a = s.arms[i];
    js << (i ? "," : "") << "\n    {\"params\": " << json_params(a.params) << ", \"metrics\": {";
    bool first = true;
    for (const auto& [m, st] : a.metrics) {
      js << (first ? "" : ",") << "\n      " << json_quote(m) << ": {\"n\": " << st.n
         << ", \"mean\": " << json_number(st.mean) << ", \"sd\": " << json_number(st.sd) << ", \"ci95\": ["
         << json_number(st.ci_lo) << ", " << json_number(st.ci_hi) << "]}";
      first = false;
    }
    js << (a.metrics.empty() ? "" : "\n    ") << "}}";
  }
  js << (s.arms.empty() ? "" : "\n  ") << "],\n  \"paired\": [";
  for (size_t i = 0; i < s.paired.size(); ++i) {
    const auto& p = s.paired[i];
    js << (i ? "," : "") << "\n    {\"params\": " << json_params(p.params)
       << ", \"baseline\": " << json_params(p.baseline) << ", \"metric\": " << json_quote(p.metric)
       << ", \"n\": " << p.n << ", \"mean_diff\": " << json_number(p.mean_diff) << ", \"ci95\": ["
       << json_number(p.ci_lo) << ", " << json_number(p.ci_hi) << "], \"p_t\": " << json_number(p.p_t)
       << ", \"p_wilcoxon\": " << json_number(p.p_wilcoxon) << "}";
  }
  js << (s.paired.empty() ? "" : "\n  ") << "]\n}\n";

  // A reader never sees half a file: write a sibling temporary, then rename over.
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << js.str();
    f.close();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw user_error("--json " + file.string() + ": cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw user_error("--json " + file.string() + ": cannot rename the temporary into place: " + ec.message());
  }
}

std::vector<band_point> arm_band(const experiment& ex, const arm_params& arm, const std::string& metric) {
  std::map<int64_t, std::vector<double>> at_tick;
  for (const auto& run : ex.runs) {
    if (run.params != arm || run.status != "done") continue;
    const auto all = series_of(run);
    const auto it = all.find(metric);
    if (it == all.end()) continue;
    for (const auto& [tick, v] : it->second)
      if (!std::isnan(v)) at_tick[tick].push_back(v);
  }
  std::vector<band_point> out;
  for (const auto& [tick, x] : at_tick) {
    band_point b;
    b.tick = tick;
    b.n = x.size();
    b.mean = stats::mean(x);
    const auto ci = stats::mean_ci95(x);
    b.ci_lo = ci.lo;
    b.ci_hi = ci.hi;
    out.push_back(b);
  }
  return out;
}

std::string arm_label(const arm_params& arm) {
  if (arm.empty()) return "(all runs)";
  std::string out;
  for (const auto& [k, v] : arm) out += (out.empty() ? "" : ", ") + k + "=" + json_display(v);
  return out;
}

std::map<std::string, double> run_values(const run_entry& run, const value_at& at) { return values_of(run, at); }

}  // namespace oversight
