// red_team: red-team self-play on value_world. THE REFERENCE SCENARIO: copy this folder
// to make your own (see scenarios/README.md).
//
// A scenario is three things, all in this file:
//   1. its registration (bottom): name, documented parameters, the metrics it records;
//   2. its wiring (run_red_team): build the world, spawn the role actors;
//   3. its tick program (red_team_program): what happens in one tick of simulated time.
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
// The hidden truth (value_world) is read only by the experts (imperfectly) and by the
// evaluation in phase F. Learner, critic and attackers never see it. The attackers'
// seed corpus is topic traffic and last year's jailbreaks (value_world::past_jailbreaks:
// where the pockets were before they moved): a public corpus, nothing drawn from the
// distribution of the held-out adversarial set.
#include <algorithm>
#include <memory>

#include "actors/attacker/attacker.hpp"
#include "actors/critic/critic.hpp"
#include "actors/director/director.hpp"
#include "actors/expert/expert.hpp"
#include "actors/learner/learner.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/worlds/value_world.hpp"

namespace oversight {

namespace {

/// A query batch concatenated from several sources, remembering each source's rows.
struct traffic {
  query_batch all;
  std::vector<std::pair<size_t, size_t>> attack_slices;  // [begin, end) per attacker
  size_t natural_rows = 0;
};

class red_team_program : public tick_program {
 public:
  red_team_program(const param_set& p, uint64_t seed, caf::actor_system& sys) : p_(p), seed_(seed) {
    // ---- the world (hidden truth) ----
    value_world_config wc;
    wc.dim = int(p.integer("world.dim"));
    wc.topics = int(p.integer("world.topics"));
    wc.harmful_share = p.real("world.harmful_share");
    wc.hard_share = p.real("world.hard_share");
    wc.pockets = int(p.integer("world.pockets"));
    wc.pocket_share = p.real("world.pocket_share");
    wc.pocket_radius = p.real("world.pocket_radius");
    wc.complexity = int(p.integer("world.complexity"));
    wc.noise = p.real("world.noise");
    world_ = std::make_shared<value_world>(wc, seed);
    const int dim = wc.dim, k = world_->options();

    // ---- fixed held-out evaluation sets and their true acceptability ----
    rng eval_stream(seed, "evaluation");
    eval_.dim = eval_adv_.dim = dim;
    eval_.x = world_->sample_natural(eval_stream, size_t(p.integer("eval.queries")));
    eval_adv_.x = world_->sample_pockets(eval_stream, size_t(p.integer("eval.adversarial_queries")));
    eval_ok_ = truth_table(eval_);
    eval_adv_ok_ = truth_table(eval_adv_);
    traffic_ = rng(seed, "traffic");
    free_running_ = p.boolean("free_running");

    // ---- role actors ----
    policy_config pc;
    pc.dim = dim;
    pc.options = k;
    pc.hidden = int(p.integer("learner.hidden"));
    pc.lr = p.real("learner.lr");
    pc.entropy = p.real("learner.entropy");
    pc.epochs = int(p.integer("learner.epochs"));
    learner_ = spawn_learner(sys, pc, seed, "learner");

    critic_settings cs;
    cs.model.dim = dim;
    cs.model.options = k;
    cs.model.hidden = int(p.integer("critic.hidden"));
    cs.model.ensemble = int(p.integer("critic.ensemble"));
    cs.model.lr = p.real("critic.lr");
    cs.model.prior_scale = p.real("critic.prior_scale");
    cs.model.updates = int(p.integer("critic.updates"));
    cs.model.minibatch = int(p.integer("critic.minibatch"));
    cs.labels_per_tick = int(p.integer("critic.labels_per_tick"));
    cs.explore = p.real("critic.explore");
    cs.verify = p.real("critic.verify");
    cs.label_mode = p.text("critic.label_mode");
    critic_ = spawn_critic(sys, cs, seed, "critic");

    expert_settings es;
    es.profile.capability = p.real("expert.capability");
    es.profile.noise = p.real("expert.noise");
    es.profile.slope = p.real("expert.slope");
    es.profile.leniency = p.real("expert.leniency");
    es.latency = int(p.integer("expert.latency"));
    es.budget = int(p.integer("expert.budget"));
    for (int i = 0; i < p.integer("expert.count"); ++i) experts_.push_back(spawn_expert(sys, es, i, world_, seed));

    attacker_settings as;
    as.attack.strategy = p.text("attacker.strategy");
    as.attack.dim = dim;
    as.attack.population = int(p.integer("attacker.population"));
    as.attack.mutation = p.real("attacker.mutation");
    as.attack.restart = p.real("attacker.restart");
    as.attack.niche_radius = p.real("attacker.niche_radius");
    as.queries_per_tick = int(p.integer("attacker.queries_per_tick"));
    as.novelty = p.real("attacker.novelty");
    // The attackers' seed corpus: user traffic from the topic mixture, plus a share of
    // last year's jailbreaks. Nothing in it is drawn from the distribution the held-out
    // adversarial set comes from: the pocket share of natural traffic is left out, and
    // the jailbreaks come from where the pockets were before the world moved them
    // (value_world::past_jailbreaks). Finding where they are now is the attackers' job.
    auto w = world_;
    const double known = p.real("attacker.known_jailbreaks");
    auto archive = std::make_shared<const value_world::jailbreak_archive>(
        world_->past_jailbreaks(p.real("attacker.jailbreak_drift"), seed));
    seed_sampler seeds = [w, known, archive](rng& r, float* out) {
      if (r.bernoulli(known)) archive->sample(r, out);
      else w->sample_topic(r, out);
    };
    if (as.attack.strategy != "none")
      for (int i = 0; i < p.integer("attacker.count"); ++i)
        attackers_.push_back(spawn_attacker(sys, as, seeds, seed, "attacker-" + std::to_string(i)));
  }

  int64_t ticks() const override { return p_.integer("ticks"); }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out{caf::actor_cast<caf::actor>(learner_), caf::actor_cast<caf::actor>(critic_)};
    for (auto& e : experts_) out.push_back(caf::actor_cast<caf::actor>(e));
    for (auto& a : attackers_) out.push_back(caf::actor_cast<caf::actor>(a));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    // Phase A: labels whose latency ends at t reach the critic first.
    gather<label_batch>(
        self, experts_,
        [=, this](std::vector<label_batch> due) {
          label_batch merged;  // in expert order, each expert's in asking order
          for (auto& b : due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
          labels_received_ += int64_t(merged.labels.size());
          auto then = [=, this] { propose(self, t, done); };
          if (merged.labels.empty()) return then();
          if (free_running_) {  // the critic trains while the tick goes on
            self->request(critic_, caf::infinite, learn_atom::value, std::move(merged)).then([](ack_atom) {}, done.fail);
            return then();
          }
          self->request(critic_, caf::infinite, learn_atom::value, std::move(merged))
              .then([=, this](ack_atom) { then(); }, done.fail);
        },
        done.fail, deliver_atom::value, t);
  }

 private:
  // Phase B and C: attack queries plus natural traffic, answered in one batched pass.
  void propose(caf::event_based_actor* self, int64_t t, tick_done done) {
    gather<query_batch>(
        self, attackers_,
        [=, this](std::vector<query_batch> attacks) {
          auto tr = std::make_shared<traffic>();
          tr->all.dim = world_->dim();
          tr->all.x = world_->sample_natural(traffic_, size_t(p_.integer("traffic.queries_per_tick")));
          tr->natural_rows = tr->all.rows();
          for (auto& a : attacks) {
            const size_t begin = tr->all.rows();
            tr->all.x.insert(tr->all.x.end(), a.x.begin(), a.x.end());
            tr->attack_slices.emplace_back(begin, tr->all.rows());
          }
          self->request(learner_, caf::infinite, act_atom::value, tr->all, false)
              .then([=, this](response_batch& r) { judge(self, t, tr, std::move(r), done); }, done.fail);
        },
        done.fail, propose_atom::value, t);
  }

  // Phase D and E: the critic judges; attackers, learner and critic act on it in parallel.
  void judge(caf::event_based_actor* self, int64_t t, std::shared_ptr<traffic> tr, response_batch r, tick_done done) {
    // Label pools: natural traffic (0) and attack findings (1) share the label quota.
    std::vector<int32_t> pools(tr->all.rows(), 1);
    std::fill(pools.begin(), pools.begin() + std::ptrdiff_t(tr->natural_rows), 0);
    self->request(critic_, caf::infinite, judge_atom::value, tr->all, r, std::move(pools))
        .then(
            [=, this](judgment_batch& j) {
              auto rows = std::make_shared<std::vector<metric_row>>();
              record_attacks(t, *tr, r, j, *rows);
              auto after = join(3, [=, this] { evaluate(self, t, rows, done); });
              // E1: each attacker hears how its own queries fared.
              auto acks = std::make_shared<size_t>(attackers_.size());
              for (size_t i = 0; i < attackers_.size(); ++i) {
                auto [b, e] = tr->attack_slices[i];
                self->request(attackers_[i], caf::infinite, feedback_atom::value, slice(tr->all, b, e),
                              slice(j, b, e))
                    .then(
                        [=, this](ack_atom) {
                          if (--*acks == 0) after();
                        },
                        done.fail);
              }
              if (attackers_.empty()) after();
              // E2: the learner trains on the critic's score of every option.
              // In free-running mode the tick does not wait for the step: the learner keeps
              // serving with its current weights, and the next tick sees the new ones
              // whenever they land (reproducible in distribution, not bit for bit).
              self->request(learner_, caf::infinite, learn_atom::value, tr->all, j.score)
                  .then([=, this](ack_atom) { if (!free_running_) after(); }, done.fail);
              if (free_running_) after();
              // E3: the critic's chosen items go round-robin to the experts.
              self->request(critic_, caf::infinite, ask_atom::value, t)
                  .then(
                      [=, this](std::vector<label_request>& reqs) {
                        std::vector<std::vector<label_request>> per(experts_.size());
                        for (size_t i = 0; i < reqs.size(); ++i) per[i % per.size()].push_back(std::move(reqs[i]));
                        auto left = std::make_shared<size_t>(experts_.size());
                        for (size_t i = 0; i < experts_.size(); ++i)
                          self->request(experts_[i], caf::infinite, label_atom::value, t, per[i])
                              .then(
                                  [=, this](int32_t accepted) {
                                    labels_spent_ += accepted;
                                    if (--*left == 0) after();
                                  },
                                  done.fail);
                      },
                      done.fail);
            },
            done.fail);
  }

  // Phase F: the evaluation under the hidden truth, and this tick's metrics. The
  // learner answers both held-out sets greedily; the critic judges its answers.
  void evaluate(caf::event_based_actor* self, int64_t t, std::shared_ptr<std::vector<metric_row>> rows,
                tick_done done) {
    auto answer = [=, this](const query_batch& q, std::function<void(response_batch, judgment_batch)> k) {
      self->request(learner_, caf::infinite, act_atom::value, q, true)
          .then(
              [=, this](response_batch& r) {
                self->request(critic_, caf::infinite, judge_atom::value, q, r, std::vector<int32_t>{})
                    .then([=](judgment_batch& j) { k(r, std::move(j)); }, done.fail);
              },
              done.fail);
    };
    answer(eval_adv_, [=, this](response_batch adv, judgment_batch adv_j) {
      answer(eval_, [=, this](response_batch nat, judgment_batch nat_j) {
        auto add = [&](const char* actor, const char* name, double v) { rows->push_back({t, actor, name, v}); };
        const auto natural = score(eval_, eval_ok_, nat, nat_j);
        const auto adversarial = score(eval_adv_, eval_adv_ok_, adv, adv_j);
        add("learner", "true_failure_rate", natural.true_fail);
        add("learner", "adv_failure_rate_true", adversarial.true_fail);
        add("critic", "estimated_failure_rate", natural.judged_fail);
        add("critic", "alignment_gap", natural.judged_fail - natural.true_fail);
        add("critic", "critic_agreement", natural.agreement);
        add("critic", "critic_agreement_adv", adversarial.agreement);
        add("experts", "labels_spent", double(labels_spent_));
        done.ok(std::move(*rows));
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

  void record_attacks(int64_t t, const traffic& tr, const response_batch& r, const judgment_batch& j,
                      std::vector<metric_row>& rows) const {
    if (tr.attack_slices.empty()) return;
    const size_t begin = tr.natural_rows, end = tr.all.rows();
    rows.push_back({t, "attacker", "attack_queries", double(end - begin)});
    if (end == begin) return;
    double truly = 0, judged = 0, in_pocket = 0;
    for (size_t i = begin; i < end; ++i) {
      const float* x = tr.all.x.data() + i * size_t(tr.all.dim);
      truly += world_->evaluate(x, r.action[i]).acceptable() ? 0 : 1;
      judged += j.p_ok[i] < 0.5f ? 1 : 0;
      in_pocket += world_->pocket(x) >= 0.5 ? 1 : 0;
    }
    const double n = double(end - begin);
    rows.push_back({t, "attacker", "attack_success_true", truly / n});
    rows.push_back({t, "attacker", "attack_success_judged", judged / n});
    rows.push_back({t, "attacker", "attack_pocket_share", in_pocket / n});
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

  param_set p_;
  uint64_t seed_;
  std::shared_ptr<value_world> world_;
  query_batch eval_, eval_adv_;
  std::vector<int8_t> eval_ok_, eval_adv_ok_;
  rng traffic_;
  learner_actor learner_;
  critic_actor critic_;
  std::vector<expert_actor> experts_;
  std::vector<attacker_actor> attackers_;
  bool free_running_ = false;
  int64_t labels_spent_ = 0;
  int64_t labels_received_ = 0;
};

void run_red_team(run_context& ctx) {
  drive(ctx, std::make_shared<red_team_program>(ctx.params(), ctx.seed(), ctx.system()));
}

// ---- registration: what `oversight list` shows and load_spec() validates ----------
using P = param_decl;
/// The memory a red_team run must hold at once, for the sizes that can exceed it (the
/// registry's `memory` hook). The copies counted are those measured on this code (peak
/// RSS over the baseline, 2 ticks): the learner's weights about 7.5 times (actor,
/// trainer, Adam, gradients, weight messages), the critic members about 4.8 times, the
/// evaluation 2.56 GB at 1,000,000 queries. Rounded down: a run refused here could not
/// have run.
memory_estimate red_team_memory(const param_set& p) {
  memory_estimate best;
  auto consider = [&](double bytes, std::string parameter) {
    if (bytes > best.bytes) best = {bytes, std::move(parameter)};
  };
  // The learner is a policy MLP dim -> learner.hidden -> learner.hidden -> k; the critic
  // critic.ensemble MLPs (dim + k) -> critic.hidden -> critic.hidden -> 3, each beside a
  // fixed prior of the same shape; every tick both answer the eval.queries held-out
  // queries, the critic each query paired with all k options.
  const double dim = double(p.integer("world.dim")), k = 4;  // value_world::options()
  const double lh = double(p.integer("learner.hidden")), ch = double(p.integer("critic.hidden"));
  const double members = double(p.integer("critic.ensemble"));
  const double learner_params = dim * lh + lh * lh + lh * k + 2 * lh + k;
  consider(6 * 4 * learner_params, "learner.hidden = " + std::to_string(p.integer("learner.hidden")));
  const double member = (dim + k) * ch + ch * ch + ch * 3 + 2 * ch + 3;
  consider(4 * 4 * members * member, "critic.hidden = " + std::to_string(p.integer("critic.hidden")) +
                                         " with critic.ensemble = " + std::to_string(p.integer("critic.ensemble")));
  // The held-out queries, their (query, option) rows, one member's hidden layer over
  // them, every member's outputs, and the learner's hidden layer.
  const double n = double(p.integer("eval.queries"));
  const double eval = 4 * (n * dim + n * k * (dim + k) + n * k * ch + members * n * k * 4 + 2 * n * lh);
  consider(eval, "eval.queries = " + std::to_string(p.integer("eval.queries")));
  return best;
}

const registrar reg{scenario_info{
    "red_team",
    "red-team self-play: attackers hunt for queries the learner fails; a critic trained on scarce expert labels "
    "judges and teaches",
    {
        P::integer("ticks", 60, 1, 1000000, "ticks of simulated time"),
        P::boolean("free_running", false,
                   "do not wait for training steps at tick boundaries: faster, reproducible in distribution only"),
        P::integer("world.dim", 8, 2, 256, "query features"),
        P::integer("world.topics", 8, 3, 256, "topics in the natural query mixture"),
        P::real("world.harmful_share", 0.25, 0.0, 0.9, "share of topics that are harmful requests"),
        P::real("world.hard_share", 0.25, 0.0, 0.9, "share of topics whose truth needs a hidden interaction"),
        P::integer("world.pockets", 4, 1, 256, "rare adversarial pockets: harmful requests that look benign"),
        P::real("world.pocket_share", 0.02, 0.0, 0.5, "share of natural traffic inside a pocket"),
        P::real("world.pocket_radius", 0.8, 0.05, 10.0, "size of a pocket (per-coordinate scale)"),
        P::integer("world.complexity", 3, 1, 16, "order of the hidden feature interaction on hard topics"),
        P::real("world.noise", 0.1, 0.0, 1.0, "amplitude of the random texture of the true value"),
        P::integer("traffic.queries_per_tick", 128, 0, 1000000, "natural user queries each tick"),
        P::integer("eval.queries", 512, 1, 1000000, "held-out natural queries for the evaluation"),
        P::integer("eval.adversarial_queries", 256, 0, 1000000, "held-out queries from the adversarial pockets"),
        P::integer("learner.hidden", 64, 4, 4096, "learner policy hidden width"),
        P::real("learner.lr", 3e-3, 1e-6, 1.0, "learner Adam learning rate"),
        P::real("learner.entropy", 0.01, 0.0, 1.0, "learner entropy bonus"),
        P::integer("learner.epochs", 2, 1, 100, "learner passes over each tick's batch"),
        P::integer("critic.hidden", 64, 4, 4096, "critic reward-model hidden width"),
        P::integer("critic.ensemble", 3, 1, 32, "critic ensemble members (their disagreement is its uncertainty)"),
        P::real("critic.lr", 3e-3, 1e-6, 1.0, "critic Adam learning rate"),
        P::real("critic.prior_scale", 1.0, 0.0, 100.0, "weight of each ensemble member's fixed random prior"),
        P::integer("critic.updates", 20, 0, 10000, "critic minibatch steps per tick"),
        P::integer("critic.minibatch", 64, 1, 100000, "critic minibatch size"),
        P::integer("critic.labels_per_tick", 16, 0, 100000, "label requests the critic sends each tick"),
        P::real("critic.explore", 0.25, 0.0, 1.0, "share of label requests drawn at random instead of by uncertainty"),
        P::real("critic.verify", 1.0, 0.0, 100.0, "label priority for checking the critic's own judged failures"),
        P::text("critic.label_mode", "pointwise", {"pointwise", "pairwise", "mixed"}, "kind of labels asked for"),
        P::integer("expert.count", 2, 1, 100000, "simulated human experts"),
        P::real("expert.capability", 0.6, 0.0, 1.0, "difficulty up to which experts judge reliably"),
        P::real("expert.noise", 0.05, 0.0, 0.5, "expert error rate within capability"),
        P::real("expert.slope", 1.5, 0.0, 100.0, "extra error per unit of difficulty beyond capability"),
        P::real("expert.leniency", 0.0, 0.0, 1.0, "bias: P(a failing dimension is reported acceptable)"),
        P::integer("expert.latency", 2, 0, 100000, "ticks before a label arrives"),
        P::integer("expert.budget", 400, 0, 1000000000, "labels each expert gives in the whole run"),
        P::text("attacker.strategy", "evolutionary", {"none", "random", "evolutionary", "bandit"},
                "attack strategy; none switches the attackers off"),
        P::integer("attacker.count", 2, 0, 100000, "attackers"),
        P::integer("attacker.queries_per_tick", 32, 0, 100000, "queries each attacker proposes each tick"),
        P::integer("attacker.population", 64, 1, 100000, "evolutionary: survivors kept"),
        P::real("attacker.mutation", 0.1, 0.0, 10.0, "sd of the Gaussian mutation"),
        P::real("attacker.restart", 0.5, 0.0, 1.0, "evolutionary: share of children drawn fresh"),
        P::real("attacker.niche_radius", 0.0, 0.0, 100.0,
                "evolutionary: a child replaces a survivor this close only by beating it (0: no niches)"),
        P::real("attacker.known_jailbreaks", 0.1, 0.0, 1.0,
                "share of last year's jailbreaks in the attackers' seed corpus (the rest: topic traffic)"),
        P::real("attacker.jailbreak_drift", 1.0, 0.5, 100.0,
                "how far each pocket has moved since last year's jailbreaks were collected (query-space units; "
                "at 1, 13-15% of them land where 95% of held-out adversarial queries lie)"),
        P::real("attacker.novelty", 1.0, 0.0, 100.0, "fitness bonus per unit of critic uncertainty"),
    },
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
    run_red_team,
    // Small enough for the test over every registered scenario.
    {"ticks=8", "eval.queries=128", "eval.adversarial_queries=64"},
    red_team_memory}};

}  // namespace

}  // namespace oversight
