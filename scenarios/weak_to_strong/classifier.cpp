// The classifier role (see classifier.hpp).
#include "scenarios/weak_to_strong/classifier.hpp"

#include "actors/trainer/trainer.hpp"

namespace oversight {

namespace {
struct classifier_state {
  std::unique_ptr<classifier> net;
  trainer_actor trainer;
  /// Checkpoints (the trainer's part, with the data it keeps, is saved beside it).
  void state(state_io& io) {
    auto params = io.loading() ? std::vector<float>{} : net->params();
    io(params);
    if (io.loading()) net->set_params(params);
  }
};

classifier_actor::behavior_type classifier_behavior(classifier_actor::stateful_pointer<classifier_state> self,
                                                    classifier_config cfg, uint64_t seed, std::string name) {
  rng init(seed, name + "/init");
  self->state.net = std::make_unique<classifier>(cfg, init);
  self->state.trainer =
      spawn_trainer(self->system(), make_classifier_trainer(cfg, self->state.net->params(), fnv1a(name) ^ seed));
  self->link_to(self->state.trainer);  // the trainer lives and dies with its classifier
  return {
      [=](fit_atom, train_batch& b) -> caf::result<ack_atom> {
        return train_and_ack(self, self->state.trainer, std::move(b),
                             [=](const std::vector<float>& p) { self->state.net->set_params(p); });
      },
      [=](classify_atom, const query_batch& q) { return self->state.net->probs(q.x); },
      save_with_trainer(self),
      restore_with_trainer(self, name),
  };
}
}  // namespace

classifier_actor spawn_classifier(caf::actor_system& sys, const classifier_config& cfg, uint64_t seed,
                                  const std::string& name) {
  return sys.spawn(classifier_behavior, cfg, seed, name);
}

}  // namespace oversight
