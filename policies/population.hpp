// A population of policies of one shape, held and trained as one model.
//
// A league has hundreds of learners, each a policy_net (policies/nets.hpp) of the same
// shape, and one trainer for all of them.
//
//   population_net      inference copy (CPU, owned by an actor): rows answered by any
//                       member, including frozen snapshots kept beside the trained ones,
//                       each member on the hand-written forward pass (small_mlp.hpp)
//   population trainer  a `trainable` (base/batch.hpp) on the trainer's thread, in one
//                       of two implementations (population_trainer_backend):
//     hand-written (the CPU, hidden <= hand_written_max_hidden, fewer than
//       gpu_min_population members or no GPU): each member stepped by the hand-written
//       policy trainer on its own rows. Those trainers run at the speed of their
//       arithmetic, so stacking members would not make them faster.
//     libtorch (wider members, or gpu_min_population members and more on a GPU;
//       population_torch.cpp): the members' weights
//       stacked into tensors [members, out, in] and a step for every member at once in
//       batched matrix products (baddbmm), so libtorch's per-operation overhead is paid
//       once per step for the whole population and a GPU gets work worth its launch cost.
//
// Contract of equivalence: a member's slice of a population step is the step a
// policy_trainer (make_policy_trainer) would take on that member's rows alone: the same
// objective (expected critic score over all options plus an entropy bonus, averaged over
// the member's rows), the same epochs, and Adam with libtorch's defaults applied to each
// member independently (its own step count; a member with no rows in a batch is not
// stepped at all). Exact for the hand-written trainer; equal to float rounding for the
// libtorch one (tests/unit/population_test.cpp: 1e-5).
//
// Layout: a member's flat parameters are exactly a policy_net's params() (its modules'
// registration order, each weight [out, in] row-major), and a population's flat vector
// is its members' concatenated in member order. So one member can be moved between a
// population and a lone policy_net, and init_member() draws what policy_net's
// constructor draws from the same stream.
//
// Determinism: one thread, the kernels this CPU picks (or libtorch single-threaded,
// pin_torch_thread); a row's answer depends only on its member's weights and the row,
// never on the scheduler.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/batch.hpp"
#include "policies/nets.hpp"
#include "base/rng.hpp"

namespace oversight {

/// Floats in one member's flat parameters (a policy_net's params().size()).
size_t member_param_count(const policy_config& cfg);

/// A member's initial parameters: the draws policy_net(cfg, init) makes, in its order.
std::vector<float> init_member(const policy_config& cfg, rng& init);

/// The inference copy: `members` slots of one shape (zeros until set).
class population_net {
 public:
  population_net(const policy_config& cfg, size_t members);
  ~population_net();
  population_net(population_net&&) noexcept;

  size_t size() const;
  const policy_config& config() const;

  /// Sets `count = flat.size() / member_param_count` consecutive members from `first`.
  void set_members(size_t first, const std::vector<float>& flat);
  /// Member i's flat parameters (policy_net layout).
  std::vector<float> member(size_t i) const;
  /// Copies member `from` into slot `to` (a frozen snapshot).
  void copy_member(size_t from, size_t to);

  /// `rows x options` probabilities: row i answered by member `who[i]` (< size()).
  /// Throws std::invalid_argument naming a member index out of range.
  std::vector<float> probs(const std::vector<float>& x, const std::vector<int32_t>& who) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A trainable for `members` policies at once. Batch: x `rows x dim`, a[i] = the member
/// row i trains (0 <= a[i] < members), target `rows x options` rewards; b unused. Rows of
/// one member may be anywhere in the batch; their order among themselves is kept.
/// step() returns every member's parameters, concatenated (the population layout).
/// `init` holds `members` members' parameters in that layout.
/// A checkpoint (state()) restores only into a trainer of the same backend.
std::unique_ptr<trainable> make_population_trainer(const policy_config& cfg, size_t members,
                                                   const std::vector<float>& init,
                                                   trainer_backend backend = trainer_backend::automatic);

/// The fewest members the automatic choice trains on a GPU. One H200 against the
/// hand-written trainer on its host's CPU (tools/gpu-check, bench's league figures):
/// 7.4 times slower at 16 members, 1.6 times faster at 256, 8.7 times at 4,096.
inline constexpr size_t gpu_min_population = 256;

/// What `automatic` picks for a population of `members`: libtorch's stacked trainer for
/// members wider than hand_written_max_hidden, and for gpu_min_population members or more
/// where trainers run on a GPU (trainers_on_gpu: asked only then); else the hand-written
/// one, on the CPU.
trainer_backend population_trainer_backend(const policy_config& cfg, size_t members);

}  // namespace oversight
