// recorder: the one writer of run.sqlite. A detached actor (SQLite calls block), it
// appends metric rows as they come and commits on flush. The store outlives it.
#pragma once

#include "runtime/protocol.hpp"
#include "runtime/run_store.hpp"

namespace oversight {

recorder_actor spawn_recorder(caf::actor_system& sys, run_store* store);

}  // namespace oversight
