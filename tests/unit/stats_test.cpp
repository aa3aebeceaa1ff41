// Statistics against values worked out by hand (closed forms and enumerations shown in
// the comments; the t figures were also checked with mpmath at 30 digits).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "runtime/stats.hpp"

using namespace oversight;
using Catch::Matchers::WithinAbs;

TEST_CASE("mean and sample sd of a small table", "[stats]") {
  const std::vector<double> x{1, 2, 3, 4, 5};
  // mean = 15 / 5 = 3; squared deviations 4 + 1 + 0 + 1 + 4 = 10, / (n - 1) = 2.5.
  CHECK_THAT(stats::mean(x), WithinAbs(3.0, 1e-12));
  CHECK_THAT(stats::sample_sd(x), WithinAbs(std::sqrt(2.5), 1e-12));  // 1.5811388
  CHECK(std::isnan(stats::mean({})));
}

TEST_CASE("the regularized incomplete beta function", "[stats]") {
  // For integers, I_x(a, b) = sum_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j):
  // I_0.5(2, 3) = (C(4,2) + C(4,3) + C(4,4)) / 2^4 = (6 + 4 + 1) / 16 = 0.6875.
  CHECK_THAT(stats::incomplete_beta(2, 3, 0.5), WithinAbs(0.6875, 1e-12));
  // I_x(1, 1) = x; the ends are 0 and 1.
  CHECK_THAT(stats::incomplete_beta(1, 1, 0.3), WithinAbs(0.3, 1e-12));
  CHECK(stats::incomplete_beta(2, 3, 0) == 0);
  CHECK(stats::incomplete_beta(2, 3, 1) == 1);
  CHECK(std::isnan(stats::incomplete_beta(0, 3, 0.5)));
  CHECK(std::isnan(stats::incomplete_beta(2, 3, 1.5)));
}

TEST_CASE("Student t quantiles", "[stats]") {
  // df 1 is the Cauchy distribution: t_p = tan(pi (p - 1/2)); tan(0.475 pi) = 12.706205.
  CHECK_THAT(stats::t_quantile(0.975, 1), WithinAbs(12.706205, 1e-6));
  // df 2: t_p = (2p - 1) / sqrt(2 p (1 - p)) = 0.95 / sqrt(0.04875) = 4.302653.
  CHECK_THAT(stats::t_quantile(0.975, 2), WithinAbs(4.302653, 1e-6));
  // df 4: F(t) = 1/2 + (3/4) s (1 - s^2 / 3) with s = t / sqrt(4 + t^2). F = 0.975 means
  // s - s^3/3 = 0.633333, so s = 0.8114014 and t = 2 s / sqrt(1 - s^2) = 2.776445.
  CHECK_THAT(stats::t_quantile(0.975, 4), WithinAbs(2.776445, 1e-6));
  // Table values: t_{0.995, 10} = 3.169273, t_{0.9, 3} = 1.637744, t_{0.975, 30} = 2.042272.
  CHECK_THAT(stats::t_quantile(0.995, 10), WithinAbs(3.169273, 1e-6));
  CHECK_THAT(stats::t_quantile(0.9, 3), WithinAbs(1.637744, 1e-6));
  CHECK_THAT(stats::t_quantile(0.975, 30), WithinAbs(2.042272, 1e-6));
  // Large df approaches the normal 1.959964; at df 1e6 it is 1.959966.
  CHECK_THAT(stats::t_quantile(0.975, 1e6), WithinAbs(1.959966, 1e-6));
  // Symmetry and the median.
  CHECK_THAT(stats::t_quantile(0.025, 4), WithinAbs(-2.776445, 1e-6));
  CHECK(stats::t_quantile(0.5, 7) == 0);
  CHECK(std::isnan(stats::t_quantile(0, 4)));
  CHECK(std::isnan(stats::t_quantile(1, 4)));
  CHECK(std::isnan(stats::t_quantile(0.975, 0)));
}

TEST_CASE("Student t p-values and CDF", "[stats]") {
  // df 5 (odd): P(|T| < t) = (2/pi) (theta + sin(theta) cos(theta) (1 + (2/3) cos^2(theta)))
  // with theta = atan(t / sqrt(5)); t = 2.5: theta = 0.841069, p = 1 - 0.945510 = 0.054490.
  CHECK_THAT(stats::t_two_sided_p(2.5, 5), WithinAbs(0.0544901, 1e-7));
  CHECK_THAT(stats::t_two_sided_p(-2.5, 5), WithinAbs(0.0544901, 1e-7));
  // df 1: p = 1 - (2/pi) atan(t); t = 7: 1 - 0.909666 = 0.090334.
  CHECK_THAT(stats::t_two_sided_p(7, 1), WithinAbs(0.0903345, 1e-7));
  CHECK(stats::t_two_sided_p(0, 5) == 1);
  CHECK(stats::t_two_sided_p(INFINITY, 5) == 0);
  CHECK(std::isnan(stats::t_two_sided_p(NAN, 5)));
  // df 3: F(-1) = 1/2 - (1/pi) (atan(1/sqrt 3) + (1/sqrt 3) / (1 + 1/3)) = 0.195501.
  CHECK_THAT(stats::t_cdf(-1, 3), WithinAbs(0.195501, 1e-6));
  CHECK_THAT(stats::t_cdf(1, 3), WithinAbs(1 - 0.195501, 1e-6));
}

TEST_CASE("95% CI of a mean", "[stats]") {
  // 1..5: 3 +- t_{0.975,4} sd / sqrt(5) = 3 +- 2.776445 * 1.5811388 / 2.2360680 = 3 +- 1.963243.
  const auto ci = stats::mean_ci95({1, 2, 3, 4, 5});
  CHECK_THAT(ci.lo, WithinAbs(3 - 1.963243, 1e-6));
  CHECK_THAT(ci.hi, WithinAbs(3 + 1.963243, 1e-6));
}

TEST_CASE("paired differences: mean, CI, t-test and Wilcoxon with ties", "[stats]") {
  const std::vector<double> a{5.0, 6.0, 7.5, 8.0, 6.5}, b{4.0, 6.5, 6.0, 7.0, 5.0};
  const auto d = stats::paired_differences(a, b);
  REQUIRE(d.size() == 5);
  // d = 1, -0.5, 1.5, 1, 1.5.
  CHECK_THAT(d[1], WithinAbs(-0.5, 1e-12));
  // mean = 4.5 / 5 = 0.9; squared deviations 0.01 + 1.96 + 0.36 + 0.01 + 0.36 = 2.7, var = 0.675.
  CHECK_THAT(stats::mean(d), WithinAbs(0.9, 1e-12));
  CHECK_THAT(stats::sample_sd(d), WithinAbs(std::sqrt(0.675), 1e-12));
  // se = sqrt(0.675 / 5) = 0.3674235; CI = 0.9 +- 2.776445 * 0.3674235 = 0.9 +- 1.020131.
  const auto ci = stats::mean_ci95(d);
  CHECK_THAT(ci.lo, WithinAbs(0.9 - 1.020131, 1e-6));
  CHECK_THAT(ci.hi, WithinAbs(0.9 + 1.020131, 1e-6));
  // t = 0.9 / 0.3674235 = sqrt(6), df 4: with the df 4 closed form of the quantile test, s = sqrt(6/10),
  // F = 0.5 + 0.75 * 0.774597 * (1 - 0.2) = 0.964758; p = 2 (1 - F) = 0.070484.
  CHECK_THAT(stats::t_test_p(d), WithinAbs(0.070484, 1e-6));
  // Wilcoxon: |d| = 0.5 (rank 1), 1, 1 (ranks 2.5), 1.5, 1.5 (ranks 4.5). Ties, so the
  // normal approximation: W+ = 2.5 + 2.5 + 4.5 + 4.5 = 14, E = 5*6/4 = 7.5,
  // var = 5*6*11/24 - ((2^3-2) + (2^3-2))/48 = 13.75 - 0.25 = 13.5,
  // z = 6.5 / sqrt(13.5) = 1.769076, p = erfc(z / sqrt 2) = 0.076881.
  CHECK_THAT(stats::wilcoxon_signed_rank_p(d), WithinAbs(0.0768812, 1e-6));
  CHECK_THROWS_AS(stats::paired_differences({1, 2}, {1}), std::invalid_argument);
}

TEST_CASE("Wilcoxon exact distribution for small n without ties", "[stats]") {
  // |d| ranks: 0.5 -> 1, 1.5 -> 2, 2 -> 3, 3 -> 4, 4 -> 5; only rank 1 is negative, so
  // W- = 1. Of the 2^5 = 32 sign patterns, W- <= 1 for {} and {1}: P = 2/32, p = 2 * 2/32.
  CHECK_THAT(stats::wilcoxon_signed_rank_p({1.5, -0.5, 2, 3, 4}), WithinAbs(0.125, 1e-12));
  // n = 6, negative ranks 1 and 2: W- = 3. Subsets of {1..6} with sum <= 3: {}, {1}, {2},
  // {3}, {1,2}: 5 of 64, p = 2 * 5/64 = 0.15625. The zero is dropped first.
  const std::vector<double> d{0.3, -0.1, 0.5, 0.7, -0.2, 0.9, 0.0};
  CHECK_THAT(stats::wilcoxon_signed_rank_p(d), WithinAbs(0.15625, 1e-12));
  // The same with all signs flipped: the test is two-sided.
  std::vector<double> flipped;
  for (double v : d) flipped.push_back(-v);
  CHECK_THAT(stats::wilcoxon_signed_rank_p(flipped), WithinAbs(0.15625, 1e-12));
  // All 6 positive: W- = 0, only {} qualifies: p = 2/64.
  CHECK_THAT(stats::wilcoxon_signed_rank_p({1, 2, 3, 4, 5, 6}), WithinAbs(2.0 / 64, 1e-12));
  // A balanced pattern caps at 1: n = 3, W+ = 3 = W- ({3} against {1, 2}): P(W+ <= 3) =
  // {}, {1}, {2}, {3}, {1,2} = 5/8, doubled 1.25 -> 1.
  CHECK(stats::wilcoxon_signed_rank_p({-1, -2, 3}) == 1.0);
}

TEST_CASE("n = 1 and zero variance give NaN or exact figures, not nonsense", "[stats]") {
  // n = 1: the mean is the value; sd, CI and p are undefined.
  CHECK(stats::mean({0.7}) == 0.7);
  CHECK(std::isnan(stats::sample_sd({0.7})));
  const auto one = stats::mean_ci95({0.7});
  CHECK(std::isnan(one.lo));
  CHECK(std::isnan(one.hi));
  CHECK(std::isnan(stats::t_test_p({0.7})));
  CHECK(std::isnan(stats::t_test_p({})));

  // Equal values: sd 0 and the CI collapses to the (exact) mean.
  const std::vector<double> same{0.1, 0.1, 0.1};
  CHECK(stats::mean(same) == 0.1);
  CHECK(stats::sample_sd(same) == 0);
  const auto ci = stats::mean_ci95(same);
  CHECK(ci.lo == 0.1);
  CHECK(ci.hi == 0.1);
  // The t statistic is +-inf or 0/0: no p-value (documented in stats.hpp).
  CHECK(std::isnan(stats::t_test_p(same)));
  const std::vector<double> zeros{0, 0, 0, 0};
  CHECK(std::isnan(stats::t_test_p(zeros)));
  // Wilcoxon: all zeros are dropped, nothing is left.
  CHECK(std::isnan(stats::wilcoxon_signed_rank_p(zeros)));
  CHECK(std::isnan(stats::wilcoxon_signed_rank_p({})));
  // A constant non-zero difference is one tie group of 3: ranks 2, 2, 2, W+ = 6, E = 3,
  // var = 3*4*7/24 - (27 - 3)/48 = 3.5 - 0.5 = 3, z = 3 / sqrt 3 = 1.732051,
  // p = erfc(z / sqrt 2) = 0.083265.
  CHECK_THAT(stats::wilcoxon_signed_rank_p({2, 2, 2}), WithinAbs(0.0832645, 1e-6));
  CHECK(std::isnan(stats::wilcoxon_signed_rank_p({1, NAN, 2})));
}
