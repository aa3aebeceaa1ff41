#include "actors/recorder/recorder.hpp"

namespace oversight {

namespace {
recorder_actor::behavior_type recorder(recorder_actor::pointer self, run_store* store) {
  return {
      [=](record_atom, const metric_batch& b) -> caf::result<ack_atom> {
        try {
          store->append(b.rows);
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
        }
        if (store->stop_requested()) return caf::make_error(caf::sec::request_receiver_down, "stop requested");
        return ack_atom::value;
      },
      [=](flush_atom) -> caf::result<ack_atom> {
        try {
          store->commit();
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
        }
        return ack_atom::value;
      },
  };
}
}  // namespace

recorder_actor spawn_recorder(caf::actor_system& sys, run_store* store) {
  return sys.spawn<caf::detached>(recorder, store);
}

}  // namespace oversight
