// What a scenario's run function gets: the actor system, its resolved spec, the
// recorder to send metric rows to, and a progress callback. The scenario wires its
// actors and hands a tick_program to drive() (actors/director), which returns when the
// run is over.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "runtime/placement.hpp"
#include "runtime/protocol.hpp"
#include "runtime/spec.hpp"

namespace oversight {

/// When a run saves checkpoints and where it starts: a new run at tick 0; a resumed one
/// at its checkpoint's tick, with the saved states (or at 0, recomputing, without one).
struct run_checkpoints {
  int64_t every = 0;                       ///< checkpoint.every: ticks between two; 0: never
  std::shared_ptr<const checkpoint_blob> restore;  ///< the checkpoint to start from; null: tick 0
};

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
  const run_checkpoints& checkpoints() const { return checkpoints_; }
  void set_checkpoints(run_checkpoints c) { checkpoints_ = std::move(c); }

  /// Where placed roles run (runtime/placement.hpp); null: everything in this process.
  placement* places() const { return placement_; }
  void set_placement(placement* p) { placement_ = p; }
  /// A node builds its share of a run's program but does not drive it: the scenario's
  /// factory hands the program to this callback instead (set by the node; empty: drive).
  /// `actors`: every actor the program spawned in this process (the node stops them).
  using host_fn = std::function<void(std::shared_ptr<void> program, std::vector<caf::actor> actors)>;
  bool hosting() const { return static_cast<bool>(host_); }
  void host(std::shared_ptr<void> program, std::vector<caf::actor> actors) const {
    host_(std::move(program), std::move(actors));
  }
  void set_host(host_fn f) { host_ = std::move(f); }

 private:
  caf::actor_system& sys_;
  const scenario_spec& spec_;
  recorder_actor recorder_;
  std::function<void(int64_t, int64_t)> progress_;
  run_checkpoints checkpoints_;
  placement* placement_ = nullptr;
  host_fn host_;
};

}  // namespace oversight
