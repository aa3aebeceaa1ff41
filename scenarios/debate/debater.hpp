// debater: one side of a pixel debate (scenarios/debate). Holds its own copy of the
// frozen judge (its search evaluates leaves with it) and answers:
//   commit(positions, truth)    -> the label it argues for each image: the truth when
//                                  honest; the liar's most plausible lie otherwise (asked
//                                  of the liar under debate.protocol = one_lie only: under
//                                  all_lies the protocol plays every wrong label)
//   move(positions, plies_left) -> the pixel it reveals next in each game, by the
//                                  lookahead of policies/debate.hpp
// Every game of a request is searched in one batched pass. Several debater pairs play
// disjoint shards of the games in parallel.
#pragma once

#include <string>
#include <vector>

#include "policies/debate.hpp"
#include "scenarios/debate/messages.hpp"

namespace oversight {

struct debater_settings {
  bool honest = true;
  sparse_judge_config judge;          ///< the judge's shape
  std::vector<float> judge_params;    ///< its frozen weights
  debate_search_config search;
  int lie_probes = 16;                ///< liar: random masks used to rank the lies
};

debater_actor spawn_debater(caf::actor_system& sys, debater_settings s, uint64_t seed, const std::string& name);

}  // namespace oversight
