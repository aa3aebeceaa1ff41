#include "scenarios/sandwiching/assistant.hpp"

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
assistant_actor::behavior_type assistant(assistant_actor::pointer, std::shared_ptr<const quiz_world> w, uint64_t seed) {
  return {
      [=](quiz_ask_atom, const std::vector<int64_t>& qs, int32_t attempt) {
        answer_batch out;
        for (auto q : qs) {
          const auto r = model_answer(*w, q, attempt, seed);
          out.answer.push_back(r.answer);
          out.confidence.push_back(r.confidence);
        }
        return out;
      },
      [=](quiz_argue_atom, const std::vector<int64_t>& qs, const std::vector<int32_t>& options) {
        argument_batch out;
        for (size_t i = 0; i < qs.size() && i < options.size(); ++i)
          out.fact_holds.push_back(w->argument_fact_holds(qs[i], options[i], seed) ? 1 : 0);
        return out;
      },
      stateless_save_handler(),  // keyed randomness: every draw is a function of (seed, question)
      stateless_restore_handler("assistant"),
  };
}
}  // namespace

assistant_actor spawn_assistant(caf::actor_system& sys, std::shared_ptr<const quiz_world> world, uint64_t seed) {
  return sys.spawn(assistant, std::move(world), seed);
}

}  // namespace oversight
