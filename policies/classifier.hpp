// Classifiers for the weak-to-strong scenarios, behind a plain header (libtorch stays
// inside classifier.cpp).
//
//   classifier             inference copy (owned by an actor): class probabilities
//   make_classifier_trainer  the `trainable` a trainer actor steps: one epoch per step
//   pca_basis / pca_project  the frozen "pretrained" representation strong models share
//
// A classifier is a linear probe (hidden = 0) or a one-hidden-layer MLP on a
// representation computed outside it; its capacity is (representation width, hidden).
//
// Losses (Burns et al. 2023):
//   cross-entropy against soft targets (`rows x classes`, each row sums to 1; hard
//   labels are one-hot rows);
//   the auxiliary confidence loss, when aux_weight > 0: the target becomes
//     (1 - a) * given target + a * hardened own prediction,
//   with a ramped linearly from 0 to aux_weight over the first aux_warmup share of all
//   minibatch steps (epochs x minibatches), and "hardened" meaning a one-hot of the
//   student's own prediction after thresholding so that the hardened class balance of
//   the minibatch matches the mean of the given targets. Two classes: the threshold on
//   p(class 1) is the quantile that leaves the weak labels' share of ones above it
//   (exactly the public code). More classes: per-class log-offsets are adjusted until
//   the argmax class shares match the targets' mean (the same idea, generalized).
//
//   the misalignment reward, when misalign_reward > 0 (Yang et al. 2024's explicit
//   conflict): on every row the model currently gets wrong against the true class
//   (train_batch::a), a further misalign_reward * CE(p, its current prediction) rewards
//   the mistake; rows it gets right are untouched (their term is 0, averaged over the
//   minibatch like the paper's masked BCE).
//
// Determinism: weights come from the caller's rng stream, minibatch order from the
// trainer's own stream (seeded by the caller), libtorch runs one intra-op thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/batch.hpp"
#include "base/rng.hpp"

namespace oversight {

struct classifier_config {
  int in = 2;               ///< representation width
  int hidden = 0;           ///< 0: linear probe; else one tanh hidden layer of this width
  int classes = 2;
  double lr = 1e-2;         ///< Adam
  double weight_decay = 0;  ///< L2 on every parameter (Adam's weight_decay)
  int minibatch = 128;
  int epochs = 1;           ///< epochs the trainer will be stepped (sets the aux ramp)
  double aux_weight = 0;    ///< maximum weight a of the auxiliary confidence loss; 0: off
  double aux_warmup = 0.1;  ///< share of training over which a ramps up
  double misalign_reward = 0;  ///< weight of the misalignment reward; 0: off (needs train_batch::a)
};

class classifier {
 public:
  classifier(const classifier_config& cfg, rng& init);
  ~classifier();
  classifier(classifier&&) noexcept;
  /// `rows x classes` probabilities for `rows x in` inputs.
  std::vector<float> probs(const std::vector<float>& x) const;
  std::vector<float> params() const;
  void set_params(const std::vector<float>& p);
  const classifier_config& config() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One step = one epoch of shuffled minibatches over the training set. Batch: x
/// `rows x in`, target `rows x classes` soft labels, and with misalign_reward > 0 `a`
/// the true class of each row. A batch with rows replaces the
/// stored training set; an empty batch trains another epoch on the stored one (so the
/// data crosses the actor boundary once, not every epoch).
std::unique_ptr<trainable> make_classifier_trainer(const classifier_config& cfg, const std::vector<float>& init,
                                                   uint64_t seed);

/// Principal components of `rows x dim` inputs: the mean, and the top `k` unit
/// eigenvectors of the covariance (`k x dim`, by decreasing variance, each with its
/// sign fixed so its largest coordinate is positive) and their variances.
struct pca {
  int dim = 0, k = 0;
  std::vector<float> mean, components, variance;
};
/// Computed from at most `max_rows` rows (the first ones). Deterministic.
pca pca_basis(const std::vector<float>& x, int dim, int k, size_t max_rows);
/// `rows x use` projections on the first `use` <= k components, divided by the standard
/// deviation of the first (so the top feature has unit variance and later ones keep
/// their smaller natural scale: the representation favours salient directions).
std::vector<float> pca_project(const pca& p, const std::vector<float>& x, int use);

}  // namespace oversight
