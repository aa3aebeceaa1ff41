#include "actors/attacker/attacker.hpp"

#include "runtime/event_log.hpp"
#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct attacker_state {
  std::unique_ptr<attack_strategy> strategy;
  rng stream;
  void state(state_io& io) { io(*strategy, stream); }
};

attacker_actor::behavior_type attacker(attacker_actor::stateful_pointer<attacker_state> self, attacker_settings cfg,
                                       seed_sampler seeds, uint64_t seed, std::string name) {
  self->state.strategy = make_attack_strategy(cfg.attack, std::move(seeds));
  self->state.stream = rng(seed, name);
  return {
      [=](propose_atom, int64_t) {
        query_batch q;
        q.dim = cfg.attack.dim;
        q.x = self->state.strategy->propose(size_t(cfg.queries_per_tick), self->state.stream);
        return q;
      },
      [=](feedback_atom, const query_batch& q, const judgment_batch& j) {
        std::vector<float> fitness(j.p_ok.size());
        for (size_t i = 0; i < fitness.size(); ++i)
          fitness[i] = (1.f - j.p_ok[i]) + float(cfg.novelty) * j.uncertainty[i];
        self->state.strategy->observe(q.x, fitness);
        return ack_atom::value;
      },
      save_handler(self),
      restore_handler(self, name),
  };
}
}  // namespace

attacker_actor spawn_attacker(caf::actor_system& sys, const attacker_settings& cfg, seed_sampler seeds, uint64_t seed,
                              const std::string& name) {
  auto a = sys.spawn(attacker, cfg, std::move(seeds), seed, name);
  // Named in the event log by its stream's name, also when no program keeps it (league's
  // probers): an actor id depends on what the process spawned before, a name does not.
  if (auto* log = event_log_of(sys)) log->name(a.address(), name);
  return a;
}

}  // namespace oversight
