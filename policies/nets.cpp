// The only translation unit of the red-team brains that sees libtorch (see nets.hpp).
#include "policies/nets.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "policies/small_mlp.hpp"
#include "policies/torch_util.hpp"

#include "base/device.hpp"
#include "base/error.hpp"

#include "base/log.hpp"

// Declared weak so this links whichever BLAS is installed; called when it is OpenBLAS.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
// 0 for OpenBLAS built without threads (Debian's libopenblas0-serial), 1 pthreads, 2 OpenMP.
extern "C" int openblas_get_parallel() __attribute__((weak));

namespace oversight {

void pin_torch_thread() {
  thread_local bool pinned = false;
  if (!pinned) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    torch::set_num_threads(1);
    pinned = true;
  }
}

const char* blas_concurrency_problem() {
  if (openblas_get_parallel && openblas_get_parallel() == 0)
    return "libblas.so.3 is OpenBLAS's serial build (libopenblas0-serial), which is not safe to call from "
           "several threads at once: trainers running side by side get results that change from run to "
           "run. Run tools/setup (it installs libopenblas0-pthread, which locks) or point the libblas.so.3 "
           "alternative elsewhere (update-alternatives --config libblas.so.3-x86_64-linux-gnu)";
  return nullptr;
}

const char* init_torch(int intra_op_threads) {
  static const bool warned = [] {
    if (const char* problem = blas_concurrency_problem()) log().warn("{}", problem);
    return true;
  }();
  (void)warned;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  torch::set_num_threads(intra_op_threads);
  return torch_util::training_device().is_cuda() ? "cuda" : "cpu";  // on CUDA: deterministic from here on
}

namespace {

// Before anything in this binary or module can use libtorch (see init_torch).
[[maybe_unused]] const bool torch_ready = (accelerator_present() = std::string(init_torch(1)) == "cuda", true);

torch::nn::Sequential make_mlp(int in, int hidden, int out) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::Tanh(), torch::nn::Linear(hidden, hidden),
                               torch::nn::Tanh(), torch::nn::Linear(hidden, out));
}

mlp_shape policy_shape(const policy_config& c) { return {c.dim, c.hidden, c.options}; }
mlp_shape critic_shape(const critic_config& c) { return {c.dim + c.options, c.hidden, 3}; }

/// The critic's priors for the hand-written forward pass: net m is member m's prior,
/// its outputs scaled by prior_scale.
mlp_bank critic_prior_bank(const critic_config& c) {
  mlp_bank bank(critic_shape(c), size_t(c.ensemble));
  const auto p = critic_prior_params(c);
  const size_t n = critic_shape(c).param_count();
  for (size_t m = 0; m < size_t(c.ensemble); ++m) bank.set(m, p.data() + m * n, float(c.prior_scale));
  return bank;
}

using torch_util::as_tensor;
using torch_util::flatten;
using torch_util::optimizer_state;
using torch_util::training_device;
using torch_util::unflatten;

// ---- policy ------------------------------------------------------------------------

struct policy_module : torch::nn::Module {
  explicit policy_module(const policy_config& c) : net(register_module("net", make_mlp(c.dim, c.hidden, c.options))) {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::softmax(net->forward(x), 1); }
  torch::nn::Sequential net;
};

/// A policy trainer, either backend, with the objective hook for tests.
class policy_trainer_base : public trainable {
 public:
  /// policy_trainer_objective: the loss of an epoch on `b` and its gradient; no step.
  virtual trainer_objective objective(const train_batch& b) = 0;
};

/// The policy trainer on libtorch (autograd, torch::optim::Adam, the training device).
class policy_trainer_torch : public policy_trainer_base {
 public:
  policy_trainer_torch(const policy_config& cfg, const std::vector<float>& init)
      : cfg_(cfg), model_(build(cfg, init, dev_)), opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)) {}
  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    if (b.rows() > 0) {
      OVERSIGHT_CHECK_EQ(b.width, cfg_.options);
      auto x = as_tensor(b.x, b.dim).to(dev_);
      auto r = as_tensor(b.target, b.width).to(dev_);
      for (int e = 0; e < cfg_.epochs; ++e) {
        auto loss = objective_loss(x, r);
        opt_.zero_grad();
        loss.backward();
        opt_.step();
      }
    }
    return flatten(*model_);
  }
  void state(state_io& io) override { optimizer_state(io, *model_, opt_, dev_); }

  trainer_objective objective(const train_batch& b) override {
    pin_torch_thread();
    OVERSIGHT_CHECK_EQ(b.width, cfg_.options);
    auto loss = objective_loss(as_tensor(b.x, b.dim).to(dev_), as_tensor(b.target, b.width).to(dev_));
    opt_.zero_grad();
    loss.backward();
    std::vector<float> g;
    for (auto& p : model_->parameters()) {
      auto c = p.grad().to(torch::kCPU).contiguous();
      g.insert(g.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return {loss.item<double>(), g};
  }

 private:
  /// Minus the mean over rows of the expected reward plus the entropy bonus.
  torch::Tensor objective_loss(const torch::Tensor& x, const torch::Tensor& r) {
    auto p = model_->forward(x);
    auto expected = (p * r).sum(1);
    auto entropy = -(p * torch::log(p + 1e-8)).sum(1);
    return -(expected + cfg_.entropy * entropy).mean();
  }
  /// The model, initialized from `init`, on the training device (before the optimizer
  /// takes its parameters).
  static std::shared_ptr<policy_module> build(const policy_config& cfg, const std::vector<float>& init,
                                              torch::Device dev) {
    auto m = std::make_shared<policy_module>(cfg);
    unflatten(*m, init);
    m->to(dev);
    return m;
  }
  torch::Device dev_ = training_device();
  policy_config cfg_;
  std::shared_ptr<policy_module> model_;
  torch::optim::Adam opt_;
};

/// The policy trainer written by hand (small_mlp.hpp: mlp_tape, mlp_adam): the objective
/// of policy_trainer_torch, its gradient through the softmax by hand, and Adam.
class policy_trainer_hand : public policy_trainer_base {
 public:
  policy_trainer_hand(const policy_config& cfg, const std::vector<float>& init)
      : cfg_(cfg), tape_(policy_shape(cfg)), params_(init), grad_(init.size(), 0.f), adam_(init.size(), cfg.lr) {
    OVERSIGHT_CHECK_EQ(init.size(), policy_shape(cfg).param_count());
  }
  std::vector<float> step(const train_batch& b) override {
    if (b.rows() > 0) {
      OVERSIGHT_CHECK_EQ(b.dim, cfg_.dim);
      OVERSIGHT_CHECK_EQ(b.width, cfg_.options);
      for (int e = 0; e < cfg_.epochs; ++e) {
        gradient(b);
        adam_.update(params_.data(), grad_.data());
      }
    }
    return params_;
  }
  void state(state_io& io) override {
    io(params_, adam_);
    if (io.loading()) {
      OVERSIGHT_CHECK_EQ(params_.size(), policy_shape(cfg_).param_count());
      OVERSIGHT_CHECK_EQ(adam_.m.size(), params_.size());
      OVERSIGHT_CHECK_EQ(adam_.v.size(), params_.size());
    }
  }
  trainer_objective objective(const train_batch& b) override {
    OVERSIGHT_CHECK_EQ(b.dim, cfg_.dim);
    OVERSIGHT_CHECK_EQ(b.width, cfg_.options);
    const double loss = gradient(b);
    return {loss, grad_};
  }

 private:
  /// The loss on b and its gradient into grad_. Per row, with p = softmax(z) and
  /// L = -(sum_a p_a r_a + c H) / rows, H = -sum_a p_a log(p_a + 1e-8):
  /// dL/dp_a = -(r_a - c (log(p_a + 1e-8) + p_a / (p_a + 1e-8))) / rows, and through the
  /// softmax dL/dz_b = p_b (dL/dp_b - sum_a p_a dL/dp_a).
  double gradient(const train_batch& b) {
    const size_t rows = b.rows(), k = size_t(cfg_.options);
    const float* z = tape_.forward(params_.data(), b.x.data(), rows);
    dz_.resize(rows * k);
    std::vector<double> p(k), g(k);
    const double c = cfg_.entropy, n = double(rows);
    double loss = 0;
    for (size_t i = 0; i < rows; ++i) {
      const float* zi = z + i * k;
      const float* r = b.target.data() + i * k;
      // Softmax as libtorch's: shifted by the row's largest logit, in float.
      float top = zi[0];
      for (size_t a = 1; a < k; ++a) top = std::max(top, zi[a]);
      float sum = 0.f;
      std::vector<float> e(k);
      for (size_t a = 0; a < k; ++a) sum += e[a] = std::exp(zi[a] - top);
      double expected = 0, entropy = 0, dot = 0;
      for (size_t a = 0; a < k; ++a) {
        p[a] = double(e[a] / sum);
        const double logp = std::log(p[a] + 1e-8);
        expected += p[a] * r[a];
        entropy -= p[a] * logp;
        g[a] = -(double(r[a]) - c * (logp + p[a] / (p[a] + 1e-8))) / n;
        dot += p[a] * g[a];
      }
      loss -= (expected + c * entropy) / n;
      for (size_t a = 0; a < k; ++a) dz_[i * k + a] = float(p[a] * (g[a] - dot));
    }
    tape_.backward(dz_.data(), grad_.data());
    return loss;
  }

  policy_config cfg_;
  mlp_tape tape_;
  std::vector<float> params_, grad_;
  mlp_adam adam_;
  std::vector<float> dz_;
};

std::unique_ptr<policy_trainer_base> new_policy_trainer(const policy_config& cfg, const std::vector<float>& init,
                                                        trainer_backend backend) {
  if (backend == trainer_backend::automatic) backend = policy_trainer_backend(cfg);
  if (backend == trainer_backend::hand_written) return std::make_unique<policy_trainer_hand>(cfg, init);
  return std::make_unique<policy_trainer_torch>(cfg, init);
}

// ---- critic --------------------------------------------------------------------------

/// An ensemble with randomized prior functions (Osband et al. 2018): each member's
/// logits are a trained MLP plus a fixed, untrained random MLP scaled by prior_scale.
/// The priors make members disagree where there is no data, so the ensemble's spread is
/// a usable uncertainty far from the labels. Priors are not parameters: both copies of
/// a critic take the same ones from critic_prior_params.
///
/// The members are stacked: one parameter tensor [members, total] holds every member's
/// flat parameters (reward_model's layout), and the layers are views of it. A minibatch
/// step is one batched forward and backward for the whole ensemble (baddbmm) and one
/// Adam update of one tensor, where one module per member took 3 x 6: at hidden 64
/// libtorch's per-operation overhead, not arithmetic, sets the cost. Members still never
/// mix: a member's gradient depends only on its own rows.
struct critic_stack : torch::nn::Module {
  critic_stack(const critic_config& c, torch::Device dev)
      : members(c.ensemble), l(mlp_shape{c.dim + c.options, c.hidden, 3}) {
    params = register_parameter("members", torch::zeros({members, l.total}));
    to(dev);
  }

  /// Every member's flat parameters, concatenated in member order.
  std::vector<float> flat() {
    auto all = params.detach().to(torch::kCPU).contiguous();
    return {all.data_ptr<float>(), all.data_ptr<float>() + all.numel()};
  }
  void set_flat(const std::vector<float>& v) {
    OVERSIGHT_CHECK_EQ(v.size(), size_t(members * l.total));
    torch::NoGradGuard ng;
    params.copy_(torch::from_blob(const_cast<float*>(v.data()), {members, l.total}, torch::kFloat32));
  }

  /// Logits [members, rows, 3] for inputs x [members, rows, in]: member m's rows through
  /// member m. The layers are views of the one parameter tensor, split in one operation
  /// (one backward node gathers their gradients).
  torch::Tensor logits(const torch::Tensor& x) {
    const int64_t n = members;
    auto p = params.split_with_sizes({l.b1 - l.w1, l.w2 - l.b1, l.b2 - l.w2, l.w3 - l.b2, l.b3 - l.w3, l.total - l.b3}, 1);
    auto w1 = p[0].view({n, l.hidden, l.in}), w2 = p[2].view({n, l.hidden, l.hidden}), w3 = p[4].view({n, l.out, l.hidden});
    auto h = torch::tanh(torch::baddbmm(p[1].unsqueeze(1), x, w1.transpose(1, 2)));
    h = torch::tanh(torch::baddbmm(p[3].unsqueeze(1), h, w2.transpose(1, 2)));
    return torch::baddbmm(p[5].unsqueeze(1), h, w3.transpose(1, 2));
  }

  int64_t members;
  mlp_layout l;  ///< one member's flat parameters
  torch::Tensor params;
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

/// The critic trainer on libtorch: the stacked ensemble (critic_stack), autograd, and
/// torch::optim::Adam. For the training device when it is a GPU, and for large members.
class critic_trainer_torch : public critic_trainer_base {
 public:
  critic_trainer_torch(const critic_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), model_(build(cfg, init, dev_)), opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)),
        replay_(cfg, seed) {}

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    replay_.add(b);
    if (replay_.empty()) return model_->flat();
    for (int u = 0; u < cfg_.updates; ++u) {
      auto loss = minibatch_loss();
      opt_.zero_grad();
      loss.backward();
      opt_.step();
    }
    return model_->flat();
  }
  void state(state_io& io) override {
    optimizer_state(io, *model_, opt_, dev_);
    replay_.state(io);
  }

  critic_objective objective(const train_batch& b) override {
    pin_torch_thread();
    replay_.add(b);
    auto loss = minibatch_loss();
    opt_.zero_grad();
    loss.backward();
    auto g = model_->params.grad().to(torch::kCPU).contiguous();
    return {loss.item<double>(), {g.data_ptr<float>(), g.data_ptr<float>() + g.numel()}};
  }

 private:
  /// One bootstrap minibatch per member, all members at once: the sum over members of
  /// point-wise BCE plus pair-wise Bradley-Terry, each a mean over the member's rows.
  torch::Tensor minibatch_loss() {
    auto& mb = replay_.draw();
    const int64_t e = cfg_.ensemble, np = mb.np, nq = mb.nq, rows = mb.rows;
    auto tensor = [&](std::vector<float>& v, std::initializer_list<int64_t> shape) {
      return torch::from_blob(v.data(), shape, torch::kFloat32).to(dev_, false, true);  // copies
    };
    auto logits = model_->logits(tensor(mb.x, {e, rows, mb.in}));
    if (!mb.prior.empty()) logits = logits + tensor(mb.prior, {e, rows, 3});
    // Binary cross-entropy with logits z and targets y, as softplus(z) - y z: the same
    // function as torch::binary_cross_entropy_with_logits in a third of the operations.
    // Each member's mean, summed over members: the sum over every row / rows per member.
    torch::Tensor loss;
    if (np > 0) {
      auto z = nq > 0 ? logits.narrow(1, 0, np) : logits;
      loss = (torch::softplus(z) - tensor(mb.t, {e, np, 3}) * z).sum() / double(np * 3);
    }
    if (nq > 0) {
      auto u = torch::log_sigmoid(np > 0 ? logits.narrow(1, np, 2 * nq) : logits).sum(2);  // [members, 2 nq]
      auto d = u.narrow(1, 0, nq) - u.narrow(1, nq, nq);
      auto bt = (torch::softplus(d) - tensor(mb.pref, {e, nq}) * d).sum() / double(nq);
      loss = loss.defined() ? loss + bt : bt;
    }
    return loss;
  }

  /// The stacked ensemble, initialized from `init`, on the training device.
  static std::shared_ptr<critic_stack> build(const critic_config& cfg, const std::vector<float>& init,
                                             torch::Device dev) {
    auto m = std::make_shared<critic_stack>(cfg, dev);
    m->set_flat(init);
    return m;
  }

  torch::Device dev_ = training_device();
  critic_config cfg_;
  std::shared_ptr<critic_stack> model_;
  torch::optim::Adam opt_;
  critic_replay replay_;
};

/// The critic trainer written by hand (small_mlp.hpp: mlp_tape, mlp_adam): the same
/// objective and Adam as critic_trainer_torch, member by member on the forward kernel.
/// At hidden 64 a minibatch step is about 1M multiply-adds, which libtorch's per-
/// operation overhead (some 40 operators forward and backward, and Adam's) outweighed.
class critic_trainer_hand : public critic_trainer_base {
 public:
  critic_trainer_hand(const critic_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), shape_(critic_shape(cfg)), per_member_(shape_.param_count()), params_(init),
        grad_(init.size(), 0.f), adam_(init.size(), cfg.lr), replay_(cfg, seed) {
    OVERSIGHT_CHECK_EQ(init.size(), per_member_ * size_t(cfg.ensemble));
    for (int m = 0; m < cfg.ensemble; ++m) tapes_.emplace_back(shape_);
  }

  std::vector<float> step(const train_batch& b) override {
    replay_.add(b);
    if (replay_.empty()) return params_;
    for (int u = 0; u < cfg_.updates; ++u) {
      minibatch_gradient();
      adam_.update(params_.data(), grad_.data());
    }
    return params_;
  }
  void state(state_io& io) override {
    io(params_, adam_);
    if (io.loading()) {
      OVERSIGHT_CHECK_EQ(params_.size(), per_member_ * size_t(cfg_.ensemble));
      OVERSIGHT_CHECK_EQ(adam_.m.size(), params_.size());
      OVERSIGHT_CHECK_EQ(adam_.v.size(), params_.size());
      grad_.assign(params_.size(), 0.f);
    }
    replay_.state(io);
  }

  critic_objective objective(const train_batch& b) override {
    replay_.add(b);
    const double loss = minibatch_gradient();
    return {loss, grad_};
  }

 private:
  /// The loss of the next minibatch (summed over members, each member's mean) and its
  /// gradient into grad_: per member, BCE with logits on the point-wise rows, Bradley-
  /// Terry on the log-probability that all three dimensions pass for the pairs.
  double minibatch_gradient() {
    const auto& mb = replay_.draw();
    const int64_t np = mb.np, nq = mb.nq, rows = mb.rows;
    double loss = 0;
    dz_.assign(size_t(rows * 3), 0.f);
    for (int64_t m = 0; m < cfg_.ensemble; ++m) {
      const float* z0 = tapes_[size_t(m)].forward(params_.data() + size_t(m) * per_member_,
                                                  mb.x.data() + m * rows * mb.in, size_t(rows));
      z_.assign(z0, z0 + rows * 3);
      if (!mb.prior.empty())
        for (int64_t i = 0; i < rows * 3; ++i) z_[size_t(i)] += mb.prior[size_t(m * rows * 3 + i)];
      // softplus(z) - y z, averaged: d/dz = (sigmoid(z) - y) / (np 3).
      for (int64_t i = 0; i < np * 3; ++i) {
        const double z = z_[size_t(i)], y = mb.t[size_t(m * np * 3 + i)];
        loss += (softplus(z) - y * z) / double(np * 3);
        dz_[size_t(i)] = float((sigmoid(z) - y) / double(np * 3));
      }
      // u = sum over dimensions of log sigmoid(z); d = u_a - u_b; softplus(d) - pref d,
      // averaged: d/dd = (sigmoid(d) - pref) / nq, and d log sigmoid(z) / dz = sigmoid(-z).
      for (int64_t i = 0; i < nq; ++i) {
        const size_t ra = size_t(np + i) * 3, rb = size_t(np + nq + i) * 3;
        double ua = 0, ub = 0;
        for (size_t d = 0; d < 3; ++d) {
          ua -= softplus(-double(z_[ra + d]));
          ub -= softplus(-double(z_[rb + d]));
        }
        const double diff = ua - ub, pref = mb.pref[size_t(m * nq + i)];
        loss += (softplus(diff) - pref * diff) / double(nq);
        const double g = (sigmoid(diff) - pref) / double(nq);
        for (size_t d = 0; d < 3; ++d) {
          dz_[ra + d] = float(g * sigmoid(-double(z_[ra + d])));
          dz_[rb + d] = float(-g * sigmoid(-double(z_[rb + d])));
        }
      }
      tapes_[size_t(m)].backward(dz_.data(), grad_.data() + size_t(m) * per_member_);
    }
    return loss;
  }

  /// log(1 + e^x) without overflow, and the logistic function.
  static double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
  static double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }

  critic_config cfg_;
  mlp_shape shape_;
  size_t per_member_;
  std::vector<float> params_, grad_;
  mlp_adam adam_;
  critic_replay replay_;
  std::vector<mlp_tape> tapes_;
  std::vector<float> z_, dz_;
};

std::unique_ptr<critic_trainer_base> new_critic_trainer(const critic_config& cfg, const std::vector<float>& init,
                                                        uint64_t seed, trainer_backend backend) {
  if (backend == trainer_backend::automatic) backend = critic_trainer_backend(cfg);
  if (backend == trainer_backend::hand_written) return std::make_unique<critic_trainer_hand>(cfg, init, seed);
  return std::make_unique<critic_trainer_torch>(cfg, init, seed);
}

}  // namespace

// ---- inference: the hand-written forward pass (small_mlp.hpp), no libtorch ------------

std::vector<float> critic_prior_params(const critic_config& cfg) {
  rng prior_init(cfg.prior_seed, "critic-prior");
  const mlp_shape shape = critic_shape(cfg);
  std::vector<float> out;
  for (int i = 0; i < cfg.ensemble; ++i) {
    auto p = init_mlp_params(shape, prior_init);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

struct policy_net::impl {
  policy_config cfg;
  std::vector<float> params;
  mlp_bank bank;
  explicit impl(const policy_config& c) : cfg(c), bank(policy_shape(c), 1) {}
};

policy_net::policy_net(const policy_config& cfg, rng& init) : impl_(std::make_unique<impl>(cfg)) {
  set_params(init_mlp_params(policy_shape(cfg), init));
}
policy_net::~policy_net() = default;
policy_net::policy_net(policy_net&&) noexcept = default;

std::vector<float> policy_net::probs(const std::vector<float>& x) const {
  if (x.empty()) return {};
  const auto& c = impl_->cfg;
  OVERSIGHT_CHECK_EQ(x.size() % size_t(c.dim), size_t(0));
  auto p = impl_->bank.forward(x.data(), x.size() / size_t(c.dim), 0);
  // Softmax per row, as torch::softmax: shifted by the row's largest logit.
  const size_t k = size_t(c.options);
  for (size_t r = 0; r < p.size(); r += k) {
    float* row = p.data() + r;
    float top = row[0];
    for (size_t a = 1; a < k; ++a) top = std::max(top, row[a]);
    float sum = 0.f;
    for (size_t a = 0; a < k; ++a) sum += row[a] = std::exp(row[a] - top);
    for (size_t a = 0; a < k; ++a) row[a] /= sum;
  }
  return p;
}
std::vector<float> policy_net::params() const { return impl_->params; }
void policy_net::set_params(const std::vector<float>& p) {
  OVERSIGHT_CHECK_EQ(p.size(), policy_shape(impl_->cfg).param_count());
  impl_->params = p;
  impl_->bank.set(0, p.data());
}
const policy_config& policy_net::config() const { return impl_->cfg; }

trainer_backend policy_trainer_backend(const policy_config& cfg) {
  if (training_device().is_cuda()) return trainer_backend::libtorch;
  return cfg.hidden <= hand_written_max_hidden ? trainer_backend::hand_written : trainer_backend::libtorch;
}

std::unique_ptr<trainable> make_policy_trainer(const policy_config& cfg, const std::vector<float>& init,
                                               trainer_backend backend) {
  return new_policy_trainer(cfg, init, backend);
}

trainer_objective policy_trainer_objective(const policy_config& cfg, const std::vector<float>& params,
                                           const train_batch& b, trainer_backend backend) {
  return new_policy_trainer(cfg, params, backend)->objective(b);
}

struct reward_model::impl {
  critic_config cfg;
  std::vector<float> params;
  mlp_bank members, priors;

  /// The priors' scaled logits for the last few batches judged, keyed by their bytes:
  /// the priors never change, and a scenario judges its evaluation sets every tick.
  struct memo {
    std::vector<float> x, logits;
    uint64_t used = 0;
  };
  static constexpr size_t memo_entries = 4, memo_max_rows = 4096;
  std::vector<memo> memos;
  uint64_t uses = 0;

  explicit impl(const critic_config& c)
      : cfg(c), members(critic_shape(c), size_t(c.ensemble)), priors(critic_prior_bank(c)) {}

  /// cells x members x 3 scaled prior logits for the rows of x.
  const std::vector<float>& prior_logits(const std::vector<float>& x, size_t rows) {
    for (auto& m : memos)
      if (m.x.size() == x.size() && std::memcmp(m.x.data(), x.data(), x.size() * sizeof(float)) == 0) {
        m.used = ++uses;
        return m.logits;
      }
    memo fresh{x, priors.forward(x.data(), rows, cfg.options), ++uses};
    if (rows > memo_max_rows) {
      scratch = std::move(fresh.logits);
      return scratch;
    }
    if (memos.size() < memo_entries) return memos.emplace_back(std::move(fresh)).logits;
    auto& oldest = *std::min_element(memos.begin(), memos.end(), [](auto& a, auto& b) { return a.used < b.used; });
    oldest = std::move(fresh);
    return oldest.logits;
  }
  std::vector<float> scratch;
};

reward_model::reward_model(const critic_config& cfg, rng& init) : impl_(std::make_unique<impl>(cfg)) {
  const mlp_shape shape = critic_shape(cfg);
  std::vector<float> p;
  for (int m = 0; m < cfg.ensemble; ++m) {
    auto member = init_mlp_params(shape, init);
    p.insert(p.end(), member.begin(), member.end());
  }
  set_params(p);
}
reward_model::~reward_model() = default;
reward_model::reward_model(reward_model&&) noexcept = default;

critic_view reward_model::judge(const std::vector<float>& x) const {
  critic_view out;
  if (x.empty()) return out;
  const auto& c = impl_->cfg;
  OVERSIGHT_CHECK_EQ(x.size() % size_t(c.dim), size_t(0));
  const size_t rows = x.size() / size_t(c.dim), cells = rows * size_t(c.options), members = size_t(c.ensemble);
  auto probs = impl_->members.forward(x.data(), rows, c.options);  // cells x members x 3 logits
  if (c.prior_scale != 0.0) {
    const auto& prior = impl_->prior_logits(x, rows);
    for (size_t i = 0; i < probs.size(); ++i) probs[i] += prior[i];
  }
  mlp_sigmoid(probs.data(), probs.data(), probs.size());
  out.p_ok.resize(cells);
  out.uncertainty.resize(cells);
  out.p_dim.assign(cells * 3, 0.f);
  std::vector<float> ok(members);
  for (size_t i = 0; i < cells; ++i) {
    float* dims = out.p_dim.data() + i * 3;
    double mean = 0;
    for (size_t m = 0; m < members; ++m) {
      const float* pm = probs.data() + (i * members + m) * 3;
      float prod = 1.f;
      for (size_t d = 0; d < 3; ++d) {
        prod *= pm[d];
        dims[d] += pm[d];
      }
      ok[m] = prod;
      mean += prod;
    }
    mean /= double(members);
    double var = 0;  // the ensemble's spread (population standard deviation)
    for (size_t m = 0; m < members; ++m) var += (ok[m] - mean) * (ok[m] - mean);
    out.p_ok[i] = float(mean);
    out.uncertainty[i] = float(std::sqrt(var / double(members)));
    for (size_t d = 0; d < 3; ++d) dims[d] /= float(members);
  }
  return out;
}
std::vector<float> reward_model::params() const { return impl_->params; }
void reward_model::set_params(const std::vector<float>& p) {
  const size_t n = critic_shape(impl_->cfg).param_count();
  OVERSIGHT_CHECK_EQ(p.size(), n * size_t(impl_->cfg.ensemble));
  impl_->params = p;
  for (size_t m = 0; m < size_t(impl_->cfg.ensemble); ++m) impl_->members.set(m, p.data() + m * n);
}
const critic_config& reward_model::config() const { return impl_->cfg; }

trainer_backend critic_trainer_backend(const critic_config& cfg) {
  if (training_device().is_cuda()) return trainer_backend::libtorch;
  return cfg.hidden <= hand_written_max_hidden ? trainer_backend::hand_written : trainer_backend::libtorch;
}

std::unique_ptr<trainable> make_critic_trainer(const critic_config& cfg, const std::vector<float>& init,
                                               uint64_t seed, trainer_backend backend) {
  return new_critic_trainer(cfg, init, seed, backend);
}

critic_objective critic_trainer_objective(const critic_config& cfg, const std::vector<float>& params,
                                          const train_batch& b, uint64_t seed, trainer_backend backend) {
  return new_critic_trainer(cfg, params, seed, backend)->objective(b);
}

}  // namespace oversight
