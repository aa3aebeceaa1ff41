// `oversight bench`: each figure is measured against its own baseline in the same
// process, so a ratio holds on a noisy machine.
//   fabric_ratio          protocol round trips/s between role actors (director ->
//                         expert deliver, a typed request with a label_batch reply)
//                         over raw CAF ping-pong between two bare actors
//   red_team_steps_per_s  interactions (query answered and judged) per second in red_team,
//                         tick mode, at 1 and 2 scheduler threads; red_team_ms_per_tick
//                         the same runs' wall time per tick
//   train_ratio           learner updates/s through learner + trainer actors over a bare
//                         loop of the same trainer step on the same model and batch
//   startup_seconds_*     a whole 1-tick `oversight run` as a child process, best of 3:
//                         principal_agent (no network: libtorch is not loaded) and
//                         red_team (loads the libtorch module)
// The figures that train networks come from the libtorch module (bench_torch.cpp).
#pragma once

#include <string>

namespace oversight {

/// Runs the suite, prints a table, writes JSON to `json_file` when not empty.
/// `quick`: about a minute; otherwise longer runs for steadier figures.
int run_bench(bool quick, const std::string& json_file);

}  // namespace oversight
