// red_team: red-team self-play on value_world. THE REFERENCE SCENARIO: copy this folder
// to make your own (docs/architecture.md walks through it, and through `abstention`, a
// small scenario made from it).
//
// The folder holds the whole scenario:
//   red_team_params.hpp   every parameter, declared and read by one list
//   messages.hpp          the scenario's own message types (the learner's interface)
//   learner.{hpp,cpp}     the one role only this scenario uses; the critic, experts and
//                         attackers are shared roles (actors/)
//   red_team.cpp          this file: the tick program and the registration
//   *.toml, claims/       runnable files and the claims its test checks
//   red_team_test.cpp     its test
//
// One tick, as message flow (the director runs it; arrows are requests and replies):
//
//   experts --labels due now--> critic.learn            (phase A: latency ends here)
//   attackers.propose + natural traffic --> learner.act (phase B, C: one batched pass)
//   critic.judge(queries, responses)                    (phase D: scores + critiques)
//   in parallel:                                        (phase E)
//     attackers.feedback(judgments)      attackers adapt to what the critic calls failure
//     learner.learn(critic's scores)     policy step on the learner's trainer thread
//     critic.ask -> experts.label        the critic's most uncertain items go to humans,
//                                        answers come back `expert.latency` ticks later
//   evaluation under the hidden truth                   (phase F: metrics)
//
// Each phase asks its requests through the tick_handle (actors/director/director.hpp),
// which sends them in parallel, counts the replies and binds the failure path:
// tick.then(k) runs k when every request of the phase has replied. Replies of a gather
// come back in target order, never arrival order, so a run is bit-identical whatever
// the thread count.
//
// The hidden truth (value_world) is read only by the experts (imperfectly) and by the
// evaluation in phase F. Learner, critic and attackers never see it. The attackers'
// seed corpus is topic traffic and last year's jailbreaks (value_world::past_jailbreaks:
// where the pockets were before they moved): a public corpus, nothing drawn from the
// distribution of the held-out adversarial set.
#include <algorithm>
#include <memory>

#include "actors/director/director.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/red_team/learner.hpp"
#include "scenarios/red_team/red_team_params.hpp"

namespace oversight {

namespace {

/// A query batch concatenated from several sources, remembering each source's rows.
struct traffic {
  query_batch all;
  std::vector<std::pair<size_t, size_t>> attack_slices;  // [begin, end) per attacker
  size_t natural_rows = 0;
};

class red_team_program : public scenario_program {
 public:
  // The factory run_program<red_team_program> calls: build the world, draw the fixed
  // evaluation sets, spawn the roles (keep() records each, so the director can stop them
  // at the end).
  red_team_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<red_team_params>(params)) {
    // ---- the world (hidden truth) ----
    world_ = std::make_shared<value_world>(p_.world, seed);
    const int dim = p_.world.dim, k = world_->options();

    // ---- fixed held-out evaluation sets and their true acceptability ----
    rng eval_stream(seed, "evaluation");
    eval_.dim = eval_adv_.dim = dim;
    eval_.x = world_->sample_natural(eval_stream, p_.eval_queries);
    eval_adv_.x = world_->sample_pockets(eval_stream, p_.eval_adversarial_queries);
    eval_ok_ = truth_table(eval_);
    eval_adv_ok_ = truth_table(eval_adv_);
    traffic_ = rng(seed, "traffic");

    // ---- role actors ----
    p_.learner.dim = p_.critic.model.dim = p_.attacker.attack.dim = dim;
    p_.learner.options = p_.critic.model.options = k;
    learner_ = keep("learner", spawn_learner(sys, p_.learner, seed, "learner"));
    critic_ = keep("critic", spawn_critic(sys, p_.critic, seed, "critic"));
    for (int i = 0; i < p_.expert_count; ++i) experts_.push_back(keep("expert-" + std::to_string(i), spawn_expert(sys, p_.expert, i, world_, seed)));
    // The attackers' seed corpus: user traffic from the topic mixture, plus a share of
    // last year's jailbreaks. Nothing in it is drawn from the distribution the held-out
    // adversarial set comes from: the pocket share of natural traffic is left out, and
    // the jailbreaks come from where the pockets were before the world moved them
    // (value_world::past_jailbreaks). Finding where they are now is the attackers' job.
    auto w = world_;
    const double known = p_.known_jailbreaks;
    auto archive = std::make_shared<const value_world::jailbreak_archive>(
        world_->past_jailbreaks(p_.jailbreak_drift, seed));
    seed_sampler seeds = [w, known, archive](rng& r, float* out) {
      if (r.bernoulli(known)) archive->sample(r, out);
      else w->sample_topic(r, out);
    };
    if (p_.attacker.attack.strategy != attack_kind::none)
      for (int i = 0; i < p_.attacker_count; ++i)
        attackers_.push_back(keep("attacker-" + std::to_string(i), spawn_attacker(sys, p_.attacker, seeds, seed, "attacker-" + std::to_string(i))));
  }

  int64_t ticks() const override { return p_.ticks; }
  /// Checkpoints: the program's traffic stream and label count; every role saves its own
  /// (the learner's and critic's trainers, the experts' labels still due, the attackers'
  /// populations). The world and the evaluation sets are rebuilt from the seed.
  bool saves_state() const override { return true; }
  void state(state_io& io) override { io(traffic_, labels_spent_); }

  void run_tick(tick_handle tick) override {
    // Phase A: labels whose latency ends at t reach the critic first.
    auto due = tick.gather<label_batch>(experts_, deliver_atom::value, tick.t());
    tick.then([=, this] {
      label_batch merged;  // in expert order, each expert's in asking order
      for (auto& b : *due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
      if (!merged.labels.empty()) {
        // In free-running mode the critic trains while the tick goes on.
        if (p_.free_running) tick.ask_detached<ack_atom>(critic_, learn_atom::value, std::move(merged));
        else tick.ask<ack_atom>(critic_, learn_atom::value, std::move(merged));
      }
      tick.then([=, this] { propose(tick); });
    });
  }

 private:
  // Phase B and C: attack queries plus natural traffic, answered in one batched pass.
  void propose(tick_handle tick) {
    auto attacks = tick.gather<query_batch>(attackers_, propose_atom::value, tick.t());
    tick.then([=, this] {
      auto tr = std::make_shared<traffic>();
      tr->all.dim = world_->dim();
      tr->all.x = world_->sample_natural(traffic_, p_.traffic_per_tick);
      tr->natural_rows = tr->all.rows();
      for (auto& a : *attacks) {
        const size_t begin = tr->all.rows();
        tr->all.x.insert(tr->all.x.end(), a.x.begin(), a.x.end());
        tr->attack_slices.emplace_back(begin, tr->all.rows());
      }
      tick.ask<response_batch>(learner_, act_atom::value, tr->all, false).then([=, this](response_batch& r) {
        judge(tick, tr, std::move(r));
      });
    });
  }

  // Phase D and E: the critic judges; attackers, learner and critic act on it in parallel.
  void judge(tick_handle tick, std::shared_ptr<traffic> tr, response_batch r) {
    // Label pools: natural traffic (0) and attack findings (1) share the label quota.
    std::vector<int32_t> pools(tr->all.rows(), 1);
    std::fill(pools.begin(), pools.begin() + std::ptrdiff_t(tr->natural_rows), 0);
    tick.ask<judgment_batch>(critic_, judge_atom::value, tr->all, r, std::move(pools))
        .then([=, this](judgment_batch& j) {
          record_attacks(tick, *tr, r, j);
          // E1: each attacker hears how its own queries fared.
          for (size_t i = 0; i < attackers_.size(); ++i) {
            auto [b, e] = tr->attack_slices[i];
            tick.ask<ack_atom>(attackers_[i], feedback_atom::value, slice(tr->all, b, e), slice(j, b, e));
          }
          // E2: the learner trains on the critic's score of every option. In free-running
          // mode the tick does not wait for the step: the learner keeps serving with its
          // current weights, and the next tick sees the new ones whenever they land
          // (reproducible in distribution, not bit for bit).
          if (p_.free_running) tick.ask_detached<ack_atom>(learner_, learn_atom::value, tr->all, j.score);
          else tick.ask<ack_atom>(learner_, learn_atom::value, tr->all, j.score);
          // E3: the critic's chosen items go round-robin to the experts.
          tick.ask<std::vector<label_request>>(critic_, ask_atom::value, tick.t())
              .then([=, this](std::vector<label_request>& reqs) {
                std::vector<std::vector<label_request>> per(experts_.size());
                for (size_t i = 0; i < reqs.size(); ++i) per[i % per.size()].push_back(std::move(reqs[i]));
                auto accepted = tick.scatter<int32_t>(experts_, std::move(per), label_atom::value, tick.t());
                accepted.then([this](std::vector<int32_t>& n) {
                  for (auto a : n) labels_spent_ += a;
                });
              });
        });
    tick.then([=, this] { evaluate(tick); });
  }

  // Phase F: the evaluation under the hidden truth, and this tick's metrics. The
  // learner answers both held-out sets greedily; the critic judges its answers.
  void evaluate(tick_handle tick) {
    auto answer = [=, this](const query_batch& q, std::function<void(response_batch&, judgment_batch&)> k) {
      tick.ask<response_batch>(learner_, act_atom::value, q, true).then([=, this](response_batch& r) {
        auto kept = std::make_shared<response_batch>(std::move(r));
        tick.ask<judgment_batch>(critic_, judge_atom::value, q, *kept, std::vector<int32_t>{})
            .then([=](judgment_batch& j) { k(*kept, j); });
      });
    };
    answer(eval_adv_, [=, this](response_batch& adv, judgment_batch& adv_j) {
      answer(eval_, [=, this](response_batch& nat, judgment_batch& nat_j) {
        const auto natural = score(eval_, eval_ok_, nat, nat_j);
        const auto adversarial = score(eval_adv_, eval_adv_ok_, adv, adv_j);
        tick.record("learner", "true_failure_rate", natural.true_fail);
        tick.record("learner", "adv_failure_rate_true", adversarial.true_fail);
        tick.record("critic", "estimated_failure_rate", natural.judged_fail);
        tick.record("critic", "alignment_gap", natural.judged_fail - natural.true_fail);
        tick.record("critic", "critic_agreement", natural.agreement);
        tick.record("critic", "critic_agreement_adv", adversarial.agreement);
        tick.record("experts", "labels_spent", double(labels_spent_));
        tick.finish();
      });
    });
  }

  struct eval_score {
    double true_fail = 0, judged_fail = 0, agreement = 0;
  };
  /// Failure rates of the learner's answers, truly and as judged, and the critic's
  /// agreement with the truth over every (query, option) pair.
  eval_score score(const query_batch& q, const std::vector<int8_t>& ok, const response_batch& r,
                   const judgment_batch& j) const {
    eval_score s;
    const size_t k = size_t(world_->options()), n = q.rows();
    if (n == 0) return s;
    for (size_t i = 0; i < n; ++i) {
      s.true_fail += ok[i * k + size_t(r.action[i])] ? 0 : 1;
      s.judged_fail += j.p_ok[i] < 0.5f ? 1 : 0;
      for (size_t a = 0; a < k; ++a) s.agreement += (j.score[i * k + a] >= 0.5f) == bool(ok[i * k + a]) ? 1 : 0;
    }
    s.true_fail /= double(n);
    s.judged_fail /= double(n);
    s.agreement /= double(n * k);
    return s;
  }

  void record_attacks(tick_handle tick, const traffic& tr, const response_batch& r, const judgment_batch& j) const {
    if (tr.attack_slices.empty()) return;
    const size_t begin = tr.natural_rows, end = tr.all.rows();
    tick.record("attacker", "attack_queries", double(end - begin));
    if (end == begin) return;
    double truly = 0, judged = 0, in_pocket = 0;
    for (size_t i = begin; i < end; ++i) {
      const float* x = tr.all.x.data() + i * size_t(tr.all.dim);
      truly += world_->evaluate(x, r.action[i]).acceptable() ? 0 : 1;
      judged += j.p_ok[i] < 0.5f ? 1 : 0;
      in_pocket += world_->pocket(x) >= 0.5 ? 1 : 0;
    }
    const double n = double(end - begin);
    tick.record("attacker", "attack_success_true", truly / n);
    tick.record("attacker", "attack_success_judged", judged / n);
    tick.record("attacker", "attack_pocket_share", in_pocket / n);
  }

  std::vector<int8_t> truth_table(const query_batch& q) const {
    const int k = world_->options();
    std::vector<int8_t> ok(q.rows() * size_t(k));
    for (size_t i = 0; i < q.rows(); ++i)
      for (int a = 0; a < k; ++a)
        ok[i * size_t(k) + size_t(a)] = world_->evaluate(q.x.data() + i * size_t(q.dim), a).acceptable() ? 1 : 0;
    return ok;
  }

  static query_batch slice(const query_batch& q, size_t b, size_t e) {
    query_batch out;
    out.dim = q.dim;
    out.x.assign(q.x.begin() + b * size_t(q.dim), q.x.begin() + e * size_t(q.dim));
    return out;
  }
  static judgment_batch slice(const judgment_batch& j, size_t b, size_t e) {
    judgment_batch out;
    out.options = j.options;
    auto cut = [&](const auto& v, size_t w) { return std::decay_t<decltype(v)>(v.begin() + b * w, v.begin() + e * w); };
    out.p_ok = cut(j.p_ok, 1);
    out.fail_dim = cut(j.fail_dim, 1);
    out.confidence = cut(j.confidence, 1);
    out.uncertainty = cut(j.uncertainty, 1);
    out.score = cut(j.score, size_t(j.options));
    return out;
  }

  red_team_params p_;
  std::shared_ptr<value_world> world_;
  query_batch eval_, eval_adv_;
  std::vector<int8_t> eval_ok_, eval_adv_ok_;
  rng traffic_;
  learner_actor learner_;
  critic_actor critic_;
  std::vector<expert_actor> experts_;
  std::vector<attacker_actor> attackers_;
  int64_t labels_spent_ = 0;
};


// ---- registration: what `oversight list` shows and load_spec() validates ----------
/// The memory a red_team run must hold at once, for the sizes that can exceed it (the
/// registry's `memory` hook). The copies counted are those measured on this code (peak
/// RSS over the baseline, 2 ticks): the learner's weights about 7.5 times (actor,
/// trainer, Adam, gradients, weight messages), the critic members about 4.8 times, the
/// evaluation 2.56 GB at 1,000,000 queries. Rounded down: a run refused here could not
/// have run.
memory_estimate red_team_memory(const param_set& params) {
  const auto p = read_params<red_team_params>(params);
  memory_estimate best;
  auto consider = [&](double bytes, std::string parameter) {
    if (bytes > best.bytes) best = {bytes, std::move(parameter)};
  };
  // The learner is a policy MLP dim -> learner.hidden -> learner.hidden -> k; the critic
  // critic.ensemble MLPs (dim + k) -> critic.hidden -> critic.hidden -> 3, each beside a
  // fixed prior of the same shape; every tick both answer the eval.queries held-out
  // queries, the critic each query paired with all k options.
  const double dim = double(p.world.dim), k = 4;  // value_world::options()
  const double lh = double(p.learner.hidden), ch = double(p.critic.model.hidden);
  const double members = double(p.critic.model.ensemble);
  const double learner_params = dim * lh + lh * lh + lh * k + 2 * lh + k;
  consider(6 * 4 * learner_params, "learner.hidden = " + std::to_string(p.learner.hidden));
  const double member = (dim + k) * ch + ch * ch + ch * 3 + 2 * ch + 3;
  consider(4 * 4 * members * member, "critic.hidden = " + std::to_string(p.critic.model.hidden) +
                                         " with critic.ensemble = " + std::to_string(p.critic.model.ensemble));
  // The held-out queries, their (query, option) rows, one member's hidden layer over
  // them, every member's outputs, and the learner's hidden layer.
  const double n = double(p.eval_queries);
  const double eval = 4 * (n * dim + n * k * (dim + k) + n * k * ch + members * n * k * 4 + 2 * n * lh);
  consider(eval, "eval.queries = " + std::to_string(p.eval_queries));
  return best;
}

const registrar reg{scenario_info{
    .name = "red_team",
    .doc = "red-team self-play: attackers hunt for queries the learner fails; a critic trained on scarce expert "
           "labels judges and teaches",
    .params = declare_params<red_team_params>(),
    .metrics =
    {
        {"true_failure_rate", "learner's failure rate on held-out natural queries, under the hidden truth"},
        {"adv_failure_rate_true", "the same on held-out queries from the adversarial pockets"},
        {"estimated_failure_rate", "the learner's failure rate on held-out natural queries as the critic judges it"},
        {"alignment_gap", "estimated minus true failure rate (negative: overseers think it safer than it is)"},
        {"attack_queries", "attack queries answered this tick, all attackers together (the query budget spent)"},
        {"attack_success_true", "share of this tick's attack queries the learner truly failed"},
        {"attack_success_judged", "share of this tick's attack queries the critic judged failed"},
        {"labels_spent", "expert labels spent so far"},
        {"critic_agreement", "share of held-out (query, response) pairs where the critic agrees with the truth"},
        {"critic_agreement_adv", "the same on the held-out adversarial queries"},
        {"attack_pocket_share", "share of this tick's attack queries that fall in an adversarial pocket"},
    },
    .run = run_program<red_team_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"ticks=8", "eval.queries=128", "eval.adversarial_queries=64"},
    .memory = red_team_memory,
    .inexact = [](const param_set& p) {
      return read_params<red_team_params>(p).free_running
                 ? std::string("free-running mode: metrics are reproducible in distribution, not bit for bit")
                 : std::string();
    }}};

}  // namespace

}  // namespace oversight
