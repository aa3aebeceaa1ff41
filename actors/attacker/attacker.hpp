// attacker: searches the query space for inputs that make the learner misbehave,
// with a strategy from policies/attack.hpp.
//
//   propose(tick)                -> `queries_per_tick` queries
//   feedback(queries, judgment)  -> fitness = judged failure (1 - p_ok) + novelty x
//                                   the critic's uncertainty; the strategy adapts
// Only the critic's judgment reaches it: the attacker never sees the hidden truth.
#pragma once

#include <string>

#include "policies/attack.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

struct attacker_settings {
  attack_config attack;
  int queries_per_tick = 32;
  double novelty = 1.0;
};

attacker_actor spawn_attacker(caf::actor_system& sys, const attacker_settings& cfg, seed_sampler seeds, uint64_t seed,
                              const std::string& name);

}  // namespace oversight
