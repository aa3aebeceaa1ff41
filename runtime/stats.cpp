#include "runtime/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace oversight::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The continued fraction of I_x(a, b) (modified Lentz), as in Numerical Recipes'
/// betacf. It converges fast for x < (a + 1) / (a + b + 2); callers use the symmetry
/// I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
double beta_continued_fraction(double a, double b, double x) {
  constexpr int max_iterations = 100000;  // enough for df up to ~1e9
  constexpr double eps = 1e-16, tiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= max_iterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < eps) break;
  }
  return h;
}

/// I_x(a, b) given both x and y = 1 - x: the caller often knows y more precisely than
/// 1 - x would give it (for the t distribution, y = t^2 / (df + t^2) when t is small).
double incomplete_beta_xy(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(y);
  const double front = std::exp(log_front);
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, y) / b;
}

double standard_normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

}  // namespace

double mean(const std::vector<double>& x) {
  if (x.empty()) return nan;
  // Summing offsets from x[0] keeps equal values exact and loses less to cancellation.
  double offset_sum = 0;
  for (double v : x) offset_sum += v - x[0];
  return x[0] + offset_sum / static_cast<double>(x.size());
}

double sample_sd(const std::vector<double>& x) {
  if (x.size() < 2) return nan;
  if (std::all_of(x.begin(), x.end(), [&](double v) { return v == x[0]; })) return 0;
  const double m = mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

double incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return nan;
  return incomplete_beta_xy(a, b, x, 1 - x);
}

double t_two_sided_p(double t, double df) {
  if (std::isnan(t) || !(df > 0)) return nan;
  if (std::isinf(t)) return 0;
  const double t2 = t * t;
  if (std::isinf(t2)) return 0;
  // P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2).
  return incomplete_beta_xy(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

double t_cdf(double t, double df) {
  const double p2 = t_two_sided_p(t, df);
  if (std::isnan(p2)) return nan;
  return t > 0 ? 1 - p2 / 2 : p2 / 2;
}

double t_quantile(double p, double df) {
  if (!(p > 0) || !(p < 1) || !(df > 0)) return nan;
  if (p == 0.5) return 0;
  if (p < 0.5) return -t_quantile(1 - p, df);
  // Solve t_two_sided_p(t) = 2 (1 - p) for t > 0; the p-value falls monotonically in t,
  // so bracket the root and bisect it to the last bit.
  const double target = 2 * (1 - p);
  double lo = 0, hi = 1;
  while (t_two_sided_p(hi, df) > target) {
    lo = hi;
    hi *= 2;
    if (std::isinf(hi)) return hi;
  }
  for (int i = 0; i < 2000 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    (t_two_sided_p(mid, df) > target ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2;
}

interval mean_ci95(const std::vector<double>& x) {
  if (x.size() < 2) return {nan, nan};
  const double m = mean(x), sd = sample_sd(x);
  if (sd == 0) return {m, m};
  const double n = static_cast<double>(x.size());
  const double half = t_quantile(0.975, n - 1) * sd / std::sqrt(n);
  return {m - half, m + half};
}

std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size())
    throw std::invalid_argument("paired_differences: " + std::to_string(a.size()) + " values against " +
                                std::to_string(b.size()));
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

double t_test_p(const std::vector<double>& x) {
  if (x.size() < 2) return nan;
  const double m = mean(x), sd = sample_sd(x);
  if (!(sd > 0)) return nan;  // zero variance (or a NaN value): the test does not apply
  const double n = static_cast<double>(x.size());
  return t_two_sided_p(m / (sd / std::sqrt(n)), n - 1);
}

double wilcoxon_signed_rank_p(const std::vector<double>& d) {
  std::vector<double> nonzero;
  for (double v : d) {
    if (std::isnan(v)) return nan;
    if (v != 0) nonzero.push_back(v);
  }
  const size_t n = nonzero.size();
  if (n == 0) return nan;

  // Ranks of |d|, ties getting the average of the ranks they span.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t i, size_t j) { return std::fabs(nonzero[i]) < std::fabs(nonzero[j]); });
  std::vector<double> rank(n);
  double tie_term = 0;  // sum over tie groups of t^3 - t
  bool ties = false;
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && std::fabs(nonzero[order[end]]) == std::fabs(nonzero[order[start]])) ++end;
    const double group = static_cast<double>(end - start);
    const double average_rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2;
    for (size_t k = start; k < end; ++k) rank[order[k]] = average_rank;
    if (group > 1) {
      ties = true;
      tie_term += group * group * group - group;
    }
    start = end;
  }
  double w_plus = 0;
  for (size_t i = 0; i < n; ++i)
    if (nonzero[i] > 0) w_plus += rank[i];

  const double nn = static_cast<double>(n);
  if (!ties && n <= 50) {
    // count[s] = how many of the 2^n sign patterns give W+ = s. Counts stay below
    // 2^50 < 2^53, so doubles hold them exactly.
    const size_t max_sum = n * (n + 1) / 2;
    std::vector<double> count(max_sum + 1, 0.0);
    count[0] = 1;
    for (size_t r = 1; r <= n; ++r)
      for (size_t s = r * (r + 1) / 2; s >= r; --s) count[s] += count[s - r];
    const size_t w = static_cast<size_t>(std::llround(w_plus));
    double at_most = 0, at_least = 0;
    for (size_t s = 0; s <= max_sum; ++s) (s <= w ? at_most : at_least) += count[s];
    at_least += count[w];  // P(W+ >= w) includes w itself
    const double total = std::ldexp(1.0, static_cast<int>(n));
    return std::min(1.0, 2 * std::min(at_most, at_least) / total);
  }
  const double expected = nn * (nn + 1) / 4;
  const double variance = nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
  return standard_normal_two_sided_p((w_plus - expected) / std::sqrt(variance));
}

}  // namespace oversight::stats
