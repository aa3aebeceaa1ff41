// learner: the red_team learner. Serves a neural policy (policies/nets.hpp) and learns from feedback.
//
//   act(queries, greedy)      -> one response per query: sampled from the policy (its
//                                own RNG stream) or the most probable one (evaluation)
//   learn(queries, rewards)   -> hands the batch to its trainer (own thread), installs
//                                the returned weights, then acks. It keeps serving with
//                                its current weights while the step runs.
#pragma once

#include <string>

#include "policies/nets.hpp"
#include "scenarios/red_team/messages.hpp"

namespace oversight {

learner_actor spawn_learner(caf::actor_system& sys, const policy_config& cfg, uint64_t seed, const std::string& name);

}  // namespace oversight
