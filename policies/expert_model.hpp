// How a simulated human expert perceives the truth.
//
// Accuracy is 1 - noise up to the expert's capability, then falls linearly with the
// query's difficulty beyond it (slope per unit of difficulty), never below chance.
// A point-wise mistake misjudges one aspect, the most borderline dimension (the one
// whose true value is closest to 0): humans err on the ambiguous part of a response,
// not on everything at once.
// Bias: a lenient expert reports a failing dimension as acceptable with probability
// `leniency` (on top of noise). Pair-wise answers prefer the truly better response with
// the same accuracy.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "policies/ground_truth.hpp"
#include "base/rng.hpp"

namespace oversight {

struct expert_profile {
  double capability = 0.6;  ///< difficulty up to which the expert judges reliably
  double noise = 0.05;      ///< error rate within capability
  double slope = 1.5;       ///< extra error per unit of difficulty beyond capability
  double leniency = 0.0;    ///< P(report a failing dimension as acceptable)
};

inline double expert_accuracy(const expert_profile& e, double difficulty) {
  double acc = 1.0 - e.noise - e.slope * std::max(0.0, difficulty - e.capability);
  return std::clamp(acc, 0.5, 1.0);
}

inline std::array<int8_t, 3> expert_point_label(const expert_profile& e, const true_value& t, rng& r) {
  const double acc = expert_accuracy(e, t.difficulty);
  std::array<int8_t, 3> out{};
  size_t borderline = 0;
  for (size_t j = 0; j < 3; ++j) {
    out[j] = t.v[j] >= 0.f ? 1 : 0;
    if (std::abs(t.v[j]) < std::abs(t.v[borderline])) borderline = j;
  }
  if (!r.bernoulli(acc)) out[borderline] = int8_t(1 - out[borderline]);
  for (auto& o : out)
    if (o == 0 && r.bernoulli(e.leniency)) o = 1;
  return out;
}

inline int8_t expert_pair_label(const expert_profile& e, const true_value& a, const true_value& b, rng& r) {
  const double acc = expert_accuracy(e, std::max(a.difficulty, b.difficulty));
  bool prefers_a = a.utility() >= b.utility();
  if (!r.bernoulli(acc)) prefers_a = !prefers_a;
  return prefers_a ? 1 : 0;
}

}  // namespace oversight
