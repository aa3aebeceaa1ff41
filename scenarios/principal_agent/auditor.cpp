// auditor: the critic-auditor actor of principal_agent (its interface in auditor.hpp).
#include "scenarios/principal_agent/auditor.hpp"

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct auditor_state {
  rng draws;
  void state(state_io& io) { io(draws); }
};

auditor_actor::behavior_type auditor(auditor_actor::stateful_pointer<auditor_state> self, auditor_settings cfg,
                                     int index, uint64_t seed) {
  self->state.draws = rng(seed, "auditor-" + std::to_string(index));
  return {
      [=](audit_atom, int64_t, const std::vector<audit_batch>& records) -> caf::result<audit_report> {
        auto& r = self->state.draws;
        audit_report rep;
        rep.caught.resize(records.size());
        for (size_t b = 0; b < records.size(); ++b) {
          const auto& d = records[b];
          for (size_t i = 0; i < d.rows(); ++i) {
            if (!r.bernoulli(cfg.rate)) continue;
            ++rep.audited;
            const bool overridden = d.gap[i] > 0.0f;
            if (r.bernoulli(overridden ? cfg.accuracy : cfg.false_flag)) rep.caught[b].push_back(int32_t(i));
          }
        }
        return rep;
      },
      save_handler(self),
      restore_handler(self, "auditor " + std::to_string(index)),
  };
}
}  // namespace

auditor_actor spawn_auditor(caf::actor_system& sys, const auditor_settings& cfg, int index, uint64_t seed) {
  return sys.spawn(auditor, cfg, index, seed);
}

}  // namespace oversight
