// league: the tick program. league_program.cpp holds its set-up and the tick up to the
// parallel phase (A) to (F): labels, proposals, matchmaking, answers, judging, ratings,
// feedback and training; league_eval.cpp holds (G): snapshots, the evaluation under the
// hidden truth and the exploitability probe. The flow is described in league.cpp.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "actors/director/director.hpp"
#include "scenarios/league/league_params.hpp"
#include "scenarios/league/population.hpp"

namespace oversight {

/// One match: an attacker-side player's queries answered by a learner-side player.
/// Attacker side: 0..M-1 active, M + s frozen slot s. Learner side: 0..N-1 active,
/// N + s frozen slot s (the population's slot index).
struct league_match {
  int32_t attacker;
  int32_t learner;
  size_t begin, end;           // its rows in the tick's batch
  bool learner_chose = false;  // drawn by the learner (else by the attacker)
};

/// A tick's batch: natural traffic (each learner's own rows first), then the matches.
struct league_tick_rows {
  query_batch all;
  std::vector<int32_t> who;  // answering population slot per row
  size_t natural_rows = 0;
  std::vector<league_match> matches;
  double chosen_win_prob = 0;  // Elo's P[learner wins], mean over the learners' own draws
};

class league_program : public scenario_program {
 public:
  league_program(const param_set& params, uint64_t seed, caf::actor_system& sys);

  int64_t ticks() const override { return p_.ticks; }
  /// Checkpoints: the program's streams, ratings, frozen attackers' queries and counts;
  /// the roles save their own (population with its trainer, critic, experts, attackers).
  bool saves_state() const override { return true; }
  void state(state_io& io) override {
    io(traffic_, matchmaking_, learner_rating_, attacker_rating_, archive_, learner_snapshots_, attacker_snapshots_,
       labels_spent_);
  }
  void run_tick(tick_handle tick) override;

 private:
  using proposals = reply<std::vector<query_batch>>;

  // ---- (B) to (F), league_program.cpp ----
  void propose(tick_handle tick);
  std::vector<size_t> frozen_slots(size_t filled) const;
  size_t pick(double r, const std::vector<double>& pool_ratings);
  league_tick_rows make_rows(const std::vector<query_batch>& batches);
  void judge(tick_handle tick, std::shared_ptr<league_tick_rows> tr, proposals proposed, reply<response_batch> resp);
  void rate_matches(const tick_handle& tick, const league_tick_rows& tr, const response_batch& r,
                    const judgment_batch& j);
  void feed_attackers(const tick_handle& tick, const league_tick_rows& tr, const std::vector<query_batch>& proposed,
                      const judgment_batch& j);
  void train_learners(const tick_handle& tick, const league_tick_rows& tr, const judgment_batch& j);
  void ask_labels(tick_handle tick);
  std::vector<int8_t> truth_table(const query_batch& q) const;

  // ---- (G), league_eval.cpp ----
  size_t best_learner() const;
  static std::vector<size_t> top(const std::vector<double>& rating, size_t n, size_t count);
  void snapshot(tick_handle tick, const league_tick_rows& tr, const std::vector<query_batch>& proposed,
                const judgment_batch& j);
  void evaluate(tick_handle tick);
  void probe(tick_handle tick, size_t best);
  using probe_tally = std::shared_ptr<std::array<double, 4>>;  // true fails, judged fails, rows, in a pocket
  void probe_attacker(tick_handle tick, int32_t slot, int64_t i, probe_tally tally);
  void probe_round(tick_handle tick, attacker_actor prober, int32_t slot, int64_t i, int64_t round,
                   probe_tally tally);

  league_params p_;
  uint64_t seed_;
  caf::actor_system& sys_;
  std::shared_ptr<value_world> world_;
  int dim_ = 0, k_ = 0;
  size_t n_ = 0, m_ = 0, pool_ = 0;
  query_batch eval_, eval_adv_;
  std::vector<int8_t> eval_ok_, eval_adv_ok_;
  rng traffic_, matchmaking_;
  population_actor population_;
  critic_actor critic_;
  std::vector<expert_actor> experts_;
  seed_sampler seeds_;
  std::vector<attacker_actor> attackers_;
  std::vector<double> learner_rating_, attacker_rating_;  // active, then frozen slots
  std::vector<std::vector<float>> archive_;               // frozen attackers' queries
  size_t learner_snapshots_ = 0, attacker_snapshots_ = 0;  // ever taken (slot = count % pool)
  int64_t labels_spent_ = 0;
};

}  // namespace oversight
