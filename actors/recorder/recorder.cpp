#include "actors/recorder/recorder.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

namespace oversight {

namespace {
/// The test hook: OVERSIGHT_TEST_KILL_AT_TICK=T makes the process SIGKILL itself right
/// after tick T's rows are handed to the store (committed or not yet). -1 when unset.
int64_t kill_at_tick() {
  const char* v = std::getenv("OVERSIGHT_TEST_KILL_AT_TICK");
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long long t = std::strtoll(v, &end, 10);
  return end && *end == '\0' && t >= 0 ? int64_t(t) : -1;
}

recorder_actor::behavior_type recorder(recorder_actor::pointer self, run_store* store) {
  const int64_t kill_at = kill_at_tick();
  return {
      [=](record_atom, const metric_batch& b) -> caf::result<ack_atom> {
        try {
          store->append(b.rows);
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
        }
        if (kill_at >= 0 && !b.rows.empty() && b.rows.front().tick == kill_at) std::raise(SIGKILL);
        if (store->stop_requested()) return caf::make_error(caf::sec::request_receiver_down, "stop requested");
        return ack_atom::value;
      },
      [=](save_atom, const checkpoint_blob& cp) -> caf::result<ack_atom> {
        try {
          store->write_checkpoint(cp);
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
        }
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
