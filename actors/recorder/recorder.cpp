#include "actors/recorder/recorder.hpp"

namespace oversight {

namespace {
recorder_actor::behavior_type recorder(recorder_actor::pointer self, run_store* store) {
  return {
      [=](record_atom, const metric_batch& b) {
        store->append(b.rows);
        return ack_atom::value;
      },
      [=](flush_atom) {
        store->commit();
        return ack_atom::value;
      },
  };
}
}  // namespace

recorder_actor spawn_recorder(caf::actor_system& sys, run_store* store) {
  return sys.spawn<caf::detached>(recorder, store);
}

}  // namespace oversight
