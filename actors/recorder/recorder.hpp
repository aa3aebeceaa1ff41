// recorder: the one writer of run.sqlite. A detached actor (SQLite calls block), it
// appends each tick's metric rows as they come, committing them at once, and commits on
// flush. The store outlives it.
//
// It is also where a run stops early: after storing a tick, when the store was asked to
// stop (SIGINT/SIGTERM) it answers with an error instead of an ack, and the director
// winds the run down; a write that fails (a full disk) answers with an error too, and
// the store keeps the cause (run_store::failure()) for the one-line message.
#pragma once

#include "runtime/protocol.hpp"
#include "runtime/run_store.hpp"

namespace oversight {

recorder_actor spawn_recorder(caf::actor_system& sys, run_store* store);

}  // namespace oversight
