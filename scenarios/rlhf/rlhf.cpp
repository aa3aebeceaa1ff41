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
#include "base/error.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/rlhf/preference_actors.hpp"
#include "scenarios/rlhf/preference_world.hpp"

namespace oversight {

namespace {

namespace pm = preference_math;

/// What PPO maximizes.
enum class optimize_target { proxy, gold };

/// Every parameter, declared and read by one list.
struct rlhf_params {
  preference_world_config world;
  int64_t label_budget = 0, label_ticks = 0;
  rater_settings raters;
  pref_rm_config rm;
  optimize_target optimize = optimize_target::proxy;
  int64_t rl_steps = 0;
  size_t rl_batch = 0;
  int learner_hidden = 0;
  double learner_lr = 0;
  ppo_settings ppo;
  size_t eval_prompts = 0;
  int bon_max_log2 = 0;

  void fields(param_fields& f) {
    oversight::fields(f, world);
    f.integer("labels.budget", label_budget, 200, 1, 100000000, "human pair-wise labels in the whole run");
    f.integer("labels.ticks", label_ticks, 5, 1, 100000, "ticks over which they are asked (before RL starts)");
    oversight::fields(f, raters, "simulated raters; each gives at most budget / count labels");
    f.integer("rm.hidden", rm.hidden, 32, 2, 4096, "reward-model hidden width");
    f.integer("rm.ensemble", rm.ensemble, 3, 1, 32, "reward-model ensemble members (the proxy is their mean)");
    f.real("rm.prior_scale", rm.prior_scale, 0.0, 0.0, 100.0, "weight of each member's fixed random prior function");
    f.real("rm.lr", rm.lr, 3e-3, 1e-6, 1.0, "reward-model Adam learning rate");
    f.integer("rm.updates", rm.updates, 100, 0, 1000000, "reward-model minibatch steps each tick labels arrive");
    f.integer("rm.minibatch", rm.minibatch, 64, 1, 100000, "reward-model minibatch (bootstrap draws per member)");
    f.choice("optimize", optimize, optimize_target::proxy,
             {{"proxy", optimize_target::proxy}, {"gold", optimize_target::gold}},
             "what PPO maximizes: the reward model, or the hidden truth (the gold control)");
    f.integer("rl.steps", rl_steps, 60, 1, 1000000, "PPO steps (one per tick)");
    f.integer("rl.batch", rl_batch, 256, 1, 1000000, "prompts per PPO step");
    f.integer("learner.hidden", learner_hidden, 32, 2, 4096, "policy adapter and value hidden width");
    f.real("learner.lr", learner_lr, 0.01, 1e-7, 1.0, "policy Adam learning rate");
    oversight::fields(f, ppo);
    f.integer("eval.prompts", eval_prompts, 256, 1, 1000000, "held-out prompts for the exact evaluation");
    f.integer("bon.max_log2", bon_max_log2, 10, 0, 30, "best-of-n evaluated at n = 1, 2, 4, ..., 2^max_log2");
  }
};

class rlhf_program : public scenario_program {
 public:
  rlhf_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<rlhf_params>(params)) {
    world_ = std::make_shared<preference_world>(p_.world, seed);
    k_ = size_t(world_->options());
    rl_start_ = p_.label_ticks + std::max<int64_t>(p_.raters.latency, 1);
    gold_ = p_.optimize == optimize_target::gold;

    prompts_ = rng(seed, "prompts");
    pairs_ = rng(seed, "label-pairs");
    rng eval_stream(seed, "evaluation");
    eval_.dim = world_->dim();
    eval_.x = world_->sample_prompts(eval_stream, p_.eval_prompts);
    eval_truth_ = world_->utility_table(eval_.x);

    pref_policy_config pc;
    pc.io = world_->responses();
    pc.base_w = world_->base_w();
    pc.base_c = world_->base_c();
    pc.hidden = p_.learner_hidden;
    pc.lr = p_.learner_lr;
    p_.ppo.apply_to(pc);
    learner_ = keep("learner", spawn_pref_learner(sys, pc, pref_optimizer::ppo, seed, "learner"));

    pref_rm_config rc = p_.rm;
    rc.io = world_->responses();
    rm_ = keep("reward_model", spawn_pref_rm(sys, rc, seed, "reward_model"));

    for (auto& e : spawn_raters(sys, p_.raters, p_.label_budget, world_, seed))
      experts_.push_back(keep("rater-" + std::to_string(experts_.size()), e));
  }

  int64_t ticks() const override { return rl_start_ + p_.rl_steps; }

  bool saves_state() const override { return true; }
  /// Everything that changes from tick to tick; world, evaluation prompts and truth are
  /// rebuilt from the parameters and the seed.
  void state(state_io& io) override {
    io(prompts_, pairs_, eval_proxy_, ref_probs_, norm_mean_, norm_sd_, proxy_ref_mean_, proxy_ref_sd_, asked_,
       labels_spent_, next_id_, trajectory_d_, trajectory_gain_, trajectory_proxy_);
  }

  void run_tick(tick_handle tick) override {
    // Labels due now reach the reward model first.
    tick.gather<label_batch>(experts_, deliver_atom::value, tick.t()).then([=, this](std::vector<label_batch>& due) {
      label_batch merged;  // in expert order, each expert's in asking order
      for (auto& b : due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
      if (!merged.labels.empty()) tick.ask<ack_atom>(rm_, learn_atom::value, std::move(merged));
    });
    tick.then([=, this] { tick.t() < p_.label_ticks ? ask(tick) : optimize(tick); });
  }

 private:
  // Label phase: pairs from the reference policy (the learner, untrained so far) go to
  // the experts, round-robin.
  void ask(tick_handle tick) {
    const int64_t budget = p_.label_budget, per_tick = (budget + p_.label_ticks - 1) / p_.label_ticks;
    const int64_t want = std::min(per_tick, budget - asked_);
    if (want <= 0) return evaluate(tick);
    asked_ += want;
    query_batch q;
    q.dim = world_->dim();
    q.x = world_->sample_prompts(prompts_, size_t(want));
    tick.ask<response_batch>(learner_, act_atom::value, q, false).then([=, this](response_batch& r) {
      tick.scatter<int32_t>(experts_, pair_requests(q, r, k_, experts_.size(), next_id_, pairs_), label_atom::value,
                            tick.t())
          .then([this](std::vector<int32_t>& accepted) {
            for (auto n : accepted) labels_spent_ += n;
          });
    });
    tick.then([=, this] { evaluate(tick); });
  }

  // RL phase: one PPO step on fresh prompts against the frozen proxy (or the truth).
  void optimize(tick_handle tick) {
    if (tick.t() < rl_start_) return evaluate(tick);
    auto q = std::make_shared<query_batch>();
    q->dim = world_->dim();
    q->x = world_->sample_prompts(prompts_, p_.rl_batch);
    tick.ask<response_batch>(learner_, act_atom::value, *q, false).then([=, this](response_batch& r) {
      auto learn = [=, this, action = r.action](const std::vector<float>& all_rewards) {
        tick.ask<ack_atom>(learner_, learn_atom::value, ppo_batch(*q, action, all_rewards, k_, norm_mean_, norm_sd_));
      };
      if (gold_) return learn(world_->utility_table(q->x));
      tick.ask<judgment_batch>(rm_, judge_atom::value, *q).then([=](judgment_batch& j) { learn(j.score); });
    });
    tick.then([=, this] { evaluate(tick); });
  }

  // Evaluation under the hidden truth, exact over all K responses.
  void evaluate(tick_handle tick) {
    const int64_t t = tick.t();
    auto policy = tick.ask<response_batch>(learner_, act_atom::value, eval_, true);
    policy.then([=, this](response_batch& r) {
      if (t == 0) ref_probs_ = r.prob;  // untrained: the policy is the reference
      if (t >= rl_start_) return;
      // The reward model still learns: judge the evaluation prompts again.
      tick.ask<judgment_batch>(rm_, judge_atom::value, eval_).then([=, this](judgment_batch& j) {
        eval_proxy_ = std::move(j.score);
        if (t == rl_start_ - 1) freeze_normalization();
      });
    });
    tick.then([=, this] { record(tick, policy->prob); });
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

  void record(tick_handle tick, const std::vector<float>& pi) {
    const int64_t t = tick.t();
    auto add = [&](const char* actor, const char* name, double v) { tick.record(actor, name, v); };
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
    if (t == ticks() - 1) record_fits(tick);
    tick.finish();
  }

  void record_fits(tick_handle tick) {
    auto add = [&](const char* actor, const char* name, double v) { tick.record(actor, name, v); };
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
    for (int j = 0; j <= p_.bon_max_log2; ++j) {
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

  rlhf_params p_;
  std::shared_ptr<preference_world> world_;
  size_t k_ = 0;
  int64_t rl_start_ = 0;
  bool gold_ = false;
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

const registrar reg{scenario_info{
    .name = "rlhf",
    .doc = "reward-model over-optimization (Gao et al. 2022): simulated raters' pair-wise preferences train a Bradley-Terry "
    "ensemble; PPO with a KL penalty optimizes a policy against it; true value vs sqrt(KL) over label budgets",
    .params = declare_params<rlhf_params>(),
    .metrics = {
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
    .run = run_program<rlhf_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"labels.budget=40", "labels.ticks=2", "rl.steps=5", "rl.batch=32", "eval.prompts=32", "rm.updates=10",
     "bon.max_log2=3"}}};

}  // namespace

}  // namespace oversight
