// The weak-to-strong vocabulary: what the program says to its classifiers (the weak
// supervisor, the strong ceiling, the students, the bootstrap rungs, the references).
// The batches themselves (train_batch, query_batch) are the shared ones of
// runtime/protocol.hpp, registered there, so there is no register function here.
#pragma once

#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using fit_atom = caf::atom_constant<caf::atom("fit")>;            // classifier: one training epoch
using classify_atom = caf::atom_constant<caf::atom("classify")>;  // classifier: class probabilities

/// Classifier: fit trains one epoch on its trainer thread (a batch with rows replaces its
/// training set; an empty one reuses it) and acks once the new weights are installed;
/// classify returns `rows x classes` probabilities under the current weights.
using classifier_actor =
    caf::typed_actor<caf::replies_to<fit_atom, train_batch>::with<ack_atom>,
                     caf::replies_to<classify_atom, query_batch>::with<std::vector<float>>>::extend_with<checkpointable>;

}  // namespace oversight
