// A scenario file's `[report]` table: charts the sweep report draws besides its
// per-metric charts over ticks. One kind so far, a metric against another metric:
//
//   [[report.xy]]
//   x = "learner.sqrt_kl"                                    # actor.metric on the x axis
//   y = ["learner.true_gain", "reward_model.proxy_gain"]     # one chart per y (a string or an array)
//
// Each chart has one line per arm through the points (mean over the arm's seeds of x at
// tick t, mean of y at t), in tick order, with y's 95% band (tools/report.hpp).
// load_spec() validates the table, so `oversight run`, `sweep` and `claim` refuse a bad
// one before anything runs; only the sweep report draws it (`oversight sweep`, and
// `oversight report DIR`, which reads the table from the sweep's scenario file again).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace oversight {

/// One [[report.xy]] entry. Names are "actor.metric" whose metric the scenario declares;
/// whether the actor recorded it is known only from runs (the report checks it).
struct xy_request {
  std::string x;
  std::vector<std::string> y;
  std::string x_origin;               ///< "file:line:column" of x's value, for messages
  std::vector<std::string> y_origins; ///< the same for each y
};

struct report_table {
  std::vector<xy_request> xy;
};

/// Reads and validates FILE's [report] table (an absent table gives an empty one). Every
/// problem is a user_error naming file:line:column, the key and the value.
report_table load_report_table(const std::filesystem::path& file);

}  // namespace oversight
