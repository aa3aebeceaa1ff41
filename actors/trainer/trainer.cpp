#include "actors/trainer/trainer.hpp"

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct trainer_state {
  std::shared_ptr<trainable> model;
  void state(state_io& io) { model->state(io); }
};

trainer_actor::behavior_type trainer(trainer_actor::stateful_pointer<trainer_state> self,
                                     std::shared_ptr<trainable> model) {
  self->state.model = std::move(model);
  return {
      [=](step_atom, const train_batch& b) { return param_blob{self->state.model->step(b)}; },
      save_handler(self),
      restore_handler(self, "trainer"),
  };
}
}  // namespace

trainer_actor spawn_trainer(caf::actor_system& sys, std::unique_ptr<trainable> model) {
  return sys.spawn<caf::detached>(trainer, std::shared_ptr<trainable>(std::move(model)));
}

}  // namespace oversight
