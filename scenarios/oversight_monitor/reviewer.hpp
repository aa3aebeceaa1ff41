// reviewer: a simulated human expert who reviews flagged responses from the queue.
// Throughput is the scenario's business (it hands each reviewer at most
// `human.throughput` items a tick); the reviewer's judgment is policies/monitor_model.hpp.
//
//   review(t, items) -> 1 for each item it confirms as a violation, in item order
// Draws from the stream reviewer-K. A real human can take its place through this message.
#pragma once

#include "policies/monitor_model.hpp"
#include "scenarios/oversight_monitor/messages.hpp"

namespace oversight {

reviewer_actor spawn_reviewer(caf::actor_system& sys, const reviewer_profile& profile, int index, uint64_t seed);

}  // namespace oversight
