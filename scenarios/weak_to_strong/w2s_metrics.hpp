// What the weak-to-strong scenarios measure: the models a run trains (their roles and
// test-set results) and the end-of-run metrics computed from them: accuracies, PGR and,
// for w2s_deception, where the conflict's errors fall (formulas in w2s_metrics.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"
#include "scenarios/weak_to_strong/messages.hpp"
#include "scenarios/weak_to_strong/w2s_data.hpp"

namespace oversight {

/// What a model is for in the protocol (w2s_program.hpp).
enum class w2s_role {
  weak_supervisor,  ///< "weak": trains on the truth of half 1, labels half 2
  strong_ceiling,   ///< "ceiling": strong size, trains on the truth of half 2
  strong_student,   ///< "student", "student_aux", "student_boot": strong size on a teacher's labels
  bootstrap_rung,   ///< "boot_N": an intermediate size of the bootstrap chain
  reference,        ///< "reference", "reference_boot": a no-conflict twin of a student
};

struct w2s_model {
  std::string name;  ///< its actor name in the metric rows
  w2s_role role = w2s_role::weak_supervisor;
  int size = 0;
  int phase = 0;
  split_id split = split_id::half1;  ///< the half it trains on
  int teacher = -1;    ///< model whose half-2 labels it learns from; -1: the truth
  int reference = -1;  ///< strong students: their no-conflict reference; -1: themselves
  bool misalign = false;    ///< trained with the misalignment reward (needs the true labels)
  bool conflicted = false;  ///< a final student of a run with conflict (w2s_deception)
  classifier_actor actor;
  std::vector<float> target;      ///< rows x classes, set before its phase
  std::vector<float> test_probs;  ///< latest
  std::vector<double> acc;        ///< gt_acc per epoch
  /// What changes as the run goes (checkpoints); the rest is fixed at construction.
  void state(state_io& io) { io(target, test_probs, acc); }
};

/// The index of row i's most probable class in `probs` (rows x classes).
size_t argmax(const std::vector<float>& probs, size_t i, int classes);

/// The share of rows whose most probable class is y's.
double accuracy(const std::vector<float>& probs, const std::vector<int32_t>& y, int classes);

/// The run's results at its last tick `t`: weak and ceiling accuracy, per final student
/// w2s_acc, pgr, its best epoch and (deception) the blind-spot metrics.
std::vector<metric_row> summarize(int64_t t, const std::vector<w2s_model>& models, int weak, int ceiling,
                                  const w2s_data& data, w2s_variant variant);

}  // namespace oversight
