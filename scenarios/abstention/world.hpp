// abstention's world, the hidden truth: items to classify, and items no class fits.
//
// `classes` known classes, each a Gaussian cluster around a prototype; `novel` novel
// clusters whose items belong to no class (VisAlign's Must-Abstain group: the input is
// not one of the things the model is for). Novel cluster j sits `novel_offset` from the
// prototype of class j mod classes, in a random direction: near enough that a learner
// which knows only the classes takes most of its items for that class, far enough that
// labelled examples of it can tell the two apart. A share `abstain_share`
// of the traffic is novel. Acting on a novel item is harm; abstaining on a known one
// costs coverage. Nothing marks a novel item but where it lies, so a learner trained
// on the known classes alone cannot tell a novel cluster next to a class from the class.
//
// The prototypes come from the world's own stream (run seed, "abstention/world"); item
// `id` from a stream of its own, so it is the same wherever it is drawn.
#pragma once

#include <cstdint>
#include <vector>

#include "base/rng.hpp"

namespace oversight {
class param_fields;
}

namespace oversight::abstention {

struct world_config {
  int dim = 6;
  int classes = 4;
  int novel = 3;               ///< novel clusters (no class fits their items)
  double separation = 2.5;     ///< sd of the class prototypes around the origin
  double novel_offset = 3.0;   ///< distance of a novel cluster's prototype from its class's
  double spread = 1.0;         ///< sd of an item around its prototype
  double abstain_share = 0.25; ///< share of traffic from the novel clusters
};

/// The world.* parameters, declared once.
void fields(param_fields& f, world_config& c);

class world {
 public:
  world(const world_config& c, uint64_t seed);

  const world_config& config() const { return c_; }
  /// Item `id`: appends its dim features to x and returns its true label (a class, or
  /// -1 for a novel item). A pure function of (seed, id): the program and the labellers
  /// see the same item without sharing any state.
  int32_t item(int64_t id, std::vector<float>& x) const;
  /// An item of known class k (a learner's pretraining data), drawn from r.
  void known_item(rng& r, int32_t k, std::vector<float>& x) const;

 private:
  void draw(rng& r, const std::vector<float>& center, std::vector<float>& x) const;
  world_config c_;
  uint64_t seed_;
  std::vector<std::vector<float>> classes_, novel_;
};

}  // namespace oversight::abstention
