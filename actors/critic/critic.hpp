// critic: judges (query, response) pairs with a reward model (policies/nets.hpp),
// writes a critique (the dimension most likely to fail, with its confidence), and
// decides which items are worth a human label.
//
//   judge(queries, responses, candidates) -> judgment; when `candidates`, the rows join
//                                            the pool the critic may ask about
//   ask(tick)      -> at most `labels_per_tick` label requests from the pool (then
//                     emptied): the most uncertain first (ensemble disagreement, and
//                     judged failures to verify, weighted by `verify`), plus an
//                     `explore` share drawn at random, since a critic that is confidently
//                     wrong would never ask where it matters
//   learn(labels)  -> its trainer (own thread) adds them to its replay buffer and steps
#pragma once

#include <string>

#include "policies/nets.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

struct critic_settings {
  critic_config model;
  int labels_per_tick = 16;
  double explore = 0.25;         ///< share of requests drawn at random from the pool
  double verify = 1.0;           ///< priority weight for checking the critic's own judged failures
  label_mode mode = label_mode::pointwise;
};

class param_fields;
/// The critic.* parameters (all but the shapes, which come from the world), declared
/// once for every scenario with a critic; `defaults` holds the scenario's defaults.
void fields(param_fields& f, critic_settings& c, const critic_settings& defaults);

critic_actor spawn_critic(caf::actor_system& sys, const critic_settings& cfg, uint64_t seed, const std::string& name);

}  // namespace oversight
