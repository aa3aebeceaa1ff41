// league: population self-play at scale on value_world, as in AlphaStar's league
// (Vinyals et al. 2019), with learners (policies answering queries) on one side and
// attackers (searches for queries the learners fail) on the other. Built like red_team
// (the commented reference); read that first.
//
// Players
//   learners   `learner.count` policies of one shape in one population actor
//              (population.hpp here): served and trained as one batched model
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
//
// This file holds the registration (parameters in league_params.hpp, the program in
// league_program.{hpp,cpp} and league_eval.cpp, the population role in population.*).
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/league/league_program.hpp"

namespace oversight {

namespace {

const registrar reg{scenario_info{
    .name = "league",
    .doc = "population self-play as a league: hundreds of learners (one batched model) and attackers matched by "
           "prioritized fictitious self-play on Elo ratings, frozen snapshots as opponents, critics taught by experts",
    .params = declare_params<league_params>(),
    .metrics = {
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
    .run = run_program<league_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"ticks=8", "learner.count=16", "attacker.count=16", "eval.every=4", "eval.queries=64",
              "eval.adversarial_queries=32", "snapshot.every=3", "snapshot.count=2", "snapshot.pool=4",
              "probe.rounds=4", "probe.queries=16", "critic.updates=5"},
    .check = [](const param_set& p) { read_params<league_params>(p).validate(); }}};

}  // namespace

}  // namespace oversight
