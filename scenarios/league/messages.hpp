// The league scenario's vocabulary of its own: the population's interface. Everything
// it carries (queries, responses, training batches, member indices) is a shared
// protocol type, so the scenario registers no message type of its own.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using freeze_atom = caf::atom_constant<caf::atom("freeze")>;  // population: snapshot members

/// The league's learners in one actor (scenarios/league/population.hpp): act answers
/// row i with member who[i], learn steps the trained members, freeze copies trained
/// members into frozen slots.
using population_actor = caf::typed_actor<
    caf::replies_to<act_atom, query_batch, std::vector<int32_t> /*member per row*/, bool /*greedy*/>::with<
        response_batch>,
    caf::replies_to<learn_atom, train_batch>::with<ack_atom>,
    caf::replies_to<freeze_atom, std::vector<int32_t> /*from*/, std::vector<int32_t> /*to*/>::with<ack_atom>>::
    extend_with<checkpointable>;

}  // namespace oversight
