// trainer: runs a policy's optimizer steps on a thread of its own (a detached actor),
// so a long step never stalls the scheduler's workers. It owns a `trainable` (the
// model copy and optimizer) and answers each step with the new flat parameters.
// One per learner today; on a GPU node the trainable runs on CUDA (policies decide).
#pragma once

#include <memory>

#include "policies/batch.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

trainer_actor spawn_trainer(caf::actor_system& sys, std::unique_ptr<trainable> model);

}  // namespace oversight
