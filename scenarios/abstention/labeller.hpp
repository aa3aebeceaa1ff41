// A simulated human labeller: looks at an item (the world's truth, through its own
// error rate) and says its class, or "none of these" for an item no class fits. It
// labels at most `budget` items in the whole run, and a label reaches the learner
// `latency` ticks after it was asked for.
#pragma once

#include <memory>

#include "scenarios/abstention/messages.hpp"
#include "scenarios/abstention/world.hpp"

namespace oversight::abstention {

struct labeller_config {
  int budget = 150;        ///< labels in the whole run
  int latency = 2;         ///< ticks between a request and its label
  double accuracy = 0.9;   ///< P(the label is the truth); otherwise another label at random
};

labeller_actor spawn_labeller(caf::actor_system& sys, const labeller_config& c, int index,
                              std::shared_ptr<const world> w, uint64_t seed);

}  // namespace oversight::abstention
