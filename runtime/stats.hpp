// Plain statistics over a handful of seeds: mean, sample sd, Student t intervals and
// tests, and the Wilcoxon signed-rank test. No dependencies beyond <cmath>.
//
// Undefined figures are NaN, never a made-up number:
//   - mean of no values;
//   - sd, CI and every p-value with n < 2 (Wilcoxon: with no non-zero difference);
//   - the t-test p-value when the values have zero variance. The t statistic is then
//     0/0 (mean 0) or +-inf (a constant non-zero mean). We report NaN in both cases:
//     a constant difference usually comes from a deterministic metric (a budget, a
//     count), where "p = 0" would claim a certainty the test does not provide; the CI
//     [mean, mean] already says the difference is exact.
// Zero variance otherwise is well defined: sd = 0 and the CI is [mean, mean].
#pragma once

#include <cstddef>
#include <vector>

namespace oversight::stats {

/// Arithmetic mean; NaN for no values. Exactly x[0] when all values are equal.
double mean(const std::vector<double>& x);
/// Sample standard deviation (n - 1 in the denominator); NaN for n < 2, 0 when all
/// values are equal.
double sample_sd(const std::vector<double>& x);

/// The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1
/// (continued fraction; relative accuracy about 1e-14 for a, b up to 1e3, losing about
/// lgamma(a + b) * 1e-16 beyond, to the cancellation of its log-gamma terms); NaN outside
/// that domain.
double incomplete_beta(double a, double b, double x);

/// P(T <= t) for Student's t with df > 0 degrees of freedom.
double t_cdf(double t, double df);
/// The p-quantile of Student's t (inverse CDF), 0 < p < 1, df > 0: t_quantile(0.975, 4)
/// = 2.776445. Relative error below 1e-10 for df up to 1e5 (checked against mpmath
/// for p from 0.6 to 1 - 1e-7); about 3e-9 at df 1e7, where the log-gamma terms of
/// incomplete_beta() cancel. NaN outside the domain.
double t_quantile(double p, double df);
/// Two-sided p-value P(|T| >= |t|); NaN for NaN t or df <= 0, 0 for infinite t.
double t_two_sided_p(double t, double df);

struct interval {
  double lo = 0, hi = 0;
};
/// The 95% confidence interval of the mean: mean +- t_{0.975, n-1} sd / sqrt(n).
/// [NaN, NaN] for n < 2; [mean, mean] when all values are equal.
interval mean_ci95(const std::vector<double>& x);

/// a[i] - b[i]; a and b must have the same length (pairing is the caller's business).
std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b);

/// Two-sided one-sample t-test of mean 0 (the paired t-test when x are differences),
/// n - 1 degrees of freedom. NaN for n < 2 and for zero variance (see above).
double t_test_p(const std::vector<double>& x);

/// Two-sided Wilcoxon signed-rank p-value for the differences d against a median of 0,
/// as scipy.stats.wilcoxon(d) with its defaults:
///   - zeros are dropped first (zero_method="wilcox"); n below counts the rest;
///   - no ties among |d| and n <= 50: the exact null distribution of the positive rank
///     sum (all 2^n sign patterns), p = min(1, 2 min(P(W+ <= w), P(W+ >= w)));
///   - otherwise the normal approximation with average ranks for ties, variance
///     n(n+1)(2n+1)/24 - sum(t^3 - t)/48 over tie groups of size t, and no continuity
///     correction.
/// NaN when no non-zero difference is left or a value is NaN.
double wilcoxon_signed_rank_p(const std::vector<double>& d);

}  // namespace oversight::stats
