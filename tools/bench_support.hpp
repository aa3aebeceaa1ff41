// What `oversight bench` (bench.cpp, in the executable) and its training figures
// (bench_torch.cpp, in the libtorch module) share. The module calls these functions in
// the executable.
#pragma once

#include <caf/all.hpp>

#include <functional>
#include <string>
#include <vector>

namespace oversight::bench {

struct figure {
  std::string name;
  double value;
  std::string note;
};

/// The module's figures: bench.cpp finds them with torch_module_symbol() under these
/// names, of type `figures_fn`, and appends what they measure to `out`.
using figures_fn = void(bool quick, std::vector<figure>& out);
inline constexpr const char* train_figures_symbol = "oversight_bench_train_figures";
inline constexpr const char* league_figures_symbol = "oversight_bench_league_figures";

/// An actor system config with the protocol registered and `threads` scheduler threads.
caf::actor_system_config make_config(int threads);

/// Drives `n` sequential request/reply round trips from a bare event-based actor and
/// returns round trips per second. `send(self, done)` issues one request.
double round_trips_per_s(caf::actor_system& sys, int n,
                         std::function<void(caf::event_based_actor*, std::function<void()>)> send);

/// The best (largest) of `reps` measurements: on a shared machine noise only ever slows a run.
double best_of(int reps, const std::function<double()>& f);

}  // namespace oversight::bench
