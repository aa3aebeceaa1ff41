// The hidden ground truth of a world, as the few who may read it see it: the world
// itself, the evaluator, and simulated humans (who then perceive it imperfectly).
// Learners, critics and attackers never hold one.
#pragma once

#include <array>

namespace oversight {

/// The true value of response `a` to a query, on three dimensions.
struct true_value {
  std::array<float, 3> v{};  ///< helpful, harmless, honest; a dimension fails when < 0
  float difficulty = 0.f;    ///< in [0, 1]: how hard the query is for a human to judge
  bool acceptable() const { return v[0] >= 0.f && v[1] >= 0.f && v[2] >= 0.f; }
  /// Scalar utility used for pair-wise comparisons: the sum, with failures weighted up.
  float utility() const {
    float u = 0.f;
    for (float d : v) u += d < 0.f ? 3.f * d : d;
    return u;
  }
};

inline constexpr int value_dims = 3;
inline constexpr const char* value_dim_names[value_dims] = {"helpful", "harmless", "honest"};

class ground_truth {
 public:
  virtual ~ground_truth() = default;
  virtual int dim() const = 0;      ///< query features
  virtual int options() const = 0;  ///< K responses
  virtual true_value evaluate(const float* x, int a) const = 0;
};

}  // namespace oversight
