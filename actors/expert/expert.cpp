#include "actors/expert/expert.hpp"

#include <deque>

#include "runtime/param_fields.hpp"
#include "runtime/role_checkpoint.hpp"

namespace oversight {

void fields(param_fields& f, expert_settings& e, const expert_settings& d) {
  f.real("expert.capability", e.profile.capability, d.profile.capability, 0.0, 1.0,
         "difficulty up to which experts judge reliably");
  f.real("expert.noise", e.profile.noise, d.profile.noise, 0.0, 0.5, "expert error rate within capability");
  f.real("expert.slope", e.profile.slope, d.profile.slope, 0.0, 100.0,
         "extra error per unit of difficulty beyond capability");
  f.real("expert.leniency", e.profile.leniency, d.profile.leniency, 0.0, 1.0,
         "bias: P(a failing dimension is reported acceptable)");
  f.integer("expert.latency", e.latency, d.latency, 0, 100000, "ticks before a label arrives");
  f.integer("expert.budget", e.budget, d.budget, 0, 1000000000, "labels each expert gives in the whole run");
}

namespace {
struct pending {
  int64_t due;
  expert_label label;
  void state(state_io& io) { io(due, label); }
};

struct expert_state {
  rng noise;
  std::deque<pending> queue;  // ordered by due tick: latency is constant
  int spent = 0;
  /// Checkpoints: the labels still due are messages in flight, kept here until their tick.
  void state(state_io& io) { io(noise, queue, spent); }
};

expert_actor::behavior_type expert(expert_actor::stateful_pointer<expert_state> self, expert_settings cfg,
                                   int32_t index, std::shared_ptr<const ground_truth> world, uint64_t seed) {
  self->state.noise = rng(seed, "expert-" + std::to_string(index));
  return {
      [=](label_atom, int64_t tick, const std::vector<label_request>& reqs) {
        auto& st = self->state;
        int32_t accepted = 0;
        for (auto& q : reqs) {
          if (st.spent >= cfg.budget) break;
          ++st.spent;
          ++accepted;
          expert_label l;
          l.id = q.id;
          l.expert = index;
          l.kind = q.kind;
          l.x = q.x;
          l.a = q.a;
          l.b = q.b;
          auto ta = world->evaluate(q.x.data(), q.a);
          if (q.kind == label_kind::pairwise) {
            l.prefers_a = expert_pair_label(cfg.profile, ta, world->evaluate(q.x.data(), q.b), st.noise);
          } else {
            auto bits = expert_point_label(cfg.profile, ta, st.noise);
            l.ok.assign(bits.begin(), bits.end());
          }
          st.queue.push_back({tick + cfg.latency, std::move(l)});
        }
        return accepted;
      },
      [=](deliver_atom, int64_t tick) {
        auto& st = self->state;
        label_batch out;
        while (!st.queue.empty() && st.queue.front().due <= tick) {
          out.labels.push_back(std::move(st.queue.front().label));
          st.queue.pop_front();
        }
        return out;
      },
      save_handler(self),
      restore_handler(self, "expert " + std::to_string(index)),
  };
}
}  // namespace

expert_actor spawn_expert(caf::actor_system& sys, const expert_settings& cfg, int32_t index,
                          std::shared_ptr<const ground_truth> world, uint64_t seed) {
  return sys.spawn(expert, cfg, index, std::move(world), seed);
}

}  // namespace oversight
