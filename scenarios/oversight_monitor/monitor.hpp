// monitor: an automated overseer of a learner's response stream (a critic model or rule
// checks; policies/monitor_model.hpp for how each perceives a response).
//
//   scan(t, items) -> a suspicion score and a flag for every item, in item order
// Draws from the stream monitor-NAME.
#pragma once

#include <string>

#include "policies/monitor_model.hpp"
#include "scenarios/oversight_monitor/messages.hpp"

namespace oversight {

monitor_actor spawn_monitor(caf::actor_system& sys, const monitor_profile& profile, const std::string& name,
                            uint64_t seed);

}  // namespace oversight
