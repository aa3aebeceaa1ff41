#include "scenarios/abstention/labeller.hpp"

#include <map>
#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight::abstention {

namespace {

struct labeller_state {
  int left = 0;
  std::map<int64_t, std::vector<item_label>> due;  ///< by the tick they are due
  rng errors;
  /// For checkpoints: the labels still due are messages in flight, kept here until their
  /// tick, so they are saved with the rest.
  void state(state_io& io) { io(left, due, errors); }
};

labeller_actor::behavior_type labeller(labeller_actor::stateful_pointer<labeller_state> self, labeller_config c,
                                       std::shared_ptr<const world> w, int index, uint64_t seed) {
  self->state.left = c.budget;
  self->state.errors = rng(seed, "abstention/labeller-" + std::to_string(index));
  return {
      [=](request_atom, int64_t t, const item_batch& items) {
        auto& st = self->state;
        const int take = std::min(st.left, int(items.rows()));
        st.left -= take;
        const size_t dim = size_t(items.dim);
        const int labels = w->config().classes + 1;  // the classes and "none of these"
        std::vector<float> scratch;
        for (int i = 0; i < take; ++i) {
          item_label l;
          l.id = items.id[size_t(i)];
          l.x.assign(items.x.begin() + std::ptrdiff_t(size_t(i) * dim),
                     items.x.begin() + std::ptrdiff_t(size_t(i + 1) * dim));
          scratch.clear();
          const int32_t truth = w->item(l.id, scratch);
          l.label = truth;
          if (!st.errors.bernoulli(c.accuracy)) {  // a wrong label, uniformly among the others
            int32_t wrong = int32_t(st.errors.below(uint64_t(labels - 1))) - 1;  // in [-1, classes - 1)
            if (wrong >= truth) ++wrong;
            l.label = wrong;
          }
          st.due[t + c.latency].push_back(std::move(l));
        }
        return int32_t(take);
      },
      [=](collect_atom, int64_t t) {
        auto& st = self->state;
        label_list out;
        while (!st.due.empty() && st.due.begin()->first <= t) {
          auto& v = st.due.begin()->second;
          std::move(v.begin(), v.end(), std::back_inserter(out.labels));
          st.due.erase(st.due.begin());
        }
        return out;
      },
      save_handler(self),
      restore_handler(self, "labeller " + std::to_string(index)),
  };
}

}  // namespace

labeller_actor spawn_labeller(caf::actor_system& sys, const labeller_config& c, int index,
                              std::shared_ptr<const world> w, uint64_t seed) {
  return sys.spawn(labeller, c, std::move(w), index, seed);
}

}  // namespace oversight::abstention
