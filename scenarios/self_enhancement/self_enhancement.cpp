// self_enhancement: a learner trained with DPO (Rafailov et al. 2023) on preferences
// given by a critic of equal capability (AI feedback), round after round.
//
//   seed labels (ticks 0 .. human.ticks-1)
//     learner.act(fresh prompts)      the reference policy answers; a second, different
//                                     response per prompt from its distribution
//     experts.label(pairs)            `human.labels` pair-wise labels in all
//     experts.deliver -> critic.learn the critic (a Bradley-Terry ensemble as wide as the
//                                     learner) trains on them; the program keeps the pairs
//   rounds (one per tick from human.ticks + max(latency, 1) on, `rounds` of them)
//     feedback = ai      learner.act(fresh prompts) twice-drawn pairs from the current
//                        policy; critic.judge -> the critic prefers the response it scores
//                        higher; learner.learn(pairs): DPO steps. No human label after the seed.
//     feedback = human   the same budget used directly: DPO on the seed's human-labelled
//                        pairs, every round (offline DPO on human feedback)
//     feedback = random  the learner's own pairs labelled by a coin (control: DPO's drift
//                        without any signal)
//     feedback = rlhf    the same budget used as RLHF does: the critic (the same reward
//                        model as in the ai arm) scores the learner's sampled response to
//                        each of `pairs_per_round` fresh prompts; learner.learn(x, a,
//                        reward): one PPO step (clipped surrogate, value baseline, KL
//                        penalty to the reference; ppo.*), the reward centred and scaled
//                        by the critic's mean and spread under the reference, as in rlhf
//   every tick: evaluation under the hidden truth on held-out prompts, exact over all K
//   responses (true value and gain, KL(pi || ref)), the critic's agreement with the truth
//   on pairs from the reference and from the current policy, and how often this round's
//   training labels agree with the truth (label_accuracy; rlhf: how often the critic
//   orders the sampled response and a second one drawn as the ai arm draws it as the
//   truth does: the labels the ai arm would have trained on).
//   last tick: peak and final true gain over rounds, and how far the critic's agreement
//   on the learner's own pairs and the training labels' accuracy fell from the first
//   round to the last.
//
// The truth is read by the experts (imperfectly) and the evaluation only. The critic
// sees prompts, responses' visible features and the seed labels; the learner, prompts
// and preference pairs.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "actors/director/director.hpp"
#include "actors/expert/expert.hpp"
#include "policies/preference_math.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/rlhf/preference_actors.hpp"
#include "scenarios/rlhf/preference_world.hpp"

namespace oversight {

namespace {

namespace pm = preference_math;

class self_enhancement_program : public tick_program {
 public:
  self_enhancement_program(const param_set& p, uint64_t seed, caf::actor_system& sys) {
    world_ = std::make_shared<preference_world>(preference_world_from(p), seed);
    k_ = size_t(world_->options());
    seed_ticks_ = p.integer("human.ticks");
    budget_ = p.integer("human.labels");
    const int64_t latency = p.integer("expert.latency");
    first_round_ = seed_ticks_ + std::max<int64_t>(latency, 1);
    rounds_ = p.integer("rounds");
    pairs_per_round_ = size_t(p.integer("pairs_per_round"));
    feedback_ = p.text("feedback");

    prompts_ = rng(seed, "prompts");
    pairs_ = rng(seed, "label-pairs");
    coin_ = rng(seed, "coin");
    rng eval_stream(seed, "evaluation");
    eval_.dim = world_->dim();
    eval_.x = world_->sample_prompts(eval_stream, size_t(p.integer("eval.prompts")));
    eval_truth_ = world_->utility_table(eval_.x);

    const int hidden = int(p.integer("hidden"));  // equal capability: one width for both
    pref_policy_config pc;
    pc.io = world_->responses();
    pc.base_w = world_->base_w();
    pc.base_c = world_->base_c();
    pc.hidden = hidden;
    pc.dpo_beta = p.real("dpo.beta");
    if (feedback_ == "rlhf") {
      pc.lr = p.real("ppo.lr");
      set_ppo_from(p, pc);
    } else {
      pc.lr = p.real("learner.lr");
      pc.epochs = int(p.integer("dpo.epochs"));
      pc.minibatch = int(p.integer("dpo.minibatch"));
    }
    learner_ = spawn_pref_learner(sys, pc, feedback_ == "rlhf" ? pref_optimizer::ppo : pref_optimizer::dpo, seed,
                                  "learner");

    pref_rm_config rc;
    rc.io = world_->responses();
    rc.hidden = hidden;
    rc.ensemble = int(p.integer("critic.ensemble"));
    rc.lr = p.real("critic.lr");
    rc.updates = int(p.integer("critic.updates"));
    rc.minibatch = int(p.integer("critic.minibatch"));
    critic_ = spawn_pref_rm(sys, rc, seed, "critic");

    experts_ = spawn_raters(sys, p, int(latency), budget_, world_, seed);
  }

  int64_t ticks() const override { return first_round_ + rounds_; }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out{caf::actor_cast<caf::actor>(learner_), caf::actor_cast<caf::actor>(critic_)};
    for (auto& e : experts_) out.push_back(caf::actor_cast<caf::actor>(e));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    gather<label_batch>(
        self, experts_,
        [=, this](std::vector<label_batch> due) {
          label_batch merged;  // in expert order, each expert's in asking order
          for (auto& b : due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
          for (auto& l : merged.labels) {  // kept for feedback = human
            human_.x.insert(human_.x.end(), l.x.begin(), l.x.end());
            human_.a.push_back(l.prefers_a ? l.a : l.b);
            human_.b.push_back(l.prefers_a ? l.b : l.a);
          }
          auto then = [=, this] { t < seed_ticks_ ? ask(self, t, done) : round(self, t, done); };
          if (merged.labels.empty()) return then();
          self->request(critic_, caf::infinite, learn_atom::value, std::move(merged))
              .then([=](ack_atom) { then(); }, done.fail);
        },
        done.fail, deliver_atom::value, t);
  }

 private:
  // Seed phase: human labels on pairs from the reference policy.
  void ask(caf::event_based_actor* self, int64_t t, tick_done done) {
    const int64_t per_tick = (budget_ + seed_ticks_ - 1) / seed_ticks_;
    const int64_t want = std::min(per_tick, budget_ - asked_);
    if (want <= 0) return evaluate(self, t, {}, done);
    asked_ += want;
    query_batch q;
    q.dim = world_->dim();
    q.x = world_->sample_prompts(prompts_, size_t(want));
    self->request(learner_, caf::infinite, act_atom::value, q, false)
        .then(
            [=, this](response_batch& r) {
              std::vector<std::vector<label_request>> per(experts_.size());
              for (size_t i = 0; i < q.rows(); ++i) {
                label_request req;
                req.id = next_id_++;
                req.kind = 1;
                req.x.assign(q.x.begin() + std::ptrdiff_t(i * q.dim), q.x.begin() + std::ptrdiff_t((i + 1) * q.dim));
                req.a = r.action[i];
                req.b = other_response(r.prob.data() + i * k_, size_t(req.a));
                per[i % per.size()].push_back(std::move(req));
              }
              auto left = std::make_shared<size_t>(experts_.size());
              for (size_t e = 0; e < experts_.size(); ++e)
                self->request(experts_[e], caf::infinite, label_atom::value, t, per[e])
                    .then(
                        [=, this](int32_t accepted) {
                          labels_spent_ += accepted;
                          if (--*left == 0) evaluate(self, t, {}, done);
                        },
                        done.fail);
            },
            done.fail);
  }

  /// A second response for a pair: drawn from the policy's distribution without `a`.
  int32_t other_response(const float* p, size_t a) {
    double total = 0;
    for (size_t o = 0; o < k_; ++o)
      if (o != a) total += p[o];
    const double u = pairs_.uniform() * total;
    double acc = 0;
    size_t last = a == 0 ? 1 : 0;
    for (size_t o = 0; o < k_; ++o) {
      if (o == a) continue;
      last = o;
      acc += p[o];
      if (u < acc) return int32_t(o);
    }
    return int32_t(last);
  }

  // One round of self-enhancement: label pairs, one DPO step.
  void round(caf::event_based_actor* self, int64_t t, tick_done done) {
    if (t < first_round_) return evaluate(self, t, {}, done);
    auto train = [=, this](train_batch b) {
      const double accuracy = accuracy_of(b);
      self->request(learner_, caf::infinite, learn_atom::value, std::move(b))
          .then([=, this](ack_atom) { evaluate(self, t, accuracy, done); }, done.fail);
    };
    if (feedback_ == "human") {
      train_batch b = human_;
      b.dim = world_->dim();
      return train(std::move(b));
    }
    auto q = std::make_shared<query_batch>();
    q->dim = world_->dim();
    q->x = world_->sample_prompts(prompts_, pairs_per_round_);
    self->request(learner_, caf::infinite, act_atom::value, *q, false)
        .then(
            [=, this](response_batch& r) {
              std::vector<int32_t> other(q->rows());
              for (size_t i = 0; i < q->rows(); ++i) other[i] = other_response(r.prob.data() + i * k_, size_t(r.action[i]));
              auto build = [=, this](const std::vector<float>* score) {
                train_batch b;
                b.dim = q->dim;
                b.x = q->x;
                for (size_t i = 0; i < q->rows(); ++i) {
                  const int32_t a = r.action[i], o = other[i];
                  const bool a_wins = score ? (*score)[i * k_ + size_t(a)] >= (*score)[i * k_ + size_t(o)]
                                            : coin_.bernoulli(0.5);
                  b.a.push_back(a_wins ? a : o);
                  b.b.push_back(a_wins ? o : a);
                }
                ai_labels_ += int64_t(q->rows());
                return b;
              };
              if (feedback_ == "random") return train(build(nullptr));
              self->request(critic_, caf::infinite, judge_atom::value, *q)
                  .then(
                      [=, this](judgment_batch& j) {
                        if (feedback_ != "rlhf") return train(build(&j.score));
                        // RLHF: one PPO step on the critic's reward of each sampled response.
                        const double accuracy = accuracy_of(build(&j.score));
                        self->request(learner_, caf::infinite, learn_atom::value,
                                      ppo_batch(*q, r.action, j.score, k_, norm_mean_, norm_sd_))
                            .then([=, this](ack_atom) { evaluate(self, t, accuracy, done); }, done.fail);
                      },
                      done.fail);
            },
            done.fail);
  }

  /// How often a batch's preference labels (a over b) agree with the truth.
  double accuracy_of(const train_batch& b) const {
    double right = 0;
    for (size_t i = 0; i < b.a.size(); ++i) {
      const float* x = b.x.data() + i * size_t(b.dim);
      right += world_->evaluate(x, b.a[i]).utility() >= world_->evaluate(x, b.b[i]).utility() ? 1 : 0;
    }
    return b.a.empty() ? 0.0 : right / double(b.a.size());
  }

  void evaluate(caf::event_based_actor* self, int64_t t, std::optional<double> label_accuracy, tick_done done) {
    self->request(learner_, caf::infinite, act_atom::value, eval_, true)
        .then(
            [=, this](response_batch& r) {
              if (t == 0) ref_probs_ = r.prob;  // untrained: the policy is the reference
              auto pi = std::make_shared<std::vector<float>>(std::move(r.prob));
              if (t >= first_round_) return record(t, *pi, label_accuracy, done);
              self->request(critic_, caf::infinite, judge_atom::value, eval_)
                  .then(
                      [=, this](judgment_batch& j) {
                        critic_eval_ = std::move(j.score);  // frozen from the first round on
                        if (t == first_round_ - 1) {  // feedback = rlhf: the reward's scale, as rlhf's
                          norm_mean_ = pm::expectation(ref_probs_, critic_eval_, k_);
                          norm_sd_ = std::max(1e-6, pm::spread(ref_probs_, critic_eval_, k_));
                        }
                        record(t, *pi, label_accuracy, done);
                      },
                      done.fail);
            },
            done.fail);
  }

  void record(int64_t t, const std::vector<float>& pi, std::optional<double> label_accuracy, tick_done done) {
    std::vector<metric_row> rows;
    auto add = [&](const char* actor, const char* name, double v) { rows.push_back({t, actor, name, v}); };
    const double kl = pm::mean_kl(pi, ref_probs_, k_);
    const double true_value = pm::expectation(pi, eval_truth_, k_);
    const double gain = true_value - pm::expectation(ref_probs_, eval_truth_, k_);
    const double agree_policy = pm::pair_agreement(pi, critic_eval_, eval_truth_, k_);
    add("learner", "true_value", true_value);
    add("learner", "true_gain", gain);
    add("learner", "kl", kl);
    add("learner", "sqrt_kl", std::sqrt(kl));
    add("critic", "agreement_ref", pm::pair_agreement(ref_probs_, critic_eval_, eval_truth_, k_));
    add("critic", "agreement_policy", agree_policy);
    add("experts", "labels_spent", double(labels_spent_));
    add("critic", "ai_labels", double(ai_labels_));
    if (label_accuracy) {
      add("learner", "label_accuracy", *label_accuracy);
      accuracies_.push_back(*label_accuracy);
    }
    if (t >= first_round_ - 1) {
      gains_.push_back(gain);
      agreements_.push_back(agree_policy);
    }
    if (t == ticks() - 1) {
      const double peak = *std::max_element(gains_.begin(), gains_.end());
      add("rounds", "peak_true", peak);
      add("rounds", "final_true", gains_.back());
      add("rounds", "true_drop", peak - gains_.back());
      add("rounds", "agreement_drop", agreements_.front() - agreements_.back());
      add("rounds", "label_accuracy_drop", accuracies_.front() - accuracies_.back());
    }
    done.ok(std::move(rows));
  }

  std::shared_ptr<preference_world> world_;
  size_t k_ = 0;
  int64_t seed_ticks_ = 0, budget_ = 0, first_round_ = 0, rounds_ = 0;
  size_t pairs_per_round_ = 0;
  std::string feedback_;
  rng prompts_, pairs_, coin_;
  query_batch eval_;
  std::vector<float> eval_truth_, critic_eval_, ref_probs_;
  double norm_mean_ = 0, norm_sd_ = 1;
  train_batch human_;
  pref_learner_actor learner_;
  pref_rm_actor critic_;
  std::vector<expert_actor> experts_;
  int64_t asked_ = 0, labels_spent_ = 0, ai_labels_ = 0, next_id_ = 0;
  std::vector<double> gains_, agreements_, accuracies_;
};

void run_self_enhancement(run_context& ctx) {
  drive(ctx, std::make_shared<self_enhancement_program>(ctx.params(), ctx.seed(), ctx.system()));
}

std::vector<param_decl> self_enhancement_params() {
  using P = param_decl;
  auto params = preference_world_params();
  std::vector<param_decl> own = {
      P::text("feedback", "ai", {"ai", "human", "random", "rlhf"},
              "how the learner is trained: DPO on the critic's labels of its own pairs (AI feedback), DPO on the seed's "
              "human labels directly (equal human budget), DPO on coin flips (control), or PPO against the critic as "
              "a reward model (RLHF on the same human labels)"),
      P::integer("human.labels", 500, 1, 100000000, "human pair-wise labels in the whole run (on reference pairs)"),
      P::integer("human.ticks", 3, 1, 100000, "ticks over which they are asked"),
      P::integer("rounds", 20, 1, 1000000, "rounds of labelling and DPO, or PPO steps for rlhf (one per tick)"),
      P::integer("pairs_per_round", 256, 1, 1000000,
                 "feedback=ai/random: pairs of the learner's responses per round; rlhf: prompts per PPO step"),
      P::integer("hidden", 32, 2, 4096, "hidden width of both learner and critic (equal capability)"),
      P::real("learner.lr", 0.002, 1e-7, 1.0, "learner Adam learning rate for DPO (every arm but rlhf)"),
      P::real("dpo.beta", 0.1, 1e-6, 1000.0, "DPO's beta: how far the policy may move from the reference"),
      P::integer("dpo.epochs", 2, 1, 1000, "passes over each round's pairs"),
      P::integer("dpo.minibatch", 64, 1, 100000, "DPO minibatch"),
      P::real("ppo.lr", 0.01, 1e-7, 1.0, "feedback=rlhf: learner Adam learning rate for PPO (rlhf's learner.lr)"),
      P::integer("critic.ensemble", 3, 1, 32, "critic ensemble members (its score is their mean)"),
      P::real("critic.lr", 3e-3, 1e-6, 1.0, "critic Adam learning rate"),
      P::integer("critic.updates", 100, 0, 1000000, "critic minibatch steps each tick seed labels arrive"),
      P::integer("critic.minibatch", 64, 1, 100000, "critic minibatch"),
      P::integer("expert.count", 2, 1, 100000, "simulated raters; each gives at most human.labels / count labels"),
      P::real("expert.capability", 0.6, 0.0, 1.0, "difficulty up to which raters judge reliably"),
      P::real("expert.noise", 0.05, 0.0, 0.5, "raters' error rate within capability"),
      P::real("expert.slope", 1.5, 0.0, 100.0, "extra error per unit of difficulty beyond capability"),
      P::integer("expert.latency", 1, 0, 100000, "ticks before a label arrives"),
      P::integer("eval.prompts", 512, 1, 1000000, "held-out prompts for the exact evaluation"),
  };
  params.insert(params.end(), own.begin(), own.end());
  for (auto& d : ppo_params()) {  // rlhf's PPO settings, for feedback = rlhf
    d.doc = "feedback=rlhf: " + d.doc;
    params.push_back(std::move(d));
  }
  return params;
}

const registrar reg{scenario_info{
    "self_enhancement",
    "self-enhancement from AI feedback: a critic of equal capability, trained on a small human seed set, labels the "
    "learner's response pairs; the learner is trained with DPO, round after round",
    self_enhancement_params(),
    {
        {"true_value", "E_pi[V*] on held-out prompts: the hidden truth's value of the learner"},
        {"true_gain", "true_value minus the reference (starting) policy's"},
        {"kl", "KL(pi || reference), nats, mean over held-out prompts"},
        {"sqrt_kl", "sqrt(kl)"},
        {"agreement_ref", "share of response pairs drawn from the reference that the critic orders as the truth does"},
        {"agreement_policy", "the same for pairs drawn from the current learner: the critic on the learner's own outputs"},
        {"label_accuracy", "share of this round's training labels that agree with the truth (rlhf: the critic's "
                           "ordering of a pair of the learner's responses)"},
        {"labels_spent", "human labels given so far"},
        {"ai_labels", "AI (or coin) labels given so far (rlhf: responses the critic scored for PPO)"},
        {"peak_true", "last tick: the highest true gain over rounds"},
        {"final_true", "last tick: the true gain after the last round"},
        {"true_drop", "last tick: peak_true - final_true"},
        {"agreement_drop", "last tick: agreement_policy before the first round minus after the last"},
        {"label_accuracy_drop", "last tick: label_accuracy of the first round minus of the last"},
    },
    run_self_enhancement,
    // Small enough for the test over every registered scenario.
    {"human.labels=40", "human.ticks=2", "rounds=5", "pairs_per_round=32", "eval.prompts=32", "critic.updates=10"}}};

}  // namespace

}  // namespace oversight
