#include "actors/critic/critic.hpp"

#include <algorithm>
#include <numeric>

#include "actors/trainer/trainer.hpp"

namespace oversight {

namespace {
struct candidate {
  std::vector<float> x;
  int32_t a;
  float priority;
};

struct critic_state {
  std::unique_ptr<reward_model> model;
  trainer_actor trainer;
  rng picks;
  std::vector<candidate> pool;
  int64_t next_id = 0;
};

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
  return {
      [=](judge_atom, const query_batch& q, const response_batch& r, bool candidates) {
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
          out.fail_dim.push_back(worst);
          out.confidence.push_back(1.f - pd[worst]);
          if (candidates) {
            // Priority: disagreement within the ensemble, plus closeness to the boundary.
            const float p = view.p_ok[cell];
            const float prio = view.uncertainty[cell] + 0.1f * (1.f - std::abs(2.f * p - 1.f));
            st.pool.push_back({std::vector<float>(q.x.begin() + i * q.dim, q.x.begin() + (i + 1) * q.dim),
                               int32_t(a), prio});
          }
        }
        return out;
      },
      [=](ask_atom, int64_t) {
        auto& st = self->state;
        std::vector<label_request> out;
        auto& pool = st.pool;
        const size_t want = std::min(pool.size(), size_t(cfg.labels_per_tick));
        const size_t random_n = size_t(std::lround(double(want) * cfg.explore));
        std::vector<size_t> order(pool.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t x, size_t y) { return pool[x].priority > pool[y].priority; });
        std::vector<char> taken(pool.size(), 0);
        std::vector<size_t> chosen;
        for (size_t i = 0; i < order.size() && chosen.size() < want - random_n; ++i) {
          taken[order[i]] = 1;
          chosen.push_back(order[i]);
        }
        while (chosen.size() < want) {
          size_t j = st.picks.below(pool.size());
          if (taken[j]) continue;
          taken[j] = 1;
          chosen.push_back(j);
        }
        for (size_t j : chosen) {
          label_request req;
          req.id = st.next_id++;
          req.x = pool[j].x;
          req.a = pool[j].a;
          const bool pair = cfg.label_mode == "pairwise" || (cfg.label_mode == "mixed" && st.picks.bernoulli(0.5));
          if (pair) {
            req.kind = 1;
            req.b = int32_t((size_t(req.a) + 1 + st.picks.below(k - 1)) % k);
          }
          out.push_back(std::move(req));
        }
        pool.clear();
        return out;
      },
      [=](learn_atom, const label_batch& lb) -> caf::result<ack_atom> {
        train_batch b;
        b.dim = cfg.model.dim;
        b.width = 3;
        for (auto& l : lb.labels) {
          b.x.insert(b.x.end(), l.x.begin(), l.x.end());
          b.a.push_back(l.a);
          b.b.push_back(l.kind == 1 ? l.b : -1);
          if (l.kind == 1) {
            b.target.insert(b.target.end(), {float(l.prefers_a), 0.f, 0.f});
          } else {
            for (auto v : l.ok) b.target.push_back(float(v));
          }
        }
        auto rp = self->make_response_promise<ack_atom>();
        self->request(self->state.trainer, caf::infinite, step_atom::value, std::move(b))
            .then([=](param_blob& p) mutable {
              self->state.model->set_params(p.values);
              rp.deliver(ack_atom::value);
            });
        return caf::delegated<ack_atom>{};
      },
  };
}
}  // namespace

critic_actor spawn_critic(caf::actor_system& sys, const critic_settings& cfg, uint64_t seed, const std::string& name) {
  return sys.spawn(critic, cfg, seed, name);
}

}  // namespace oversight
