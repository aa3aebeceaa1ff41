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
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/rlhf/preference_actors.hpp"
#include "scenarios/rlhf/preference_world.hpp"

namespace oversight {

namespace {

namespace pm = preference_math;

/// How the learner is trained (the `feedback` parameter).
enum class feedback_kind { ai, human, random, rlhf };

/// Every parameter, declared and read by one list.
struct self_enhancement_params {
  preference_world_config world;
  feedback_kind feedback = feedback_kind::ai;
  int64_t human_labels = 0, human_ticks = 0, rounds = 0;
  size_t pairs_per_round = 0;
  int hidden = 0;
  double learner_lr = 0, dpo_beta = 0, ppo_lr = 0;
  int dpo_epochs = 0, dpo_minibatch = 0;
  pref_rm_config critic;
  rater_settings raters;
  size_t eval_prompts = 0;
  ppo_settings ppo;

  void fields(param_fields& f) {
    oversight::fields(f, world);
    f.choice("feedback", feedback, feedback_kind::ai,
             {{"ai", feedback_kind::ai},
              {"human", feedback_kind::human},
              {"random", feedback_kind::random},
              {"rlhf", feedback_kind::rlhf}},
             "how the learner is trained: DPO on the critic's labels of its own pairs (AI feedback), DPO on the seed's "
             "human labels directly (equal human budget), DPO on coin flips (control), or PPO against the critic as "
             "a reward model (RLHF on the same human labels)");
    f.integer("human.labels", human_labels, 500, 1, 100000000,
              "human pair-wise labels in the whole run (on reference pairs)");
    f.integer("human.ticks", human_ticks, 3, 1, 100000, "ticks over which they are asked");
    f.integer("rounds", rounds, 20, 1, 1000000, "rounds of labelling and DPO, or PPO steps for rlhf (one per tick)");
    f.integer("pairs_per_round", pairs_per_round, 256, 1, 1000000,
              "feedback=ai/random: pairs of the learner's responses per round; rlhf: prompts per PPO step");
    f.integer("hidden", hidden, 32, 2, 4096, "hidden width of both learner and critic (equal capability)");
    f.real("learner.lr", learner_lr, 0.002, 1e-7, 1.0, "learner Adam learning rate for DPO (every arm but rlhf)");
    f.real("dpo.beta", dpo_beta, 0.1, 1e-6, 1000.0, "DPO's beta: how far the policy may move from the reference");
    f.integer("dpo.epochs", dpo_epochs, 2, 1, 1000, "passes over each round's pairs");
    f.integer("dpo.minibatch", dpo_minibatch, 64, 1, 100000, "DPO minibatch");
    f.real("ppo.lr", ppo_lr, 0.01, 1e-7, 1.0, "feedback=rlhf: learner Adam learning rate for PPO (rlhf's learner.lr)");
    f.integer("critic.ensemble", critic.ensemble, 3, 1, 32, "critic ensemble members (its score is their mean)");
    f.real("critic.lr", critic.lr, 3e-3, 1e-6, 1.0, "critic Adam learning rate");
    f.integer("critic.updates", critic.updates, 100, 0, 1000000, "critic minibatch steps each tick seed labels arrive");
    f.integer("critic.minibatch", critic.minibatch, 64, 1, 100000, "critic minibatch");
    oversight::fields(f, raters, "simulated raters; each gives at most human.labels / count labels");
    f.integer("eval.prompts", eval_prompts, 512, 1, 1000000, "held-out prompts for the exact evaluation");
    oversight::fields(f, ppo, "feedback=rlhf: ");  // rlhf's PPO settings
  }
};

class self_enhancement_program : public scenario_program {
 public:
  self_enhancement_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<self_enhancement_params>(params)) {
    world_ = std::make_shared<preference_world>(p_.world, seed);
    k_ = size_t(world_->options());
    first_round_ = p_.human_ticks + std::max<int64_t>(p_.raters.latency, 1);

    prompts_ = rng(seed, "prompts");
    pairs_ = rng(seed, "label-pairs");
    coin_ = rng(seed, "coin");
    rng eval_stream(seed, "evaluation");
    eval_.dim = world_->dim();
    eval_.x = world_->sample_prompts(eval_stream, p_.eval_prompts);
    eval_truth_ = world_->utility_table(eval_.x);

    const bool rlhf = p_.feedback == feedback_kind::rlhf;
    pref_policy_config pc;
    pc.io = world_->responses();
    pc.base_w = world_->base_w();
    pc.base_c = world_->base_c();
    pc.hidden = p_.hidden;  // equal capability: one width for both
    pc.dpo_beta = p_.dpo_beta;
    if (rlhf) {
      pc.lr = p_.ppo_lr;
      p_.ppo.apply_to(pc);
    } else {
      pc.lr = p_.learner_lr;
      pc.epochs = p_.dpo_epochs;
      pc.minibatch = p_.dpo_minibatch;
    }
    learner_ = keep("learner", spawn_pref_learner(sys, pc, rlhf ? pref_optimizer::ppo : pref_optimizer::dpo, seed, "learner"));

    pref_rm_config rc = p_.critic;
    rc.io = world_->responses();
    rc.hidden = p_.hidden;
    critic_ = keep("critic", spawn_pref_rm(sys, rc, seed, "critic"));

    for (auto& e : spawn_raters(sys, p_.raters, p_.human_labels, world_, seed))
      experts_.push_back(keep("rater-" + std::to_string(experts_.size()), e));
  }

  int64_t ticks() const override { return first_round_ + p_.rounds; }

  bool saves_state() const override { return true; }
  /// Everything that changes from tick to tick; world, evaluation prompts and truth are
  /// rebuilt from the parameters and the seed.
  void state(state_io& io) override {
    io(prompts_, pairs_, coin_, critic_eval_, ref_probs_, norm_mean_, norm_sd_, human_.dim, human_.x, human_.a,
       human_.b, human_.width, human_.target, asked_, labels_spent_, ai_labels_, next_id_, gains_, agreements_,
       accuracies_);
  }

  void run_tick(tick_handle tick) override {
    tick.gather<label_batch>(experts_, deliver_atom::value, tick.t()).then([=, this](std::vector<label_batch>& due) {
      label_batch merged;  // in expert order, each expert's in asking order
      for (auto& b : due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
      for (auto& l : merged.labels) {  // kept for feedback = human
        human_.x.insert(human_.x.end(), l.x.begin(), l.x.end());
        human_.a.push_back(l.prefers_a ? l.a : l.b);
        human_.b.push_back(l.prefers_a ? l.b : l.a);
      }
      if (!merged.labels.empty()) tick.ask<ack_atom>(critic_, learn_atom::value, std::move(merged));
    });
    tick.then([=, this] { tick.t() < p_.human_ticks ? ask(tick) : round(tick); });
  }

 private:
  // Seed phase: human labels on pairs from the reference policy.
  void ask(tick_handle tick) {
    const int64_t budget = p_.human_labels, per_tick = (budget + p_.human_ticks - 1) / p_.human_ticks;
    const int64_t want = std::min(per_tick, budget - asked_);
    if (want <= 0) return evaluate(tick, {});
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
    tick.then([=, this] { evaluate(tick, {}); });
  }

  // One round of self-enhancement: label pairs, one DPO step (or, for rlhf, one PPO step
  // on the critic's reward of each sampled response).
  void round(tick_handle tick) {
    if (tick.t() < first_round_) return evaluate(tick, {});
    // This round's label accuracy, known once its labels are.
    auto accuracy = std::make_shared<double>(0.0);
    auto train = [=, this](train_batch b) {
      *accuracy = accuracy_of(b);
      tick.ask<ack_atom>(learner_, learn_atom::value, std::move(b));
    };
    if (p_.feedback == feedback_kind::human) {
      train_batch b = human_;
      b.dim = world_->dim();
      train(std::move(b));
    } else {
      auto q = std::make_shared<query_batch>();
      q->dim = world_->dim();
      q->x = world_->sample_prompts(prompts_, p_.pairs_per_round);
      tick.ask<response_batch>(learner_, act_atom::value, *q, false).then([=, this](response_batch& r) {
        std::vector<int32_t> other(q->rows());
        for (size_t i = 0; i < q->rows(); ++i)
          other[i] = other_response(r.prob.data() + i * k_, k_, size_t(r.action[i]), pairs_);
        auto build = [=, this](const std::vector<float>* score) {
          train_batch b;
          b.dim = q->dim;
          b.x = q->x;
          for (size_t i = 0; i < q->rows(); ++i) {
            const int32_t a = r.action[i], o = other[i];
            const bool a_wins =
                score ? (*score)[i * k_ + size_t(a)] >= (*score)[i * k_ + size_t(o)] : coin_.bernoulli(0.5);
            b.a.push_back(a_wins ? a : o);
            b.b.push_back(a_wins ? o : a);
          }
          ai_labels_ += int64_t(q->rows());
          return b;
        };
        if (p_.feedback == feedback_kind::random) return train(build(nullptr));
        tick.ask<judgment_batch>(critic_, judge_atom::value, *q).then([=, this](judgment_batch& j) {
          if (p_.feedback != feedback_kind::rlhf) return train(build(&j.score));
          *accuracy = accuracy_of(build(&j.score));
          tick.ask<ack_atom>(learner_, learn_atom::value, ppo_batch(*q, r.action, j.score, k_, norm_mean_, norm_sd_));
        });
      });
    }
    tick.then([=, this] { evaluate(tick, *accuracy); });
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

  void evaluate(tick_handle tick, std::optional<double> label_accuracy) {
    const int64_t t = tick.t();
    auto policy = tick.ask<response_batch>(learner_, act_atom::value, eval_, true);
    policy.then([=, this](response_batch& r) {
      if (t == 0) ref_probs_ = r.prob;  // untrained: the policy is the reference
      if (t >= first_round_) return;
      tick.ask<judgment_batch>(critic_, judge_atom::value, eval_).then([=, this](judgment_batch& j) {
        critic_eval_ = std::move(j.score);  // frozen from the first round on
        if (t == first_round_ - 1) {  // feedback = rlhf: the reward's scale, as rlhf's
          norm_mean_ = pm::expectation(ref_probs_, critic_eval_, k_);
          norm_sd_ = std::max(1e-6, pm::spread(ref_probs_, critic_eval_, k_));
        }
      });
    });
    tick.then([=, this] { record(tick, policy->prob, label_accuracy); });
  }

  void record(tick_handle tick, const std::vector<float>& pi, std::optional<double> label_accuracy) {
    const int64_t t = tick.t();
    auto add = [&](const char* actor, const char* name, double v) { tick.record(actor, name, v); };
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
    tick.finish();
  }

  self_enhancement_params p_;
  std::shared_ptr<preference_world> world_;
  size_t k_ = 0;
  int64_t first_round_ = 0;
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

const registrar reg{scenario_info{
    .name = "self_enhancement",
    .doc = "self-enhancement from AI feedback: a critic of equal capability, trained on a small human seed set, labels the "
    "learner's response pairs; the learner is trained with DPO, round after round",
    .params = declare_params<self_enhancement_params>(),
    .metrics = {
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
    .run = run_program<self_enhancement_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"human.labels=40", "human.ticks=2", "rounds=5", "pairs_per_round=32", "eval.prompts=32", "critic.updates=10"}}};

}  // namespace

}  // namespace oversight
