// monitor: the automated-monitor actor of oversight_monitor (its interface in monitor.hpp).
#include "scenarios/oversight_monitor/monitor.hpp"

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct monitor_state {
  rng draws;
  void state(state_io& io) { io(draws); }
};

monitor_actor::behavior_type monitor(monitor_actor::stateful_pointer<monitor_state> self, monitor_profile profile,
                                     std::string name, uint64_t seed) {
  self->state.draws = rng(seed, "monitor-" + name);
  return {
      [=](scan_atom, int64_t, const response_items& items) {
        flag_batch out;
        out.suspicion.resize(items.rows());
        out.flagged.resize(items.rows());
        for (size_t i = 0; i < items.rows(); ++i) {
          bool flagged = false;
          monitor_look(profile, items.violation[i] != 0, items.subtlety[i], self->state.draws, out.suspicion[i],
                       flagged);
          out.flagged[i] = flagged ? 1 : 0;
        }
        return out;
      },
      save_handler(self),
      restore_handler(self, "monitor " + name),
  };
}
}  // namespace

monitor_actor spawn_monitor(caf::actor_system& sys, const monitor_profile& profile, const std::string& name,
                            uint64_t seed) {
  return sys.spawn(monitor, profile, name, seed);
}

}  // namespace oversight
