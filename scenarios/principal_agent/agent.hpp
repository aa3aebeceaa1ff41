// agent: a shard of agents (a contiguous block, policies/market.hpp) who buy on their
// principals' behalf while holding hidden incentives of their own.
//
//   decide(t, orders)  -> orders from every principal shard, in principal-shard order:
//                         every agent in them picks a strategy (its bandit) and a
//                         product; replies the choices per principal shard (row for
//                         row with its orders) and the transaction records (the
//                         principal's loss) in the shard's row order, for the auditors
//   learn(feedback)    -> adds the principals' feedback (row for row with this tick's
//                         orders) and the auditors' flags (rows of those records),
//                         updates every agent that acted this tick; replies the
//                         material gain sum
// Rows carry no agent ids: the shard knows from spawn which of its agents each row of
// each principal shard is for. A batch of the wrong shape (row counts, columns) is an
// error naming the shard.
// Draws from one stream, agent-decide-S; agents' incentives from agent-init-S.
#pragma once

#include <memory>
#include <vector>

#include "policies/market.hpp"
#include "scenarios/principal_agent/messages.hpp"

namespace oversight {

/// Agents block `shard` of `agents`. `rows_from[s]` lists, row by row, the local agent
/// each order from principal shard s is for (the delegation, fixed for the run); throws
/// std::invalid_argument when a listed agent is not one of the block's.
agent_shard_actor spawn_agent_shard(caf::actor_system& sys, const agent_config& cfg,
                                    std::shared_ptr<const catalog> cat, block_split agents, int shard,
                                    std::vector<std::vector<int32_t>> rows_from, uint64_t seed);

}  // namespace oversight
