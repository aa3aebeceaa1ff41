// principal: a shard of principals (a contiguous block, policies/market.hpp) who
// delegate purchases to agents.
//
//   order(t)            -> this tick's purchase orders, one batch per agent shard: a row
//                          per principal delegating there (in principal order), with the
//                          candidates and the principal's utilities
//   settle(t, choices)  -> choices from every agent shard, row for row with the orders
//                          sent it: for each transaction, the principal sees what the agent
//                          bought with probability observe_prob and compares it with
//                          its own best candidate (agents state no reasons); an override
//                          it sees (a loss above `tolerance`) is punished: no fee and a
//                          penalty. Replies the feedback per agent shard (row for row)
//                          and the shard's metric sums (true override count, welfare).
// A batch of the wrong shape is an error naming the shard.
// Tasks and observations draw from two streams, principal-tasks-S and principal-seen-S,
// so changing observe_prob leaves every task the same (common random numbers).
#pragma once

#include <memory>
#include <vector>

#include "policies/market.hpp"
#include "scenarios/principal_agent/messages.hpp"

namespace oversight {

struct principal_settings {
  market_config market;
  double observe_prob = 0.5;  ///< P(the principal sees what the agent bought)
  double fee = 1.0;           ///< paid to the agent unless it is caught overriding
  double penalty = 4.0;       ///< charged to an agent caught overriding
  double tolerance = 0.0;     ///< utility loss below which a seen override goes unnoticed
};

/// Principals block `shard` of `principals`; `delegate[i]` is the agent of principal
/// principals.first(shard) + i; `agents` says which agent shard owns an agent.
principal_shard_actor spawn_principal_shard(caf::actor_system& sys, const principal_settings& cfg,
                                            std::shared_ptr<const catalog> cat, block_split principals,
                                            block_split agents, int shard, std::vector<int32_t> delegate,
                                            uint64_t seed);

}  // namespace oversight
