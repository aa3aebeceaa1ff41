// agent: a shard of agents (a contiguous block, policies/market.hpp) who buy on their
// principals' behalf while holding hidden incentives of their own.
//
//   decide(t, orders)  -> orders from every principal shard, in principal-shard order:
//                         every agent in them picks a strategy (its bandit) and a
//                         product; replies the choices per principal shard (row for
//                         row with its orders) and the transaction records (agent, the
//                         principal's loss) in the shard's row order, for the auditors
//   learn(feedback)    -> adds the principals' feedback (row for row with this tick's
//                         orders) and the auditors' flags, updates every agent that acted
//                         this tick; replies the material gain sum
// A batch of the wrong shape (row counts, an agent of another shard) is an error naming
// the shard.
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
