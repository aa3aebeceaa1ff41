#include "actors/expert/expert.hpp"

#include <deque>

namespace oversight {

namespace {
struct pending {
  int64_t due;
  expert_label label;
};

struct expert_state {
  rng noise;
  std::deque<pending> queue;  // ordered by due tick: latency is constant
  int spent = 0;
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
  };
}
}  // namespace

expert_actor spawn_expert(caf::actor_system& sys, const expert_settings& cfg, int32_t index,
                          std::shared_ptr<const ground_truth> world, uint64_t seed) {
  return sys.spawn(expert, cfg, index, std::move(world), seed);
}

}  // namespace oversight
