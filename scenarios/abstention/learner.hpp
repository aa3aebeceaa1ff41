// The abstaining learner: a nearest-neighbour classifier that may say "none of these".
//
// What it knows: its pretraining items (labelled, known classes only) and every label a
// human has given it (humans err, so no single label decides anything). It abstains
// when an item lies farther from every class centroid than `radius_scale` times the
// median distance of its class items to their centroid (nothing it knows is near; the
// median, so that mislabelled outliers cannot stretch it), or when at least half of the
// item's `neighbours` nearest labelled items were called "none of these". Otherwise it
// acts: the class of the nearest centroid. It asks for labels on the items it is least
// sure about (near the radius, or with split neighbours), plus a share at random. It
// never sees an item's true label or whether the item is novel.
#pragma once

#include <cstdint>
#include <vector>

#include "base/rng.hpp"
#include "scenarios/abstention/messages.hpp"

namespace oversight::abstention {

struct learner_config {
  int dim = 6;
  int classes = 4;
  double radius_scale = 1.8;  ///< times the median distance of class items to their centroid
  int neighbours = 5;         ///< labelled items that vote on abstaining
  double explore = 0.2;           ///< share of label requests drawn at random
};

/// The decision rule, plain C++ (the actor below only serves it).
class abstainer {
 public:
  explicit abstainer(const learner_config& c);
  /// Adds labelled items (class or kAbstain) and refits centroids and radius.
  void teach(const std::vector<item_label>& labels);
  /// A class or kAbstain per row of x, and how unsure it is of each (higher: less sure).
  void classify(const std::vector<float>& x, std::vector<int32_t>& choice, std::vector<float>& unsure) const;
  double radius() const { return radius_; }
  /// What it has learned (checkpoints): everything teach() changes.
  void state(state_io& io) { io(sum_, centroid_, count_, ex_x_, ex_label_, radius_); }

 private:
  float dist2(const float* a, const float* b) const;
  learner_config c_;
  std::vector<float> sum_, centroid_;  ///< classes x dim
  std::vector<int64_t> count_;
  std::vector<float> ex_x_;            ///< labelled exemplars, rows x dim
  std::vector<int32_t> ex_label_;
  double radius_ = 0;
};

/// The learner role: pretrained on `pretrain` (known classes only), then served.
learner_actor spawn_learner(caf::actor_system& sys, const learner_config& c, std::vector<item_label> pretrain,
                            uint64_t seed);

}  // namespace oversight::abstention
