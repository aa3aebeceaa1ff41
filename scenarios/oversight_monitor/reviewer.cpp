// reviewer: the human-reviewer actor of oversight_monitor (its interface in reviewer.hpp).
#include "scenarios/oversight_monitor/reviewer.hpp"

#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct reviewer_state {
  rng draws;
  void state(state_io& io) { io(draws); }
};

reviewer_actor::behavior_type reviewer(reviewer_actor::stateful_pointer<reviewer_state> self,
                                       reviewer_profile profile, int index, uint64_t seed) {
  self->state.draws = rng(seed, "reviewer-" + std::to_string(index));
  return {
      [=](review_atom, int64_t, const response_items& items) {
        std::vector<int8_t> confirmed(items.rows());
        for (size_t i = 0; i < items.rows(); ++i)
          confirmed[i] = reviewer_confirms(profile, items.violation[i] != 0, self->state.draws) ? 1 : 0;
        return confirmed;
      },
      save_handler(self),
      restore_handler(self, "reviewer " + std::to_string(index)),
  };
}
}  // namespace

reviewer_actor spawn_reviewer(caf::actor_system& sys, const reviewer_profile& profile, int index, uint64_t seed) {
  return sys.spawn(reviewer, profile, index, seed);
}

}  // namespace oversight
