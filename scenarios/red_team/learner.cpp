#include "scenarios/red_team/learner.hpp"

#include "actors/trainer/trainer.hpp"

namespace oversight {

namespace {
struct learner_state {
  std::unique_ptr<policy_net> net;
  trainer_actor trainer;
  rng sampling;
  /// Checkpoints (the trainer's part is saved beside it: save_with_trainer).
  void state(state_io& io) {
    auto params = io.loading() ? std::vector<float>{} : net->params();
    io(params, sampling);
    if (io.loading()) net->set_params(params);
  }
};

learner_actor::behavior_type learner(learner_actor::stateful_pointer<learner_state> self, policy_config cfg,
                                     uint64_t seed, std::string name) {
  auto& st = self->state;
  rng init(seed, name + "/init");
  st.net = std::make_unique<policy_net>(cfg, init);
  st.sampling = rng(seed, name + "/sampling");
  st.trainer = spawn_trainer(self->system(), make_policy_trainer(cfg, st.net->params()));
  self->link_to(st.trainer);  // the trainer lives and dies with its learner
  return {
      [=](act_atom, const query_batch& q, bool greedy) {
        auto& st = self->state;
        response_batch out;
        out.options = cfg.options;
        out.prob = st.net->probs(q.x);
        const size_t k = size_t(cfg.options);
        out.action.resize(q.rows());
        for (size_t i = 0; i < q.rows(); ++i) {
          const float* p = out.prob.data() + i * k;
          size_t choice = 0;
          if (greedy) {
            for (size_t a = 1; a < k; ++a)
              if (p[a] > p[choice]) choice = a;
          } else {
            double u = st.sampling.uniform(), acc = 0;
            choice = k - 1;
            for (size_t a = 0; a < k; ++a) {
              acc += p[a];
              if (u < acc) {
                choice = a;
                break;
              }
            }
          }
          out.action[i] = int32_t(choice);
        }
        return out;
      },
      [=](learn_atom, query_batch& q, std::vector<float>& rewards) -> caf::result<ack_atom> {
        train_batch b;
        b.dim = q.dim;
        b.x = std::move(q.x);
        b.width = cfg.options;
        b.target = std::move(rewards);
        return train_and_ack(self, self->state.trainer, std::move(b),
                             [=](const std::vector<float>& p) { self->state.net->set_params(p); });
      },
      save_with_trainer(self),
      restore_with_trainer(self, name),
  };
}
}  // namespace

learner_actor spawn_learner(caf::actor_system& sys, const policy_config& cfg, uint64_t seed, const std::string& name) {
  return sys.spawn(learner, cfg, seed, name);
}

}  // namespace oversight
