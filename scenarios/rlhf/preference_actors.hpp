// The two trained roles of the preference scenarios (rlhf, self_enhancement), as thin
// actors over policies/preference.hpp. Each trains on a trainer actor of its own (own
// thread; CUDA when present), like every learner.
//
//   pref_learner   act(prompts, greedy) -> one response per prompt (sampled from its own
//                  stream (seed, name + "/sampling"), or the most probable) and the whole
//                  distribution, `rows x K`
//                  learn(batch)         -> one PPO or DPO step (chosen at spawn) on its
//                  trainer; installs the new weights, then acks
//   pref_rm        judge(prompts)       -> score: `rows x K` ensemble-mean rewards of every
//                  response; uncertainty: `rows x K` ensemble standard deviations (both
//                  per option, unlike the red_team critic's per-row fields); options = K
//                  learn(labels)        -> adds pair-wise labels (kind 1) to its replay
//                  buffer and steps its Bradley-Terry trainer; acks
// Both answer save/restore (checkpointable): inference weights and the sampling stream,
// with their trainer's state inside.
// Neither reads the hidden truth: the learner sees prompts and rewards or preference
// pairs, the reward model sees prompts, responses' visible features and labels.
//
// Also the parameter groups both scenarios declare (ppo.*, expert.*), the raters they
// spawn, and the PPO batch they hand the learner: each sampled response's reward-model
// score, centred and scaled by the reward's mean and spread under the reference so that
// ppo.kl_coef means the same for every reward model.
#pragma once

#include <string>
#include <vector>

#include "actors/expert/expert.hpp"
#include "policies/preference.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

class param_fields;

using pref_learner_actor =
    caf::typed_actor<caf::replies_to<act_atom, query_batch, bool /*greedy*/>::with<response_batch>,
                     caf::replies_to<learn_atom, train_batch>::with<ack_atom>>::extend_with<checkpointable>;

using pref_rm_actor = caf::typed_actor<caf::replies_to<judge_atom, query_batch>::with<judgment_batch>,
                                       caf::replies_to<learn_atom, label_batch>::with<ack_atom>>::extend_with<checkpointable>;

enum class pref_optimizer { ppo, dpo };

/// Weights from (seed, name + "/init"); the trainer's minibatch order from seed ^ fnv1a(name).
pref_learner_actor spawn_pref_learner(caf::actor_system& sys, const pref_policy_config& cfg, pref_optimizer opt,
                                      uint64_t seed, const std::string& name);

/// Weights from (seed, name + "/init"); bootstrap streams and priors from seed ^ fnv1a(name).
pref_rm_actor spawn_pref_rm(caf::actor_system& sys, pref_rm_config cfg, uint64_t seed, const std::string& name);

/// The PPO settings both scenarios declare (ppo.*), with rlhf's defaults.
struct ppo_settings {
  double kl_coef = 0.02;
  double clip = 0.2;
  int epochs = 4;
  int minibatch = 64;
  /// Copies the four into the policy config.
  void apply_to(pref_policy_config& cfg) const;
};
/// Declares and reads ppo.*; `doc_prefix` goes before each doc line (self_enhancement
/// reads them only for one of its arms and says which).
void fields(param_fields& f, ppo_settings& s, const std::string& doc_prefix = "");

/// The simulated raters of rlhf and self_enhancement: expert.count experts with the
/// expert.capability/noise/slope profile, labels `latency` ticks late.
struct rater_settings {
  int64_t count = 2;
  expert_profile profile;
  int latency = 1;
};
/// Declares and reads expert.*; `count_doc` names the budget the raters share.
void fields(param_fields& f, rater_settings& s, const char* count_doc);

/// The raters, `budget` labels split evenly (rounded up) among them.
std::vector<expert_actor> spawn_raters(caf::actor_system& sys, const rater_settings& s, int64_t budget,
                                       std::shared_ptr<const ground_truth> world, uint64_t seed);

/// One PPO step's batch: rows x (prompts), a = the sampled responses, target[0] =
/// (reward_table[i][a_i] - mean) / sd for the `rows x K` reward table.
/// A second response for a pair: drawn from the policy's distribution `p` over `k`
/// options, without `a`.
int32_t other_response(const float* p, size_t k, size_t a, rng& r);

/// Pair-wise label requests for the learner's responses `r` to `q` (the first response
/// its own, the second drawn by other_response from `pairs`), ids from `next_id` on,
/// dealt round-robin to `raters` raters.
std::vector<std::vector<label_request>> pair_requests(const query_batch& q, const response_batch& r, size_t k,
                                                      size_t raters, int64_t& next_id, rng& pairs);

train_batch ppo_batch(const query_batch& q, const std::vector<int32_t>& action, const std::vector<float>& reward_table,
                      size_t k, double mean, double sd);

}  // namespace oversight
