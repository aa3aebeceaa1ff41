// overseer: the non-expert of the sandwiching scenario.
//   solo(questions)   -> its answers from its own belief alone, with its confidence
//   assisted(questions) -> its answers with the assistant's help. It interacts with the
//                        assistant through messages: asks every question, re-asks it
//                        `reasks` times (in parallel, replies ordered by attempt),
//                        then cross-examines its `cross` leading options, checks each
//                        argument itself (noisily) and decides (policies/sandwich.hpp).
// It never sees the truth, the expert's labels or whether the assistant knows a
// question; of the assistant it sees only its answers, stated confidences and, through
// its own noisy check, whether the facts its arguments cite hold.
#pragma once

#include <memory>

#include "policies/sandwich.hpp"
#include "scenarios/sandwiching/messages.hpp"

namespace oversight {

overseer_actor spawn_overseer(caf::actor_system& sys, const overseer_config& cfg,
                              std::shared_ptr<const quiz_world> world, assistant_actor assistant, uint64_t seed);

}  // namespace oversight
