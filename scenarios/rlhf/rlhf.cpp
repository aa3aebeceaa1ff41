// rlhf: reward-model over-optimization (Gao, Schulman and Hilton 2022) with simulated
// human raters, a Bradley-Terry reward-model ensemble and PPO.
//
// Two phases, as in the paper (the reward model is trained once, then frozen):
//
//   labels (ticks 0 .. labels.ticks-1)
//     learner.act(fresh prompts)          the reference policy answers; a second, different
//                                         response per prompt is drawn from its distribution
//     experts.label(pairs)                pair-wise preferences, noisy and slower on hard
//                                         pairs, within the label budget, `latency` ticks late
//     experts.deliver -> rm.learn         Bradley-Terry steps on every label so far
//   RL (from tick labels.ticks + max(latency, 1) on, rl.steps ticks)
//     learner.act(prompts) -> rm.judge    the proxy reward of each sampled response
//                                         (optimize=gold: the hidden truth instead: the
//                                         gold control, no proxy to over-optimize)
//     learner.learn(x, a, reward)         one PPO step on the learner's trainer: clipped
//                                         surrogate, value baseline, KL penalty to the
//                                         reference folded into the reward
//   every tick: evaluation on held-out prompts, exact over all K responses:
//     proxy gain E_pi[r] - E_ref[r] (in units of the proxy's spread under the reference),
//     true gain E_pi[V*] - E_ref[V*], KL(pi || ref) and sqrt(KL), the proxy's pair-ordering
//     agreement with the truth under the reference's and under the policy's samples.
//   last tick: fits of the paper's forms, true gain = d (alpha - beta log d) over the RL
//     ticks (d = sqrt(KL)), and best-of-n, d (alpha - beta d), from best-of-n's exact
//     distribution against the final proxy for n = 1, 2, 4, ..., 2^bon.max_log2.
//
// Only the experts (imperfectly) and the evaluation read the truth (and, in the gold
// control, the program computing the reward it hands the learner); learner and reward
// model see prompts, the responses' visible features, rewards and labels.
#include <algorithm>
#include <cmath>
#include <memory>

#include "actors/director/director.hpp"
#include "actors/expert/expert.hpp"
#include "policies/preference_math.hpp"
#include "runtime/error.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/rlhf/preference_actors.hpp"
#include "scenarios/rlhf/preference_world.hpp"

namespace oversight {

namespace {

namespace pm = preference_math;

class rlhf_program : public tick_program {
 public:
  rlhf_program(const param_set& p, uint64_t seed, caf::actor_system& sys) {
    world_ = std::make_shared<preference_world>(preference_world_from(p), seed);
    k_ = size_t(world_->options());
    label_ticks_ = p.integer("labels.ticks");
    budget_ = p.integer("labels.budget");
    latency_ = p.integer("expert.latency");
    rl_start_ = label_ticks_ + std::max<int64_t>(latency_, 1);
    rl_steps_ = p.integer("rl.steps");
    batch_ = size_t(p.integer("rl.batch"));
    gold_ = p.text("optimize") == "gold";
    bon_max_log2_ = int(p.integer("bon.max_log2"));

    prompts_ = rng(seed, "prompts");
    pairs_ = rng(seed, "label-pairs");
    rng eval_stream(seed, "evaluation");
    eval_.dim = world_->dim();
    eval_.x = world_->sample_prompts(eval_stream, size_t(p.integer("eval.prompts")));
    eval_truth_ = world_->utility_table(eval_.x);

    pref_policy_config pc;
    pc.io = world_->responses();
    pc.base_w = world_->base_w();
    pc.base_c = world_->base_c();
    pc.hidden = int(p.integer("learner.hidden"));
    pc.lr = p.real("learner.lr");
    set_ppo_from(p, pc);
    learner_ = spawn_pref_learner(sys, pc, pref_optimizer::ppo, seed, "learner");

    pref_rm_config rc;
    rc.io = world_->responses();
    rc.hidden = int(p.integer("rm.hidden"));
    rc.ensemble = int(p.integer("rm.ensemble"));
    rc.prior_scale = p.real("rm.prior_scale");
    rc.lr = p.real("rm.lr");
    rc.updates = int(p.integer("rm.updates"));
    rc.minibatch = int(p.integer("rm.minibatch"));
    rm_ = spawn_pref_rm(sys, rc, seed, "reward_model");

    experts_ = spawn_raters(sys, p, int(latency_), budget_, world_, seed);
  }

  int64_t ticks() const override { return rl_start_ + rl_steps_; }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out{caf::actor_cast<caf::actor>(learner_), caf::actor_cast<caf::actor>(rm_)};
    for (auto& e : experts_) out.push_back(caf::actor_cast<caf::actor>(e));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    // Labels due now reach the reward model first.
    gather<label_batch>(
        self, experts_,
        [=, this](std::vector<label_batch> due) {
          label_batch merged;  // in expert order, each expert's in asking order
          for (auto& b : due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
          auto then = [=, this] { t < label_ticks_ ? ask(self, t, done) : optimize(self, t, done); };
          if (merged.labels.empty()) return then();
          self->request(rm_, caf::infinite, learn_atom::value, std::move(merged))
              .then([=](ack_atom) { then(); }, done.fail);
        },
        done.fail, deliver_atom::value, t);
  }

 private:
  // Label phase: pairs from the reference policy (the learner, untrained so far) go to
  // the experts, round-robin.
  void ask(caf::event_based_actor* self, int64_t t, tick_done done) {
    const int64_t per_tick = (budget_ + label_ticks_ - 1) / label_ticks_;
    const int64_t want = std::min(per_tick, budget_ - asked_);
    if (want <= 0) return evaluate(self, t, done);
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
                          if (--*left == 0) evaluate(self, t, done);
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

  // RL phase: one PPO step on fresh prompts against the frozen proxy (or the truth).
  void optimize(caf::event_based_actor* self, int64_t t, tick_done done) {
    if (t < rl_start_) return evaluate(self, t, done);
    auto q = std::make_shared<query_batch>();
    q->dim = world_->dim();
    q->x = world_->sample_prompts(prompts_, batch_);
    self->request(learner_, caf::infinite, act_atom::value, *q, false)
        .then(
            [=, this](response_batch& r) {
              auto learn = [=, this](std::vector<float> all_rewards) {
                self->request(learner_, caf::infinite, learn_atom::value,
                              ppo_batch(*q, r.action, all_rewards, k_, norm_mean_, norm_sd_))
                    .then([=, this](ack_atom) { evaluate(self, t, done); }, done.fail);
              };
              if (gold_) return learn(world_->utility_table(q->x));
              self->request(rm_, caf::infinite, judge_atom::value, *q)
                  .then([=](judgment_batch& j) { learn(std::move(j.score)); }, done.fail);
            },
            done.fail);
  }

  // Evaluation under the hidden truth, exact over all K responses.
  void evaluate(caf::event_based_actor* self, int64_t t, tick_done done) {
    self->request(learner_, caf::infinite, act_atom::value, eval_, true)
        .then(
            [=, this](response_batch& r) {
              if (t == 0) ref_probs_ = r.prob;  // untrained: the policy is the reference
              if (t >= rl_start_) return record(t, r.prob, done);
              // The reward model still learns: judge the evaluation prompts again.
              self->request(rm_, caf::infinite, judge_atom::value, eval_)
                  .then(
                      [=, this](judgment_batch& j) {
                        eval_proxy_ = std::move(j.score);
                        if (t == rl_start_ - 1) freeze_normalization();
                        record(t, r.prob, done);
                      },
                      done.fail);
            },
            done.fail);
  }

  /// The reward the learner will be handed, centred and scaled by its mean and spread
  /// under the reference, so that ppo.kl_coef means the same for every reward model.
  void freeze_normalization() {
    const auto& r = gold_ ? eval_truth_ : eval_proxy_;
    norm_mean_ = pm::expectation(ref_probs_, r, k_);
    norm_sd_ = std::max(1e-6, pm::spread(ref_probs_, r, k_));
    proxy_ref_mean_ = pm::expectation(ref_probs_, eval_proxy_, k_);
    proxy_ref_sd_ = std::max(1e-6, pm::spread(ref_probs_, eval_proxy_, k_));
  }

  void record(int64_t t, const std::vector<float>& pi, tick_done done) {
    std::vector<metric_row> rows;
    auto add = [&](const char* actor, const char* name, double v) { rows.push_back({t, actor, name, v}); };
    const double kl = pm::mean_kl(pi, ref_probs_, k_);
    const double true_value = pm::expectation(pi, eval_truth_, k_);
    const double true_gain = true_value - pm::expectation(ref_probs_, eval_truth_, k_);
    const double proxy_mean = pm::expectation(pi, eval_proxy_, k_);
    const double proxy_ref = t >= rl_start_ - 1 ? proxy_ref_mean_ : pm::expectation(ref_probs_, eval_proxy_, k_);
    const double proxy_sd = t >= rl_start_ - 1 ? proxy_ref_sd_ : std::max(1e-6, pm::spread(ref_probs_, eval_proxy_, k_));
    add("learner", "true_value", true_value);
    add("learner", "true_gain", true_gain);
    add("learner", "kl", kl);
    add("learner", "sqrt_kl", std::sqrt(kl));
    add("reward_model", "proxy_gain", (proxy_mean - proxy_ref) / proxy_sd);
    add("reward_model", "agreement_ref", pm::pair_agreement(ref_probs_, eval_proxy_, eval_truth_, k_));
    add("reward_model", "agreement_policy", pm::pair_agreement(pi, eval_proxy_, eval_truth_, k_));
    add("experts", "labels_spent", double(labels_spent_));
    if (t >= rl_start_ - 1) {
      trajectory_d_.push_back(std::sqrt(kl));
      trajectory_gain_.push_back(true_gain);
      trajectory_proxy_.push_back((proxy_mean - proxy_ref) / proxy_sd);
    }
    if (t == ticks() - 1) record_fits(t, rows);
    done.ok(std::move(rows));
  }

  void record_fits(int64_t t, std::vector<metric_row>& rows) {
    auto add = [&](const char* actor, const char* name, double v) { rows.push_back({t, actor, name, v}); };
    // Along the PPO trajectory (from the last reference tick on).
    const auto rl = pm::fit_rl_form(trajectory_d_, trajectory_gain_);
    const size_t best = size_t(std::max_element(trajectory_gain_.begin(), trajectory_gain_.end()) -
                               trajectory_gain_.begin());
    add("fit", "alpha", rl.alpha);
    add("fit", "beta", rl.beta);
    add("fit", "r2", rl.r2);
    add("fit", "peak_kl", trajectory_d_[best] * trajectory_d_[best]);
    add("fit", "peak_true", trajectory_gain_[best]);
    add("fit", "final_true", trajectory_gain_.back());
    add("fit", "overoptimization", trajectory_gain_[best] - trajectory_gain_.back());
    add("fit", "fitted_peak_kl", rl.peak_d * rl.peak_d);
    add("fit", "proxy_after_peak", trajectory_proxy_.back() - trajectory_proxy_[best]);
    // Best-of-n against the final proxy.
    const double ref_true = pm::expectation(ref_probs_, eval_truth_, k_);
    std::vector<double> d, gain;
    for (int j = 0; j <= bon_max_log2_; ++j) {
      const auto pn = pm::best_of_n(ref_probs_, eval_proxy_, k_, std::ldexp(1.0, j));
      d.push_back(std::sqrt(pm::mean_kl(pn, ref_probs_, k_)));
      gain.push_back(pm::expectation(pn, eval_truth_, k_) - ref_true);
    }
    const auto bon = pm::fit_bon_form(d, gain);
    const size_t bb = size_t(std::max_element(gain.begin(), gain.end()) - gain.begin());
    add("bon", "alpha", bon.alpha);
    add("bon", "beta", bon.beta);
    add("bon", "r2", bon.r2);
    add("bon", "peak_kl", d[bb] * d[bb]);
    add("bon", "peak_true", gain[bb]);
    add("bon", "final_true", gain.back());
  }

  std::shared_ptr<preference_world> world_;
  size_t k_ = 0;
  int64_t label_ticks_ = 0, budget_ = 0, latency_ = 0, rl_start_ = 0, rl_steps_ = 0;
  size_t batch_ = 0;
  bool gold_ = false;
  int bon_max_log2_ = 10;
  rng prompts_, pairs_;
  query_batch eval_;
  std::vector<float> eval_truth_, eval_proxy_, ref_probs_;
  double norm_mean_ = 0, norm_sd_ = 1, proxy_ref_mean_ = 0, proxy_ref_sd_ = 1;
  pref_learner_actor learner_;
  pref_rm_actor rm_;
  std::vector<expert_actor> experts_;
  int64_t asked_ = 0, labels_spent_ = 0, next_id_ = 0;
  std::vector<double> trajectory_d_, trajectory_gain_, trajectory_proxy_;
};

void run_rlhf(run_context& ctx) {
  drive(ctx, std::make_shared<rlhf_program>(ctx.params(), ctx.seed(), ctx.system()));
}

using P = param_decl;
std::vector<param_decl> rlhf_params() {
  auto params = preference_world_params();
  std::vector<param_decl> own = {
        P::integer("labels.budget", 200, 1, 100000000, "human pair-wise labels in the whole run"),
        P::integer("labels.ticks", 5, 1, 100000, "ticks over which they are asked (before RL starts)"),
        P::integer("expert.count", 2, 1, 100000, "simulated raters; each gives at most budget / count labels"),
        P::real("expert.capability", 0.6, 0.0, 1.0, "difficulty up to which raters judge reliably"),
        P::real("expert.noise", 0.05, 0.0, 0.5, "raters' error rate within capability"),
        P::real("expert.slope", 1.5, 0.0, 100.0, "extra error per unit of difficulty beyond capability"),
        P::integer("expert.latency", 1, 0, 100000, "ticks before a label arrives"),
        P::integer("rm.hidden", 32, 2, 4096, "reward-model hidden width"),
        P::integer("rm.ensemble", 3, 1, 32, "reward-model ensemble members (the proxy is their mean)"),
        P::real("rm.prior_scale", 0.0, 0.0, 100.0, "weight of each member's fixed random prior function"),
        P::real("rm.lr", 3e-3, 1e-6, 1.0, "reward-model Adam learning rate"),
        P::integer("rm.updates", 100, 0, 1000000, "reward-model minibatch steps each tick labels arrive"),
        P::integer("rm.minibatch", 64, 1, 100000, "reward-model minibatch (bootstrap draws per member)"),
        P::text("optimize", "proxy", {"proxy", "gold"},
                "what PPO maximizes: the reward model, or the hidden truth (the gold control)"),
        P::integer("rl.steps", 60, 1, 1000000, "PPO steps (one per tick)"),
        P::integer("rl.batch", 256, 1, 1000000, "prompts per PPO step"),
        P::integer("learner.hidden", 32, 2, 4096, "policy adapter and value hidden width"),
        P::real("learner.lr", 0.01, 1e-7, 1.0, "policy Adam learning rate"),
  };
  params.insert(params.end(), own.begin(), own.end());
  const auto ppo = ppo_params();
  params.insert(params.end(), ppo.begin(), ppo.end());
  params.push_back(P::integer("eval.prompts", 256, 1, 1000000, "held-out prompts for the exact evaluation"));
  params.push_back(P::integer("bon.max_log2", 10, 0, 30, "best-of-n evaluated at n = 1, 2, 4, ..., 2^max_log2"));
  return params;
}

const registrar reg{scenario_info{
    "rlhf",
    "reward-model over-optimization (Gao et al. 2022): simulated raters' pair-wise preferences train a Bradley-Terry "
    "ensemble; PPO with a KL penalty optimizes a policy against it; true value vs sqrt(KL) over label budgets",
    rlhf_params(),
    {
        {"true_value", "E_pi[V*] on held-out prompts: the hidden truth's value of the policy"},
        {"true_gain", "true_value minus the reference policy's"},
        {"kl", "KL(pi || reference), nats, mean over held-out prompts (exact over all responses)"},
        {"sqrt_kl", "sqrt(kl): d in Gao et al.'s forms"},
        {"proxy_gain", "E_pi[proxy] - E_ref[proxy], in units of the proxy's spread under the reference"},
        {"agreement_ref", "share of response pairs drawn from the reference that the proxy orders as the truth does"},
        {"agreement_policy", "the same for pairs drawn from the current policy"},
        {"labels_spent", "human labels given so far"},
        {"alpha", "last tick: fitted alpha (fit: RL form d(alpha - beta log d); bon: best-of-n d(alpha - beta d))"},
        {"beta", "last tick: fitted beta of the same form"},
        {"r2", "last tick: 1 - SSE / sum of squared gains of the fit"},
        {"peak_kl", "last tick: KL where the true gain was highest (fit: along PPO; bon: over n)"},
        {"peak_true", "last tick: the highest true gain"},
        {"final_true", "last tick: the true gain at the end (fit: last PPO step; bon: largest n)"},
        {"overoptimization", "last tick: peak_true - final_true along PPO (0 when the truth never fell)"},
        {"proxy_after_peak", "last tick: proxy_gain at the end minus at the tick of peak_true (> 0: the proxy kept rising)"},
        {"fitted_peak_kl", "last tick: the RL form's peak, exp(2 (alpha / beta - 1)) (NaN when beta <= 0)"},
    },
    run_rlhf,
    // Small enough for the test over every registered scenario.
    {"labels.budget=40", "labels.ticks=2", "rl.steps=5", "rl.batch=32", "eval.prompts=32", "rm.updates=10",
     "bon.max_log2=3"}}};

}  // namespace

}  // namespace oversight
