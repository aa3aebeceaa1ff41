#include "tools/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sqlite3.h>
#include <stdexcept>

#include "base/error.hpp"
#include "tools/embedded_assets.hpp"

namespace oversight {

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

using series_key = std::pair<std::string, std::string>;  // actor, name

std::map<series_key, std::vector<std::pair<int64_t, double>>> by_series(const std::vector<metric_row>& rows) {
  std::map<series_key, std::vector<std::pair<int64_t, double>>> s;
  for (auto& r : rows) s[{r.actor, r.name}].emplace_back(r.tick, r.value);
  for (auto& [k, v] : s) std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return s;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// Table figures: four significant digits, "-" where undefined (as the CLI tables do).
std::string cell(double v) { return std::isfinite(v) ? fmt(v) : "-"; }

std::string html(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

// ---- JSON for the page's data block ----------------------------------------------------
// The data sits inside <script type="application/json">, so besides JSON's own escapes
// '<', '>' and '&' are written as \u escapes: no "</script" or "<!--" can end the block.

void json_string(std::string& o, const std::string& s) {
  o += '"';
  for (unsigned char c : s) {
    if (c == '"') o += "\\\"";
    else if (c == '\\') o += "\\\\";
    else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += char(c);
    }
  }
  o += '"';
}

/// Seven significant digits; JSON has no NaN or infinity, so those (and gaps) are null.
void json_number(std::string& o, double v) {
  if (!std::isfinite(v)) {
    o += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  o += buf;
}

void json_numbers(std::string& o, const std::vector<double>& v) {
  o += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    json_number(o, v[i]);
  }
  o += ']';
}

void json_ticks(std::string& o, const std::vector<int64_t>& v) {
  o += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    o += std::to_string(v[i]);
  }
  o += ']';
}

void json_strings(std::string& o, const std::vector<std::string>& v) {
  o += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    json_string(o, v[i]);
  }
  o += ']';
}

// ---- line charts: columns on a shared tick axis ------------------------------------------

/// Columns of values over a shared, ascending tick axis; NaN where a column has no value.
struct aligned {
  std::vector<int64_t> x;
  std::vector<std::vector<double>> cols;
  std::string note;  ///< set when downsampled
};

aligned align(const std::vector<std::vector<std::pair<int64_t, double>>>& series) {
  aligned a;
  for (auto& s : series)
    for (auto& p : s) a.x.push_back(p.first);
  std::sort(a.x.begin(), a.x.end());
  a.x.erase(std::unique(a.x.begin(), a.x.end()), a.x.end());
  for (auto& s : series) {
    std::vector<double> col(a.x.size(), missing);
    for (auto& [t, v] : s) col[size_t(std::lower_bound(a.x.begin(), a.x.end(), t) - a.x.begin())] = v;
    a.cols.push_back(std::move(col));
  }
  return a;
}

/// Above `max_points` ticks: each of max_points / 2 runs of consecutive ticks becomes two
/// points, at the run's first and last tick, holding each column's minimum and maximum
/// over the run in the order they occur. A spike survives (a mean or every k-th tick
/// would drop it); its tick is off by at most the run's length.
void downsample(aligned& a, size_t max_points) {
  const size_t n = a.x.size();
  if (n <= max_points || max_points < 2) return;
  const size_t buckets = max_points / 2;
  aligned out;
  out.cols.resize(a.cols.size());
  for (size_t b = 0; b < buckets; ++b) {
    const size_t i0 = b * n / buckets, i1 = (b + 1) * n / buckets;  // n > buckets: i1 > i0
    if (i1 - i0 == 1) {
      out.x.push_back(a.x[i0]);
      for (size_t c = 0; c < a.cols.size(); ++c) out.cols[c].push_back(a.cols[c][i0]);
      continue;
    }
    out.x.push_back(a.x[i0]);
    out.x.push_back(a.x[i1 - 1]);
    for (size_t c = 0; c < a.cols.size(); ++c) {
      auto& col = a.cols[c];
      size_t lo = i1, hi = i1;
      for (size_t i = i0; i < i1; ++i) {
        if (!std::isfinite(col[i])) continue;
        if (lo == i1 || col[i] < col[lo]) lo = i;
        if (hi == i1 || col[i] > col[hi]) hi = i;
      }
      double first = missing, second = missing;
      if (lo != i1) {
        first = col[std::min(lo, hi)];
        second = col[std::max(lo, hi)];
      }
      out.cols[c].push_back(first);
      out.cols[c].push_back(second);
    }
  }
  char note[200];
  std::snprintf(note, sizeof note,
                "Downsampled for display: %zu ticks shown as the minimum and maximum of each run of about %zu "
                "ticks (%zu points).",
                n, (n + buckets - 1) / buckets, out.x.size());
  out.note = note;
  a = std::move(out);
}

struct line_series {
  std::string label;
  size_t color = 0;
  size_t col = 0;                  ///< column of the values
  std::optional<size_t> lo, hi;    ///< columns of a 95% band
};

void json_line_chart(std::string& o, const std::string& container, const std::string& title, const aligned& a,
                     const std::vector<line_series>& series) {
  o += "{\"kind\":\"line\",\"container\":";
  json_string(o, container);
  o += ",\"title\":";
  json_string(o, title);
  o += ",\"note\":";
  json_string(o, a.note);
  o += ",\"x\":";
  json_ticks(o, a.x);
  o += ",\"series\":[";
  for (size_t i = 0; i < series.size(); ++i) {
    auto& s = series[i];
    if (i) o += ',';
    o += "{\"label\":";
    json_string(o, s.label);
    o += ",\"color\":" + std::to_string(s.color) + ",\"y\":";
    json_numbers(o, a.cols[s.col]);
    if (s.lo && s.hi) {
      o += ",\"lo\":";
      json_numbers(o, a.cols[*s.lo]);
      o += ",\"hi\":";
      json_numbers(o, a.cols[*s.hi]);
    }
    o += '}';
  }
  o += "]}";
}

/// A metric-against-metric chart: one series per arm with its own x, y and tick arrays
/// (tools/report.js draws them in tick order).
void json_xy_chart(std::string& o, const std::string& title, const std::string& note, const std::string& x,
                   const std::string& y, const std::vector<xy_line>& lines, const std::vector<arm_params>& arms) {
  o += "{\"kind\":\"xy\",\"container\":\"xy-charts\",\"title\":";
  json_string(o, title);
  o += ",\"note\":";
  json_string(o, note);
  o += ",\"xlabel\":";
  json_string(o, x);
  o += ",\"ylabel\":";
  json_string(o, y);
  o += ",\"series\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    auto& l = lines[i];
    std::vector<int64_t> ticks;
    std::vector<double> xs, ys, lo, hi;
    for (auto& p : l.points) {
      ticks.push_back(p.tick);
      xs.push_back(p.x);
      ys.push_back(p.y);
      lo.push_back(p.y_lo);
      hi.push_back(p.y_hi);
    }
    if (i) o += ',';
    o += "{\"label\":";
    json_string(o, arm_label(arms[l.arm]));
    o += ",\"color\":" + std::to_string(l.arm) + ",\"tick\":";
    json_ticks(o, ticks);
    o += ",\"x\":";
    json_numbers(o, xs);
    o += ",\"y\":";
    json_numbers(o, ys);
    o += ",\"lo\":";
    json_numbers(o, lo);
    o += ",\"hi\":";
    json_numbers(o, hi);
    o += '}';
  }
  o += "]}";
}

struct bar_chart {
  std::string title, category, note;
  std::vector<std::string> labels;
  std::vector<size_t> colors;
  std::vector<double> values, lo, hi;  ///< lo, hi: empty for no whiskers
  std::vector<size_t> n;               ///< empty: not shown
};

void json_bar_chart(std::string& o, const std::string& container, const bar_chart& b) {
  o += "{\"kind\":\"bar\",\"container\":";
  json_string(o, container);
  o += ",\"title\":";
  json_string(o, b.title);
  o += ",\"note\":";
  json_string(o, b.note);
  o += ",\"category\":";
  json_string(o, b.category);
  o += ",\"labels\":";
  json_strings(o, b.labels);
  o += ",\"colors\":[";
  for (size_t i = 0; i < b.colors.size(); ++i) {
    if (i) o += ',';
    o += std::to_string(b.colors[i]);
  }
  o += "],\"values\":";
  json_numbers(o, b.values);
  if (!b.lo.empty()) {
    o += ",\"lo\":";
    json_numbers(o, b.lo);
    o += ",\"hi\":";
    json_numbers(o, b.hi);
  }
  if (!b.n.empty()) {
    o += ",\"n\":[";
    for (size_t i = 0; i < b.n.size(); ++i) {
      if (i) o += ',';
      o += std::to_string(b.n[i]);
    }
    o += ']';
  }
  o += '}';
}

// ---- the page ------------------------------------------------------------------------

/// The palette of tools/report.js, for the colour swatches in tables.
const char* const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string swatch(size_t color) {
  return std::string("<span style=\"display:inline-block;width:10px;height:10px;margin-right:6px;background:") +
         palette[color % std::size(palette)] + "\"></span>";
}

std::string page_head(const std::string& title) {
  std::string h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
                  html(title) + "</title>\n<style>\n";
  h += assets::uplot_css();
  h += "\n";
  h += assets::report_css();
  h += "</style></head>\n<body>\n";
  // First in <body>, so errors while loading the scripts below are caught too.
  h += "<script>window.__reportErrors=[];window.onerror=function(m,s,l){window.__reportErrors.push(String(m)+"
       "(l?' (line '+l+')':''));if(window.__reportPublish)window.__reportPublish();};</script>\n";
  h += "<h1>" + html(title) + "</h1>\n";
  return h;
}

std::string errors_box() {
  return "<div id=\"errors\" hidden><b>Errors while drawing this page:</b><ul></ul></div>\n";
}

/// The opening of one of the report's own tables, with its header row.
std::string table_head(std::initializer_list<const char*> columns) {
  std::string t = "<table class=\"data\"><tr>";
  for (auto* c : columns) t += std::string("<th>") + c + "</th>";
  return t + "</tr>\n";
}

std::string page_tail(const std::string& charts_json) {
  std::string t = "<script type=\"application/json\" id=\"report-data\">{\"charts\":[" + charts_json +
                  "]}</script>\n<script>\n";
  t += assets::uplot_js();
  t += "\n</script>\n<script>\n";
  t += assets::report_js();
  t += "\n</script>\n</body></html>\n";
  return t;
}

void write_atomically(const std::filesystem::path& file, const std::string& text) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file);
}

// ---- reading run.sqlite --------------------------------------------------------------

struct db {
  sqlite3* h = nullptr;
  ~db() {
    if (h) sqlite3_close(h);
  }
};

template <class Row>
void query(sqlite3* h, const std::filesystem::path& file, const char* sql, Row row) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error(file.string() + ": " + sqlite3_errmsg(h));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) throw std::runtime_error(file.string() + ": " + sqlite3_errmsg(h));
}

std::string text(sqlite3_stmt* st, int col) {
  auto* p = sqlite3_column_text(st, col);
  return p ? reinterpret_cast<const char*>(p) : "";
}

}  // namespace

run_record read_run_record(const std::filesystem::path& sqlite_file) {
  if (!std::filesystem::is_regular_file(sqlite_file)) throw std::runtime_error(sqlite_file.string() + ": no such file");
  db d;
  if (sqlite3_open_v2(sqlite_file.c_str(), &d.h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + sqlite_file.string() + ": " + sqlite3_errmsg(d.h));
  run_record r;
  // Written order (rowid) keeps the writer's grouping of the provenance keys.
  query(d.h, sqlite_file, "SELECT key, value FROM run ORDER BY rowid",
        [&](sqlite3_stmt* st) { r.run.emplace_back(text(st, 0), text(st, 1)); });
  query(d.h, sqlite_file, "SELECT key, type, value FROM parameters ORDER BY key",
        [&](sqlite3_stmt* st) { r.parameters.push_back({text(st, 0), text(st, 1), text(st, 2)}); });
  query(d.h, sqlite_file, "SELECT tick, actor, name, value FROM metrics ORDER BY tick, actor, name",
        [&](sqlite3_stmt* st) {
          r.metrics.push_back({sqlite3_column_int64(st, 0), text(st, 1), text(st, 2),
                               sqlite3_column_type(st, 3) == SQLITE_NULL ? missing : sqlite3_column_double(st, 3)});
        });
  return r;
}

void print_summary(std::ostream& os, const std::vector<metric_row>& rows) {
  auto s = by_series(rows);
  size_t w = 6;
  for (auto& [k, v] : s) w = std::max(w, k.first.size() + k.second.size() + 1);
  char line[256];
  std::snprintf(line, sizeof line, "%-*s %10s %10s %10s %10s\n", int(w), "metric", "first", "last", "min", "max");
  os << line << std::string(w + 44, '-') << "\n";
  for (auto& [k, v] : s) {
    double lo = v.front().second, hi = lo;
    for (auto& p : v) lo = std::min(lo, p.second), hi = std::max(hi, p.second);
    std::snprintf(line, sizeof line, "%-*s %10s %10s %10s %10s\n", int(w), (k.first + "." + k.second).c_str(),
                  fmt(v.front().second).c_str(), fmt(v.back().second).c_str(), fmt(lo).c_str(), fmt(hi).c_str());
    os << line;
  }
}

void write_run_report(const std::filesystem::path& file, const std::string& title, const run_record& run) {
  // name -> actor -> (tick, value), ticks ascending.
  std::map<std::string, std::map<std::string, std::vector<std::pair<int64_t, double>>>> metrics;
  for (auto& r : run.metrics) metrics[r.name][r.actor].emplace_back(r.tick, r.value);
  for (auto& [name, actors] : metrics)
    for (auto& [actor, v] : actors)
      std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });

  std::string charts, singles_table;
  size_t n_lines = 0, n_bars = 0;
  bool downsampled = false;
  for (auto& [name, actors] : metrics) {
    // Single-value: each actor has it at one tick only (the last row there counts).
    bool single = true;
    for (auto& [actor, v] : actors) single = single && v.front().first == v.back().first;
    if (!charts.empty()) charts += ",\n";
    if (single) {
      bar_chart b;
      b.title = name;
      b.category = "actor";
      for (auto& [actor, v] : actors) {
        b.colors.push_back(b.labels.size());
        b.labels.push_back(actor);
        b.values.push_back(v.back().second);
        singles_table += "<tr><td class=\"key\">" + html(name) + "</td><td class=\"key\">" + html(actor) +
                         "</td><td class=\"num\">" + std::to_string(v.back().first) + "</td><td class=\"num\">" +
                         cell(v.back().second) + "</td></tr>\n";
      }
      json_bar_chart(charts, "bar-charts", b);
      ++n_bars;
    } else {
      std::vector<std::vector<std::pair<int64_t, double>>> cols;
      std::vector<line_series> series;
      for (auto& [actor, v] : actors) {
        series.push_back({actor, series.size(), cols.size(), std::nullopt, std::nullopt});
        cols.push_back(v);
      }
      auto a = align(cols);
      downsample(a, report_max_points);
      downsampled = downsampled || !a.note.empty();
      json_line_chart(charts, "line-charts", name, a, series);
      ++n_lines;
    }
  }

  auto lookup = [&](const std::string& key) -> std::string {
    for (auto& [k, v] : run.run)
      if (k == key) return v;
    return "";
  };
  std::string h = page_head(title);
  std::string sub;
  for (const char* key : {"scenario", "seed", "status"}) {
    auto v = lookup(key);
    if (!v.empty()) sub += std::string(sub.empty() ? "" : " &middot; ") + key + " " + html(v);
  }
  sub += std::string(sub.empty() ? "" : " &middot; ") + std::to_string(run.metrics.size()) + " metric rows";
  h += "<p class=\"sub\">" + sub + "</p>\n" + errors_box();

  if (run.metrics.empty()) h += "<h2>Metrics</h2>\n<p>No metrics were recorded.</p>\n";
  if (n_lines) {
    h += "<h2>Metrics over ticks</h2>\n<p class=\"note\">One chart per metric, one line per actor. Hover for the "
         "values at a tick; click a legend entry to hide its line; drag to zoom, double-click to reset.";
    if (downsampled)
      h += " Charts of more than " + std::to_string(report_max_points) +
           " ticks are downsampled for display (each says so); run.sqlite holds every value.";
    h += "</p>\n<div class=\"charts\" id=\"line-charts\"></div>\n";
  }
  if (n_bars) {
    h += "<h2>Single-value metrics</h2>\n<p class=\"note\">Metrics recorded at one tick only.</p>\n" +
         table_head({"metric", "actor", "tick", "value"}) + singles_table +
         "</table>\n<div class=\"charts\" id=\"bar-charts\"></div>\n";
  }

  h += "<h2>Parameters</h2>\n";
  if (run.parameters.empty()) {
    h += "<p>None recorded.</p>\n";
  } else {
    h += table_head({"key", "type", "value"});
    for (auto& p : run.parameters)
      h += "<tr><td class=\"key\">" + html(p.key) + "</td><td>" + html(p.type) + "</td><td class=\"mono wrap\">" +
           html(p.value) + "</td></tr>\n";
    h += "</table>\n";
  }
  h += "<h2>Provenance</h2>\n<p class=\"note\">The run table of run.sqlite.</p>\n";
  if (run.run.empty()) {
    h += "<p>None recorded.</p>\n";
  } else {
    h += table_head({"key", "value"});
    for (auto& [k, v] : run.run)
      h += "<tr><td class=\"key\">" + html(k) + "</td><td class=\"mono wrap\">" + html(v) + "</td></tr>\n";
    h += "</table>\n";
  }
  h += page_tail(charts);
  write_atomically(file, h);
}

std::vector<xy_line> xy_lines(const experiment& ex, const std::string& x, const std::string& y) {
  std::vector<xy_line> out;
  const auto arms = ex.arms();
  for (size_t i = 0; i < arms.size(); ++i) {
    const auto bx = arm_band(ex, arms[i], x), by = arm_band(ex, arms[i], y);  // ascending tick
    xy_line line;
    line.arm = i;
    size_t j = 0;
    for (auto& p : by) {
      while (j < bx.size() && bx[j].tick < p.tick) ++j;
      if (j == bx.size()) break;
      if (bx[j].tick != p.tick || !std::isfinite(bx[j].mean) || !std::isfinite(p.mean)) continue;
      line.points.push_back({p.tick, bx[j].mean, p.mean, p.ci_lo, p.ci_hi});
    }
    if (!line.points.empty()) out.push_back(std::move(line));
  }
  return out;
}

std::optional<std::filesystem::path> sweep_scenario_file(const std::filesystem::path& sweep_dir) {
  const auto file = sweep_dir / "sweep.sqlite";
  db d;
  if (sqlite3_open_v2(file.c_str(), &d.h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errmsg(d.h));
  std::optional<std::filesystem::path> out;
  query(d.h, file, "SELECT value FROM sweep WHERE key = 'file'", [&](sqlite3_stmt* st) { out = text(st, 0); });
  if (out && out->empty()) out.reset();
  return out;
}

void write_sweep_report(const std::filesystem::path& file, const std::string& title, const experiment& ex,
                        const summary& s, const std::vector<xy_request>& xy) {
  const auto arms = ex.arms();
  auto arm_index = [&](const arm_params& p) -> std::optional<size_t> {
    for (size_t i = 0; i < arms.size(); ++i)
      if (arms[i] == p) return i;
    return std::nullopt;
  };

  // Every metric the summary covers; single-value when no done run has two rows of it.
  std::set<std::string> metric_names;
  for (auto& a : s.arms)
    for (auto& [m, st] : a.metrics) metric_names.insert(m);
  std::map<std::string, size_t> most_rows;  // metric -> the most rows one run has
  for (auto& r : ex.runs) {
    std::map<std::string, size_t> count;
    for (auto& row : r.rows) ++count[row.actor + "." + row.name];
    for (auto& [m, c] : count) most_rows[m] = std::max(most_rows[m], c);
  }

  // Metric against metric, first on the page. A name no finished run recorded is the
  // user's to fix (the scenario's [report] table); with no finished run there is nothing
  // to check it against, and nothing to draw.
  std::string charts;
  size_t n_xy = 0;
  if (!most_rows.empty()) {
    auto recorded = [&](const std::string& m, const std::string& origin, const char* what) {
      if (most_rows.count(m)) return;
      const auto dot = m.find('.');
      const auto tail = dot == std::string::npos ? "." + m : m.substr(dot);
      std::string same;
      for (auto& [name, n] : most_rows)
        if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0)
          same += (same.empty() ? "" : ", ") + name;
      throw user_error(origin + ": report.xy." + what + " = \"" + m + "\": no finished run of this sweep recorded it" +
                       (same.empty() ? std::string() : " (recorded: " + same + ")"));
    };
    for (auto& r : xy) {
      recorded(r.x, r.x_origin, "x");
      for (size_t i = 0; i < r.y.size(); ++i) recorded(r.y[i], r.y_origins[i], "y");
    }
    for (auto& r : xy) {
      for (auto& y : r.y) {
        auto lines = xy_lines(ex, r.x, y);
        if (lines.empty()) continue;
        if (!charts.empty()) charts += ",\n";
        json_xy_chart(charts, y + " against " + r.x, "", r.x, y, lines, arms);
        ++n_xy;
      }
    }
  }
  size_t n_lines = 0, n_bars = 0;
  bool downsampled = false;
  for (auto& metric : metric_names) {
    if (most_rows[metric] <= 1) {
      bar_chart b;
      b.title = metric;
      b.category = "arm";
      for (auto& a : s.arms) {
        auto it = a.metrics.find(metric);
        if (it == a.metrics.end()) continue;
        b.colors.push_back(arm_index(a.params).value_or(b.labels.size()));
        b.labels.push_back(arm_label(a.params));
        b.values.push_back(it->second.mean);
        b.lo.push_back(it->second.ci_lo);
        b.hi.push_back(it->second.ci_hi);
        b.n.push_back(it->second.n);
      }
      if (b.labels.empty()) continue;
      if (!charts.empty()) charts += ",\n";
      json_bar_chart(charts, "bar-charts", b);
      ++n_bars;
      continue;
    }
    std::vector<std::vector<std::pair<int64_t, double>>> cols;
    std::vector<line_series> series;
    for (size_t i = 0; i < arms.size(); ++i) {
      auto band = arm_band(ex, arms[i], metric);
      if (band.empty()) continue;
      std::vector<std::pair<int64_t, double>> mean, lo, hi;
      for (auto& p : band) {
        mean.emplace_back(p.tick, p.mean);
        lo.emplace_back(p.tick, p.ci_lo);
        hi.emplace_back(p.tick, p.ci_hi);
      }
      series.push_back({arm_label(arms[i]), i, cols.size(), cols.size() + 1, cols.size() + 2});
      cols.push_back(std::move(mean));
      cols.push_back(std::move(lo));
      cols.push_back(std::move(hi));
    }
    if (series.empty()) continue;
    auto a = align(cols);
    downsample(a, report_max_points);
    downsampled = downsampled || !a.note.empty();
    if (!charts.empty()) charts += ",\n";
    json_line_chart(charts, "line-charts", metric, a, series);
    ++n_lines;
  }

  // Who ran what: seeds per arm, and every run that is not done.
  std::set<int64_t> seeds;
  std::map<std::string, size_t> by_status;
  std::vector<std::string> done_seeds(arms.size());
  std::string not_done;
  for (auto& r : ex.runs) {
    seeds.insert(r.seed);
    ++by_status[r.status];
    auto i = arm_index(r.params);
    if (r.status == "done") {
      if (i) {
        if (!done_seeds[*i].empty()) done_seeds[*i] += ", ";
        done_seeds[*i] += std::to_string(r.seed);
      }
      continue;
    }
    not_done += "<tr><td>" + (i ? swatch(*i) : std::string()) + html(arm_label(r.params)) + "</td><td class=\"num\">" +
                std::to_string(r.seed) + "</td><td>" + html(r.status) + "</td><td class=\"mono wrap\">" +
                html(r.dir.string()) + "</td><td class=\"wrap\">" + html(r.error) + "</td></tr>\n";
  }

  std::string h = page_head(title);
  std::string sub = std::to_string(arms.size()) + (arms.size() == 1 ? " arm" : " arms") + " &middot; " +
                    std::to_string(seeds.size()) + (seeds.size() == 1 ? " seed" : " seeds") + " &middot; " +
                    std::to_string(ex.runs.size()) + " runs:";
  for (auto it = by_status.begin(); it != by_status.end(); ++it) {
    sub += it == by_status.begin() ? " " : ", ";
    sub += std::to_string(it->second) + " " + html(it->first);
  }
  if (!ex.arm_keys.empty()) {
    sub += " &middot; arms differ in";
    for (size_t i = 0; i < ex.arm_keys.size(); ++i) sub += (i ? ", " : " ") + html(ex.arm_keys[i]);
  }
  h += "<p class=\"sub\">" + sub + "</p>\n" + errors_box();

  h += "<h2>Arms</h2>\n" + table_head({"arm", "seeds done"});
  for (size_t i = 0; i < arms.size(); ++i)
    h += "<tr><td>" + swatch(i) + html(arm_label(arms[i])) + "</td><td class=\"mono\">" +
         (done_seeds[i].empty() ? "none" : done_seeds[i]) + "</td></tr>\n";
  h += "</table>\n";

  if (n_xy) {
    h += "<h2>Metric against metric</h2>\n<p class=\"note\">Charts the scenario file's [report] table asks for. "
         "One line per arm through its points in tick order: at each tick, the mean over the arm's seeds of the x "
         "metric and of the y metric, shaded between the bounds of y's 95% confidence interval. Hover for the "
         "nearest point.</p>\n<div class=\"charts\" id=\"xy-charts\"></div>\n";
  }
  if (metric_names.empty()) h += "<h2>Metrics</h2>\n<p>No finished run recorded any metric.</p>\n";
  if (n_lines) {
    h += "<h2>Metrics over ticks</h2>\n<p class=\"note\">One chart per metric, one line per arm: the mean over "
         "its seeds at each tick, shaded between the bounds of its 95% confidence interval (Student t; none "
         "where fewer than two seeds have the tick). Hover for mean [lo, hi]; click a legend entry to hide an "
         "arm.";
    if (downsampled)
      h += " Charts of more than " + std::to_string(report_max_points) +
           " ticks are downsampled for display (each says so).";
    h += "</p>\n<div class=\"charts\" id=\"line-charts\"></div>\n";
  }
  if (n_bars) {
    h += "<h2>Single-value metrics</h2>\n<p class=\"note\">Metrics each run records once: the arms' means over "
         "seeds, whiskers from the 95% confidence interval (none with fewer than two seeds).</p>\n"
         "<div class=\"charts\" id=\"bar-charts\"></div>\n";
  }

  if (!s.arms.empty()) {
    h += "<h2>Final values per arm</h2>\n<p class=\"note\">A run's value of a metric as the summary takes it "
         "(by default its last tick's value); mean, sd and 95% CI over the arm's seeds.</p>\n" +
         table_head({"metric", "arm", "n", "mean", "sd", "95% CI"});
    for (auto& metric : metric_names) {
      for (auto& a : s.arms) {
        auto it = a.metrics.find(metric);
        if (it == a.metrics.end()) continue;
        auto& st = it->second;
        auto i = arm_index(a.params);
        h += "<tr><td class=\"key\">" + html(metric) + "</td><td>" + (i ? swatch(*i) : std::string()) +
             html(arm_label(a.params)) + "</td><td class=\"num\">" + std::to_string(st.n) + "</td><td class=\"num\">" +
             cell(st.mean) + "</td><td class=\"num\">" + cell(st.sd) + "</td><td class=\"num\">" +
             (std::isfinite(st.ci_lo) ? "[" + cell(st.ci_lo) + ", " + cell(st.ci_hi) + "]" : "-") + "</td></tr>\n";
      }
    }
    h += "</table>\n";
  }

  if (!s.paired.empty()) {
    h += "<h2>Paired differences</h2>\n<p class=\"note\">Each arm minus the baseline over the seeds both have: "
         "mean difference, its 95% CI, two-sided paired-t and Wilcoxon signed-rank p-values.</p>\n" +
         table_head({"metric", "arm", "baseline", "n", "mean diff", "95% CI", "p (t)", "p (Wilcoxon)"});
    for (auto& p : s.paired)
      h += "<tr><td class=\"key\">" + html(p.metric) + "</td><td>" + html(arm_label(p.params)) + "</td><td>" +
           html(arm_label(p.baseline)) + "</td><td class=\"num\">" + std::to_string(p.n) + "</td><td class=\"num\">" +
           cell(p.mean_diff) + "</td><td class=\"num\">" +
           (std::isfinite(p.ci_lo) ? "[" + cell(p.ci_lo) + ", " + cell(p.ci_hi) + "]" : "-") +
           "</td><td class=\"num\">" + cell(p.p_t) + "</td><td class=\"num\">" + cell(p.p_wilcoxon) + "</td></tr>\n";
    h += "</table>\n";
  }

  h += "<h2>Runs not done</h2>\n";
  if (not_done.empty()) {
    h += "<p>All " + std::to_string(ex.runs.size()) + " runs are done.</p>\n";
  } else {
    h += table_head({"arm", "seed", "status", "directory", "reason"}) + not_done + "</table>\n";
  }
  h += page_tail(charts);
  write_atomically(file, h);
}

}  // namespace oversight
