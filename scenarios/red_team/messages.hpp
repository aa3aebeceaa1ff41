// red_team's own vocabulary: the learner's typed interface. Everything else it says
// (queries, responses, judgments, label requests and labels) is the shared vocabulary in
// runtime/protocol.hpp, which the critic, experts and attackers of other scenarios speak
// too.
#pragma once

#include "runtime/protocol.hpp"

namespace oversight {

/// Learner: answers queries (sampling, or greedy for evaluation) and learns from
/// per-option rewards; replies to learn once the trainer's new weights are in place.
using learner_actor = caf::typed_actor<
    caf::replies_to<act_atom, query_batch, bool /*greedy*/>::with<response_batch>,
    caf::replies_to<learn_atom, query_batch, std::vector<float> /*rows x options rewards*/>::with<ack_atom>>::extend_with<checkpointable>;

}  // namespace oversight
