// The sandwiching scenario's vocabulary: what its two roles and its program say to each
// other. Registered with the actor system through the scenario's registration
// (scenario_info::messages), like every scenario's own messages.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"  // checkpointable

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using quiz_ask_atom = caf::atom_constant<caf::atom("quiz_ask")>;    // assistant: answer questions
using quiz_argue_atom = caf::atom_constant<caf::atom("quiz_argue")>;  // assistant: argue for an option
using solo_atom = caf::atom_constant<caf::atom("solo")>;            // overseer: answer alone
using assisted_atom = caf::atom_constant<caf::atom("assisted")>;    // overseer: answer with the assistant

/// Answers to quiz questions: one option per question and a confidence (stated by a
/// model, or the overseer's own).
struct answer_batch {
  std::vector<int32_t> answer;
  std::vector<float> confidence;
  friend bool operator==(const answer_batch&, const answer_batch&) = default;
};

/// An argument per (question, option): whether the fact it cites holds. This is the
/// world's state; an overseer perceives it only through its own noisy check.
struct argument_batch {
  std::vector<int8_t> fact_holds;
  friend bool operator==(const argument_batch&, const argument_batch&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, answer_batch& x) {
  return f(caf::meta::type_name("answer_batch"), packed(x.answer), packed(x.confidence));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, argument_batch& x) {
  return f(caf::meta::type_name("argument_batch"), packed(x.fact_holds));
}

/// Assistant: the unreliable strong model. Answers questions (attempt n is a fresh
/// sample, so re-asking can expose a guess) with a stated confidence, and argues for a
/// given option of each question when cross-examined.
using assistant_actor = caf::typed_actor<
    caf::replies_to<quiz_ask_atom, std::vector<int64_t> /*questions*/, int32_t /*attempt*/>::with<answer_batch>,
    caf::replies_to<quiz_argue_atom, std::vector<int64_t> /*questions*/, std::vector<int32_t> /*options*/>::with<
        argument_batch>>::extend_with<checkpointable>;

/// Overseer: the non-expert. Answers alone, or with the assistant's help (it asks,
/// re-asks and cross-examines the assistant through messages itself).
using overseer_actor =
    caf::typed_actor<caf::replies_to<solo_atom, std::vector<int64_t>>::with<answer_batch>,
                     caf::replies_to<assisted_atom, std::vector<int64_t>>::with<answer_batch>>::
        extend_with<checkpointable>;

inline void register_sandwiching_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<answer_batch>("answer_batch");
  cfg.add_message_type<argument_batch>("argument_batch");
}

}  // namespace oversight
