// The only translation unit of the red-team brains that sees libtorch (see nets.hpp).
#include "policies/nets.hpp"

#include <algorithm>
#include <cmath>

#include "policies/small_mlp.hpp"
#include "policies/torch_util.hpp"

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
[[maybe_unused]] const bool torch_ready = (init_torch(1), true);

torch::nn::Sequential make_mlp(int in, int hidden, int out) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::Tanh(), torch::nn::Linear(hidden, hidden),
                               torch::nn::Tanh(), torch::nn::Linear(hidden, out));
}

using torch_util::as_tensor;
using torch_util::flatten;
using torch_util::optimizer_state;
using torch_util::training_device;
using torch_util::unflatten;

torch::Tensor with_options(const torch::Tensor& x, const std::vector<int32_t>& a, int options) {
  auto idx = torch::from_blob(const_cast<int32_t*>(a.data()), {int64_t(a.size())}, torch::kInt32).to(torch::kLong);  // .to copies
  return torch::cat({x, torch::one_hot(idx, options).to(torch::kFloat32)}, 1);
}

// ---- policy ------------------------------------------------------------------------

struct policy_module : torch::nn::Module {
  explicit policy_module(const policy_config& c) : net(register_module("net", make_mlp(c.dim, c.hidden, c.options))) {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::softmax(net->forward(x), 1); }
  torch::nn::Sequential net;
};

class policy_trainer : public trainable {
 public:
  policy_trainer(const policy_config& cfg, const std::vector<float>& init)
      : cfg_(cfg), model_(build(cfg, init, dev_)), opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)) {}
  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    if (b.rows() > 0) {
      OVERSIGHT_CHECK_EQ(b.width, cfg_.options);
      auto x = as_tensor(b.x, b.dim).to(dev_);
      auto r = as_tensor(b.target, b.width).to(dev_);
      for (int e = 0; e < cfg_.epochs; ++e) {
        auto p = model_->forward(x);
        auto expected = (p * r).sum(1);
        auto entropy = -(p * torch::log(p + 1e-8)).sum(1);
        auto loss = -(expected + cfg_.entropy * entropy).mean();
        opt_.zero_grad();
        loss.backward();
        opt_.step();
      }
    }
    return flatten(*model_);
  }
  void state(state_io& io) override { optimizer_state(io, *model_, opt_, dev_); }

 private:
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
/// a critic build the same ones from cfg.prior_seed.
struct critic_module : torch::nn::Module {
  explicit critic_module(const critic_config& c) : prior_scale(c.prior_scale) {
    const auto prior_params = critic_prior_params(c);
    const size_t n = prior_params.size() / size_t(c.ensemble);
    for (int i = 0; i < c.ensemble; ++i) {
      std::string name = "m";  // not "m" + to_string(i): GCC 12 warns falsely on it (bug 105329)
      name += std::to_string(i);
      members.push_back(register_module(name, make_mlp(c.dim + c.options, c.hidden, 3)));
      auto prior = make_mlp(c.dim + c.options, c.hidden, 3);
      unflatten(*prior, {prior_params.begin() + std::ptrdiff_t(size_t(i) * n),
                         prior_params.begin() + std::ptrdiff_t(size_t(i + 1) * n)});
      for (auto& p : prior->parameters()) p.set_requires_grad(false);
      priors.push_back(prior);
    }
  }
  torch::Tensor logits(size_t m, const torch::Tensor& in) {
    if (prior_scale == 0.0) return members[m]->forward(in);
    torch::Tensor p;
    {
      torch::NoGradGuard ng;
      p = priors[m]->forward(in);
    }
    return members[m]->forward(in) + prior_scale * p;
  }
  /// Moves the trained members and the (unregistered) priors together.
  void move_to(torch::Device d) {
    to(d);
    for (auto& p : priors) p->to(d);
  }
  double prior_scale;
  std::vector<torch::nn::Sequential> members;
  std::vector<torch::nn::Sequential> priors;
};

class critic_trainer : public trainable {
 public:
  critic_trainer(const critic_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), model_(build(cfg, init, dev_)), opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)) {
    for (int i = 0; i < cfg.ensemble; ++i) streams_.emplace_back(seed, "critic-bootstrap-" + std::to_string(i));
  }

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    if (b.rows() > 0) {
      OVERSIGHT_CHECK_EQ(b.dim, cfg_.dim);
      for (size_t i = 0; i < b.rows(); ++i) {
        item it;
        it.x.assign(b.x.begin() + i * b.dim, b.x.begin() + (i + 1) * b.dim);
        it.a = b.a[i];
        it.b = b.b[i];
        it.t.assign(b.target.begin() + i * b.width, b.target.begin() + i * b.width + 3);
        (it.b < 0 ? point_ : pair_).push_back(std::move(it));
      }
    }
    if (point_.empty() && pair_.empty()) return flatten(*model_);
    for (int u = 0; u < cfg_.updates; ++u) {
      torch::Tensor loss = torch::zeros({}, dev_);
      for (int m = 0; m < cfg_.ensemble; ++m) loss = loss + member_loss(m);
      opt_.zero_grad();
      loss.backward();
      opt_.step();
    }
    return flatten(*model_);
  }
  void state(state_io& io) override {
    optimizer_state(io, *model_, opt_, dev_);
    io(streams_, point_, pair_);
  }

 private:
  struct item {
    std::vector<float> x;
    int a, b;
    std::vector<float> t;
    void state(state_io& io) { io(x, a, b, t); }
  };

  /// A bootstrap minibatch for member m: point-wise BCE plus pair-wise Bradley-Terry.
  torch::Tensor member_loss(int m) {
    auto& r = streams_[size_t(m)];
    torch::Tensor loss = torch::zeros({}, dev_);
    const int n = cfg_.minibatch;
    if (!point_.empty()) {
      std::vector<float> x, t;
      std::vector<int32_t> a;
      for (int i = 0; i < n; ++i) {
        auto& it = point_[r.below(point_.size())];
        x.insert(x.end(), it.x.begin(), it.x.end());
        t.insert(t.end(), it.t.begin(), it.t.end());
        a.push_back(it.a);
      }
      auto in = with_options(as_tensor(x, cfg_.dim), a, cfg_.options).to(dev_);
      loss = loss + torch::binary_cross_entropy_with_logits(model_->logits(size_t(m), in), as_tensor(t, 3).to(dev_));
    }
    if (!pair_.empty()) {
      std::vector<float> x, pref;
      std::vector<int32_t> a, b;
      for (int i = 0; i < n; ++i) {
        auto& it = pair_[r.below(pair_.size())];
        x.insert(x.end(), it.x.begin(), it.x.end());
        a.push_back(it.a);
        b.push_back(it.b);
        pref.push_back(it.t[0]);
      }
      auto xt = as_tensor(x, cfg_.dim);
      auto ua = torch::log_sigmoid(model_->logits(size_t(m), with_options(xt, a, cfg_.options).to(dev_))).sum(1);
      auto ub = torch::log_sigmoid(model_->logits(size_t(m), with_options(xt, b, cfg_.options).to(dev_))).sum(1);
      auto y = torch::from_blob(pref.data(), {int64_t(pref.size())}, torch::kFloat32).to(dev_, false, true);
      loss = loss + torch::binary_cross_entropy_with_logits(ua - ub, y);
    }
    return loss;
  }

  /// The ensemble (priors included), initialized from `init`, on the training device.
  static std::shared_ptr<critic_module> build(const critic_config& cfg, const std::vector<float>& init,
                                              torch::Device dev) {
    auto m = std::make_shared<critic_module>(cfg);
    unflatten(*m, init);
    m->move_to(dev);
    return m;
  }

  torch::Device dev_ = training_device();
  critic_config cfg_;
  std::shared_ptr<critic_module> model_;
  torch::optim::Adam opt_;
  std::vector<rng> streams_;
  std::vector<item> point_, pair_;
};

}  // namespace

// ---- inference: the hand-written forward pass (small_mlp.hpp), no libtorch ------------

namespace {

mlp_shape policy_shape(const policy_config& c) { return {c.dim, c.hidden, c.options}; }
mlp_shape critic_shape(const critic_config& c) { return {c.dim + c.options, c.hidden, 3}; }

}  // namespace

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
  impl(const policy_config& c) : cfg(c), bank(policy_shape(c), 1, 1) {}
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
  impl_->bank.set(0, 0, p.data());
}
const policy_config& policy_net::config() const { return impl_->cfg; }

std::unique_ptr<trainable> make_policy_trainer(const policy_config& cfg, const std::vector<float>& init) {
  return std::make_unique<policy_trainer>(cfg, init);
}

/// The bank's groups are the members; a member's second net is its prior, scaled by
/// prior_scale (absent when that is 0, as in critic_module::logits).
struct reward_model::impl {
  critic_config cfg;
  std::vector<float> params;
  mlp_bank bank;
  explicit impl(const critic_config& c)
      : cfg(c), bank(critic_shape(c), size_t(c.ensemble), c.prior_scale == 0.0 ? 1 : 2) {
    if (c.prior_scale == 0.0) return;
    const auto priors = critic_prior_params(c);
    const size_t n = critic_shape(c).param_count();
    for (size_t m = 0; m < size_t(c.ensemble); ++m) bank.set(m, 1, priors.data() + m * n, float(c.prior_scale));
  }
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
  const auto logits = impl_->bank.forward(x.data(), rows, c.options);  // cells x members x 3
  out.p_ok.resize(cells);
  out.uncertainty.resize(cells);
  out.p_dim.assign(cells * 3, 0.f);
  std::vector<float> ok(members);
  for (size_t i = 0; i < cells; ++i) {
    float* dims = out.p_dim.data() + i * 3;
    double mean = 0;
    for (size_t m = 0; m < members; ++m) {
      const float* l = logits.data() + (i * members + m) * 3;
      float prod = 1.f;
      for (size_t d = 0; d < 3; ++d) {
        const float p = 1.f / (1.f + std::exp(-l[d]));
        prod *= p;
        dims[d] += p;
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
  for (size_t m = 0; m < size_t(impl_->cfg.ensemble); ++m) impl_->bank.set(m, 0, p.data() + m * n);
}
const critic_config& reward_model::config() const { return impl_->cfg; }

std::unique_ptr<trainable> make_critic_trainer(const critic_config& cfg, const std::vector<float>& init,
                                               uint64_t seed) {
  return std::make_unique<critic_trainer>(cfg, init, seed);
}

}  // namespace oversight
