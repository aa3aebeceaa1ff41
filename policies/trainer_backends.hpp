// What nets.cpp (the hand-written trainers, no libtorch) and nets_torch.cpp (the libtorch
// trainers) share, and how the one finds the other. Internal to policies/: scenarios use
// nets.hpp and population.hpp.
//
// The executable does not link libtorch (tools/torch_module.hpp): the libtorch trainers
// live in the libtorch module and register themselves here when it loads. A trainer
// that needs them (a width past hand_written_max_hidden, a large population on a GPU,
// or a test asking for them) calls libtorch_backend(), which loads the module through
// the loader the executable installed (base/device.hpp) the first time. Binaries that
// link libtorch (the test binary) have them registered before main().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "policies/nets.hpp"
#include "policies/small_mlp.hpp"

namespace oversight {

mlp_shape policy_shape(const policy_config& c);
mlp_shape critic_shape(const critic_config& c);

/// The critic's priors for the hand-written forward pass: net m is member m's prior,
/// its outputs scaled by prior_scale.
mlp_bank critic_prior_bank(const critic_config& c);

/// A policy trainer, either backend, with the objective hook for tests.
class policy_trainer_base : public trainable {
 public:
  /// policy_trainer_objective: the loss of an epoch on `b` and its gradient; no step.
  virtual trainer_objective objective(const train_batch& b) = 0;
};
/// A critic trainer, either backend, with the objective hook for tests.
class critic_trainer_base : public trainable {
 public:
  /// critic_trainer_objective: the loss of the next minibatch after `b` and its gradient
  /// in reward_model's layout; no step is taken (the streams do advance).
  virtual trainer_objective objective(const train_batch& b) = 0;
};
/// What both critic trainers share: the replay buffer of labels (each with its options'
/// prior logits), the members' bootstrap streams, and the drawing of a minibatch.
class critic_replay {
 public:
  critic_replay(const critic_config& cfg, uint64_t seed) : cfg_(cfg), priors_(critic_prior_bank(cfg)) {
    for (int i = 0; i < cfg.ensemble; ++i) streams_.emplace_back(seed, "critic-bootstrap-" + std::to_string(i));
  }

  bool empty() const { return point_.empty() && pair_.empty(); }

  void add(const train_batch& b) {
    if (b.rows() == 0) return;
    OVERSIGHT_CHECK_EQ(b.dim, cfg_.dim);
    const size_t points = point_.size(), pairs = pair_.size();
    for (size_t i = 0; i < b.rows(); ++i) {
      item it;
      it.x.assign(b.x.begin() + i * b.dim, b.x.begin() + (i + 1) * b.dim);
      it.a = b.a[i];
      it.b = b.b[i];
      it.t.assign(b.target.begin() + i * b.width, b.target.begin() + i * b.width + 3);
      (it.b < 0 ? point_ : pair_).push_back(std::move(it));
    }
    with_priors(point_.begin() + std::ptrdiff_t(points), point_.end());
    with_priors(pair_.begin() + std::ptrdiff_t(pairs), pair_.end());
  }

  /// Checkpoints: the streams and the labels (their prior logits are recomputed).
  void state(state_io& io) {
    io(streams_, point_, pair_);
    if (io.loading()) {
      with_priors(point_.begin(), point_.end());
      with_priors(pair_.begin(), pair_.end());
    }
  }

  /// One bootstrap minibatch per member. Member m draws its rows from its own stream,
  /// point-wise first, then pair-wise. Rows per member: np point-wise, then nq pairs as
  /// nq rows with option a and nq with b; each row is x with its option's one-hot.
  struct minibatch {
    int64_t np = 0, nq = 0, rows = 0, in = 0;
    std::vector<float> x;      ///< [members][rows][in]
    std::vector<float> prior;  ///< [members][rows][3] scaled prior logits (empty when prior_scale is 0)
    std::vector<float> t;      ///< [members][np][3] acceptability bits
    std::vector<float> pref;   ///< [members][nq]: 1 when a is preferred
  };
  minibatch& draw() {
    auto& mb = mb_;
    const int64_t n = cfg_.minibatch, e = cfg_.ensemble, in = cfg_.dim + cfg_.options;
    mb.np = point_.empty() ? 0 : n;
    mb.nq = pair_.empty() ? 0 : n;
    mb.rows = mb.np + 2 * mb.nq;
    mb.in = in;
    const int64_t rows = mb.rows, np = mb.np, nq = mb.nq;
    const bool priors = cfg_.prior_scale != 0.0;
    mb.x.assign(size_t(e * rows * in), 0.f);
    mb.prior.assign(priors ? size_t(e * rows * 3) : 0, 0.f);
    mb.t.assign(size_t(e * np * 3), 0.f);
    mb.pref.assign(size_t(e * nq), 0.f);
    auto put = [&](int64_t m, int64_t row, const item& it, int option, const std::vector<float>& p) {
      float* dst = mb.x.data() + (m * rows + row) * in;
      std::copy(it.x.begin(), it.x.end(), dst);
      dst[cfg_.dim + option] = 1.f;
      if (priors) std::copy_n(p.begin() + m * 3, 3, mb.prior.begin() + (m * rows + row) * 3);
    };
    for (int64_t m = 0; m < e; ++m) {
      auto& r = streams_[size_t(m)];
      for (int64_t i = 0; i < np; ++i) {
        const auto& it = point_[r.below(point_.size())];
        put(m, i, it, it.a, it.prior_a);
        std::copy(it.t.begin(), it.t.end(), mb.t.begin() + (m * np + i) * 3);
      }
      for (int64_t i = 0; i < nq; ++i) {
        const auto& it = pair_[r.below(pair_.size())];
        put(m, np + i, it, it.a, it.prior_a);
        put(m, np + nq + i, it, it.b, it.prior_b);
        mb.pref[size_t(m * nq + i)] = it.t[0];
      }
    }
    return mb;
  }

 private:
  /// A label, and its options' scaled prior logits [members x 3] (not saved: the priors
  /// are a function of the configuration).
  struct item {
    std::vector<float> x;
    int a, b;
    std::vector<float> t;
    std::vector<float> prior_a, prior_b;
    void state(state_io& io) { io(x, a, b, t); }
  };
  using item_iter = std::vector<item>::iterator;

  /// The priors are fixed, so each label's prior logits are computed once, by the
  /// hand-written forward pass (small_mlp.hpp), not in every minibatch step.
  void with_priors(item_iter first, item_iter last) {
    if (cfg_.prior_scale == 0.0 || first == last) return;
    std::vector<float> x;
    for (auto it = first; it != last; ++it) x.insert(x.end(), it->x.begin(), it->x.end());
    const size_t e = size_t(cfg_.ensemble), k = size_t(cfg_.options);
    const auto all = priors_.forward(x.data(), size_t(last - first), cfg_.options);  // rows x options x members x 3
    size_t r = 0;
    for (auto it = first; it != last; ++it, ++r) {
      auto pick = [&](int option) {
        const float* p = all.data() + (r * k + size_t(option)) * e * 3;
        return std::vector<float>(p, p + e * 3);
      };
      it->prior_a = pick(it->a);
      if (it->b >= 0) it->prior_b = pick(it->b);
    }
  }

  critic_config cfg_;
  mlp_bank priors_;
  std::vector<rng> streams_;
  std::vector<item> point_, pair_;
  minibatch mb_;
};

/// Where each tensor of a member sits in its flat parameters (policy_net's order).
struct member_layout : mlp_layout {
  int64_t dim, options;
  explicit member_layout(const policy_config& c)
      : mlp_layout(checked(c)), dim(c.dim), options(c.options) {}

 private:
  static mlp_shape checked(const policy_config& c) {
    OVERSIGHT_CHECK_LT(0, c.dim);
    OVERSIGHT_CHECK_LT(0, c.hidden);
    OVERSIGHT_CHECK_LT(1, c.options);
    return {c.dim, c.hidden, c.options};
  }
};

/// Rows grouped by member: for row i, its member and its position among that member's
/// rows (in batch order), and each member's row count.
struct grouping {
  std::vector<int64_t> count;  // per member
  std::vector<int64_t> pos;    // per row
  int64_t max_count = 0;
};

/// Groups `who` (a member per row) for a population of `members`. Throws
/// std::invalid_argument naming `what`, the row and the member when one is out of range.
grouping group_rows(const std::vector<int32_t>& who, size_t members, const char* what);

/// A population trainer's batch (population.hpp: x, a member per row in a, target),
/// checked against the members' shape and grouped by member.
grouping group_population_batch(const train_batch& b, const policy_config& cfg, size_t members);

/// The rows of `who` in member order, batch order kept within a member (a counting sort
/// of `g`): member m's rows are order[start[m]] .. order[start[m + 1] - 1].
struct member_rows {
  std::vector<size_t> start, order;
};
member_rows rows_by_member(const grouping& g, const std::vector<int32_t>& who);

/// The hand-written policy trainer (nets.cpp), for the population trainer's members.
std::unique_ptr<policy_trainer_base> make_hand_policy_trainer(const policy_config& cfg, const std::vector<float>& init);

/// The libtorch trainers, as the libtorch units register them when they load.
struct libtorch_trainers {
  /// nets_torch.cpp has registered (libtorch is initialized). Atomic: read without the
  /// loader's lock by trainers_on_gpu().
  std::atomic<bool> loaded{false};
  bool cuda = false;    ///< trainers run on the first CUDA device
  std::unique_ptr<policy_trainer_base> (*policy)(const policy_config&, const std::vector<float>&) = nullptr;
  std::unique_ptr<critic_trainer_base> (*critic)(const critic_config&, const std::vector<float>&, uint64_t) = nullptr;
  std::unique_ptr<trainable> (*population)(const policy_config&, size_t, const std::vector<float>&) = nullptr;
};

/// Where the libtorch units register (a static in one place, whatever the load order).
libtorch_trainers& libtorch_registry();

/// The registered libtorch trainers, loading libtorch first when it is not in the
/// process (base/device.hpp: load_libtorch). Throws std::runtime_error naming `who`
/// (what needs them) when libtorch cannot be loaded (with the loader's reason) or this
/// binary has none.
const libtorch_trainers& libtorch_backend(const std::string& who);

/// `what` ("a policy trainer") and why the automatic choice gives it libtorch: for
/// libtorch_backend's errors.
std::string trainer_needing_libtorch(const char* what, int hidden);

}  // namespace oversight
