// The weak-to-strong tick program shared by two scenarios:
//   weak_to_strong   Burns et al. 2023: PGR, the auxiliary confidence loss, bootstrapping
//   w2s_deception    Yang et al. 2024: a conflicting objective, deception score
//
// Protocol (Burns et al.): the training set is split in half. Phase 0: the weak
// supervisor trains on the truth of half 1, the strong ceiling on the truth of half 2.
// The weak supervisor then labels half 2 (soft labels). Phase 1: weak-to-strong
// students (strong size) train on those labels: "student" with cross-entropy,
// "student_aux" with the auxiliary confidence loss. Bootstrapping: a chain of
// intermediate sizes (the bootstrap rungs), each trained on the previous one's labels of
// half 2, one phase each, ends in "student_boot" (strong size). Every model is scored on
// a held-out test set after every epoch (gt_acc); one tick is one epoch, a phase
// `train.epochs` ticks.
//
// Capacity (a size ladder, `ladder.*`): size i sees a representation of width
// ladder.features[i] and has ladder.hidden[i] hidden units (0: a linear probe). The
// representation is frozen and "pretrained" from unlabeled inputs, shared by all
// sizes (a larger size sees a superset): this is the latent knowledge strong models
// have and weak ones lack (w2s_representation.cpp).
//   fashion_mnist: the top principal components of the unlabeled training images.
//   value_world:   random Fourier features of the query's first ladder.inputs[i]
//                  coordinates, one block per response, plus the response's one-hot.
//
// How the conflict enters training: w2s_program.cpp; the deception metrics: w2s_metrics.cpp.
#pragma once

#include <memory>
#include <vector>

#include "actors/director/director.hpp"
#include "runtime/param_fields.hpp"
#include "scenarios/weak_to_strong/w2s_data.hpp"
#include "scenarios/weak_to_strong/w2s_metrics.hpp"
#include "scenarios/weak_to_strong/w2s_params.hpp"
#include "scenarios/weak_to_strong/w2s_representation.hpp"

namespace oversight {

class w2s_program : public scenario_program {
 public:
  /// Checks the parameters, builds the world and spawns every model. Throws user_error
  /// on bad parameters or data.
  w2s_program(const w2s_params& p, uint64_t seed, caf::actor_system& sys);

  int64_t ticks() const override { return int64_t(p_.epochs) * phases_; }
  /// Checkpoints: each model's targets and results so far; the data and representations
  /// are rebuilt from the seed, the classifiers save their weights and trainers.
  bool saves_state() const override { return true; }
  void state(state_io& io) override { io(models_); }
  void run_tick(tick_handle tick) override;

 private:
  train_batch first_batch(const w2s_model& m) const;
  void evaluate(tick_handle tick, const std::vector<size_t>& active);
  void label_next(tick_handle tick, int phase);
  std::vector<float> student_target(std::vector<float> soft, const w2s_model& m) const;
  std::vector<float> one_hot(const std::vector<int32_t>& y) const;

  // Declared in this order on purpose: the ladder is checked before the world is built.
  w2s_params p_;
  conflict_mode mode_;  ///< the conflict in effect (none without one)
  w2s_ladder ladder_;
  w2s_data data_;
  std::unique_ptr<w2s_representations> reps_;
  std::vector<w2s_model> models_;
  int weak_ = 0, ceiling_ = 1;
  int phases_ = 2;
};

/// The program as run_program<> constructs it: reads Params (weak_to_strong_params or
/// w2s_deception_params) from the run's parameters.
template <class Params>
class w2s_scenario_program : public w2s_program {
 public:
  w2s_scenario_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : w2s_program(read_params<Params>(params), seed, sys) {}
};

}  // namespace oversight
