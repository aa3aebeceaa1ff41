#include "tools/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace oversight {

namespace {
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

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}
}  // namespace

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

void write_report_html(const std::filesystem::path& file, const std::string& title,
                       const std::vector<metric_row>& rows) {
  auto s = by_series(rows);
  std::ostringstream h;
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>" << escape(title) << "</title><style>"
    << "body{font-family:sans-serif;margin:24px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:16px}"
    << ".chart{border:1px solid #ddd;padding:8px}h2{font-size:14px;margin:0 0 4px}</style></head><body>"
    << "<h1>" << escape(title) << "</h1><p>" << rows.size() << " metric rows. One chart per metric; x: tick.</p>"
    << "<div class=\"grid\">";
  const double W = 360, H = 200, L = 48, R = 8, T = 8, B = 24;
  for (auto& [k, v] : s) {
    double x0 = double(v.front().first), x1 = double(v.back().first);
    double y0 = v.front().second, y1 = y0;
    for (auto& p : v) y0 = std::min(y0, p.second), y1 = std::max(y1, p.second);
    if (x1 == x0) x1 = x0 + 1;
    if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
    auto X = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    auto Y = [&](double y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); };
    h << "<div class=\"chart\"><h2>" << escape(k.first + "." + k.second) << "</h2><svg width=\"" << W
      << "\" height=\"" << H << "\" xmlns=\"http://www.w3.org/2000/svg\">";
    h << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B
      << "\" stroke=\"#999\"/><line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << H - B
      << "\" stroke=\"#999\"/>";
    h << "<text x=\"2\" y=\"" << T + 10 << "\" font-size=\"10\">" << fmt(y1) << "</text><text x=\"2\" y=\""
      << H - B << "\" font-size=\"10\">" << fmt(y0) << "</text><text x=\"" << L << "\" y=\"" << H - 6
      << "\" font-size=\"10\">" << fmt(x0) << "</text><text x=\"" << W - R - 30 << "\" y=\"" << H - 6
      << "\" font-size=\"10\">" << fmt(x1) << "</text>";
    h << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
    for (auto& p : v) h << fmt(X(double(p.first))) << "," << fmt(Y(p.second)) << " ";
    h << "\"/></svg></div>";
  }
  h << "</div></body></html>\n";
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream f(tmp);
    f << h.str();
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file);
}

}  // namespace oversight
