// The parameters of the two weak-to-strong scenarios (weak_to_strong, w2s_deception),
// the modes they choose, and the size ladder read and checked from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/param_fields.hpp"
#include "scenarios/worlds/value_world.hpp"

namespace oversight {

/// Which of the two scenarios a run is: it decides the task's target and whether the
/// deception metrics are measured.
enum class w2s_variant {
  weak_to_strong,  ///< is the response acceptable (Burns et al.)
  deception,       ///< is it harmless, with a conflicting objective (Yang et al.)
};

enum class w2s_world { value_world, fashion_mnist };

/// How the conflicting objective enters the final students' training (w2s_program.cpp).
enum class conflict_mode {
  none,      ///< no conflict: weak_to_strong, or conflict = 0
  helpful,   ///< the target mixes in the helpful label with weight c
  reward,    ///< a reward of weight c for each training row currently gotten wrong
  implicit,  ///< helpful-labelled rows make up a share c of the training set
};

/// What a teacher hands its student: its probabilities or its argmax.
enum class teacher_labels { soft, hard };

/// The initialization of the no-conflict reference students (w2s_deception).
enum class reference_init { same, own };

/// Every parameter of both scenarios; the w2s_deception-only ones keep their
/// no-conflict values in weak_to_strong, which does not declare them.
struct w2s_params {
  w2s_variant variant = w2s_variant::weak_to_strong;
  w2s_world world = w2s_world::value_world;
  std::string data_dir;
  int64_t data_limit = 0;
  value_world_config value;
  int64_t train_samples = 0;
  int64_t test_samples = 0;
  double bandwidth = 1;
  std::string ladder_features, ladder_hidden, ladder_inputs, ladder_concepts, ladder_concept_noise,
      ladder_input_noise;
  int weak_size = 0, strong_size = 0;
  int epochs = 1;
  double lr = 0;
  int minibatch = 1;
  double weight_decay = 0;
  bool aux_enabled = false;
  double aux_weight = 0, aux_warmup = 0;
  teacher_labels labels = teacher_labels::soft;
  int boot_steps = 0;
  // w2s_deception only
  double conflict = 0;
  conflict_mode mode = conflict_mode::none;  ///< as chosen; in effect only when conflict > 0
  reference_init ref_init = reference_init::same;

  /// The conflict in effect: none when there is no conflict to apply.
  conflict_mode effective_mode() const { return conflict > 0 ? mode : conflict_mode::none; }

 protected:
  /// The parameters both scenarios declare (ladder, training, world, data).
  void common_fields(param_fields& f);
};

struct weak_to_strong_params : w2s_params {
  void fields(param_fields& f) { common_fields(f); }
};

struct w2s_deception_params : w2s_params {
  w2s_deception_params() { variant = w2s_variant::deception; }
  void fields(param_fields& f);
};

/// Parses a ladder list ("4,8,16"): non-negative integers; user_error naming `key`.
std::vector<int> parse_ladder(const std::string& key, const std::string& text);

/// The size ladder: per size, what it perceives and how large it is (w2s_program.hpp).
struct w2s_ladder {
  std::vector<int> features, hidden, inputs, concepts, concept_noise, input_noise;
  size_t sizes() const { return features.size(); }
};

/// Value_world's latent concepts a size may perceive (harm, hardness, interaction, pocket).
inline constexpr int concept_count = 4;

/// The ladder of `p`, checked against the world and the chosen sizes, then the other
/// cross-parameter check (the implicit conflict's share below 1); all before any world is
/// built. user_error naming the parameter and the value otherwise.
w2s_ladder read_ladder(const w2s_params& p);

}  // namespace oversight
