// population: the league's learners in one actor (its interface in population.hpp).
#include "scenarios/league/population.hpp"

#include <stdexcept>

#include "actors/trainer/trainer.hpp"
#include "policies/population.hpp"

namespace oversight {

namespace {
struct population_state {
  std::unique_ptr<population_net> net;
  trainer_actor trainer;
  rng sampling;
  /// Checkpoints: every member (trained and frozen snapshots) and the sampling stream; the
  /// trainer's part is saved beside it (save_with_trainer).
  void state(state_io& io) {
    std::vector<std::vector<float>> members(net->size());
    if (!io.loading())
      for (size_t i = 0; i < members.size(); ++i) members[i] = net->member(i);
    io(members, sampling);
    if (io.loading()) {
      if (members.size() != net->size())
        throw std::runtime_error("checkpoint of the population: " + std::to_string(members.size()) +
                                 " members, the run has " + std::to_string(net->size()));
      for (size_t i = 0; i < members.size(); ++i) net->set_members(i, members[i]);
    }
  }
};

population_actor::behavior_type population(population_actor::stateful_pointer<population_state> self,
                                           policy_config cfg, size_t learners, size_t frozen, uint64_t seed,
                                           std::string name) {
  auto& st = self->state;
  st.net = std::make_unique<population_net>(cfg, learners + frozen);
  std::vector<float> init;
  init.reserve(learners * member_param_count(cfg));
  for (size_t i = 0; i < learners; ++i) {
    rng r(seed, name + "-" + std::to_string(i) + "/init");
    auto m = init_member(cfg, r);
    init.insert(init.end(), m.begin(), m.end());
  }
  st.net->set_members(0, init);
  st.sampling = rng(seed, name + "/sampling");
  st.trainer = spawn_trainer(self->system(), make_population_trainer(cfg, learners, init));
  self->link_to(st.trainer);  // the trainer lives and dies with its population
  return {
      [=](act_atom, const query_batch& q, const std::vector<int32_t>& who, bool greedy) {
        auto& st = self->state;
        response_batch out;
        out.options = cfg.options;
        out.prob = st.net->probs(q.x, who);
        const size_t k = size_t(cfg.options);
        out.action.resize(who.size());
        for (size_t i = 0; i < who.size(); ++i) {
          const float* p = out.prob.data() + i * k;
          size_t choice = 0;
          if (greedy) {
            for (size_t a = 1; a < k; ++a)
              if (p[a] > p[choice]) choice = a;
          } else {
            const double u = st.sampling.uniform();
            double acc = 0;
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
      [=](learn_atom, train_batch& b) -> caf::result<ack_atom> {
        return train_and_ack(self, self->state.trainer, std::move(b),
                             [=](const std::vector<float>& p) { self->state.net->set_members(0, p); });
      },
      [=](freeze_atom, const std::vector<int32_t>& from, const std::vector<int32_t>& to) {
        auto& st = self->state;
        if (from.size() != to.size())
          throw std::invalid_argument("freeze: " + std::to_string(from.size()) + " members for " +
                                      std::to_string(to.size()) + " slots");
        for (size_t i = 0; i < from.size(); ++i) {
          if (from[i] < 0 || size_t(from[i]) >= learners || to[i] < int32_t(learners) ||
              size_t(to[i]) >= st.net->size())
            throw std::invalid_argument("freeze: member " + std::to_string(from[i]) + " -> slot " +
                                        std::to_string(to[i]) + " (trained members 0.." +
                                        std::to_string(learners - 1) + ", frozen slots " +
                                        std::to_string(learners) + ".." + std::to_string(st.net->size() - 1) + ")");
          st.net->copy_member(size_t(from[i]), size_t(to[i]));
        }
        return ack_atom::value;
      },
      save_with_trainer(self),
      restore_with_trainer(self, name),
  };
}
}  // namespace

population_actor spawn_population(caf::actor_system& sys, const policy_config& cfg, size_t learners, size_t frozen,
                                  uint64_t seed, const std::string& name) {
  if (learners == 0) throw std::invalid_argument("spawn_population: a population needs at least one learner");
  return sys.spawn(population, cfg, learners, frozen, seed, name);
}

}  // namespace oversight
