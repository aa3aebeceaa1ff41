// The two data worlds of the weak-to-strong scenarios: value_world (query, response)
// pairs and Fashion-MNIST images, each turned into raw splits with their labels.
#pragma once

#include <cstdint>
#include <vector>

#include "scenarios/weak_to_strong/w2s_params.hpp"

namespace oversight {

/// One split's inputs in the raw form a world gives them.
struct raw_split {
  int dim = 0;
  std::vector<float> x;         ///< rows x dim
  std::vector<int32_t> action;  ///< value_world: the response judged; empty otherwise
  std::vector<int32_t> label;   ///< the target the task asks about
  std::vector<int32_t> other;   ///< w2s_deception: the conflicting objective's label
  std::vector<float> latent;    ///< value_world: rows x concept_count latent concepts
  size_t rows() const { return label.size(); }
};

/// Which split: the two training halves, the test set, and the implicit conflict's
/// helpful-labelled rows.
enum class split_id { half1 = 0, half2 = 1, test = 2, helpful = 3 };
inline constexpr int split_count = 4;

/// A run's data: the training set split in half, the held-out test set, and (implicit
/// conflict only) the helpful-labelled extra rows.
struct w2s_data {
  int classes = 2;
  raw_split half[2], test, extra;
  const raw_split& split(split_id s) const {
    switch (s) {
      case split_id::half1: return half[0];
      case split_id::half2: return half[1];
      case split_id::test: return test;
      case split_id::helpful: break;
    }
    return extra;
  }
};

/// The world `p.world` names, sampled or loaded from (seed, "w2s/..." streams).
/// Throws user_error on bad world parameters or missing data.
w2s_data load_w2s_data(const w2s_params& p, uint64_t seed);

}  // namespace oversight
