#include "actors/critic/critic.hpp"

#include <algorithm>
#include <map>
#include <numeric>

#include "actors/trainer/trainer.hpp"
#include "runtime/param_fields.hpp"

namespace oversight {

void fields(param_fields& f, critic_settings& c, const critic_settings& d) {
  auto& m = c.model;
  const auto& dm = d.model;
  f.integer("critic.hidden", m.hidden, dm.hidden, 4, 4096, "critic reward-model hidden width");
  f.integer("critic.ensemble", m.ensemble, dm.ensemble, 1, 32,
            "critic ensemble members (their disagreement is its uncertainty)");
  f.real("critic.lr", m.lr, dm.lr, 1e-6, 1.0, "critic Adam learning rate");
  f.real("critic.prior_scale", m.prior_scale, dm.prior_scale, 0.0, 100.0,
         "weight of each ensemble member's fixed random prior");
  f.integer("critic.updates", m.updates, dm.updates, 0, 10000, "critic minibatch steps per tick");
  f.integer("critic.minibatch", m.minibatch, dm.minibatch, 1, 100000, "critic minibatch size");
  f.integer("critic.labels_per_tick", c.labels_per_tick, d.labels_per_tick, 0, 100000,
            "label requests the critic sends each tick");
  f.real("critic.explore", c.explore, d.explore, 0.0, 1.0,
         "share of label requests drawn at random instead of by uncertainty");
  f.real("critic.verify", c.verify, d.verify, 0.0, 100.0, "label priority for checking the critic's own judged failures");
  f.choice("critic.label_mode", c.mode, d.mode,
           {{"pointwise", label_mode::pointwise}, {"pairwise", label_mode::pairwise}, {"mixed", label_mode::mixed}},
           "kind of labels asked for");
}

namespace {
struct candidate {
  std::vector<float> x;
  int32_t a;
  float priority;
  void state(state_io& io) { io(x, a, priority); }
};

struct critic_state {
  std::unique_ptr<reward_model> model;
  trainer_actor trainer;
  rng picks;
  std::map<int32_t, std::vector<candidate>> pools;
  int64_t next_id = 0;
  /// Checkpoints (the trainer's part is saved beside it: save_with_trainer).
  void state(state_io& io) {
    auto params = io.loading() ? std::vector<float>{} : model->params();
    io(params, picks, pools, next_id);
    if (io.loading()) model->set_params(params);
  }
};

/// `want` items of a pool: the highest priority first, then an `explore` share at random.
std::vector<size_t> choose_from(rng& picks, const std::vector<candidate>& pool, size_t want, double explore) {
  const size_t random_n = size_t(std::lround(double(want) * explore));
  std::vector<size_t> order(pool.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return pool[x].priority > pool[y].priority; });
  std::vector<char> taken(pool.size(), 0);
  std::vector<size_t> chosen;
  for (size_t i = 0; i < order.size() && chosen.size() + random_n < want; ++i) {
    taken[order[i]] = 1;
    chosen.push_back(order[i]);
  }
  while (chosen.size() < want) {
    const size_t j = picks.below(pool.size());
    if (taken[j]) continue;
    taken[j] = 1;
    chosen.push_back(j);
  }
  return chosen;
}

critic_actor::behavior_type critic(critic_actor::stateful_pointer<critic_state> self, critic_settings cfg,
                                   uint64_t seed, std::string name) {
  auto& st = self->state;
  cfg.model.prior_seed = seed ^ fnv1a(name);
  rng init(seed, name + "/init");
  st.model = std::make_unique<reward_model>(cfg.model, init);
  st.picks = rng(seed, name + "/picks");
  st.trainer = spawn_trainer(self->system(), make_critic_trainer(cfg.model, st.model->params(), seed ^ fnv1a(name)));
  self->link_to(st.trainer);
  const size_t k = size_t(cfg.model.options);
  auto choose = [explore = cfg.explore](critic_state& st, const std::vector<candidate>& pool, size_t want) {
    return choose_from(st.picks, pool, want, explore);
  };
  return {
      [=](judge_atom, const query_batch& q, const response_batch& r, const std::vector<int32_t>& pools) {
        auto& st = self->state;
        auto view = st.model->judge(q.x);
        judgment_batch out;
        out.options = int32_t(k);
        out.score = view.p_ok;
        const size_t rows = q.rows();
        for (size_t i = 0; i < rows; ++i) {
          const size_t a = size_t(r.action[i]);
          const size_t cell = i * k + a;
          out.p_ok.push_back(view.p_ok[cell]);
          out.uncertainty.push_back(view.uncertainty[cell]);
          const float* pd = view.p_dim.data() + cell * 3;
          const int32_t worst = int32_t(std::min_element(pd, pd + 3) - pd);
          out.fail_dim.push_back(value_dim(worst));
          out.confidence.push_back(1.f - pd[worst]);
          if (!pools.empty()) {
            // Priority: disagreement within the ensemble, closeness to the boundary, and
            // a judged failure to verify (training the learner on a false alarm is costly,
            // and an attacker would farm it).
            const float p = view.p_ok[cell];
            float spread = 0.f;  // the query's most uncertain option
            for (size_t o = 0; o < k; ++o) spread = std::max(spread, view.uncertainty[i * k + o]);
            const float prio = spread + 0.1f * (1.f - std::abs(2.f * p - 1.f)) +
                               float(cfg.verify) * std::max(0.f, 0.5f - p);
            // Ask about the option the critic is least sure of for this query: labels on
            // the learner's own choice alone never teach the critic what it should do instead.
            size_t ask = a;
            for (size_t o = 0; o < k; ++o)
              if (view.uncertainty[i * k + o] > view.uncertainty[i * k + ask]) ask = o;
            st.pools[pools[i]].push_back({std::vector<float>(q.x.begin() + i * q.dim, q.x.begin() + (i + 1) * q.dim),
                               int32_t(ask), prio});
          }
        }
        return out;
      },
      [=](ask_atom, int64_t) {
        auto& st = self->state;
        // The quota is shared evenly among the pools (in pool order), so one prolific
        // source cannot crowd out the rest; a pool's unused share passes on.
        std::vector<std::vector<size_t>> picked;
        size_t left = size_t(cfg.labels_per_tick), open = st.pools.size();
        for (auto& [id, pool] : st.pools) {
          const size_t want = std::min(pool.size(), (left + open - 1) / open);
          picked.push_back(choose(st, pool, want));
          left -= want;
          --open;
        }
        std::vector<label_request> out;
        size_t pi = 0;
        for (auto& [id, pool] : st.pools) {
          for (size_t j : picked[pi]) {
            label_request req;
            req.id = st.next_id++;
            req.x = pool[j].x;
            req.a = pool[j].a;
            const bool pair =
                cfg.mode == label_mode::pairwise || (cfg.mode == label_mode::mixed && st.picks.bernoulli(0.5));
            if (pair) {
              req.kind = label_kind::pairwise;
              req.b = int32_t((size_t(req.a) + 1 + st.picks.below(k - 1)) % k);
            }
            out.push_back(std::move(req));
          }
          ++pi;
        }
        st.pools.clear();
        return out;
      },
      [=](learn_atom, const label_batch& lb) -> caf::result<ack_atom> {
        train_batch b;
        b.dim = cfg.model.dim;
        b.width = 3;
        for (auto& l : lb.labels) {
          b.x.insert(b.x.end(), l.x.begin(), l.x.end());
          b.a.push_back(l.a);
          b.b.push_back(l.kind == label_kind::pairwise ? l.b : -1);
          if (l.kind == label_kind::pairwise) {
            b.target.insert(b.target.end(), {float(l.prefers_a), 0.f, 0.f});
          } else {
            for (auto v : l.ok) b.target.push_back(float(v));
          }
        }
        return train_and_ack(self, self->state.trainer, std::move(b),
                             [=](const std::vector<float>& p) { self->state.model->set_params(p); });
      },
      save_with_trainer(self),
      restore_with_trainer(self, name),
  };
}
}  // namespace

critic_actor spawn_critic(caf::actor_system& sys, const critic_settings& cfg, uint64_t seed, const std::string& name) {
  return sys.spawn(critic, cfg, seed, name);
}

}  // namespace oversight
