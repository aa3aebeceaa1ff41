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
  std::shared_ptr<trainable> shared(std::move(model));
  // With one scheduler worker, a thread of its own lets a step overlap with serving
  // (free-running mode). With more, a step runs on a worker: handing it a request costs
  // a poll by a worker that is already spinning, not the wake-up of a sleeping thread
  // (two per step, about a fifth of a small network's step time).
  if (sys.scheduler().num_workers() < 2) return sys.spawn<caf::detached>(trainer, shared);
  return sys.spawn(trainer, shared);
}

}  // namespace oversight
