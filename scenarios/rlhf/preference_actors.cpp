#include "scenarios/rlhf/preference_actors.hpp"

#include "actors/trainer/trainer.hpp"
#include "runtime/param_fields.hpp"

namespace oversight {

namespace {

struct learner_state {
  std::unique_ptr<pref_policy> net;
  trainer_actor trainer;
  rng sampling;
  /// Checkpoints (the trainer's part is saved beside it: save_with_trainer).
  void state(state_io& io) {
    auto params = io.loading() ? std::vector<float>{} : net->params();
    io(params, sampling);
    if (io.loading()) net->set_params(params);
  }
};

pref_learner_actor::behavior_type pref_learner(pref_learner_actor::stateful_pointer<learner_state> self,
                                               pref_policy_config cfg, pref_optimizer opt, uint64_t seed,
                                               std::string name) {
  auto& st = self->state;
  rng init(seed, name + "/init");
  st.net = std::make_unique<pref_policy>(cfg, init);
  st.sampling = rng(seed, name + "/sampling");
  const uint64_t stream = seed ^ fnv1a(name);
  st.trainer = spawn_trainer(self->system(), opt == pref_optimizer::ppo
                                                 ? make_ppo_trainer(cfg, st.net->params(), stream)
                                                 : make_dpo_trainer(cfg, st.net->params(), stream));
  self->link_to(st.trainer);  // the trainer lives and dies with its learner
  const size_t k = size_t(cfg.io.options);
  return {
      [=](act_atom, const query_batch& q, bool greedy) {
        auto& st = self->state;
        response_batch out;
        out.options = int32_t(k);
        out.prob = st.net->probs(q.x);
        out.action.resize(q.rows());
        for (size_t i = 0; i < q.rows(); ++i) {
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
                             [=](const std::vector<float>& p) { self->state.net->set_params(p); });
      },
      save_with_trainer(self),
      restore_with_trainer(self, name),
  };
}

struct rm_state {
  std::unique_ptr<pref_reward_model> model;
  trainer_actor trainer;
  /// Checkpoints: the inference copy's weights; the trainer's part (weights, Adam, replay
  /// buffer, bootstrap streams) is saved beside it (save_with_trainer).
  void state(state_io& io) {
    auto params = io.loading() ? std::vector<float>{} : model->params();
    io(params);
    if (io.loading()) model->set_params(params);
  }
};

pref_rm_actor::behavior_type pref_rm(pref_rm_actor::stateful_pointer<rm_state> self, pref_rm_config cfg,
                                     uint64_t seed, std::string name) {
  auto& st = self->state;
  cfg.prior_seed = seed ^ fnv1a(name);
  rng init(seed, name + "/init");
  st.model = std::make_unique<pref_reward_model>(cfg, init);
  st.trainer = spawn_trainer(self->system(), make_bt_trainer(cfg, st.model->params(), seed ^ fnv1a(name)));
  self->link_to(st.trainer);
  return {
      [=](judge_atom, const query_batch& q) {
        auto view = self->state.model->score(q.x);
        judgment_batch out;
        out.options = cfg.io.options;
        out.score = std::move(view.mean);
        out.uncertainty = std::move(view.sd);
        return out;
      },
      [=](learn_atom, const label_batch& lb) -> caf::result<ack_atom> {
        train_batch b;
        b.dim = cfg.io.dim;
        b.width = 1;
        for (auto& l : lb.labels) {
          if (l.kind != label_kind::pairwise || l.b < 0) continue;  // only pair-wise labels teach a Bradley-Terry model
          b.x.insert(b.x.end(), l.x.begin(), l.x.end());
          b.a.push_back(l.a);
          b.b.push_back(l.b);
          b.target.push_back(float(l.prefers_a));
        }
        return train_and_ack(self, self->state.trainer, std::move(b),
                             [=](const std::vector<float>& p) { self->state.model->set_params(p); });
      },
      save_with_trainer(self),
      restore_with_trainer(self, name),
  };
}

}  // namespace

pref_learner_actor spawn_pref_learner(caf::actor_system& sys, const pref_policy_config& cfg, pref_optimizer opt,
                                      uint64_t seed, const std::string& name) {
  return sys.spawn(pref_learner, cfg, opt, seed, name);
}

pref_rm_actor spawn_pref_rm(caf::actor_system& sys, pref_rm_config cfg, uint64_t seed, const std::string& name) {
  return sys.spawn(pref_rm, std::move(cfg), seed, name);
}

void ppo_settings::apply_to(pref_policy_config& cfg) const {
  cfg.kl_coef = kl_coef;
  cfg.clip = clip;
  cfg.epochs = epochs;
  cfg.minibatch = minibatch;
}

void fields(param_fields& f, ppo_settings& s, const std::string& doc_prefix) {
  auto doc = [&](const char* d) { return doc_prefix + d; };
  f.real("ppo.kl_coef", s.kl_coef, 0.02, 0.0, 100.0,
         doc("KL penalty to the reference, per unit of normalized reward").c_str());
  f.real("ppo.clip", s.clip, 0.2, 0.0, 10.0, doc("PPO clip range epsilon").c_str());
  f.integer("ppo.epochs", s.epochs, 4, 1, 1000, doc("passes over each PPO batch").c_str());
  f.integer("ppo.minibatch", s.minibatch, 64, 1, 100000, doc("PPO minibatch").c_str());
}

void fields(param_fields& f, rater_settings& s, const char* count_doc) {
  f.integer("expert.count", s.count, 2, 1, 100000, count_doc);
  f.real("expert.capability", s.profile.capability, 0.6, 0.0, 1.0, "difficulty up to which raters judge reliably");
  f.real("expert.noise", s.profile.noise, 0.05, 0.0, 0.5, "raters' error rate within capability");
  f.real("expert.slope", s.profile.slope, 1.5, 0.0, 100.0, "extra error per unit of difficulty beyond capability");
  f.integer("expert.latency", s.latency, 1, 0, 100000, "ticks before a label arrives");
}

train_batch ppo_batch(const query_batch& q, const std::vector<int32_t>& action, const std::vector<float>& reward_table,
                      size_t k, double mean, double sd) {
  train_batch b;
  b.dim = q.dim;
  b.x = q.x;
  b.a = action;
  b.b.assign(action.size(), -1);
  b.width = 1;
  for (size_t i = 0; i < action.size(); ++i)
    b.target.push_back(float((reward_table[i * k + size_t(action[i])] - mean) / sd));
  return b;
}

std::vector<expert_actor> spawn_raters(caf::actor_system& sys, const rater_settings& s, int64_t budget,
                                       std::shared_ptr<const ground_truth> world, uint64_t seed) {
  expert_settings es;
  es.profile = s.profile;
  es.latency = s.latency;
  es.budget = int((budget + s.count - 1) / s.count);
  std::vector<expert_actor> out;
  for (int64_t i = 0; i < s.count; ++i) out.push_back(spawn_expert(sys, es, int32_t(i), world, seed));
  return out;
}

int32_t other_response(const float* p, size_t k, size_t a, rng& r) {
  double total = 0;
  for (size_t o = 0; o < k; ++o)
    if (o != a) total += p[o];
  const double u = r.uniform() * total;
  double acc = 0;
  size_t last = a == 0 ? 1 : 0;
  for (size_t o = 0; o < k; ++o) {
    if (o == a) continue;
    last = o;
    acc += p[o];
    if (u < acc) return int32_t(o);
  }
  return int32_t(last);
}

std::vector<std::vector<label_request>> pair_requests(const query_batch& q, const response_batch& r, size_t k,
                                                      size_t raters, int64_t& next_id, rng& pairs) {
  std::vector<std::vector<label_request>> per(raters);
  for (size_t i = 0; i < q.rows(); ++i) {
    label_request req;
    req.id = next_id++;
    req.kind = label_kind::pairwise;
    req.x.assign(q.x.begin() + std::ptrdiff_t(i * q.dim), q.x.begin() + std::ptrdiff_t((i + 1) * q.dim));
    req.a = r.action[i];
    req.b = other_response(r.prob.data() + i * k, k, size_t(req.a), pairs);
    per[i % per.size()].push_back(std::move(req));
  }
  return per;
}

}  // namespace oversight
