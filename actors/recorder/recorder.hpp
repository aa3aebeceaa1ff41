// recorder: the one writer of run.sqlite. A detached actor (SQLite calls block), it
// appends each tick's metric rows as they come, committing them at once, and commits on
// flush. It writes checkpoints too (after committing every row before them), so the
// database never holds fewer ticks than the latest checkpoint. The store outlives it.
//
// It is also where a run stops early: after storing a tick, when the store was asked to
// stop (SIGINT/SIGTERM) it answers with an error instead of an ack, and the director
// winds the run down; a write that fails (a full disk) answers with an error too, and
// the store keeps the cause (run_store::failure()) for the one-line message.
//
// For the tests of resume only: with OVERSIGHT_TEST_KILL_AT_TICK=T in its environment the
// process kills itself (SIGKILL) just after handing tick T's rows to the store, a kill
// at a chosen tick that no timing can miss. Unset, it does nothing.
#pragma once

#include "runtime/protocol.hpp"
#include "runtime/run_store.hpp"

namespace oversight {

recorder_actor spawn_recorder(caf::actor_system& sys, run_store* store);

}  // namespace oversight
