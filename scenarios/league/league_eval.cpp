// league: (G), the end of a tick: snapshots of the best-rated players into the frozen
// pool, the evaluation under the hidden truth every `eval.every` ticks, and the
// exploitability probe against a frozen copy of the best-rated learner.
#include <algorithm>
#include <numeric>

#include "scenarios/league/league_program.hpp"

namespace oversight {

size_t league_program::best_learner() const {
  return size_t(std::max_element(learner_rating_.begin(), learner_rating_.begin() + std::ptrdiff_t(n_)) -
                learner_rating_.begin());
}

/// Indices of the `count` best-rated among the first `n` (ties: lower index first).
std::vector<size_t> league_program::top(const std::vector<double>& rating, size_t n, size_t count) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rating[a] > rating[b]; });
  order.resize(std::min(count, n));
  return order;
}

void league_program::snapshot(tick_handle tick, const league_tick_rows& tr, const std::vector<query_batch>& proposed,
                              const judgment_batch& j) {
  const int64_t t = tick.t();
  if (p_.snapshot_every <= 0 || (t + 1) % p_.snapshot_every != 0 || t + 1 >= ticks()) return evaluate(tick);
  // Attackers: the half of each chosen attacker's batch the critic judged most
  // successful this tick (averaged over its matches): what it had found, frozen.
  std::vector<std::vector<double>> fail(m_);  // per attacker, per query: summed over its matches
  for (size_t a = 0; a < m_; ++a) fail[a].assign(proposed[a].rows(), 0.0);
  for (const auto& mt : tr.matches) {
    if (size_t(mt.attacker) >= m_) continue;
    for (size_t i = mt.begin; i < mt.end; ++i) fail[size_t(mt.attacker)][i - mt.begin] += 1.0 - j.p_ok[i];
  }
  for (size_t a : top(attacker_rating_, m_, p_.snapshot_count)) {
    const auto& q = proposed[a];
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
  for (size_t l : top(learner_rating_, n_, p_.snapshot_count)) {
    const size_t slot = learner_snapshots_++ % pool_;
    from.push_back(int32_t(l));
    to.push_back(int32_t(n_ + slot));
    learner_rating_[n_ + slot] = learner_rating_[l];
  }
  tick.ask<ack_atom>(population_, freeze_atom::value, std::move(from), std::move(to));
  tick.then([=, this] { evaluate(tick); });
}

void league_program::evaluate(tick_handle tick) {
  const int64_t t = tick.t();
  tick.record("experts", "labels_spent", double(labels_spent_));
  tick.record("league", "frozen_players",
              double(std::min(learner_snapshots_, pool_) + std::min(attacker_snapshots_, pool_)));
  if ((t + 1) % p_.eval_every != 0 && t + 1 != ticks()) return tick.finish();
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
  auto answers = tick.ask<response_batch>(population_, act_atom::value, std::move(q), std::move(who), true);
  tick.then([=, this]() {
    const response_batch& r = *answers;
    const size_t k = size_t(k_), best = best_learner();
    double nat = 0, adv = 0, best_nat = 0, best_adv = 0;
    query_batch judged;  // natural answers, for the critic's estimate
    judged.dim = dim_;
    response_batch judged_r;
    judged_r.options = k_;
    for (size_t l = 0; l < n_; ++l) {
      double fn = 0, fa = 0;
      for (size_t i = 0; i < en; ++i) fn += eval_ok_[i * k + size_t(r.action[l * (en + ea) + i])] ? 0 : 1;
      for (size_t i = 0; i < ea; ++i) fa += eval_adv_ok_[i * k + size_t(r.action[l * (en + ea) + en + i])] ? 0 : 1;
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
    tick.record("league", "true_failure_rate", nat);
    tick.record("league", "adv_failure_rate_true", adv);
    tick.record("best", "true_failure_rate", best_nat);
    tick.record("best", "adv_failure_rate_true", best_adv);
    auto judgment = tick.ask<judgment_batch>(critic_, judge_atom::value, std::move(judged), std::move(judged_r),
                                             std::vector<int32_t>{});
    tick.then([=, this] {
      const judgment_batch& j = *judgment;
      const size_t natural = n_ * en;
      double est = 0, agree = 0;
      for (size_t i = 0; i < natural; ++i) est += j.p_ok[i] < 0.5f ? 1 : 0;
      est /= double(std::max<size_t>(natural, 1));
      for (size_t i = 0; i < ea; ++i)
        for (size_t a = 0; a < k; ++a)
          agree += (j.score[(natural + i) * k + a] >= 0.5f) == bool(eval_adv_ok_[i * k + a]) ? 1 : 0;
      if (ea > 0) tick.record("critic", "critic_agreement_adv", agree / double(ea * k));
      tick.record("critic", "estimated_failure_rate", est);
      tick.record("critic", "alignment_gap", est - nat);
      probe(tick, best);
    });
  });
}

/// Exploitability of the best-rated learner: `probe.attackers` fresh attackers (no
/// history, the league attackers' strategy and seed corpus, each its own stream,
/// guided by the critic like them) get probe.rounds rounds of probe.queries queries
/// each against a frozen copy of it, one after another. The figure is the share of
/// their queries in the second half of the rounds (each has had half its budget to
/// adapt) that the copy truly fails; judged: the same as the critic sees it. Several
/// attackers, because whether one search stumbles on a pocket is a lottery.
void league_program::probe(tick_handle tick, size_t best) {
  const int32_t slot = int32_t(n_ + pool_);
  tick.ask<ack_atom>(population_, freeze_atom::value, std::vector<int32_t>{int32_t(best)},
                     std::vector<int32_t>{slot});
  auto tally = std::make_shared<std::array<double, 4>>();
  tick.then([=, this] { probe_attacker(tick, slot, 0, tally); });
}

void league_program::probe_attacker(tick_handle tick, int32_t slot, int64_t i, probe_tally tally) {
  if (i == p_.probe_attackers) {
    const double n = std::max(1.0, (*tally)[2]);
    tick.record("best", "exploitability", (*tally)[0] / n);
    tick.record("best", "exploitability_judged", (*tally)[1] / n);
    tick.record("best", "probe_pocket_share", (*tally)[3] / n);
    return tick.finish();
  }
  attacker_settings ps = p_.attack;
  ps.queries_per_tick = p_.probe_queries;
  ps.novelty = p_.probe_novelty;
  // Not kept: each prober lives for its own search only.
  auto prober =
      spawn_attacker(sys_, ps, seeds_, seed_, "probe-" + std::to_string(tick.t()) + "-" + std::to_string(i));
  probe_round(tick, prober, slot, i, 0, tally);
}

/// One round of prober i's search: it proposes, the frozen copy answers greedily, the
/// critic judges, the prober hears the judgment. The second half of the rounds counts.
void league_program::probe_round(tick_handle tick, attacker_actor prober, int32_t slot, int64_t i, int64_t round,
                                 probe_tally tally) {
  if (round == p_.probe_rounds) {
    caf::anon_send_exit(prober, caf::exit_reason::user_shutdown);
    return probe_attacker(tick, slot, i + 1, tally);
  }
  auto q = tick.ask<query_batch>(prober, propose_atom::value, round);
  tick.then([=, this]() {
    std::vector<int32_t> who(q->rows(), slot);
    auto resp = tick.ask<response_batch>(population_, act_atom::value, *q, std::move(who), true);
    tick.then([=, this]() {
      auto j = tick.ask<judgment_batch>(critic_, judge_atom::value, *q, *resp, std::vector<int32_t>{});
      tick.then([=, this]() {
        if (2 * round >= p_.probe_rounds)
          for (size_t r = 0; r < q->rows(); ++r) {
            const float* x = q->x.data() + r * size_t(dim_);
            (*tally)[0] += world_->evaluate(x, resp->action[r]).acceptable() ? 0 : 1;
            (*tally)[1] += j->p_ok[r] < 0.5f ? 1 : 0;
            (*tally)[2] += 1;
            (*tally)[3] += world_->pocket(x) >= 0.5 ? 1 : 0;
          }
        tick.ask<ack_atom>(prober, feedback_atom::value, *q, std::move(*j));
        tick.then([=, this] { probe_round(tick, prober, slot, i, round + 1, tally); });
      });
    });
  });
}

}  // namespace oversight
