// expert: a simulated human labeler (policies/expert_model.hpp for how it perceives).
//
//   label(tick, requests) -> how many it accepted: it takes requests while its budget
//                            lasts; each answer becomes due at tick + latency
//   deliver(tick)         -> every answer due by `tick`, in the order it was asked
// Latency is a delivery at a later tick, never a sleep. A real human can take this
// actor's place through the same two messages.
#pragma once

#include <memory>
#include <string>

#include "policies/expert_model.hpp"
#include "policies/ground_truth.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

struct expert_settings {
  expert_profile profile;
  int latency = 2;   ///< ticks between a request and its answer
  int budget = 200;  ///< labels this expert will give in the whole run
};

class param_fields;
/// The expert.* parameters of one expert (not how many there are), declared once for
/// every scenario with experts; `defaults` holds the scenario's defaults.
void fields(param_fields& f, expert_settings& e, const expert_settings& defaults);

expert_actor spawn_expert(caf::actor_system& sys, const expert_settings& cfg, int32_t index,
                          std::shared_ptr<const ground_truth> world, uint64_t seed);

}  // namespace oversight
