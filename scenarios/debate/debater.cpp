#include "scenarios/debate/debater.hpp"

#include <memory>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct debater_state {
  std::unique_ptr<sparse_judge> judge;  // frozen: set from the judge's weights at spawn
  rng lies;
  void state(state_io& io) { io(lies); }
};

debater_actor::behavior_type debater(debater_actor::stateful_pointer<debater_state> self, debater_settings s,
                                     uint64_t seed, std::string name) {
  rng unused(seed, name + "/init");  // weights are overwritten by the frozen judge's
  self->state.judge = std::make_unique<sparse_judge>(s.judge, unused);
  self->state.judge->set_params(s.judge_params);
  self->state.lies = rng(seed, name + "/lies");
  return {
      [=](commit_atom, const debate_positions& pos, const std::vector<int32_t>& truth) {
        if (s.honest) return truth;
        return choose_lies(*self->state.judge, pos, truth, s.judge.reveal, s.lie_probes, self->state.lies);
      },
      [=](move_atom, const debate_positions& pos, int32_t plies_left) {
        return choose_reveals(*self->state.judge, pos, s.honest, plies_left, s.search);
      },
      save_handler(self),
      restore_handler(self, name),
  };
}
}  // namespace

debater_actor spawn_debater(caf::actor_system& sys, debater_settings s, uint64_t seed, const std::string& name) {
  return sys.spawn(debater, std::move(s), seed, name);
}

}  // namespace oversight
