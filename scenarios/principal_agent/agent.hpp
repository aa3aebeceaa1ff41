// agent: a shard of agents (a contiguous block, policies/market.hpp) who buy on their
// principals' behalf while holding hidden incentives of their own.
//
//   decide(t, orders) -> every agent in the orders picks a strategy (its bandit) and a
//                        product; replies the decisions bucketed by principal shard
//                        (rows in the order the orders came)
//   learn(feedback)   -> adds payments and penalties (principals' and auditors'), updates
//                        every agent that acted this tick; replies the material gain sum
// Draws from one stream, agent-decide-S; agents' incentives from agent-init-S.
#pragma once

#include <memory>

#include "policies/market.hpp"
#include "scenarios/principal_agent/messages.hpp"

namespace oversight {

agent_shard_actor spawn_agent_shard(caf::actor_system& sys, const agent_config& cfg,
                                    std::shared_ptr<const catalog> cat, block_split agents, block_split principals,
                                    int shard, uint64_t seed);

}  // namespace oversight
