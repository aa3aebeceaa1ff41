// red_team's parameters: every key `oversight list red_team` shows, declared and read
// by one list (runtime/param_fields.hpp). The program reads them once, with
// read_params<red_team_params>(params); nothing else in the scenario names a key.
#pragma once

#include <cstdint>
#include <string>

#include "actors/attacker/attacker.hpp"
#include "actors/critic/critic.hpp"
#include "actors/expert/expert.hpp"
#include "policies/nets.hpp"
#include "runtime/param_fields.hpp"
#include "scenarios/worlds/value_world.hpp"

namespace oversight {

struct red_team_params {
  int64_t ticks = 0;
  bool free_running = false;
  value_world_config world;
  size_t traffic_per_tick = 0;
  size_t eval_queries = 0, eval_adversarial_queries = 0;
  policy_config learner;
  critic_settings critic;
  expert_settings expert;
  int expert_count = 0;
  attacker_settings attacker;
  int attacker_count = 0;
  double known_jailbreaks = 0, jailbreak_drift = 0;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 60, 1, 1000000, "ticks of simulated time");
    f.boolean("free_running", free_running, false,
              "do not wait for training steps at tick boundaries: faster, reproducible in distribution only");
    oversight::fields(f, world);  // world.*: the shared value_world group
    f.integer("traffic.queries_per_tick", traffic_per_tick, 128, 0, 1000000, "natural user queries each tick");
    f.integer("eval.queries", eval_queries, 512, 1, 1000000, "held-out natural queries for the evaluation");
    f.integer("eval.adversarial_queries", eval_adversarial_queries, 256, 0, 1000000,
              "held-out queries from the adversarial pockets");

    f.integer("learner.hidden", learner.hidden, 64, 4, 4096, "learner policy hidden width");
    f.real("learner.lr", learner.lr, 3e-3, 1e-6, 1.0, "learner Adam learning rate");
    f.real("learner.entropy", learner.entropy, 0.01, 0.0, 1.0, "learner entropy bonus");
    f.integer("learner.epochs", learner.epochs, 2, 1, 100, "learner passes over each tick's batch");

    oversight::fields(f, critic, critic_settings{});  // critic.*: the shared critic group

    f.integer("expert.count", expert_count, 2, 1, 100000, "simulated human experts");
    oversight::fields(f, expert, [] {  // expert.*: the shared expert group, with a larger budget
      expert_settings d;
      d.budget = 400;
      return d;
    }());

    auto& a = attacker.attack;
    f.choice("attacker.strategy", a.strategy, attack_kind::evolutionary,
             {{"none", attack_kind::none}, {"random", attack_kind::random}, {"evolutionary", attack_kind::evolutionary}, {"bandit", attack_kind::bandit}},
           "attack strategy; none switches the attackers off");
    f.integer("attacker.count", attacker_count, 2, 0, 100000, "attackers");
    f.integer("attacker.queries_per_tick", attacker.queries_per_tick, 32, 0, 100000,
              "queries each attacker proposes each tick");
    f.integer("attacker.population", a.population, 64, 1, 100000, "evolutionary: survivors kept");
    f.real("attacker.mutation", a.mutation, 0.1, 0.0, 10.0, "sd of the Gaussian mutation");
    f.real("attacker.restart", a.restart, 0.5, 0.0, 1.0, "evolutionary: share of children drawn fresh");
    f.real("attacker.niche_radius", a.niche_radius, 0.0, 0.0, 100.0,
           "evolutionary: a child replaces a survivor this close only by beating it (0: no niches)");
    f.real("attacker.known_jailbreaks", known_jailbreaks, 0.1, 0.0, 1.0,
           "share of last year's jailbreaks in the attackers' seed corpus (the rest: topic traffic)");
    f.real("attacker.jailbreak_drift", jailbreak_drift, 1.0, 0.5, 100.0,
           "how far each pocket has moved since last year's jailbreaks were collected (query-space units; "
           "at 1, 13-15% of them land where 95% of held-out adversarial queries lie)");
    f.real("attacker.novelty", attacker.novelty, 1.0, 0.0, 100.0, "fitness bonus per unit of critic uncertainty");
  }
};

}  // namespace oversight
