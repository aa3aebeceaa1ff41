// judge: the frozen sparse judge of the debate scenario, as an actor. It only sees the
// revealed pixels of each game and answers with its logits; who wins is decided by the
// scenario from them.
#pragma once

#include <vector>

#include "policies/sparse_judge.hpp"
#include "scenarios/debate/messages.hpp"

namespace oversight {

judge_actor spawn_judge(caf::actor_system& sys, const sparse_judge_config& cfg, std::vector<float> params);

}  // namespace oversight
