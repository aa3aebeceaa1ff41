// The debate scenario's vocabulary: what its program, debaters and judge say to each
// other. Registered with the actor system through the scenario's registration
// (scenario_info::messages).
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"  // checkpointable

#include "policies/debate.hpp"

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using commit_atom = caf::atom_constant<caf::atom("commit")>;    // debater: precommit to a label per image
using move_atom = caf::atom_constant<caf::atom("move")>;        // debater: choose the next pixel to reveal
using verdict_atom = caf::atom_constant<caf::atom("verdict")>;  // judge: logits on the revealed pixels

// debate_positions (policies/debate.hpp) travels as it is: the debaters' search and the
// judge read the same struct the program builds.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, debate_positions& x) {
  return f(caf::meta::type_name("debate_positions"), x.pixels, packed(x.images), packed(x.honest), packed(x.liar),
           x.revealed_count, packed(x.revealed));
}

/// Debater: precommits to one label per image (given the true labels; the honest
/// debater returns them, the liar its chosen lies), then, each ply, chooses the next
/// pixel to reveal in every game it plays (`plies_left` includes this one).
using debater_actor = caf::typed_actor<
    caf::replies_to<commit_atom, debate_positions, std::vector<int32_t> /*truth*/>::with<std::vector<int32_t>>,
    caf::replies_to<move_atom, debate_positions, int32_t /*plies_left*/>::with<std::vector<int32_t>>>::
    extend_with<checkpointable>;

/// Judge: a frozen sparse classifier; `games x classes` logits on each game's revealed
/// pixels.
using judge_actor = caf::typed_actor<caf::replies_to<verdict_atom, debate_positions>::with<std::vector<float>>>::
    extend_with<checkpointable>;

inline void register_debate_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<debate_positions>("debate_positions");
}

}  // namespace oversight
