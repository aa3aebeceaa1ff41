// The sparse judge of "AI safety via debate" (Irving, Christiano and Amodei 2018): a
// classifier that labels an image from a few revealed pixels. libtorch stays inside
// sparse_judge.cpp.
//
// Input, conceptually, is the paper's: the image with unrevealed pixels zeroed plus the
// 0/1 reveal mask (2 x P values). Its first layer is linear, so it is computed sparsely:
//   h1 = b + sum over revealed pixels i of (value_i * Wv[i] + Wm[i])
// which is exactly W [masked values; mask] + b, at the cost of k rows instead of 2P
// columns. That makes a judge call cheap enough for debaters to search with it.
//
// A revealed set is a row of `width` slots: pixel index (-1: empty slot) and its value
// in [0, 1]. Rows may hold fewer than k pixels (a debate in progress).
//
// Determinism: weights come from the caller's rng, training minibatches and masks from
// the caller's rng, libtorch runs one intra-op thread (init_torch), so the same inputs
// give bit-identical logits. The same row can differ in its last bits between batch
// sizes, so callers keep batch composition independent of scheduling.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/rng.hpp"

namespace oversight {

struct sparse_judge_config {
  int pixels = 784;  ///< image size P
  int classes = 10;
  int reveal = 6;    ///< k: pixels revealed in every training example
  int hidden = 128;
  int layers = 2;    ///< hidden layers (1 or 2)
  double lr = 1e-3;  ///< Adam
  int steps = 2000;  ///< minibatch steps of training
  int batch = 128;   ///< images per step (each with a fresh random mask)
};

/// Rows of revealed pixels: `rows x width` slots.
struct reveal_rows {
  int32_t width = 0;
  std::vector<int32_t> pixel;  ///< -1: empty slot
  std::vector<float> value;
  size_t rows() const { return width == 0 ? 0 : pixel.size() / size_t(width); }
};

class sparse_judge {
 public:
  /// Weights drawn from `init`.
  sparse_judge(const sparse_judge_config& cfg, rng& init);
  ~sparse_judge();
  sparse_judge(sparse_judge&&) noexcept;

  /// Trains on `n` images (`n x pixels` bytes, 0..255) with their labels: each step draws
  /// `batch` images and, for each, `reveal` distinct pixels uniformly, from `r`.
  /// Returns the training accuracy over the last tenth of the steps.
  double train(const uint8_t* images, const uint8_t* labels, size_t n, rng& r);

  /// `rows x classes` logits.
  std::vector<float> logits(const reveal_rows& x) const;

  /// Logits after revealing one more pixel: candidate c adds pixel `pixel[c]` with value
  /// `value[c]` to row `row[c]` of `base`. The shared prefix of a row is computed once,
  /// so scoring every unrevealed pixel of a position costs one small layer per
  /// candidate: this is what makes search with the judge at the leaves affordable.
  /// Returns `candidates x classes` logits.
  std::vector<float> extend_logits(const reveal_rows& base, const std::vector<int32_t>& row,
                                   const std::vector<int32_t>& pixel, const std::vector<float>& value) const;

  std::vector<float> params() const;
  void set_params(const std::vector<float>& p);
  const sparse_judge_config& config() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace oversight
