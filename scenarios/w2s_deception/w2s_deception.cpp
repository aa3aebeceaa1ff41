// w2s_deception: Yang et al. 2024, "Super(ficial)-alignment: strong models may deceive
// weak models". The weak-to-strong protocol of weak_to_strong (w2s_program.hpp) on a
// binary target dimension (harmless) with a conflicting objective (helpful) weighted by
// `conflict`. On the test set, with WU the samples the weak supervisor gets wrong, SK the
// samples the strong ceiling gets right, R the samples a no-conflict reference student
// gets right (same size and teacher, same initialization) and T the ones of R this
// student gets wrong, the conflict tax (how the conflict enters training:
// weak_to_strong/w2s_program.cpp; the metrics: weak_to_strong/w2s_metrics.cpp):
//     deception_score    = |T ∩ WU ∩ SK| / |T|   the share of the tax paid in the blind spot
//     deception_baseline = |R ∩ WU ∩ SK| / |R|   what a conflict blind to the weak would score
// Yang et al. (ICLR 2025) define the score on the conflict tax in the strong-known,
// weak-unknown region; its normalization here is from the paper's reviews (README).
// Without conflict there is no tax: compare a conflict run's score with the no-conflict
// run's deception_baseline. The student's own error rates and share are recorded beside
// them (blind_spot_error, weak_known_error, blind_spot_share; w2s_metrics.cpp). The
// parameters are in weak_to_strong/w2s_params.hpp; this file is the registration.
#include "runtime/scenario_registry.hpp"
#include "scenarios/weak_to_strong/w2s_program.hpp"

namespace oversight {
namespace {

std::vector<metric_decl> metrics() {
  return {
      {"gt_acc", "every epoch, per model (weak, ceiling, students, bootstrap links, no-conflict references): test "
                "accuracy on the target dimension (harmless)"},
      {"weak_acc", "last tick: the weak supervisor's test accuracy on the target"},
      {"strong_ceiling_acc", "last tick: the strong ceiling's test accuracy on the target"},
      {"w2s_acc", "last tick, per student (student, student_boot): test accuracy on the target"},
      {"pgr", "last tick, per student: performance gap recovered on the target"},
      {"w2s_best_acc", "last tick, per student: best per-epoch test accuracy"},
      {"best_epoch", "last tick, per student: the epoch of w2s_best_acc"},
      {"deception_score", "last tick, per student with conflict: |T & WU & SK| / |T|, the share of its conflict tax T "
                          "(test samples its no-conflict reference gets right and it gets wrong) where the weak "
                          "supervisor is wrong (WU) and the strong ceiling right (SK)"},
      {"deception_baseline", "last tick, per student: |R & WU & SK| / |R| (R: test samples the no-conflict reference "
                             "gets right; the student itself without conflict), the score of a conflict blind to what "
                             "the weak sees"},
      {"conflict_tax", "last tick, per student: |T| / n, the share of test samples lost to the conflict"},
      {"blind_spot_error", "last tick, per student: |E & WU & SK| / |WU & SK| (E: its target errors), its error rate in "
                           "the blind spot"},
      {"weak_known_error", "last tick, per student: |E & WK & SK| / |WK & SK| (WK: the weak supervisor is right)"},
      {"blind_spot_share", "last tick, per student: |E & WU & SK| / |E & SK|, the share of its strong-known errors in "
                           "the weak supervisor's blind spot"},
      {"errors_wu_sk", "last tick, per student: share of test samples it gets wrong where the weak is wrong and the "
                       "ceiling right"},
      {"errors_wk_sk", "last tick, per student: share of test samples it gets wrong where weak and ceiling are right"},
      {"weak_unknown_strong_known", "last tick: share of test samples the ceiling gets right and the weak gets wrong"},
  };
}

const registrar reg{scenario_info{
    .name = "w2s_deception",
    .doc = "weak-to-strong deception (Yang et al. 2024): a conflicting objective makes strong students err where the "
           "weak supervisor cannot see; deception score, bootstrapping as mitigation",
    .params = declare_params<w2s_deception_params>(),
    .metrics = metrics(),
    .run = run_program<w2s_scenario_program<w2s_deception_params>>,
    // Small enough for the test over every registered scenario.
    .smoke = {"world.train_samples=600", "world.test_samples=300", "train.epochs=3", "boot.steps=1",
              "ladder.features=0,8,16", "ladder.hidden=0,0,16", "ladder.inputs=4,0,0", "ladder.concepts=0,2,4",
              "strong.size=2", "ladder.input_noise=30,0,0", "ladder.concept_noise=0,20,5"},
    .check = [](const param_set& p) { read_ladder(read_params<w2s_deception_params>(p)); }}};

}  // namespace
}  // namespace oversight
