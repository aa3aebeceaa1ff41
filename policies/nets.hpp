// Neural policies behind plain headers: no libtorch here or in nets.cpp.
//
//   policy_net    the learner's softmax policy over K responses to a query
//   reward_model  the critic: an ensemble predicting, for (query, response), the
//                 probability that each value dimension is acceptable
// Each has an inference object (owned by an actor, used on its thread, on the CPU) and
// a trainer (a `trainable` owned by a trainer actor on its own thread). They exchange
// weights as flat float vectors (libtorch's flatten() order), so the two never share a
// tensor and messages stay plain. The inference objects run a hand-written forward pass
// (policies/small_mlp.hpp) of the same networks, equal to libtorch's to float rounding
// (tests/unit/small_mlp_test.cpp): at these sizes libtorch's per-operation overhead cost
// more than the arithmetic. Trainers are hand-written too at small widths on the CPU; wider
// ones, and every trainer on a machine whose libtorch sees a CUDA device, run on libtorch
// (nets_torch.cpp, in the libtorch module, loaded only then: trainer_backend below).
// Debian's libtorch is CPU-only, so CUDA is exercised by tools/gpu-check on a GPU machine
// (docs/gpu.md).
//
// Determinism: weights are initialized from the caller's rng stream, minibatches are
// drawn from the trainer's own stream, libtorch runs single-threaded (init_torch), and
// the hand-written passes use one thread and the kernels this CPU picks, so the same
// inputs give bit-identical outputs on any scheduler. On CUDA, training_device() also turns on
// deterministic algorithms and a fixed cuBLAS workspace.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/batch.hpp"
#include "base/rng.hpp"

namespace oversight {

// init_torch, blas_concurrency_problem and pin_torch_thread are defined with libtorch
// (nets_torch.cpp): only the libtorch units and binaries linking libtorch may call them.

/// Pins libtorch's intra-op threads (1 keeps results bit-identical) and returns the
/// device trainers use: "cuda" when torch::cuda::is_available(), else "cpu". Warns once
/// (log) when blas_concurrency_problem() finds one. init_torch(1) runs, on the loading
/// thread, when the code that uses libtorch is loaded (the libtorch module's dlopen, or
/// the start of a binary linking it), so it precedes every use of libtorch.
const char* init_torch(int intra_op_threads = 1);

/// Why the BLAS behind libtorch cannot be called from several threads at once, or null
/// when it can. Trainers run on their own threads, so a BLAS without locks (OpenBLAS's
/// serial build shares its work buffers between callers) silently breaks determinism.
const char* blas_concurrency_problem();

/// Pins the calling thread to one libtorch intra-op thread and one OpenBLAS thread,
/// once per thread. OpenMP's thread count is per thread, so init_torch() on the main
/// thread does not reach trainer or actor threads; a thread that split reductions over
/// every core would change low bits of results between runs. Every entry point of a
/// policy that runs libtorch calls this first (cheap after the first call).
void pin_torch_thread();

/// Which implementation a trainer runs: libtorch (autograd and torch::optim::Adam, on the
/// training device), or written by hand on the CPU (small_mlp.hpp: mlp_tape, mlp_adam),
/// equal to libtorch's to float rounding (tests/unit/critic_trainer_test.cpp,
/// tests/unit/small_mlp_train_test.cpp). `automatic` picks by size (and, for a
/// population, by its member count and the device: population.hpp).
enum class trainer_backend { automatic, libtorch, hand_written };

/// The widest hidden layer the automatic choice trains by hand. Up to it, libtorch's
/// per-operation overhead outweighs its faster large products (docs/architecture.md,
/// "Learners and trainers").
inline constexpr int hand_written_max_hidden = 192;

/// Whether trainers run on a GPU (libtorch sees a CUDA device). Loads libtorch to ask only
/// when the machine may have one (base/device.hpp: gpu_may_be_present); false otherwise.
/// Throws std::runtime_error when libtorch is needed and cannot be loaded.
bool trainers_on_gpu();

/// What a trainer minimizes on a batch, and the gradient with respect to its flat
/// parameters, without taking a step: for tests of one backend against the other.
struct trainer_objective {
  double loss = 0;
  std::vector<float> grad;
};

struct policy_config {
  int dim = 8;
  int options = 4;
  int hidden = 64;
  double lr = 3e-3;
  double entropy = 0.01;  ///< entropy bonus weight
  int epochs = 2;         ///< passes over each batch per trainer step
};

class policy_net {
 public:
  /// Weights drawn from `init`.
  policy_net(const policy_config& cfg, rng& init);
  ~policy_net();
  policy_net(policy_net&&) noexcept;
  /// `rows x options` probabilities for `rows x dim` queries.
  std::vector<float> probs(const std::vector<float>& x) const;
  std::vector<float> params() const;
  void set_params(const std::vector<float>& p);
  const policy_config& config() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Trains a policy_net copy to maximize the expected reward sum_a pi(a|x) r(x, a) plus
/// an entropy bonus. Batch: x `rows x dim`, target `rows x options` rewards. This is
/// the exact policy gradient over all K options (a baseline would not change it), so it
/// has none of REINFORCE's sampling variance.
/// A checkpoint (state()) restores only into a trainer of the same backend.
std::unique_ptr<trainable> make_policy_trainer(const policy_config& cfg, const std::vector<float>& init,
                                               trainer_backend backend = trainer_backend::automatic);

/// What `automatic` picks for a policy: by hidden width, the hand-written trainer up to
/// hand_written_max_hidden, on the CPU even where there is a GPU (one small network's
/// step is too little work for a GPU: on an H200 it ran 16 times slower than by hand),
/// else libtorch's on the training device.
trainer_backend policy_trainer_backend(const policy_config& cfg);

/// The policy trainer's loss on `b` (one epoch's, before any step) and its gradient.
trainer_objective policy_trainer_objective(const policy_config& cfg, const std::vector<float>& params,
                                           const train_batch& b, trainer_backend backend = trainer_backend::automatic);

struct critic_config {
  int dim = 8;
  int options = 4;
  int hidden = 64;
  int ensemble = 3;        ///< members; their disagreement is the critic's uncertainty
  double prior_scale = 1.0;  ///< weight of each member's fixed random prior function
  uint64_t prior_seed = 0;   ///< the priors' stream (same for a critic's two copies)
  double lr = 3e-3;
  int updates = 20;        ///< minibatch steps per trainer step
  int minibatch = 64;
};

/// What the critic thinks of (query, response) pairs, row-major `rows x options`.
struct critic_view {
  std::vector<float> p_ok;         ///< P(all three dimensions acceptable), ensemble mean
  std::vector<float> uncertainty;  ///< ensemble standard deviation of p_ok
  std::vector<float> p_dim;        ///< `rows x options x 3`: P(dimension acceptable)
};

class reward_model {
 public:
  reward_model(const critic_config& cfg, rng& init);
  ~reward_model();
  reward_model(reward_model&&) noexcept;
  critic_view judge(const std::vector<float>& x) const;
  std::vector<float> params() const;
  void set_params(const std::vector<float>& p);
  const critic_config& config() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The critic's fixed random priors: `ensemble` nets of the members' shape, their flat
/// parameters concatenated, drawn from cfg.prior_seed's own stream. The inference copy
/// and the trainer both take them from here, so they add the same functions.
std::vector<float> critic_prior_params(const critic_config& cfg);

/// What `automatic` picks for a critic: by hidden width, as for a policy.
trainer_backend critic_trainer_backend(const critic_config& cfg);

/// Trains a reward_model copy on every label seen so far (kept in a replay buffer).
/// Batch rows: x, a, b; point-wise (b < 0): target = 3 acceptability bits;
/// pair-wise (b >= 0): target[0] = 1 when a is preferred (Bradley-Terry on the
/// log-probability that a response is acceptable). Each ensemble member draws its own
/// bootstrap minibatches from `seed`; a minibatch step minimizes the sum over members of
/// each member's mean loss on its own minibatch, all members in one batched pass.
/// A checkpoint (state()) restores only into a trainer of the same backend.
std::unique_ptr<trainable> make_critic_trainer(const critic_config& cfg, const std::vector<float>& init,
                                               uint64_t seed, trainer_backend backend = trainer_backend::automatic);

/// What the critic trainer made from (cfg, params, seed) minimizes on its first
/// minibatch step after `b`: the loss and its gradient with respect to `params`
/// (reward_model's layout). No step is taken. For tests of the batched ensemble against
/// a member-by-member computation.
using critic_objective = trainer_objective;
critic_objective critic_trainer_objective(const critic_config& cfg, const std::vector<float>& params,
                                          const train_batch& b, uint64_t seed,
                                          trainer_backend backend = trainer_backend::automatic);

}  // namespace oversight
