// What a scenario's run function gets: the actor system, its resolved spec, the
// recorder to send metric rows to, and a progress callback. The scenario wires its
// actors and hands a tick_program to drive() (actors/director), which returns when the
// run is over.
#pragma once

#include <functional>

#include "runtime/protocol.hpp"
#include "runtime/spec.hpp"

namespace oversight {

class run_context {
 public:
  run_context(caf::actor_system& sys, const scenario_spec& spec, recorder_actor recorder,
              std::function<void(int64_t tick, int64_t ticks)> progress)
      : sys_(sys), spec_(spec), recorder_(std::move(recorder)), progress_(std::move(progress)) {}

  caf::actor_system& system() { return sys_; }
  const scenario_spec& spec() const { return spec_; }
  const param_set& params() const { return spec_.params; }
  uint64_t seed() const { return spec_.seed; }
  const recorder_actor& recorder() const { return recorder_; }
  void progress(int64_t tick, int64_t ticks) const {
    if (progress_) progress_(tick, ticks);
  }

 private:
  caf::actor_system& sys_;
  const scenario_spec& spec_;
  recorder_actor recorder_;
  std::function<void(int64_t, int64_t)> progress_;
};

}  // namespace oversight
