// The libtorch trainers of nets.hpp: a policy and a critic trainer on autograd and
// torch::optim::Adam, on the training device. They register in libtorch_registry()
// when this unit loads (trainer_backends.hpp); nets.cpp picks them by size and device.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "policies/torch_util.hpp"
#include "policies/trainer_backends.hpp"

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

torch::nn::Sequential make_mlp(int in, int hidden, int out) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::Tanh(), torch::nn::Linear(hidden, hidden),
                               torch::nn::Tanh(), torch::nn::Linear(hidden, out));
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

// Before anything in this binary or module can use libtorch (see init_torch), and then
// the trainers' registration.
[[maybe_unused]] const bool registered = [] {
  auto& r = libtorch_registry();
  r.cuda = std::string(init_torch(1)) == "cuda";
  r.policy = [](const policy_config& cfg, const std::vector<float>& init) -> std::unique_ptr<policy_trainer_base> {
    return std::make_unique<policy_trainer_torch>(cfg, init);
  };
  r.critic = [](const critic_config& cfg, const std::vector<float>& init,
                uint64_t seed) -> std::unique_ptr<critic_trainer_base> {
    return std::make_unique<critic_trainer_torch>(cfg, init, seed);
  };
  r.loaded = true;
  return true;
}();

}  // namespace

}  // namespace oversight
