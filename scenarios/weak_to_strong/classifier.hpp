// classifier: the role serving one classifier (policies/classifier.hpp): the weak
// supervisor, the strong ceiling, each weak-to-strong student, bootstrap rung and
// reference is one.
//
//   fit(batch)         -> one epoch on its trainer (own thread); installs the new
//                         weights, then acks. A batch with rows replaces the training
//                         set; an empty batch trains another epoch on it.
//   classify(queries)  -> `rows x classes` probabilities under the current weights.
#pragma once

#include <string>

#include "policies/classifier.hpp"
#include "scenarios/weak_to_strong/messages.hpp"

namespace oversight {

/// Weights from stream (seed, name + "/init"); minibatch order from (seed, name).
classifier_actor spawn_classifier(caf::actor_system& sys, const classifier_config& cfg, uint64_t seed,
                                  const std::string& name);

}  // namespace oversight
