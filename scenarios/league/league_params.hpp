// league: every parameter of the scenario, declared and read by one field list, and the
// combinations of them a run refuses.
#pragma once

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "actors/attacker/attacker.hpp"
#include "actors/critic/critic.hpp"
#include "actors/expert/expert.hpp"
#include "policies/nets.hpp"
#include "base/error.hpp"
#include "runtime/param_fields.hpp"
#include "scenarios/worlds/value_world.hpp"

namespace oversight {

/// How a player draws its opponent from the other side's pool.
enum class league_matching { pfsp, uniform };

struct league_params {
  int64_t ticks = 0;
  value_world_config world;
  size_t queries_per_learner = 0;
  int64_t eval_every = 1;
  size_t eval_queries = 0, eval_adversarial_queries = 0;
  size_t learners = 0;
  policy_config learner;  ///< dim and options come from the world
  size_t attackers = 0;
  attacker_settings attack;  ///< attack.dim comes from the world
  league_matching matching = league_matching::pfsp;
  double pfsp_power = 2;
  size_t matches = 1;
  bool learners_play_past = true;
  double elo_k = 16;
  int64_t snapshot_every = 0;
  size_t snapshot_count = 0, pool = 0;
  int64_t probe_attackers = 0, probe_rounds = 0;
  int probe_queries = 0;
  double probe_novelty = 0;
  critic_settings critic;  ///< critic.model's dim and options come from the world
  int64_t experts = 0;
  expert_settings expert;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 40, 1, 1000000, "ticks of simulated time");
    oversight::fields(f, world);
    f.integer("traffic.queries_per_learner", queries_per_learner, 16, 0, 1000000,
              "natural user queries each learner answers each tick");
    f.integer("eval.every", eval_every, 10, 1, 1000000, "ticks between evaluations (and always the last tick)");
    f.integer("eval.queries", eval_queries, 128, 1, 1000000, "held-out natural queries for the evaluation");
    f.integer("eval.adversarial_queries", eval_adversarial_queries, 64, 0, 1000000,
              "held-out queries from the adversarial pockets");
    f.integer("learner.count", learners, 128, 1, 1000000, "learners (trained members of the population)");
    f.integer("learner.hidden", learner.hidden, 32, 4, 4096, "learner policy hidden width");
    f.real("learner.lr", learner.lr, 3e-3, 1e-6, 1.0, "learner Adam learning rate");
    f.real("learner.entropy", learner.entropy, 0.01, 0.0, 1.0, "learner entropy bonus");
    f.integer("learner.epochs", learner.epochs, 2, 1, 100, "learner passes over each tick's batch");
    f.choice("attacker.strategy", attack.attack.strategy, attack_kind::evolutionary,
             {{"none", attack_kind::none}, {"random", attack_kind::random}, {"evolutionary", attack_kind::evolutionary}, {"bandit", attack_kind::bandit}},
           "attack strategy of the league's attackers and of the exploitability probe");
    f.integer("attacker.count", attackers, 128, 0, 1000000, "attackers");
    f.integer("attacker.queries_per_tick", attack.queries_per_tick, 16, 0, 100000,
              "queries each attacker proposes each tick");
    f.integer("attacker.population", attack.attack.population, 32, 1, 100000, "evolutionary: survivors kept");
    f.real("attacker.mutation", attack.attack.mutation, 0.1, 0.0, 10.0, "sd of the Gaussian mutation");
    f.real("attacker.restart", attack.attack.restart, 0.5, 0.0, 1.0, "evolutionary: share of children drawn fresh");
    f.real("attacker.novelty", attack.novelty, 1.0, 0.0, 100.0, "fitness bonus per unit of critic uncertainty");
    f.choice("league.matching", matching, league_matching::pfsp,
             {{"pfsp", league_matching::pfsp}, {"uniform", league_matching::uniform}},
             "how a player draws its opponent from the other side's pool: prioritized fictitious self-play "
             "(opponents it is expected to beat least, more often) or uniformly");
    f.real("league.pfsp_power", pfsp_power, 2.0, 0.0, 16.0,
           "PFSP weight (1 - P[chooser wins])^power (AlphaStar's f_hard)");
    f.integer("league.matches", matches, 1, 1, 1000, "matches each active player starts each tick");
    f.boolean("league.learners_play_past", learners_play_past, true,
              "learners draw their opponents from the frozen attackers once there are any (AlphaStar's main "
              "agents); false: from the current and frozen attackers together");
    f.real("league.elo_k", elo_k, 16.0, 0.0, 1000.0, "Elo K-factor (rating points per unit of surprise)");
    f.integer("snapshot.every", snapshot_every, 5, 0, 1000000,
              "ticks between snapshots into the frozen pool (0: never)");
    f.integer("snapshot.count", snapshot_count, 8, 1, 1000000,
              "best-rated players of each side frozen at each snapshot");
    f.integer("snapshot.pool", pool, 64, 1, 1000000, "frozen players kept per side (the oldest are replaced)");
    f.integer("probe.attackers", probe_attackers, 4, 1, 100000,
              "exploitability probe: fresh attackers, one after another");
    f.integer("probe.rounds", probe_rounds, 16, 1, 100000,
              "exploitability probe: rounds of each fresh attacker's search");
    f.integer("probe.queries", probe_queries, 32, 1, 100000, "exploitability probe: queries per round");
    f.real("probe.novelty", probe_novelty, 0.0, 0.0, 100.0,
           "exploitability probe: fitness bonus per unit of critic uncertainty (0: it hunts judged failures "
           "alone, so it measures the learner's weakness, not the critic's doubt)");
    oversight::fields(f, critic, [] {  // critic.*: the shared critic group, asking twice as many labels
      critic_settings d;
      d.labels_per_tick = 32;
      return d;
    }());
    f.integer("expert.count", experts, 4, 1, 100000, "simulated human experts");
    oversight::fields(f, expert, [] {  // expert.*: the shared expert group
      expert_settings d;
      d.budget = 300;
      return d;
    }());
  }

  /// Combinations the ranges alone cannot rule out. Throws user_error.
  void validate() const {
    if (snapshot_every > 0 && snapshot_count > pool) {
      std::ostringstream os;
      os << "snapshot.count = " << snapshot_count << " is more than snapshot.pool = " << pool
         << ": each snapshot would replace part of itself; raise the pool or lower the count";
      throw user_error(os.str());
    }
    if (snapshot_every > 0 && snapshot_count > std::min(learners, attackers)) {
      std::ostringstream os;
      os << "snapshot.count = " << snapshot_count << " is more than learner.count = " << learners
         << " or attacker.count = " << attackers << " (the best-rated of each side are frozen)";
      throw user_error(os.str());
    }
  }
};

}  // namespace oversight
