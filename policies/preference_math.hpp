// Plain arithmetic for the preference scenarios (rlhf, self_enhancement): expectations
// over a policy's distribution, KL to the reference, best-of-n's exact distribution, and
// least-squares fits of Gao, Schulman and Hilton's (2022) over-optimization forms. No
// libtorch, no CAF; header only.
//
// Distributions are row-major `rows x K` probabilities over K discrete responses.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace oversight::preference_math {

/// mean over rows of sum_a p(a) v(a).
inline double expectation(const std::vector<float>& p, const std::vector<float>& v, size_t k) {
  const size_t rows = p.size() / k;
  if (rows == 0) return 0.0;
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) s += double(p[i]) * double(v[i]);
  return s / double(rows);
}

/// mean over rows of KL(p || q) in nats; terms with p(a) = 0 are 0 (q > 0 where p > 0).
inline double mean_kl(const std::vector<float>& p, const std::vector<float>& q, size_t k) {
  const size_t rows = p.size() / k;
  if (rows == 0) return 0.0;
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 0.f) s += double(p[i]) * (std::log(double(p[i])) - std::log(std::max(double(q[i]), 1e-300)));
  return std::max(0.0, s / double(rows));
}

/// sqrt(mean over rows of Var_{a~p} v(a)): the spread of v under p.
inline double spread(const std::vector<float>& p, const std::vector<float>& v, size_t k) {
  const size_t rows = p.size() / k;
  if (rows == 0) return 0.0;
  double s = 0;
  for (size_t r = 0; r < rows; ++r) {
    double m = 0, m2 = 0;
    for (size_t a = 0; a < k; ++a) {
      m += double(p[r * k + a]) * v[r * k + a];
      m2 += double(p[r * k + a]) * double(v[r * k + a]) * v[r * k + a];
    }
    s += std::max(0.0, m2 - m * m);
  }
  return std::sqrt(s / double(rows));
}

/// Share of response pairs (a, b), a != b, drawn independently from p (weighted by
/// p(a) p(b)), that `guess` orders as `truth` does; pairs the truth ties are left out.
inline double pair_agreement(const std::vector<float>& p, const std::vector<float>& guess,
                             const std::vector<float>& truth, size_t k) {
  const size_t rows = p.size() / k;
  double agree = 0, total = 0;
  for (size_t r = 0; r < rows; ++r) {
    const size_t o = r * k;
    for (size_t a = 0; a < k; ++a)
      for (size_t b = a + 1; b < k; ++b) {
        const double dt = double(truth[o + a]) - truth[o + b];
        if (dt == 0) continue;
        const double w = double(p[o + a]) * p[o + b];
        total += w;
        if ((double(guess[o + a]) - guess[o + b]) * dt > 0) agree += w;
      }
  }
  return total > 0 ? agree / total : 0.0;
}

/// Best-of-n's exact distribution per row: n responses drawn from `ref`, the one with the
/// highest `score` kept (ties to the lower index). With responses sorted by score and F
/// the reference's CDF in that order, P(a) = F(a)^n - F(a-)^n.
inline std::vector<float> best_of_n(const std::vector<float>& ref, const std::vector<float>& score, size_t k,
                                    double n) {
  std::vector<float> out(ref.size(), 0.f);
  std::vector<size_t> order(k);
  for (size_t r = 0; r < ref.size() / k; ++r) {
    const size_t o = r * k;
    std::iota(order.begin(), order.end(), size_t(0));
    // Ascending score; among equal scores the higher index first, so the lower index wins.
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return score[o + x] < score[o + y] || (score[o + x] == score[o + y] && x > y);
    });
    double below = 0, total = 0;
    for (size_t a = 0; a < k; ++a) total += ref[o + a];
    for (size_t j = 0; j < k; ++j) {
      const double f0 = below / total, f1 = std::min(1.0, (below + ref[o + order[j]]) / total);
      out[o + order[j]] = float(std::pow(f1, n) - std::pow(f0, n));
      below += ref[o + order[j]];
    }
  }
  return out;
}

/// A fit of gain = d * (alpha - beta * h(d)) through the origin by least squares.
struct form_fit {
  double alpha = NAN, beta = NAN;
  double r2 = NAN;       ///< 1 - SSE / sum of squared gains (uncentred: the form has no intercept)
  double peak_d = NAN;   ///< where the fitted gain peaks (NaN when it does not, beta <= 0)
  double peak_gain = NAN;
};

namespace detail {
/// Least squares of g = alpha * u - beta * w (two regressors, no intercept).
inline form_fit fit2(const std::vector<double>& u, const std::vector<double>& w, const std::vector<double>& g) {
  double uu = 0, ww = 0, uw = 0, ug = 0, wg = 0, gg = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    uu += u[i] * u[i];
    ww += w[i] * w[i];
    uw += u[i] * w[i];
    ug += u[i] * g[i];
    wg += w[i] * g[i];
    gg += g[i] * g[i];
  }
  form_fit f;
  const double det = uu * ww - uw * uw;
  if (g.size() < 2 || std::abs(det) < 1e-12 * std::max(1.0, uu * ww)) return f;
  // Normal equations for (alpha, -beta).
  f.alpha = (ug * ww - wg * uw) / det;
  f.beta = -(wg * uu - ug * uw) / det;
  double sse = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double e = g[i] - (f.alpha * u[i] - f.beta * w[i]);
    sse += e * e;
  }
  f.r2 = gg > 0 ? 1.0 - sse / gg : NAN;
  return f;
}
}  // namespace detail

/// Gao et al.'s RL form: gain = d (alpha - beta log d), d = sqrt(KL). Points with d <= 0
/// are skipped. Peak: d* = exp(alpha / beta - 1), gain* = beta d*.
inline form_fit fit_rl_form(const std::vector<double>& d, const std::vector<double>& gain) {
  std::vector<double> u, w, g;
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] > 0) {
      u.push_back(d[i]);
      w.push_back(d[i] * std::log(d[i]));
      g.push_back(gain[i]);
    }
  auto f = detail::fit2(u, w, g);
  if (f.beta > 0) {
    f.peak_d = std::exp(f.alpha / f.beta - 1.0);
    f.peak_gain = f.beta * f.peak_d;
  }
  return f;
}

/// Gao et al.'s best-of-n form: gain = d (alpha - beta d). Peak: d* = alpha / (2 beta),
/// gain* = alpha^2 / (4 beta).
inline form_fit fit_bon_form(const std::vector<double>& d, const std::vector<double>& gain) {
  std::vector<double> u, w, g;
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] > 0) {
      u.push_back(d[i]);
      w.push_back(d[i] * d[i]);
      g.push_back(gain[i]);
    }
  auto f = detail::fit2(u, w, g);
  if (f.beta > 0) {
    f.peak_d = f.alpha / (2.0 * f.beta);
    f.peak_gain = f.alpha * f.alpha / (4.0 * f.beta);
  }
  return f;
}

}  // namespace oversight::preference_math
