// League bookkeeping, plain C++: Elo ratings and prioritized fictitious self-play
// (PFSP, Vinyals et al. 2019, AlphaStar) opponent draws. No libtorch, no CAF.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "base/rng.hpp"

namespace oversight {

/// Elo's expected score of a player rated `ra` against one rated `rb` (logistic, 400
/// points = odds of 10 to 1).
inline double elo_expected(double ra, double rb) { return 1.0 / (1.0 + std::pow(10.0, (rb - ra) / 400.0)); }

/// How much a match moves the first player's rating: k (score - expected), score in
/// [0, 1] (a share of the match won); the opponent moves by the negative.
inline double elo_delta(double ra, double rb, double score, double k) { return k * (score - elo_expected(ra, rb)); }

/// PFSP's weight for an opponent the chooser beats with probability `p_win`:
/// AlphaStar's f_hard, (1 - p_win)^power, so opponents the chooser struggles against
/// come up more often. power 0 gives every opponent the same weight (uniform matching).
inline double pfsp_weight(double p_win, double power) { return power == 0.0 ? 1.0 : std::pow(1.0 - p_win, power); }

/// An index drawn with probability proportional to w (one uniform from r). Weights that
/// sum to zero (or less) give a uniform draw. w must not be empty.
inline size_t draw_weighted(const std::vector<double>& w, rng& r) {
  double total = 0;
  for (double v : w) total += v > 0 ? v : 0;
  if (!(total > 0)) return size_t(r.below(w.size()));
  const double u = r.uniform() * total;
  double acc = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    acc += w[i] > 0 ? w[i] : 0;
    if (u < acc) return i;
  }
  for (size_t i = w.size(); i-- > 0;)  // u rounded up to the total: the last positive weight
    if (w[i] > 0) return i;
  return w.size() - 1;
}

}  // namespace oversight
