// league: the program's set-up and the tick from (A) to (F): labels reach the critic,
// attackers propose, matchmaking, the population answers, the critic judges, Elo
// ratings, and in parallel the attackers' feedback, the learners' step and the next
// label requests. (G) is in league_eval.cpp.
#include "scenarios/league/league_program.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <tuple>

#include "policies/league.hpp"

namespace oversight {

league_program::league_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
    : p_(read_params<league_params>(params)), seed_(seed), sys_(sys) {
  p_.validate();
  world_ = std::make_shared<value_world>(p_.world, seed);
  dim_ = p_.world.dim;
  k_ = world_->options();
  n_ = p_.learners;
  m_ = p_.attackers;
  pool_ = p_.pool;

  rng eval_stream(seed, "evaluation");
  eval_.dim = eval_adv_.dim = dim_;
  eval_.x = world_->sample_natural(eval_stream, p_.eval_queries);
  eval_adv_.x = world_->sample_pockets(eval_stream, p_.eval_adversarial_queries);
  eval_ok_ = truth_table(eval_);
  eval_adv_ok_ = truth_table(eval_adv_);
  traffic_ = rng(seed, "traffic");
  matchmaking_ = rng(seed, "matchmaking");

  p_.learner.dim = dim_;
  p_.learner.options = k_;
  // Slots: n_ trained, pool_ frozen snapshots, one frozen copy for the probe.
  // Every role may run on another node (`oversight run --nodes`); the population's
  // batched trainer prefers a node with a GPU.
  population_ = place(
      "learner", [&] { return spawn_population(sys, p_.learner, n_, pool_ + 1, seed, "learner"); },
      placement_hint::accelerator);

  p_.critic.model.dim = dim_;
  p_.critic.model.options = k_;
  critic_ = place("critic", [&] { return spawn_critic(sys, p_.critic, seed, "critic"); });
  for (int i = 0; i < p_.experts; ++i)
    experts_.push_back(
        place("expert-" + std::to_string(i), [&] { return spawn_expert(sys, p_.expert, i, world_, seed); }));

  p_.attack.attack.dim = dim_;
  // The attackers' seed corpus is natural user traffic: what anyone can collect. It
  // holds the pockets only at their natural share, unlabeled; finding and exploiting
  // them is the search's job.
  auto w = world_;
  seeds_ = [w](rng& r, float* out) { w->sample_natural(r, out); };
  for (size_t i = 0; i < m_; ++i)
    attackers_.push_back(place("attacker-" + std::to_string(i), [&] {
      return spawn_attacker(sys, p_.attack, seeds_, seed, "attacker-" + std::to_string(i));
    }));

  learner_rating_.assign(n_ + pool_, 1000.0);
  attacker_rating_.assign(m_ + pool_, 1000.0);
  archive_.resize(pool_);
}

void league_program::run_tick(tick_handle tick) {
  // (A) labels whose latency ends at t reach the critic first.
  auto due = tick.gather<label_batch>(experts_, deliver_atom::value, tick.t());
  tick.then([=, this]() {
    label_batch merged;  // in expert order, each expert's in asking order
    for (auto& b : *due) std::move(b.labels.begin(), b.labels.end(), std::back_inserter(merged.labels));
    if (!merged.labels.empty()) tick.ask<ack_atom>(critic_, learn_atom::value, std::move(merged));
    tick.then([=, this] { propose(tick); });
  });
}

// ---- (B) to (D): proposals, matchmaking, answers ----------------------------------------
void league_program::propose(tick_handle tick) {
  auto proposed = tick.gather<query_batch>(attackers_, propose_atom::value, tick.t());
  tick.then([=, this]() {
    auto rows = std::make_shared<league_tick_rows>(make_rows(*proposed));
    auto resp = tick.ask<response_batch>(population_, act_atom::value, rows->all, rows->who, false);
    tick.then([=, this] { judge(tick, rows, proposed, resp); });
  });
}

/// The frozen players of one side that exist so far (slot indices).
std::vector<size_t> league_program::frozen_slots(size_t filled) const {
  std::vector<size_t> s(std::min(filled, pool_));
  std::iota(s.begin(), s.end(), size_t(0));
  return s;
}

/// An opponent for a player rated `r` from a pool with ratings `pool_ratings`: PFSP
/// (opponents the chooser is expected to beat least, more often) or uniform.
size_t league_program::pick(double r, const std::vector<double>& pool_ratings) {
  std::vector<double> w(pool_ratings.size());
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = p_.matching == league_matching::uniform ? 1.0
                                                   : pfsp_weight(elo_expected(r, pool_ratings[i]), p_.pfsp_power);
  return draw_weighted(w, matchmaking_);
}

league_tick_rows league_program::make_rows(const std::vector<query_batch>& batches) {
  league_tick_rows tr;
  tr.all.dim = dim_;
  const size_t per = p_.queries_per_learner;
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
  if (attacker_frozen.empty() || !p_.learners_play_past)
    for (size_t a = 0; a < m_; ++a) attacker_pool.push_back(int32_t(a));
  for (size_t s : attacker_frozen) attacker_pool.push_back(int32_t(m_ + s));
  for (int32_t a : attacker_pool) attacker_pool_r.push_back(attacker_rating_[size_t(a)]);

  std::vector<std::tuple<int32_t, int32_t, bool>> pairs;  // (attacker side, learner side, learner chose)
  for (size_t a = 0; a < m_; ++a)  // attackers choose among learners
    for (size_t g = 0; g < p_.matches; ++g)
      pairs.emplace_back(int32_t(a), learner_pool[pick(attacker_rating_[a], learner_pool_r)], false);
  // How hard the learners' chosen opponents are: the mean of Elo's P[learner wins].
  double win = 0, chosen = 0;
  if (!attacker_pool.empty())
    for (size_t l = 0; l < n_; ++l)  // learners choose among attackers
      for (size_t g = 0; g < p_.matches; ++g) {
        const size_t o = pick(learner_rating_[l], attacker_pool_r);
        pairs.emplace_back(attacker_pool[o], int32_t(l), true);
        win += elo_expected(learner_rating_[l], attacker_pool_r[o]);
        chosen += 1;
      }
  tr.chosen_win_prob = chosen > 0 ? win / chosen : std::nan("");

  for (auto [a, l, chose] : pairs) {
    const auto& q = size_t(a) < m_ ? batches[size_t(a)].x : archive_[size_t(a) - m_];
    league_match mt{a, l, tr.all.rows(), 0, chose};
    tr.all.x.insert(tr.all.x.end(), q.begin(), q.end());
    mt.end = tr.all.rows();
    tr.who.insert(tr.who.end(), mt.end - mt.begin, l);
    if (mt.end > mt.begin) tr.matches.push_back(mt);
  }
  return tr;
}

// ---- (E) and (F): judging, ratings, feedback, training, labels ---------------------------
void league_program::judge(tick_handle tick, std::shared_ptr<league_tick_rows> tr, proposals proposed,
                           reply<response_batch> resp) {
  std::vector<int32_t> pools(tr->all.rows(), 1);  // label pools: natural traffic 0, matches 1
  std::fill(pools.begin(), pools.begin() + std::ptrdiff_t(tr->natural_rows), 0);
  auto j = tick.ask<judgment_batch>(critic_, judge_atom::value, tr->all, *resp, std::move(pools));
  tick.then([=, this]() {
    rate_matches(tick, *tr, *resp, *j);
    feed_attackers(tick, *tr, *proposed, *j);
    train_learners(tick, *tr, *j);
    ask_labels(tick);
    tick.then([=, this] { snapshot(tick, *tr, *proposed, *j); });
  });
}

/// Elo from each match's judged outcome, and this tick's attack figures.
void league_program::rate_matches(const tick_handle& tick, const league_tick_rows& tr, const response_batch& r,
                                  const judgment_batch& j) {
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
    const double d =
        elo_delta(learner_rating_[size_t(mt.learner)], attacker_rating_[size_t(mt.attacker)], ok / n, p_.elo_k);
    dl[size_t(mt.learner)] += d;
    da[size_t(mt.attacker)] -= d;
  }
  for (size_t i = 0; i < dl.size(); ++i) learner_rating_[i] += dl[i];
  for (size_t i = 0; i < da.size(); ++i) attacker_rating_[i] += da[i];
  const double active_mean =
      std::accumulate(learner_rating_.begin(), learner_rating_.begin() + std::ptrdiff_t(n_), 0.0) / double(n_);
  double var = 0;
  for (size_t l = 0; l < n_; ++l) var += (learner_rating_[l] - active_mean) * (learner_rating_[l] - active_mean);
  tick.record("league", "rating_spread", std::sqrt(var / double(n_)));
  if (!std::isnan(tr.chosen_win_prob)) tick.record("league", "chosen_win_prob", tr.chosen_win_prob);
  if (m_ > 0) {
    const double am =
        std::accumulate(attacker_rating_.begin(), attacker_rating_.begin() + std::ptrdiff_t(m_), 0.0) / double(m_);
    double av = 0;
    for (size_t a = 0; a < m_; ++a) av += (attacker_rating_[a] - am) * (attacker_rating_[a] - am);
    tick.record("attacker", "rating_spread", std::sqrt(av / double(m_)));
  }
  tick.record("league", "best_rating", learner_rating_[best_learner()]);
  if (match_rows > 0) {
    tick.record("attacker", "attack_success_judged", judged_fail / match_rows);
    tick.record("attacker", "attack_success_true", true_fail / match_rows);
    tick.record("league", "frozen_match_share", vs_frozen / double(tr.matches.size()));
    tick.record("attacker", "attack_pocket_share", in_pocket / match_rows);
    if (chosen_rows > 0) {
      tick.record("attacker", "chosen_success_judged", chosen_judged / chosen_rows);
      tick.record("attacker", "chosen_success_true", chosen_true / chosen_rows);
    }
  }
}

/// Each active attacker hears how its own queries fared, averaged over the learners
/// that answered them this tick (its own match and any learner that chose it).
void league_program::feed_attackers(const tick_handle& tick, const league_tick_rows& tr,
                                    const std::vector<query_batch>& proposed, const judgment_batch& j) {
  if (m_ == 0) return;
  const size_t k = size_t(k_);
  std::vector<judgment_batch> fb(m_);
  std::vector<size_t> heard(m_, 0);
  for (size_t a = 0; a < m_; ++a) {
    const size_t q = proposed[a].rows();
    fb[a].options = int32_t(k);
    fb[a].p_ok.assign(q, 0.f);
    fb[a].uncertainty.assign(q, 0.f);
    fb[a].score.assign(q * k, 0.f);
    fb[a].fail_dim.assign(q, value_dim::helpful);
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
  for (size_t a = 0; a < m_; ++a) {
    const float n = float(std::max<size_t>(heard[a], 1));
    auto& f = fb[a];
    for (auto* v : {&f.p_ok, &f.uncertainty, &f.confidence, &f.score})
      for (auto& x : *v) x /= n;
    tick.ask<ack_atom>(attackers_[a], feedback_atom::value, proposed[a], std::move(f));
  }
}

/// One batched step for every active learner on its natural traffic and its matches.
void league_program::train_learners(const tick_handle& tick, const league_tick_rows& tr, const judgment_batch& j) {
  train_batch b;
  b.dim = dim_;
  b.width = k_;
  const size_t d = size_t(dim_), k = size_t(k_);
  for (size_t i = 0; i < tr.all.rows(); ++i) {
    if (size_t(tr.who[i]) >= n_) continue;  // a frozen snapshot answered: nobody learns
    b.x.insert(b.x.end(), tr.all.x.begin() + std::ptrdiff_t(i * d), tr.all.x.begin() + std::ptrdiff_t((i + 1) * d));
    b.a.push_back(tr.who[i]);
    b.target.insert(b.target.end(), j.score.begin() + std::ptrdiff_t(i * k),
                    j.score.begin() + std::ptrdiff_t((i + 1) * k));
  }
  tick.ask<ack_atom>(population_, learn_atom::value, std::move(b));
}

/// The critic names the items it wants labelled; they go to the experts round-robin.
void league_program::ask_labels(tick_handle tick) {
  auto reqs = tick.ask<std::vector<label_request>>(critic_, ask_atom::value, tick.t());
  reqs.then([=, this](std::vector<label_request>& rs) {
    std::vector<std::vector<label_request>> per(experts_.size());
    for (size_t i = 0; i < rs.size(); ++i) per[i % per.size()].push_back(std::move(rs[i]));
    auto accepted = tick.scatter<int32_t>(experts_, std::move(per), label_atom::value, tick.t());
    accepted.then([this](std::vector<int32_t>& a) {
      for (int32_t n : a) labels_spent_ += n;
    });
  });
}

std::vector<int8_t> league_program::truth_table(const query_batch& q) const {
  std::vector<int8_t> ok(q.rows() * size_t(k_));
  for (size_t i = 0; i < q.rows(); ++i)
    for (int a = 0; a < k_; ++a)
      ok[i * size_t(k_) + size_t(a)] = world_->evaluate(q.x.data() + i * size_t(q.dim), a).acceptable() ? 1 : 0;
  return ok;
}

}  // namespace oversight
