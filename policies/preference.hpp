// Learning from preferences: the policy a preference-trained learner serves, its two
// optimizers (PPO against a reward model, DPO on preference pairs) and the Bradley-Terry
// reward-model ensemble. Plain header; libtorch stays in preference.cpp.
//
// Responses are K discrete options, each with a visible feature vector f_a (its "text":
// what anyone reading the response sees). Both networks score a (prompt, response) pair
// from x ⊕ f_a, so what they learn about one response carries over to responses that
// look alike, the way a language model's does: a policy rewarded for a trait moves mass
// onto responses with more of it, including ones it has rarely produced.
//
//   pref_policy        pi(a|x) = softmax_a( base(x, a) + g(x ⊕ f_a) ), where
//                      base(x, a) = f_a . (B x) + c_a is the frozen pretrained model (the
//                      reference policy pi_ref) and g is a trained MLP whose last layer
//                      starts at zero, so pi = pi_ref before any training.
//   make_ppo_trainer   PPO (clipped surrogate, value baseline V(x), KL penalty to pi_ref
//                      folded into the reward as in Ziegler et al. 2019 / Stiennon et al.
//                      2020). Batch rows: x, a = the sampled response, target[0] = reward.
//   make_dpo_trainer   DPO (Rafailov et al. 2023). Batch rows: x, a = preferred,
//                      b = dispreferred.
//   pref_reward_model  an ensemble of MLPs r_m(x ⊕ f_a), each trained on its own bootstrap
//                      minibatches with the Bradley-Terry loss; the proxy reward is their
//                      mean, their standard deviation the uncertainty.
//   make_bt_trainer    keeps every pair label seen (replay buffer) and steps the ensemble.
//                      Batch rows: x, a, b, target[0] = 1 when a is preferred, else 0.
//
// Determinism: weights come from the caller's rng, minibatches from the trainer's own
// streams, and libtorch runs one intra-op thread (pin_torch_thread), as in nets.hpp.
// Checkpoints: every trainer saves its parameters, Adam's moments and step counts and
// its minibatch streams (trainable::state); the Bradley-Terry trainer also its replay
// buffer. The reference policy and the reward model's priors are rebuilt from the
// config, not saved.
// Trainers run on the first CUDA device when there is one (torch_util::training_device).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/batch.hpp"
#include "base/rng.hpp"

namespace oversight {

/// What both networks read: prompt width, the K responses' visible features.
struct response_features {
  int dim = 6;                  ///< prompt features
  int options = 64;             ///< K responses
  int features = 4;             ///< m features per response
  std::vector<float> f;         ///< K x m, row a = f_a
};

struct pref_policy_config {
  response_features io;
  std::vector<float> base_w;    ///< m x dim: B in base(x, a) = f_a . (B x) + c_a
  std::vector<float> base_c;    ///< K: c_a
  int hidden = 32;
  double lr = 1e-3;
  // PPO
  double kl_coef = 0.02;        ///< beta in reward - beta log(pi_old(a|x) / pi_ref(a|x))
  double clip = 0.2;            ///< epsilon of the clipped surrogate
  int epochs = 4;               ///< passes over each batch
  int minibatch = 64;
  double value_coef = 0.5;      ///< weight of the value baseline's squared error
  // DPO
  double dpo_beta = 0.1;        ///< beta in the DPO loss
};

/// The learner's policy, for inference on the actor's thread (CPU).
class pref_policy {
 public:
  /// Adapter weights drawn from `init` (its last layer then set to zero: pi = pi_ref).
  pref_policy(const pref_policy_config& cfg, rng& init);
  ~pref_policy();
  pref_policy(pref_policy&&) noexcept;
  /// `rows x K` probabilities pi(a|x) for `rows x dim` prompts.
  std::vector<float> probs(const std::vector<float>& x) const;
  /// `rows x K` probabilities of the reference policy (the base model alone).
  std::vector<float> reference_probs(const std::vector<float>& x) const;
  std::vector<float> params() const;
  void set_params(const std::vector<float>& p);
  const pref_policy_config& config() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// PPO trainer on a copy of the policy. One step per batch: rewards are shaped by the
/// KL penalty against pi_old (the weights at the start of the step), advantages are
/// shaped reward - V(x) normalized over the batch, then `epochs` passes of minibatches
/// (order from stream (seed, "ppo")) minimize the clipped surrogate plus value_coef times
/// the value error.
std::unique_ptr<trainable> make_ppo_trainer(const pref_policy_config& cfg, const std::vector<float>& init,
                                            uint64_t seed);

/// DPO trainer on a copy of the policy: `epochs` passes of minibatches over each batch.
std::unique_ptr<trainable> make_dpo_trainer(const pref_policy_config& cfg, const std::vector<float>& init,
                                            uint64_t seed);

/// The DPO loss, averaged over pairs, as the DPO trainer computes it:
///   -log sigmoid( beta [ (logp_w - ref_w) - (logp_l - ref_l) ] )
/// for log-probabilities under the policy (logp_*) and the reference (ref_*) of the
/// preferred (w) and dispreferred (l) responses. Throws on unequal lengths or beta <= 0.
double dpo_loss(const std::vector<float>& logp_w, const std::vector<float>& logp_l, const std::vector<float>& ref_w,
                const std::vector<float>& ref_l, double beta);

struct pref_rm_config {
  response_features io;
  int hidden = 32;
  int ensemble = 3;
  double prior_scale = 0.0;     ///< weight of each member's fixed random prior (Osband et al. 2018)
  uint64_t prior_seed = 0;      ///< the priors' stream (same for both copies)
  double lr = 3e-3;
  int updates = 50;             ///< minibatch steps per trainer step
  int minibatch = 64;
};

/// Scores of every option, `rows x K`.
struct reward_view {
  std::vector<float> mean;      ///< ensemble mean: the proxy reward
  std::vector<float> sd;        ///< ensemble standard deviation
};

class pref_reward_model {
 public:
  pref_reward_model(const pref_rm_config& cfg, rng& init);
  ~pref_reward_model();
  pref_reward_model(pref_reward_model&&) noexcept;
  reward_view score(const std::vector<float>& x) const;
  std::vector<float> params() const;
  void set_params(const std::vector<float>& p);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Bradley-Terry trainer: P(a preferred to b) = sigmoid(r(x, a) - r(x, b)); each member
/// draws bootstrap minibatches from its own stream (seed, "bt-<m>").
std::unique_ptr<trainable> make_bt_trainer(const pref_rm_config& cfg, const std::vector<float>& init, uint64_t seed);

}  // namespace oversight
