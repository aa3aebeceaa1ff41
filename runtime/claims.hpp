// Claims: a finding stated as an experiment that can fail.
//
//   scenarios/NAME/claims/C.toml = a scenario file + [sweep] (arms, seeds) + [claim]
//   load_claim(C.toml) -> claim ; run_sweep(plan) -> DIR ; check_claim(claim, DIR) -> verdict
//
// The [claim] table names a metric ("actor.metric"), how a run's value is read (`at`:
// "last" or "mean_last:K"), the treatment arm (an inline table of grid values), the
// claimed direction of the difference ("greater" or "less"), a margin (default 0), and
// what the treatment is compared with: any of
//   controls = [{...}, ...]   other arms of the sweep, same metric, paired by seed;
//   versus = ["actor.metric"] other metrics of the treatment arm's own runs, paired by
//                             run (the pair's accuracy against the non-expert's alone);
//   neither                   the metric itself against the margin (PGR > 0).
// A claim holds when every comparison's 95% CI (over at least `min_seeds` seeds) lies
// entirely on the claimed side of the margin: lo > margin for "greater", hi < -margin
// for "less" (for the one-sample form: lo > margin or hi < margin). `statement` is the
// sentence the README prints; `paper` the paper's figure beside ours. `oversight run`
// and `oversight sweep` ignore the table.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/experiment.hpp"
#include "runtime/sweep.hpp"

namespace oversight {

struct claim {
  std::filesystem::path file;
  std::string statement;
  std::string metric;
  value_at at;
  arm_params treatment;
  std::vector<arm_params> controls;
  std::vector<std::string> versus;  ///< metrics of the treatment's own runs
  bool greater = true;  ///< direction of treatment minus control
  double margin = 0;
  std::string paper;
  int min_seeds = 8;
};

/// Reads and validates FILE's [claim] table: the metric is one the scenario declares,
/// and the treatment and every control are points of the file's sweep. Throws
/// user_error naming file:line:column.
claim load_claim(const std::filesystem::path& file);

/// One comparison: against a control arm, against another metric of the same runs
/// (`versus` set), or, when the claim has neither, of the metric against the margin
/// (diff then holds the metric's own mean and CI).
struct claim_check {
  arm_params control;
  std::string versus;
  paired_diff diff;  ///< treatment minus this control (or minus the versus metric)
  bool holds = false;
};

struct claim_verdict {
  claim what;
  metric_stats treatment;                 ///< the treatment arm's own figures
  std::vector<metric_stats> control_stats;  ///< per check: the control arm's or versus metric's figures
  std::vector<claim_check> checks;          ///< what.controls, then what.versus (or the one-sample check)
  bool holds = false;                       ///< every check holds (and none is missing)
  std::string why_not;                      ///< when it does not hold: the first reason
};

/// Evaluates a claim over the runs of a finished (or partly finished) sweep.
claim_verdict check_claim(const claim& c, const experiment& ex);

/// One paragraph: the statement, HOLDS / DOES NOT HOLD, each arm's mean and CI, each
/// paired difference with its CI and p-values.
void print_verdict(std::ostream& os, const claim_verdict& v);

/// One markdown table row: | statement | treatment | control | difference [95% CI] | n |
/// verdict | paper |, one row per control (the statement on the first).
void print_verdict_markdown(std::ostream& os, const claim_verdict& v);

/// Runs (or resumes) a claim's sweep into `out` and checks it: the path `oversight claim`
/// and the scenario tests share. `sets` and `seeds` as for `oversight sweep`.
claim_verdict run_claim(const std::filesystem::path& file, const std::vector<std::string>& sets,
                        const std::optional<std::string>& seeds, const sweep_options& opt);

}  // namespace oversight
