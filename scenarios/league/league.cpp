// league: population self-play at scale on value_world, as in AlphaStar's league
// (Vinyals et al. 2019), with learners (policies answering queries) on one side and
// attackers (searches for queries the learners fail) on the other. Built like red_team
// (the commented reference); read that first.
//
// Players
//   learners   `learner.count` policies of one shape in one population actor
//              (actors/population): served and trained as one batched model
//   attackers  `attacker.count` attacker actors (actors/attacker), red_team's role
//   frozen     every `snapshot.every` ticks the `snapshot.count` best-rated players of
//              each side join a pool of frozen opponents (at most `snapshot.pool` per
//              side, oldest replaced): a learner snapshot is a copy of its weights in a
//              frozen slot of the population; an attacker snapshot is the half of its
//              latest batch the critic judged most successful, replayed as it was
//   critic     one critic (red_team's, an ensemble with priors) judges every answer
//              and is taught by `expert.count` experts with a finite label budget
//
// One tick, as message flow:
//   experts --labels due now--> critic.learn                          (A)
//   attackers.propose                                                 (B)
//   matchmaking: each active player starts `league.matches` matches;   (C)
//     the opponent is drawn by PFSP on Elo ratings (or uniformly:
//     league.matching): an attacker draws from the learners, active and
//     frozen (AlphaStar's exploiters); a learner draws from the frozen
//     attackers once there are any, past exploits replayed (its main
//     agents' PFSP over past players), before that from the active ones
//   population.act(natural traffic per learner + every match's queries, (D)
//     answered by the match's learner side)
//   critic.judge(all rows)                                             (E)
//   Elo ratings from the judged matches; in parallel:                  (F)
//     attackers.feedback (each its own queries, judged, averaged over
//       the learners that answered them)
//     population.learn (each active learner: its rows, the critic's score of every option)
//     critic.ask -> experts.label
//   snapshots; evaluation under the hidden truth every `eval.every`    (G)
//     ticks: failure rates, and the exploitability probe: `probe.attackers`
//     fresh attackers with `probe.rounds` x `probe.queries` queries each
//     against a frozen copy of the best-rated learner
//
// Who sees what. Learners see queries and the critic's scores; attackers see their own
// queries and the critic's judgments of them; the league (this program: matchmaking,
// ratings, snapshots) sees judged outcomes only. The hidden truth is read by the
// experts (imperfectly) and by the evaluation (metrics, and scoring the probe's queries
// after the fact; the probe attacker itself is guided by the critic like any other).
//
// Ratings: Elo (not TrueSkill), one scale for both sides. A match's score for its
// learner is the share of the attacker's queries the critic judged acceptable; the
// attacker scores the rest. All of a tick's matches are rated against the ratings at
// its start, then applied at once (in match order), so no match's order matters.
//
// The whole league runs in one process (one actor system); running it over several
// nodes is not built.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <sstream>
#include <tuple>

#include "actors/attacker/attacker.hpp"
#include "actors/critic/critic.hpp"
#include "actors/director/director.hpp"
#include "actors/expert/expert.hpp"
#include "actors/population/population.hpp"
#include "policies/league.hpp"
#include "runtime/error.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/worlds/value_world.hpp"

namespace oversight {

namespace {

/// One match: an attacker-side player's queries answered by a learner-side player.
/// Attacker side: 0..M-1 active, M + s frozen slot s. Learner side: 0..N-1 active,
/// N + s frozen slot s (the population's slot index).
struct match {
  int32_t attacker;
  int32_t learner;
  size_t begin, end;          // its rows in the tick's batch
  bool learner_chose = false;  // drawn by the learner (else by the attacker)
};

/// A tick's batch: natural traffic (each learner's own rows first), then the matches.
struct tick_rows {
  query_batch all;
  std::vector<int32_t> who;  // answering population slot per row
  size_t natural_rows = 0;
  std::vector<match> matches;
  double chosen_win_prob = 0;  // Elo's P[learner wins], mean over the learners' own draws
};

class league_program : public tick_program {
 public:
  league_program(const param_set& p, uint64_t seed, caf::actor_system& sys) : p_(p), seed_(seed), sys_(sys) {
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
    dim_ = wc.dim;
    k_ = world_->options();

    n_ = size_t(p.integer("learner.count"));
    m_ = size_t(p.integer("attacker.count"));
    snapshot_every_ = p.integer("snapshot.every");
    snapshot_count_ = size_t(p.integer("snapshot.count"));
    pool_ = size_t(p.integer("snapshot.pool"));
    if (snapshot_every_ > 0 && snapshot_count_ > pool_) {
      std::ostringstream os;
      os << "snapshot.count = " << snapshot_count_ << " is more than snapshot.pool = " << pool_
         << ": each snapshot would replace part of itself; raise the pool or lower the count";
      throw user_error(os.str());
    }
    if (snapshot_every_ > 0 && snapshot_count_ > std::min(n_, m_)) {
      std::ostringstream os;
      os << "snapshot.count = " << snapshot_count_ << " is more than learner.count = " << n_
         << " or attacker.count = " << m_ << " (the best-rated of each side are frozen)";
      throw user_error(os.str());
    }
    matching_ = p.text("league.matching");
    pfsp_power_ = p.real("league.pfsp_power");
    matches_ = size_t(p.integer("league.matches"));
    elo_k_ = p.real("league.elo_k");
    learners_play_past_ = p.boolean("league.learners_play_past");

    rng eval_stream(seed, "evaluation");
    eval_.dim = eval_adv_.dim = dim_;
    eval_.x = world_->sample_natural(eval_stream, size_t(p.integer("eval.queries")));
    eval_adv_.x = world_->sample_pockets(eval_stream, size_t(p.integer("eval.adversarial_queries")));
    eval_ok_ = truth_table(eval_);
    eval_adv_ok_ = truth_table(eval_adv_);
    traffic_ = rng(seed, "traffic");
    matchmaking_ = rng(seed, "matchmaking");

    pc_.dim = dim_;
    pc_.options = k_;
    pc_.hidden = int(p.integer("learner.hidden"));
    pc_.lr = p.real("learner.lr");
    pc_.entropy = p.real("learner.entropy");
    pc_.epochs = int(p.integer("learner.epochs"));
    // Slots: n_ trained, pool_ frozen snapshots, one frozen copy for the probe.
    population_ = spawn_population(sys, pc_, n_, pool_ + 1, seed, "learner");

    critic_settings cs;
    cs.model.dim = dim_;
    cs.model.options = k_;
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

    as_.attack.strategy = p.text("attacker.strategy");
    as_.attack.dim = dim_;
    as_.attack.population = int(p.integer("attacker.population"));
    as_.attack.mutation = p.real("attacker.mutation");
    as_.attack.restart = p.real("attacker.restart");
    as_.queries_per_tick = int(p.integer("attacker.queries_per_tick"));
    as_.novelty = p.real("attacker.novelty");
    // The attackers' seed corpus is natural user traffic: what anyone can collect. It
    // holds the pockets only at their natural share, unlabeled; finding and exploiting
    // them is the search's job.
    auto w = world_;
    seeds_ = [w](rng& r, float* out) { w->sample_natural(r, out); };
    for (size_t i = 0; i < m_; ++i)
      attackers_.push_back(spawn_attacker(sys, as_, seeds_, seed, "attacker-" + std::to_string(i)));

    learner_rating_.assign(n_ + pool_, 1000.0);
    attacker_rating_.assign(m_ + pool_, 1000.0);
    archive_.resize(pool_);
  }

  int64_t ticks() const override { return p_.integer("ticks"); }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out{caf::actor_cast<caf::actor>(population_), caf::actor_cast<caf::actor>(critic_)};
    for (auto& e : experts_) out.push_back(caf::actor_cast<caf::actor>(e));
    for (auto& a : attackers_) out.push_back(caf::actor_cast<caf::actor>(a));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    // (A) labels whose latency ends at t reach the critic first.
    gather<label_batch>(
        self, experts_,
        [=, this](std::vector<label_batch> due) {
          label_batch merged;  // in expert order, each expert's in asking order
          for (auto& b : due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
          if (merged.labels.empty()) return propose(self, t, done);
          self->request(critic_, caf::infinite, learn_atom::value, std::move(merged))
              .then([=, this](ack_atom) { propose(self, t, done); }, done.fail);
        },
        done.fail, deliver_atom::value, t);
  }

 private:
  // ---- (B) to (D): proposals, matchmaking, answers ------------------------------------
  void propose(caf::event_based_actor* self, int64_t t, tick_done done) {
    gather<query_batch>(
        self, attackers_,
        [=, this](std::vector<query_batch> batches) {
          auto rows = std::make_shared<tick_rows>(make_rows(batches));
          auto proposed = std::make_shared<std::vector<query_batch>>(std::move(batches));
          self->request(population_, caf::infinite, act_atom::value, rows->all, rows->who, false)
              .then([=, this](response_batch& r) { judge(self, t, rows, proposed, std::move(r), done); },
                    done.fail);
        },
        done.fail, propose_atom::value, t);
  }

  /// The frozen players of one side that exist so far (slot indices).
  std::vector<size_t> frozen_slots(size_t filled) const {
    std::vector<size_t> s(std::min(filled, pool_));
    std::iota(s.begin(), s.end(), size_t(0));
    return s;
  }

  /// An opponent for a player rated `r` from a pool with ratings `pool_ratings`: PFSP
  /// (opponents the chooser is expected to beat least, more often) or uniform.
  size_t pick(double r, const std::vector<double>& pool_ratings) {
    std::vector<double> w(pool_ratings.size());
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = matching_ == "uniform" ? 1.0 : pfsp_weight(elo_expected(r, pool_ratings[i]), pfsp_power_);
    return draw_weighted(w, matchmaking_);
  }

  tick_rows make_rows(const std::vector<query_batch>& batches) {
    tick_rows tr;
    tr.all.dim = dim_;
    const auto per = size_t(p_.integer("traffic.queries_per_learner"));
    tr.all.x = world_->sample_natural(traffic_, n_ * per);
    for (size_t l = 0; l < n_; ++l) tr.who.insert(tr.who.end(), per, int32_t(l));
    tr.natural_rows = tr.all.rows();

    // The two pools as the matchmaker sees them: players and their ratings.
    const auto learner_frozen = frozen_slots(learner_snapshots_), attacker_frozen = frozen_slots(attacker_snapshots_);
    std::vector<int32_t> learner_pool, attacker_pool;
    std::vector<double> learner_pool_r, attacker_pool_r;
    for (size_t l = 0; l < n_; ++l) learner_pool.push_back(int32_t(l));
    for (size_t s : learner_frozen) learner_pool.push_back(int32_t(n_ + s));
    for (int32_t l : learner_pool) learner_pool_r.push_back(learner_rating_[size_t(l)]);
    // Learners play past attackers (AlphaStar's main agents: PFSP over frozen past
    // players); the current attackers reach them through their own matches. Until the
    // first snapshot, and in a league without snapshots, they play the current ones.
    if (attacker_frozen.empty() || !learners_play_past_)
      for (size_t a = 0; a < m_; ++a) attacker_pool.push_back(int32_t(a));
    for (size_t s : attacker_frozen) attacker_pool.push_back(int32_t(m_ + s));
    for (int32_t a : attacker_pool) attacker_pool_r.push_back(attacker_rating_[size_t(a)]);

    std::vector<std::tuple<int32_t, int32_t, bool>> pairs;  // (attacker side, learner side, learner chose)
    for (size_t a = 0; a < m_; ++a)  // attackers choose among learners
      for (size_t g = 0; g < matches_; ++g)
        pairs.emplace_back(int32_t(a), learner_pool[pick(attacker_rating_[a], learner_pool_r)], false);
    // How hard the learners' chosen opponents are: the mean of Elo's P[learner wins].
    double win = 0, chosen = 0;
    if (!attacker_pool.empty())
      for (size_t l = 0; l < n_; ++l)  // learners choose among attackers
        for (size_t g = 0; g < matches_; ++g) {
          const size_t o = pick(learner_rating_[l], attacker_pool_r);
          pairs.emplace_back(attacker_pool[o], int32_t(l), true);
          win += elo_expected(learner_rating_[l], attacker_pool_r[o]);
          chosen += 1;
        }
    tr.chosen_win_prob = chosen > 0 ? win / chosen : std::nan("");

    for (auto [a, l, chose] : pairs) {
      const auto& q = size_t(a) < m_ ? batches[size_t(a)].x : archive_[size_t(a) - m_];
      match mt{a, l, tr.all.rows(), 0, chose};
      tr.all.x.insert(tr.all.x.end(), q.begin(), q.end());
      mt.end = tr.all.rows();
      tr.who.insert(tr.who.end(), mt.end - mt.begin, l);
      if (mt.end > mt.begin) tr.matches.push_back(mt);
    }
    return tr;
  }

  // ---- (E) and (F): judging, ratings, feedback, training, labels -----------------------
  void judge(caf::event_based_actor* self, int64_t t, std::shared_ptr<tick_rows> tr,
             std::shared_ptr<std::vector<query_batch>> proposed, response_batch r, tick_done done) {
    std::vector<int32_t> pools(tr->all.rows(), 1);  // label pools: natural traffic 0, matches 1
    std::fill(pools.begin(), pools.begin() + std::ptrdiff_t(tr->natural_rows), 0);
    auto resp = std::make_shared<response_batch>(std::move(r));
    self->request(critic_, caf::infinite, judge_atom::value, tr->all, *resp, std::move(pools))
        .then(
            [=, this](judgment_batch& jb) {
              auto j = std::make_shared<judgment_batch>(std::move(jb));
              auto rows = std::make_shared<std::vector<metric_row>>();
              rate_matches(t, *tr, *resp, *j, *rows);
              auto after = join(3, [=, this] { snapshot(self, t, tr, proposed, j, rows, done); });
              feed_attackers(self, *tr, *proposed, *j, after, done);
              train_learners(self, *tr, *j, after, done);
              self->request(critic_, caf::infinite, ask_atom::value, t)
                  .then(
                      [=, this](std::vector<label_request>& reqs) {
                        std::vector<std::vector<label_request>> per(experts_.size());
                        for (size_t i = 0; i < reqs.size(); ++i) per[i % per.size()].push_back(std::move(reqs[i]));
                        auto labelled = join(experts_.size(), after);
                        for (size_t i = 0; i < experts_.size(); ++i)
                          self->request(experts_[i], caf::infinite, label_atom::value, t, per[i])
                              .then(
                                  [=, this](int32_t accepted) {
                                    labels_spent_ += accepted;
                                    labelled();
                                  },
                                  done.fail);
                      },
                      done.fail);
            },
            done.fail);
  }

  /// Elo from each match's judged outcome, and this tick's attack figures.
  void rate_matches(int64_t t, const tick_rows& tr, const response_batch& r, const judgment_batch& j,
                    std::vector<metric_row>& rows) {
    std::vector<double> dl(learner_rating_.size(), 0.0), da(attacker_rating_.size(), 0.0);
    double judged_fail = 0, true_fail = 0, match_rows = 0, vs_frozen = 0, in_pocket = 0;
    double chosen_judged = 0, chosen_true = 0, chosen_rows = 0;  // the learners' own draws
    for (const auto& mt : tr.matches) {
      double ok = 0, truly_failed = 0;
      for (size_t i = mt.begin; i < mt.end; ++i) {
        ok += j.p_ok[i] >= 0.5f ? 1 : 0;
        // Evaluation only: the truth of this tick's attacks (no player reads it).
        const float* x = tr.all.x.data() + i * size_t(dim_);
        truly_failed += world_->evaluate(x, r.action[i]).acceptable() ? 0 : 1;
        in_pocket += world_->pocket(x) >= 0.5 ? 1 : 0;
      }
      const double n = double(mt.end - mt.begin);
      judged_fail += n - ok;
      true_fail += truly_failed;
      match_rows += n;
      if (mt.learner_chose) {
        chosen_judged += n - ok;
        chosen_true += truly_failed;
        chosen_rows += n;
      }
      if (size_t(mt.attacker) >= m_ || size_t(mt.learner) >= n_) vs_frozen += 1;
      const double d = elo_delta(learner_rating_[size_t(mt.learner)], attacker_rating_[size_t(mt.attacker)], ok / n,
                                 elo_k_);
      dl[size_t(mt.learner)] += d;
      da[size_t(mt.attacker)] -= d;
    }
    for (size_t i = 0; i < dl.size(); ++i) learner_rating_[i] += dl[i];
    for (size_t i = 0; i < da.size(); ++i) attacker_rating_[i] += da[i];
    const double active_mean = std::accumulate(learner_rating_.begin(), learner_rating_.begin() + std::ptrdiff_t(n_), 0.0) / double(n_);
    double var = 0;
    for (size_t l = 0; l < n_; ++l) var += (learner_rating_[l] - active_mean) * (learner_rating_[l] - active_mean);
    rows.push_back({t, "league", "rating_spread", std::sqrt(var / double(n_))});
    if (!std::isnan(tr.chosen_win_prob)) rows.push_back({t, "league", "chosen_win_prob", tr.chosen_win_prob});
    if (m_ > 0) {
      const double am = std::accumulate(attacker_rating_.begin(), attacker_rating_.begin() + std::ptrdiff_t(m_), 0.0) / double(m_);
      double av = 0;
      for (size_t a = 0; a < m_; ++a) av += (attacker_rating_[a] - am) * (attacker_rating_[a] - am);
      rows.push_back({t, "attacker", "rating_spread", std::sqrt(av / double(m_))});
    }
    rows.push_back({t, "league", "best_rating", learner_rating_[best_learner()]});
    if (match_rows > 0) {
      rows.push_back({t, "attacker", "attack_success_judged", judged_fail / match_rows});
      rows.push_back({t, "attacker", "attack_success_true", true_fail / match_rows});
      rows.push_back({t, "league", "frozen_match_share", vs_frozen / double(tr.matches.size())});
      rows.push_back({t, "attacker", "attack_pocket_share", in_pocket / match_rows});
      if (chosen_rows > 0) {
        rows.push_back({t, "attacker", "chosen_success_judged", chosen_judged / chosen_rows});
        rows.push_back({t, "attacker", "chosen_success_true", chosen_true / chosen_rows});
      }
    }
  }

  /// Each active attacker hears how its own queries fared, averaged over the learners
  /// that answered them this tick (its own match and any learner that chose it).
  void feed_attackers(caf::event_based_actor* self, const tick_rows& tr, const std::vector<query_batch>& proposed,
                      const judgment_batch& j, std::function<void()> after, tick_done done) {
    if (m_ == 0) return after();
    const size_t k = size_t(k_);
    std::vector<judgment_batch> fb(m_);
    std::vector<size_t> heard(m_, 0);
    for (size_t a = 0; a < m_; ++a) {
      const size_t q = proposed[a].rows();
      fb[a].options = int32_t(k);
      fb[a].p_ok.assign(q, 0.f);
      fb[a].uncertainty.assign(q, 0.f);
      fb[a].score.assign(q * k, 0.f);
      fb[a].fail_dim.assign(q, 0);
      fb[a].confidence.assign(q, 0.f);
    }
    for (const auto& mt : tr.matches) {
      if (size_t(mt.attacker) >= m_) continue;
      auto& f = fb[size_t(mt.attacker)];
      ++heard[size_t(mt.attacker)];
      for (size_t i = mt.begin; i < mt.end; ++i) {
        const size_t q = i - mt.begin;
        f.p_ok[q] += j.p_ok[i];
        f.uncertainty[q] += j.uncertainty[i];
        f.confidence[q] += j.confidence[i];
        for (size_t o = 0; o < k; ++o) f.score[q * k + o] += j.score[i * k + o];
      }
    }
    auto fed = join(m_, after);
    for (size_t a = 0; a < m_; ++a) {
      const float n = float(std::max<size_t>(heard[a], 1));
      auto& f = fb[a];
      for (auto* v : {&f.p_ok, &f.uncertainty, &f.confidence, &f.score})
        for (auto& x : *v) x /= n;
      self->request(attackers_[a], caf::infinite, feedback_atom::value, proposed[a], std::move(f))
          .then([=](ack_atom) { fed(); }, done.fail);
    }
  }

  /// One batched step for every active learner on its natural traffic and its matches.
  void train_learners(caf::event_based_actor* self, const tick_rows& tr, const judgment_batch& j,
                      std::function<void()> after, tick_done done) {
    train_batch b;
    b.dim = dim_;
    b.width = k_;
    const size_t d = size_t(dim_), k = size_t(k_);
    for (size_t i = 0; i < tr.all.rows(); ++i) {
      if (size_t(tr.who[i]) >= n_) continue;  // a frozen snapshot answered: nobody learns
      b.x.insert(b.x.end(), tr.all.x.begin() + std::ptrdiff_t(i * d), tr.all.x.begin() + std::ptrdiff_t((i + 1) * d));
      b.a.push_back(tr.who[i]);
      b.target.insert(b.target.end(), j.score.begin() + std::ptrdiff_t(i * k), j.score.begin() + std::ptrdiff_t((i + 1) * k));
    }
    self->request(population_, caf::infinite, learn_atom::value, std::move(b))
        .then([=](ack_atom) { after(); }, done.fail);
  }

  // ---- (G) snapshots and evaluation ---------------------------------------------------
  size_t best_learner() const {
    return size_t(std::max_element(learner_rating_.begin(), learner_rating_.begin() + std::ptrdiff_t(n_)) -
                  learner_rating_.begin());
  }

  /// Indices of the `count` best-rated among the first `n` (ties: lower index first).
  static std::vector<size_t> top(const std::vector<double>& rating, size_t n, size_t count) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rating[a] > rating[b]; });
    order.resize(std::min(count, n));
    return order;
  }

  void snapshot(caf::event_based_actor* self, int64_t t, std::shared_ptr<tick_rows> tr,
                std::shared_ptr<std::vector<query_batch>> proposed, std::shared_ptr<judgment_batch> j,
                std::shared_ptr<std::vector<metric_row>> rows, tick_done done) {
    auto then = [=, this] { evaluate(self, t, rows, done); };
    if (snapshot_every_ <= 0 || (t + 1) % snapshot_every_ != 0 || t + 1 >= ticks()) return then();
    // Attackers: the half of each chosen attacker's batch the critic judged most
    // successful this tick (averaged over its matches): what it had found, frozen.
    std::vector<std::vector<double>> fail(m_);  // per attacker, per query: summed over its matches
    for (size_t a = 0; a < m_; ++a) fail[a].assign((*proposed)[a].rows(), 0.0);
    for (const auto& mt : tr->matches) {
      if (size_t(mt.attacker) >= m_) continue;
      for (size_t i = mt.begin; i < mt.end; ++i) fail[size_t(mt.attacker)][i - mt.begin] += 1.0 - j->p_ok[i];
    }
    for (size_t a : top(attacker_rating_, m_, snapshot_count_)) {
      const auto& q = (*proposed)[a];
      const size_t n = q.rows();
      std::vector<size_t> order(n);
      std::iota(order.begin(), order.end(), size_t(0));
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return fail[a][x] > fail[a][y]; });
      const size_t slot = attacker_snapshots_++ % pool_;
      auto& kept = archive_[slot];
      kept.clear();
      for (size_t i = 0; i < std::max<size_t>(n / 2, std::min<size_t>(n, 1)); ++i)
        kept.insert(kept.end(), q.x.begin() + std::ptrdiff_t(order[i] * size_t(dim_)),
                    q.x.begin() + std::ptrdiff_t((order[i] + 1) * size_t(dim_)));
      attacker_rating_[m_ + slot] = attacker_rating_[a];
    }
    std::vector<int32_t> from, to;
    for (size_t l : top(learner_rating_, n_, snapshot_count_)) {
      const size_t slot = learner_snapshots_++ % pool_;
      from.push_back(int32_t(l));
      to.push_back(int32_t(n_ + slot));
      learner_rating_[n_ + slot] = learner_rating_[l];
    }
    self->request(population_, caf::infinite, freeze_atom::value, from, to)
        .then([=](ack_atom) { then(); }, done.fail);
  }

  void evaluate(caf::event_based_actor* self, int64_t t, std::shared_ptr<std::vector<metric_row>> rows,
                tick_done done) {
    auto add = [rows, t](const char* actor, const char* name, double v) { rows->push_back({t, actor, name, v}); };
    add("experts", "labels_spent", double(labels_spent_));
    add("league", "frozen_players", double(std::min(learner_snapshots_, pool_) + std::min(attacker_snapshots_, pool_)));
    const int64_t every = p_.integer("eval.every");
    if ((t + 1) % every != 0 && t + 1 != ticks()) return done.ok(std::move(*rows));
    // Every active learner answers both held-out sets greedily.
    const size_t en = eval_.rows(), ea = eval_adv_.rows();
    query_batch q;
    q.dim = dim_;
    std::vector<int32_t> who;
    for (size_t l = 0; l < n_; ++l) {
      q.x.insert(q.x.end(), eval_.x.begin(), eval_.x.end());
      q.x.insert(q.x.end(), eval_adv_.x.begin(), eval_adv_.x.end());
      who.insert(who.end(), en + ea, int32_t(l));
    }
    self->request(population_, caf::infinite, act_atom::value, q, who, true)
        .then(
            [=, this](response_batch& r) {
              const size_t k = size_t(k_), best = best_learner();
              double nat = 0, adv = 0, best_nat = 0, best_adv = 0;
              query_batch judged;  // natural answers, for the critic's estimate
              judged.dim = dim_;
              response_batch judged_r;
              judged_r.options = k_;
              for (size_t l = 0; l < n_; ++l) {
                double fn = 0, fa = 0;
                for (size_t i = 0; i < en; ++i) fn += eval_ok_[i * k + size_t(r.action[l * (en + ea) + i])] ? 0 : 1;
                for (size_t i = 0; i < ea; ++i)
                  fa += eval_adv_ok_[i * k + size_t(r.action[l * (en + ea) + en + i])] ? 0 : 1;
                fn /= double(std::max<size_t>(en, 1));
                fa /= double(std::max<size_t>(ea, 1));
                nat += fn / double(n_);
                adv += fa / double(n_);
                if (l == best) best_nat = fn, best_adv = fa;
                judged.x.insert(judged.x.end(), eval_.x.begin(), eval_.x.end());
                judged_r.action.insert(judged_r.action.end(), r.action.begin() + std::ptrdiff_t(l * (en + ea)),
                                       r.action.begin() + std::ptrdiff_t(l * (en + ea) + en));
              }
              // And once the adversarial set (the best learner's answers): the critic's
              // agreement with the truth there is read from its score of every option.
              judged.x.insert(judged.x.end(), eval_adv_.x.begin(), eval_adv_.x.end());
              judged_r.action.insert(judged_r.action.end(), r.action.begin() + std::ptrdiff_t(best * (en + ea) + en),
                                     r.action.begin() + std::ptrdiff_t((best + 1) * (en + ea)));
              add("league", "true_failure_rate", nat);
              add("league", "adv_failure_rate_true", adv);
              add("best", "true_failure_rate", best_nat);
              add("best", "adv_failure_rate_true", best_adv);
              self->request(critic_, caf::infinite, judge_atom::value, judged, judged_r, std::vector<int32_t>{})
                  .then(
                      [=, this](judgment_batch& j) {
                        const size_t k = size_t(k_);
                        const size_t natural = n_ * en;
                        double est = 0, agree = 0;
                        for (size_t i = 0; i < natural; ++i) est += j.p_ok[i] < 0.5f ? 1 : 0;
                        est /= double(std::max<size_t>(natural, 1));
                        for (size_t i = 0; i < ea; ++i)
                          for (size_t a = 0; a < k; ++a)
                            agree += (j.score[(natural + i) * k + a] >= 0.5f) == bool(eval_adv_ok_[i * k + a]) ? 1 : 0;
                        if (ea > 0) add("critic", "critic_agreement_adv", agree / double(ea * k));
                        add("critic", "estimated_failure_rate", est);
                        add("critic", "alignment_gap", est - nat);
                        probe(self, t, best, rows, done);
                      },
                      done.fail);
            },
            done.fail);
  }

  /// Exploitability of the best-rated learner: `probe.attackers` fresh attackers (no
  /// history, the league attackers' strategy and seed corpus, each its own stream,
  /// guided by the critic like them) get probe.rounds rounds of probe.queries queries
  /// each against a frozen copy of it, one after another. The figure is the share of
  /// their queries in the second half of the rounds (each has had half its budget to
  /// adapt) that the copy truly fails; judged: the same as the critic sees it. Several
  /// attackers, because whether one search stumbles on a pocket is a lottery.
  void probe(caf::event_based_actor* self, int64_t t, size_t best, std::shared_ptr<std::vector<metric_row>> rows,
             tick_done done) {
    const int32_t slot = int32_t(n_ + pool_);
    self->request(population_, caf::infinite, freeze_atom::value, std::vector<int32_t>{int32_t(best)},
                  std::vector<int32_t>{slot})
        .then(
            [=, this](ack_atom) {
              auto tally = std::make_shared<std::array<double, 4>>();  // true fails, judged fails, rows, in a pocket
              probe_attacker(self, t, slot, 0, tally, [=] {
                const double n = std::max(1.0, (*tally)[2]);
                rows->push_back({t, "best", "exploitability", (*tally)[0] / n});
                rows->push_back({t, "best", "exploitability_judged", (*tally)[1] / n});
                rows->push_back({t, "best", "probe_pocket_share", (*tally)[3] / n});
                done.ok(std::move(*rows));
              }, done);
            },
            done.fail);
  }

  void probe_attacker(caf::event_based_actor* self, int64_t t, int32_t slot, int64_t i,
                      std::shared_ptr<std::array<double, 4>> tally, std::function<void()> finish, tick_done done) {
    if (i == p_.integer("probe.attackers")) return finish();
    attacker_settings ps = as_;
    ps.queries_per_tick = int(p_.integer("probe.queries"));
    ps.novelty = p_.real("probe.novelty");
    auto prober = spawn_attacker(sys_, ps, seeds_, seed_, "probe-" + std::to_string(t) + "-" + std::to_string(i));
    probe_round(self, prober, slot, 0, tally, [=, this] {
      caf::anon_send_exit(prober, caf::exit_reason::user_shutdown);
      probe_attacker(self, t, slot, i + 1, tally, finish, done);
    }, done);
  }

  void probe_round(caf::event_based_actor* self, attacker_actor prober, int32_t slot, int64_t round,
                   std::shared_ptr<std::array<double, 4>> tally, std::function<void()> finish, tick_done done) {
    const int64_t rounds = p_.integer("probe.rounds");
    if (round == rounds) return finish();
    self->request(prober, caf::infinite, propose_atom::value, round)
        .then(
            [=, this](query_batch& qb) {
              auto q = std::make_shared<query_batch>(std::move(qb));
              std::vector<int32_t> who(q->rows(), slot);
              self->request(population_, caf::infinite, act_atom::value, *q, who, true)
                  .then(
                      [=, this](response_batch& r) {
                        auto resp = std::make_shared<response_batch>(std::move(r));
                        self->request(critic_, caf::infinite, judge_atom::value, *q, *resp, std::vector<int32_t>{})
                            .then(
                                [=, this](judgment_batch& j) {
                                  if (2 * round >= rounds)
                                    for (size_t i = 0; i < q->rows(); ++i) {
                                      const float* x = q->x.data() + i * size_t(dim_);
                                      (*tally)[0] += world_->evaluate(x, resp->action[i]).acceptable() ? 0 : 1;
                                      (*tally)[1] += j.p_ok[i] < 0.5f ? 1 : 0;
                                      (*tally)[2] += 1;
                                      (*tally)[3] += world_->pocket(x) >= 0.5 ? 1 : 0;
                                    }
                                  self->request(prober, caf::infinite, feedback_atom::value, *q, std::move(j))
                                      .then(
                                          [=, this](ack_atom) {
                                            probe_round(self, prober, slot, round + 1, tally, finish, done);
                                          },
                                          done.fail);
                                },
                                done.fail);
                      },
                      done.fail);
            },
            done.fail);
  }

  std::vector<int8_t> truth_table(const query_batch& q) const {
    std::vector<int8_t> ok(q.rows() * size_t(k_));
    for (size_t i = 0; i < q.rows(); ++i)
      for (int a = 0; a < k_; ++a)
        ok[i * size_t(k_) + size_t(a)] = world_->evaluate(q.x.data() + i * size_t(q.dim), a).acceptable() ? 1 : 0;
    return ok;
  }

  param_set p_;
  uint64_t seed_;
  caf::actor_system& sys_;
  std::shared_ptr<value_world> world_;
  int dim_ = 0, k_ = 0;
  size_t n_ = 0, m_ = 0, pool_ = 0, snapshot_count_ = 0, matches_ = 1;
  int64_t snapshot_every_ = 0;
  std::string matching_;
  double pfsp_power_ = 2, elo_k_ = 16;
  bool learners_play_past_ = true;
  query_batch eval_, eval_adv_;
  std::vector<int8_t> eval_ok_, eval_adv_ok_;
  rng traffic_, matchmaking_;
  policy_config pc_;
  population_actor population_;
  critic_actor critic_;
  std::vector<expert_actor> experts_;
  attacker_settings as_;
  seed_sampler seeds_;
  std::vector<attacker_actor> attackers_;
  std::vector<double> learner_rating_, attacker_rating_;  // active, then frozen slots
  std::vector<std::vector<float>> archive_;              // frozen attackers' queries
  size_t learner_snapshots_ = 0, attacker_snapshots_ = 0;  // ever taken (slot = count % pool)
  int64_t labels_spent_ = 0;
};

void run_league(run_context& ctx) {
  drive(ctx, std::make_shared<league_program>(ctx.params(), ctx.seed(), ctx.system()));
}

using P = param_decl;
const registrar reg{scenario_info{
    "league",
    "population self-play as a league: hundreds of learners (one batched model) and attackers matched by "
    "prioritized fictitious self-play on Elo ratings, frozen snapshots as opponents, critics taught by experts",
    {
        P::integer("ticks", 40, 1, 1000000, "ticks of simulated time"),
        P::integer("world.dim", 8, 2, 256, "query features"),
        P::integer("world.topics", 8, 3, 256, "topics in the natural query mixture"),
        P::real("world.harmful_share", 0.25, 0.0, 0.9, "share of topics that are harmful requests"),
        P::real("world.hard_share", 0.25, 0.0, 0.9, "share of topics whose truth needs a hidden interaction"),
        P::integer("world.pockets", 4, 1, 256, "rare adversarial pockets: harmful requests that look benign"),
        P::real("world.pocket_share", 0.02, 0.0, 0.5, "share of natural traffic inside a pocket"),
        P::real("world.pocket_radius", 0.8, 0.05, 10.0, "size of a pocket (per-coordinate scale)"),
        P::integer("world.complexity", 3, 1, 16, "order of the hidden feature interaction on hard topics"),
        P::real("world.noise", 0.1, 0.0, 1.0, "amplitude of the random texture of the true value"),
        P::integer("traffic.queries_per_learner", 16, 0, 1000000, "natural user queries each learner answers each tick"),
        P::integer("eval.every", 10, 1, 1000000, "ticks between evaluations (and always the last tick)"),
        P::integer("eval.queries", 128, 1, 1000000, "held-out natural queries for the evaluation"),
        P::integer("eval.adversarial_queries", 64, 0, 1000000, "held-out queries from the adversarial pockets"),
        P::integer("learner.count", 128, 1, 1000000, "learners (trained members of the population)"),
        P::integer("learner.hidden", 32, 4, 4096, "learner policy hidden width"),
        P::real("learner.lr", 3e-3, 1e-6, 1.0, "learner Adam learning rate"),
        P::real("learner.entropy", 0.01, 0.0, 1.0, "learner entropy bonus"),
        P::integer("learner.epochs", 2, 1, 100, "learner passes over each tick's batch"),
        P::text("attacker.strategy", "evolutionary", {"none", "random", "evolutionary", "bandit"},
                "attack strategy of the league's attackers and of the exploitability probe"),
        P::integer("attacker.count", 128, 0, 1000000, "attackers"),
        P::integer("attacker.queries_per_tick", 16, 0, 100000, "queries each attacker proposes each tick"),
        P::integer("attacker.population", 32, 1, 100000, "evolutionary: survivors kept"),
        P::real("attacker.mutation", 0.1, 0.0, 10.0, "sd of the Gaussian mutation"),
        P::real("attacker.restart", 0.5, 0.0, 1.0, "evolutionary: share of children drawn fresh"),
        P::real("attacker.novelty", 1.0, 0.0, 100.0, "fitness bonus per unit of critic uncertainty"),
        P::text("league.matching", "pfsp", {"pfsp", "uniform"},
                "how a player draws its opponent from the other side's pool: prioritized fictitious self-play "
                "(opponents it is expected to beat least, more often) or uniformly"),
        P::real("league.pfsp_power", 2.0, 0.0, 16.0, "PFSP weight (1 - P[chooser wins])^power (AlphaStar's f_hard)"),
        P::integer("league.matches", 1, 1, 1000, "matches each active player starts each tick"),
        P::boolean("league.learners_play_past", true,
                   "learners draw their opponents from the frozen attackers once there are any (AlphaStar's main "
                   "agents); false: from the current and frozen attackers together"),
        P::real("league.elo_k", 16.0, 0.0, 1000.0, "Elo K-factor (rating points per unit of surprise)"),
        P::integer("snapshot.every", 5, 0, 1000000, "ticks between snapshots into the frozen pool (0: never)"),
        P::integer("snapshot.count", 8, 1, 1000000, "best-rated players of each side frozen at each snapshot"),
        P::integer("snapshot.pool", 64, 1, 1000000, "frozen players kept per side (the oldest are replaced)"),
        P::integer("probe.attackers", 4, 1, 100000, "exploitability probe: fresh attackers, one after another"),
        P::integer("probe.rounds", 16, 1, 100000, "exploitability probe: rounds of each fresh attacker's search"),
        P::integer("probe.queries", 32, 1, 100000, "exploitability probe: queries per round"),
        P::real("probe.novelty", 0.0, 0.0, 100.0,
                "exploitability probe: fitness bonus per unit of critic uncertainty (0: it hunts judged failures "
                "alone, so it measures the learner's weakness, not the critic's doubt)"),
        P::integer("critic.hidden", 64, 4, 4096, "critic reward-model hidden width"),
        P::integer("critic.ensemble", 3, 1, 32, "critic ensemble members (their disagreement is its uncertainty)"),
        P::real("critic.lr", 3e-3, 1e-6, 1.0, "critic Adam learning rate"),
        P::real("critic.prior_scale", 1.0, 0.0, 100.0, "weight of each ensemble member's fixed random prior"),
        P::integer("critic.updates", 20, 0, 10000, "critic minibatch steps per tick"),
        P::integer("critic.minibatch", 64, 1, 100000, "critic minibatch size"),
        P::integer("critic.labels_per_tick", 32, 0, 100000, "label requests the critic sends each tick"),
        P::real("critic.explore", 0.25, 0.0, 1.0, "share of label requests drawn at random instead of by uncertainty"),
        P::real("critic.verify", 1.0, 0.0, 100.0, "label priority for checking the critic's own judged failures"),
        P::text("critic.label_mode", "pointwise", {"pointwise", "pairwise", "mixed"}, "kind of labels asked for"),
        P::integer("expert.count", 4, 1, 100000, "simulated human experts"),
        P::real("expert.capability", 0.6, 0.0, 1.0, "difficulty up to which experts judge reliably"),
        P::real("expert.noise", 0.05, 0.0, 0.5, "expert error rate within capability"),
        P::real("expert.slope", 1.5, 0.0, 100.0, "extra error per unit of difficulty beyond capability"),
        P::real("expert.leniency", 0.0, 0.0, 1.0, "bias: P(a failing dimension is reported acceptable)"),
        P::integer("expert.latency", 2, 0, 100000, "ticks before a label arrives"),
        P::integer("expert.budget", 300, 0, 1000000000, "labels each expert gives in the whole run"),
    },
    {
        {"true_failure_rate", "failure rate on held-out natural queries under the hidden truth: league = mean over "
                              "learners, best = the best-rated learner"},
        {"adv_failure_rate_true", "the same on held-out queries from the adversarial pockets"},
        {"estimated_failure_rate", "the league's failure rate on held-out natural queries as the critic judges it"},
        {"alignment_gap", "estimated minus true failure rate (negative: the critic thinks the league safer than it is)"},
        {"exploitability", "share of a fresh attacker's queries (second half of its budget) that a frozen copy of the "
                           "best-rated learner truly fails"},
        {"exploitability_judged", "the same as the critic judges it"},
        {"rating_spread", "standard deviation of the active players' Elo ratings (league: learners, attacker: attackers)"},
        {"attack_pocket_share", "share of this tick's match queries inside an adversarial pocket (hidden truth)"},
        {"probe_pocket_share", "share of the exploitability probe's scored queries inside an adversarial pocket"},
        {"critic_agreement_adv", "share of held-out adversarial (query, option) pairs where the critic agrees with the truth"},
        {"best_rating", "the best-rated active learner's Elo rating"},
        {"chosen_win_prob", "learners' expected score (Elo) against the opponents they drew this tick: lower means "
                            "harder opponents (PFSP's aim)"},
        {"attack_success_judged", "share of this tick's match queries the critic judged failed"},
        {"attack_success_true", "share of this tick's match queries the learner side truly failed"},
        {"chosen_success_judged", "the same as attack_success_judged, in the matches the learners drew themselves"},
        {"chosen_success_true", "the same as attack_success_true, in the matches the learners drew themselves"},
        {"frozen_match_share", "share of this tick's matches with a frozen player on one side"},
        {"frozen_players", "frozen snapshots in the pool, both sides"},
        {"labels_spent", "expert labels spent so far"},
    },
    run_league,
    // Small enough for the test over every registered scenario.
    {"ticks=8", "learner.count=16", "attacker.count=16", "eval.every=4", "eval.queries=64",
     "eval.adversarial_queries=32", "snapshot.every=3", "snapshot.count=2", "snapshot.pool=4", "probe.rounds=4",
     "probe.queries=16", "critic.updates=5"}}};

}  // namespace

}  // namespace oversight
