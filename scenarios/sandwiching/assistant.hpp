// assistant: the unreliable strong model of the sandwiching scenario. It answers from
// its belief about each question (policies/sandwich.hpp), states a confidence that is
// not calibrated, and argues for whatever option it is asked to defend, citing only what
// it holds (quiz_world::argument_fact_holds): a fact it knows for the option it believes
// when its belief is knowledge, otherwise one that holds only by chance.
#pragma once

#include <memory>

#include "policies/sandwich.hpp"
#include "scenarios/sandwiching/messages.hpp"

namespace oversight {

assistant_actor spawn_assistant(caf::actor_system& sys, std::shared_ptr<const quiz_world> world, uint64_t seed);

}  // namespace oversight
