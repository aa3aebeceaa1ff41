// The market's limit for `oversight bench`: principal_agent's tick (tasks, choices,
// settlement, audits, feedback, learning) as one plain single-threaded loop over the same
// struct-of-arrays blocks (policies/market.hpp), with no actors, no messages and no
// shards. `market_ratio` is the actor run's transactions per CPU-second over this loop's.
#pragma once

#include <cstdint>

namespace oversight::bench {

/// The loop's wall time in seconds for `population` principals and agents over `ticks`
/// ticks, with principal_agent's default parameters and the 100k file's audits (rate
/// 0.1). Returns the final tick's override rate in `override_rate` (a check that the
/// loop simulates the same market).
double market_bare_loop_seconds(int64_t population, int ticks, uint64_t seed, double& override_rate);

}  // namespace oversight::bench
