// weak_to_strong: Burns et al. 2023, "Weak-to-strong generalization". The protocol,
// the size ladder and the representations are in w2s_program.hpp, the parameters in
// w2s_params.hpp; this file is the registration: parameters and metrics, as
// `oversight list` shows them.
#include "runtime/scenario_registry.hpp"
#include "scenarios/weak_to_strong/w2s_program.hpp"

namespace oversight {
namespace {

std::vector<metric_decl> metrics() {
  return {
      {"gt_acc", "every epoch, per model (weak, ceiling, student, student_aux, boot_N, student_boot): test accuracy"},
      {"weak_acc", "last tick: the weak supervisor's test accuracy (trained on the truth of half 1)"},
      {"strong_ceiling_acc", "last tick: the strong ceiling's test accuracy (trained on the truth of half 2)"},
      {"w2s_acc", "last tick, per student: test accuracy after its last epoch on weak labels"},
      {"pgr", "last tick, per student: (w2s_acc - weak_acc) / (strong_ceiling_acc - weak_acc); absent when the "
              "ceiling does not beat the weak supervisor"},
      {"w2s_best_acc", "last tick, per student: its best per-epoch test accuracy (what oracle early stopping gets)"},
      {"best_epoch", "last tick, per student: the epoch (from 0) of w2s_best_acc"},
  };
}

const registrar reg{scenario_info{
    .name = "weak_to_strong",
    .doc = "weak-to-strong generalization (Burns et al. 2023): strong students trained on a weak supervisor's labels; "
           "PGR, auxiliary confidence loss, bootstrapping",
    .params = declare_params<weak_to_strong_params>(),
    .metrics = metrics(),
    .run = run_program<w2s_scenario_program<weak_to_strong_params>>,
    // Small enough for the test over every registered scenario.
    .smoke = {"world.train_samples=600", "world.test_samples=300", "train.epochs=3", "boot.steps=1",
              "ladder.features=0,8,16", "ladder.hidden=0,0,16", "ladder.inputs=4,0,0", "ladder.concepts=0,2,4",
              "strong.size=2", "ladder.input_noise=30,0,0", "ladder.concept_noise=0,20,5"},
    .check = [](const param_set& p) { read_ladder(read_params<weak_to_strong_params>(p)); }}};

}  // namespace
}  // namespace oversight
