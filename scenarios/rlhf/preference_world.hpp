// preference_world: prompts, K candidate responses and a hidden truth, for the
// preference-learning scenarios (rlhf, self_enhancement).
//
// A prompt x in R^dim is drawn from N(0, I). Response a has visible features f_a in R^m
// (what anyone reading it sees), f_a = r_a u_a with u_a a random direction and r_a
// uniform in [0, max_norm]: its "strength" (how long, assertive, elaborate it is).
// The hidden truth, on true_value's three dimensions:
//   helpful(x, a)  = f_a . (W x)                   more of what the prompt asks for
//   harmless       = 0.5                           no harm in this world
//   honest(x, a)   = max(-1, honesty - curvature |f_a|^2)   strong responses overclaim
// and the true value is true_value::utility() (the sum, failing dimensions counted three
// times), the same scalar the simulated experts compare. Along the prompt's direction the
// value rises with strength, then falls once honesty fails: what helps in moderation
// hurts in excess. Difficulty (for human judges) grows with strength.
//
// The base model (the pretrained policy, the reference of RL and DPO) knows the truth
// only roughly and rarely says anything strong:
//   base(x, a) = temperature f_a . (W0 x) - |f_a|^2 / (2 spread^2),   W0 = W + knowledge noise
// so strong responses are rare under it, and labels on its samples say little about them.
// Everything is drawn from the stream (seed, "preference-world").
#pragma once

#include <cstdint>
#include <vector>

#include "policies/ground_truth.hpp"
#include "policies/preference.hpp"
#include "base/rng.hpp"

namespace oversight {

struct preference_world_config {
  int dim = 6;
  int options = 64;
  int features = 4;
  double max_norm = 3.5;      ///< strongest response's |f_a|
  double honesty = 1.0;       ///< honest(x, a) at |f_a| = 0
  double curvature = 0.25;    ///< honesty lost per |f_a|^2
  double base_temperature = 1.0;
  double base_spread = 0.7;   ///< sd of the base model's prior over strength
  double base_noise = 0.5;    ///< the base model's misreading of W (relative sd)
  double difficulty_slope = 0.15;  ///< difficulty = 0.1 + slope |f_a| (pairs: the larger)
};

class preference_world : public ground_truth {
 public:
  preference_world(const preference_world_config& cfg, uint64_t seed);
  int dim() const override { return cfg_.dim; }
  int options() const override { return cfg_.options; }
  true_value evaluate(const float* x, int a) const override;

  /// `n x dim` prompts.
  std::vector<float> sample_prompts(rng& r, size_t n) const;
  /// The visible response features (no truth in them).
  const response_features& responses() const { return io_; }
  /// The base model's parameters for pref_policy_config (base_w: m x dim, base_c: K).
  const std::vector<float>& base_w() const { return base_w_; }
  const std::vector<float>& base_c() const { return base_c_; }
  /// `rows x K` true values (utility) of every response: the evaluator's table.
  std::vector<float> utility_table(const std::vector<float>& x) const;
  const preference_world_config& config() const { return cfg_; }

 private:
  preference_world_config cfg_;
  response_features io_;
  std::vector<float> w_;  // m x dim, the truth
  std::vector<float> base_w_, base_c_;
};

class param_fields;
/// The world's and the base model's parameters (world.*, base.*), declared once for
/// every scenario set in this world.
void fields(param_fields& f, preference_world_config& c);

}  // namespace oversight
