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
/// a critic take the same ones from critic_prior_params.
///
/// The members are stacked: each of the six tensors (w1, b1, w2, b2, w3, b3) holds every
/// member's, [members, ...], so a minibatch step is one batched forward and backward for
/// the whole ensemble (baddbmm) and one Adam update per tensor, not one per member's
/// tensor: at hidden 64 libtorch's per-operation overhead, not arithmetic, sets the cost.
/// Members still never mix: a member's gradient depends only on its own rows.
struct critic_stack : torch::nn::Module {
  /// Where each tensor sits in one member's flat parameters (make_mlp's flatten() order).
  struct layout {
    int64_t in, hidden, out;
    int64_t w1, b1, w2, b2, w3, b3, total;
    layout(int64_t i, int64_t h, int64_t o) : in(i), hidden(h), out(o) {
      w1 = 0;
      b1 = w1 + hidden * in;
      w2 = b1 + hidden;
      b2 = w2 + hidden * hidden;
      w3 = b2 + hidden;
      b3 = w3 + out * hidden;
      total = b3 + out;
    }
    /// The six tensors of `flat` ([members, total]): views, no copies.
    std::vector<torch::Tensor> split(const torch::Tensor& flat) const {
      const int64_t n = flat.size(0);
      return {flat.narrow(1, w1, hidden * in).view({n, hidden, in}), flat.narrow(1, b1, hidden),
              flat.narrow(1, w2, hidden * hidden).view({n, hidden, hidden}), flat.narrow(1, b2, hidden),
              flat.narrow(1, w3, out * hidden).view({n, out, hidden}), flat.narrow(1, b3, out)};
    }
  };

  critic_stack(const critic_config& c, torch::Device dev)
      : members(c.ensemble), prior_scale(c.prior_scale), l(c.dim + c.options, c.hidden, 3) {
    const char* names[] = {"w1", "b1", "w2", "b2", "w3", "b3"};
    const auto shapes = l.split(torch::zeros({members, l.total}));
    for (size_t i = 0; i < shapes.size(); ++i) params.push_back(register_parameter(names[i], torch::zeros(shapes[i].sizes())));
    to(dev);
    if (prior_scale != 0.0) {
      auto p = critic_prior_params(c);
      auto flat = torch::from_blob(p.data(), {members, l.total}, torch::kFloat32);
      for (auto& t : l.split(flat)) priors.push_back(t.clone(torch::MemoryFormat::Contiguous).to(dev));
    }
  }

  /// Every member's flat parameters, concatenated in member order (reward_model's layout).
  std::vector<float> flat() {
    std::vector<torch::Tensor> parts;
    for (auto& p : params) parts.push_back(p.detach().reshape({members, -1}));
    auto all = torch::cat(parts, 1).to(torch::kCPU).contiguous();
    return {all.data_ptr<float>(), all.data_ptr<float>() + all.numel()};
  }
  void set_flat(const std::vector<float>& v) {
    OVERSIGHT_CHECK_EQ(v.size(), size_t(members * l.total));
    torch::NoGradGuard ng;
    auto flat = torch::from_blob(const_cast<float*>(v.data()), {members, l.total}, torch::kFloat32);
    auto parts = l.split(flat);
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(parts[i]);
  }

  /// Logits [members, rows, 3] for inputs x [members, rows, in]: member m's rows through
  /// member m, plus its scaled prior.
  torch::Tensor logits(const torch::Tensor& x) {
    auto out = mlp(x, params);
    if (prior_scale == 0.0) return out;
    torch::Tensor p;
    {
      torch::NoGradGuard ng;
      p = mlp(x, priors);
    }
    return out + prior_scale * p;
  }

  static torch::Tensor mlp(const torch::Tensor& x, const std::vector<torch::Tensor>& w) {
    auto h = torch::tanh(torch::baddbmm(w[1].unsqueeze(1), x, w[0].transpose(1, 2)));
    h = torch::tanh(torch::baddbmm(w[3].unsqueeze(1), h, w[2].transpose(1, 2)));
    return torch::baddbmm(w[5].unsqueeze(1), h, w[4].transpose(1, 2));
  }

  int64_t members;
  double prior_scale;
  layout l;
  std::vector<torch::Tensor> params, priors;
};

class critic_trainer : public trainable {
 public:
  critic_trainer(const critic_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), model_(build(cfg, init, dev_)), opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)) {
    for (int i = 0; i < cfg.ensemble; ++i) streams_.emplace_back(seed, "critic-bootstrap-" + std::to_string(i));
  }

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    add(b);
    if (point_.empty() && pair_.empty()) return model_->flat();
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
    io(streams_, point_, pair_);
  }

  /// critic_trainer_objective: the loss of the next minibatch after `b` and its gradient
  /// in reward_model's layout; no step is taken (the streams do advance).
  critic_objective objective(const train_batch& b) {
    pin_torch_thread();
    add(b);
    auto loss = minibatch_loss();
    opt_.zero_grad();
    loss.backward();
    std::vector<torch::Tensor> parts;
    for (auto& p : model_->params) parts.push_back(p.grad().detach().reshape({model_->members, -1}));
    auto g = torch::cat(parts, 1).to(torch::kCPU).contiguous();
    return {loss.item<double>(), {g.data_ptr<float>(), g.data_ptr<float>() + g.numel()}};
  }

 private:
  struct item {
    std::vector<float> x;
    int a, b;
    std::vector<float> t;
    void state(state_io& io) { io(x, a, b, t); }
  };

  void add(const train_batch& b) {
    if (b.rows() == 0) return;
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

  /// One bootstrap minibatch per member, all members at once: the sum over members of
  /// point-wise BCE plus pair-wise Bradley-Terry, each a mean over the member's rows.
  /// Member m draws its rows from its own stream, point-wise first, then pair-wise.
  /// Rows per member: n point-wise, then n pairs as n rows with option a and n with b.
  torch::Tensor minibatch_loss() {
    const int64_t n = cfg_.minibatch, e = cfg_.ensemble, in = cfg_.dim + cfg_.options;
    const int64_t np = point_.empty() ? 0 : n, nq = pair_.empty() ? 0 : n, rows = np + 2 * nq;
    std::vector<float> x(size_t(e * rows * in), 0.f), t(size_t(e * np * 3)), pref(size_t(e * nq));
    auto put = [&](int64_t m, int64_t row, const item& it, int option) {
      float* dst = x.data() + (m * rows + row) * in;
      std::copy(it.x.begin(), it.x.end(), dst);
      dst[cfg_.dim + option] = 1.f;
    };
    for (int64_t m = 0; m < e; ++m) {
      auto& r = streams_[size_t(m)];
      for (int64_t i = 0; i < np; ++i) {
        const auto& it = point_[r.below(point_.size())];
        put(m, i, it, it.a);
        std::copy(it.t.begin(), it.t.end(), t.begin() + (m * np + i) * 3);
      }
      for (int64_t i = 0; i < nq; ++i) {
        const auto& it = pair_[r.below(pair_.size())];
        put(m, np + i, it, it.a);
        put(m, np + nq + i, it, it.b);
        pref[size_t(m * nq + i)] = it.t[0];
      }
    }
    auto logits = model_->logits(torch::from_blob(x.data(), {e, rows, in}, torch::kFloat32).to(dev_, false, true));
    torch::Tensor loss;
    if (np > 0) {
      auto target = torch::from_blob(t.data(), {e, np, 3}, torch::kFloat32).to(dev_, false, true);
      loss = double(e) * torch::binary_cross_entropy_with_logits(logits.narrow(1, 0, np), target);
    }
    if (nq > 0) {
      auto u = torch::log_sigmoid(logits.narrow(1, np, 2 * nq)).sum(2);  // [members, 2 nq]
      auto y = torch::from_blob(pref.data(), {e, nq}, torch::kFloat32).to(dev_, false, true);
      auto bt = double(e) * torch::binary_cross_entropy_with_logits(u.narrow(1, 0, nq) - u.narrow(1, nq, nq), y);
      loss = loss.defined() ? loss + bt : bt;
    }
    return loss;
  }

  /// The stacked ensemble (priors included), initialized from `init`, on the training device.
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
/// prior_scale (absent when that is 0, as in critic_stack::logits).
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

critic_objective critic_trainer_objective(const critic_config& cfg, const std::vector<float>& params,
                                          const train_batch& b, uint64_t seed) {
  return critic_trainer(cfg, params, seed).objective(b);
}

}  // namespace oversight
