#include "scenarios/debate/judge.hpp"

#include <memory>

#include "policies/debate.hpp"
#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct judge_state {
  std::unique_ptr<sparse_judge> net;
};

judge_actor::behavior_type judge(judge_actor::stateful_pointer<judge_state> self, sparse_judge_config cfg,
                                 std::vector<float> params) {
  rng unused(0, "judge/init");  // overwritten by the frozen weights
  self->state.net = std::make_unique<sparse_judge>(cfg, unused);
  self->state.net->set_params(params);
  return {
      [=](verdict_atom, const debate_positions& pos) { return judge_revealed(*self->state.net, pos); },
      stateless_save_handler(),  // frozen weights
      stateless_restore_handler("judge"),
  };
}
}  // namespace

judge_actor spawn_judge(caf::actor_system& sys, const sparse_judge_config& cfg, std::vector<float> params) {
  return sys.spawn(judge, cfg, std::move(params));
}

}  // namespace oversight
