// auditor: a critic that inspects a share of the transactions it is shown.
//
//   audit(t, records)   -> inspects each transaction with probability `rate` (each
//                          inspection costs the scenario `cost`); an override it
//                          inspects is caught with probability `accuracy`, a faithful
//                          transaction is wrongly flagged with `false_flag`. Replies how
//                          many it inspected and, per batch, the rows it flagged (a
//                          transaction's loss is all it sees; it never learns who made it).
// Draws from the stream auditor-K.
#pragma once

#include <string>

#include "scenarios/principal_agent/messages.hpp"
#include "base/rng.hpp"

namespace oversight {

struct auditor_settings {
  double rate = 0.1;       ///< share of transactions inspected
  double accuracy = 0.9;   ///< P(an inspected override is caught)
  double false_flag = 0.0; ///< P(an inspected faithful transaction is flagged)
};

auditor_actor spawn_auditor(caf::actor_system& sys, const auditor_settings& cfg, int index, uint64_t seed);

}  // namespace oversight
