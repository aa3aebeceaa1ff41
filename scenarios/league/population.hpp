// population: a league's learners in one actor. `learners` trained members and
// `frozen` snapshot slots share one batched model (policies/population.hpp); the trained
// ones are stepped together by one trainer (its own thread; CUDA when available).
//
//   act(queries, who, greedy)  -> row i answered by member who[i] (any slot): sampled
//                                 from its policy (the population's own stream, rows in
//                                 order) or its most probable option (evaluation)
//   learn(batch)               -> batch.a[i] names the trained member (< learners) that
//                                 learns from row i, batch.target its per-option rewards;
//                                 one batched trainer step, the new weights installed,
//                                 then ack (it keeps serving the old ones meanwhile)
//   freeze(from, to)           -> copies trained member from[i] into slot to[i]
//                                 (learners <= to[i]): a frozen snapshot, which no
//                                 later step changes; ack
// Member i starts from the weights spawn_learner(..., name + "-" + i) would draw, so a
// population of one is a learner. It sees queries and rewards, never the hidden truth.
#pragma once

#include <string>

#include "policies/nets.hpp"
#include "scenarios/league/messages.hpp"

namespace oversight {

/// Throws std::invalid_argument when learners is 0.
population_actor spawn_population(caf::actor_system& sys, const policy_config& cfg, size_t learners, size_t frozen,
                                  uint64_t seed, const std::string& name);

}  // namespace oversight
