// The libtorch side of policies/preference.hpp.
#include "policies/preference.hpp"

#include "policies/nets.hpp"  // pin_torch_thread
#include "policies/torch_util.hpp"
#include "base/error.hpp"

namespace oversight {

namespace {

using torch_util::as_tensor;
using torch_util::flatten;
using torch_util::init_params;
using torch_util::optimizer_state;
using torch_util::training_device;
using torch_util::unflatten;

torch::nn::Sequential mlp(int in, int hidden, int out, int layers) {
  torch::nn::Sequential s;
  int width = in;
  for (int l = 0; l < layers; ++l) {
    s->push_back(torch::nn::Linear(width, hidden));
    s->push_back(torch::nn::Tanh());
    width = hidden;
  }
  s->push_back(torch::nn::Linear(width, out));
  return s;
}

void check_features(const response_features& io) {
  OVERSIGHT_CHECK_LT(0, io.dim);
  OVERSIGHT_CHECK_LT(1, io.options);
  OVERSIGHT_CHECK_LT(0, io.features);
  OVERSIGHT_CHECK_EQ(io.f.size(), size_t(io.options) * size_t(io.features));
}

torch::Tensor feature_tensor(const response_features& io) { return as_tensor(io.f, io.features); }

/// Every prompt row paired with every response's features: (rows*K) x (dim+m).
torch::Tensor all_pairs(const torch::Tensor& x, const torch::Tensor& feats) {
  const int64_t rows = x.size(0), k = feats.size(0);
  return torch::cat({x.repeat_interleave(k, 0), feats.repeat({rows, 1})}, 1);
}

/// Each prompt row with one response's features: rows x (dim+m).
torch::Tensor chosen_pairs(const torch::Tensor& x, const torch::Tensor& feats, const torch::Tensor& a) {
  return torch::cat({x, feats.index_select(0, a)}, 1);
}

torch::Tensor long_tensor(const std::vector<int32_t>& v) {
  return torch::from_blob(const_cast<int32_t*>(v.data()), {int64_t(v.size())}, torch::kInt32).to(torch::kLong);
}

/// The batch's row order for one epoch: a Fisher-Yates shuffle from our own stream.
std::vector<int64_t> shuffled(size_t n, rng& r) {
  std::vector<int64_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = int64_t(i);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[r.below(i)]);
  return order;
}

/// The DPO loss on tensors (one value per pair), the one definition both the trainer and
/// dpo_loss() use.
torch::Tensor dpo_loss_t(const torch::Tensor& lw, const torch::Tensor& ll, const torch::Tensor& rw,
                         const torch::Tensor& rl, double beta) {
  return -torch::log_sigmoid(beta * ((lw - rw) - (ll - rl))).mean();
}

// ---- the policy ------------------------------------------------------------------------

struct policy_module : torch::nn::Module {
  explicit policy_module(const pref_policy_config& c) : k(c.io.options) {
    check_features(c.io);
    OVERSIGHT_CHECK_EQ(c.base_w.size(), size_t(c.io.features) * size_t(c.io.dim));
    OVERSIGHT_CHECK_EQ(c.base_c.size(), size_t(c.io.options));
    adapter = register_module("adapter", mlp(c.io.dim + c.io.features, c.hidden, 1, 2));
    value = register_module("value", mlp(c.io.dim, c.hidden, 1, 1));
    feats = feature_tensor(c.io);
    base_w = as_tensor(c.base_w, c.io.dim);
    base_c = torch::from_blob(const_cast<float*>(c.base_c.data()), {int64_t(c.base_c.size())}, torch::kFloat32).clone();
  }
  void move_to(torch::Device d) {
    to(d);
    feats = feats.to(d);
    base_w = base_w.to(d);
    base_c = base_c.to(d);
  }
  /// The reference policy's logits, rows x K.
  torch::Tensor base_logits(const torch::Tensor& x) { return x.matmul(base_w.t()).matmul(feats.t()) + base_c; }
  torch::Tensor logits(const torch::Tensor& x) {
    return base_logits(x) + adapter->forward(all_pairs(x, feats)).view({x.size(0), k});
  }
  torch::Tensor baseline(const torch::Tensor& x) { return value->forward(x).squeeze(1); }
  int64_t k;
  torch::nn::Sequential adapter{nullptr}, value{nullptr};
  torch::Tensor feats, base_w, base_c;
};

std::shared_ptr<policy_module> build_policy(const pref_policy_config& cfg, const std::vector<float>& init,
                                            torch::Device dev) {
  auto m = std::make_shared<policy_module>(cfg);
  unflatten(*m, init);
  m->move_to(dev);
  return m;
}

class ppo_trainer : public trainable {
 public:
  ppo_trainer(const pref_policy_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), model_(build_policy(cfg, init, dev_)),
        opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)), order_(seed, "ppo") {}

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    const size_t n = b.rows();
    if (n == 0) return flatten(*model_);
    OVERSIGHT_CHECK_EQ(b.dim, cfg_.io.dim);
    OVERSIGHT_CHECK_EQ(b.width, 1);
    OVERSIGHT_CHECK_EQ(b.a.size(), n);
    auto x = as_tensor(b.x, b.dim).to(dev_);
    auto a = long_tensor(b.a).to(dev_);
    auto reward = as_tensor(b.target, 1).squeeze(1).to(dev_);
    torch::Tensor logp_old, shaped, adv;
    {
      torch::NoGradGuard ng;
      logp_old = torch::log_softmax(model_->logits(x), 1).gather(1, a.unsqueeze(1)).squeeze(1);
      auto logp_ref = torch::log_softmax(model_->base_logits(x), 1).gather(1, a.unsqueeze(1)).squeeze(1);
      // The KL penalty as a per-sample reward term: its expectation under pi_old is
      // kl_coef * KL(pi_old || pi_ref).
      shaped = reward - cfg_.kl_coef * (logp_old - logp_ref);
      adv = shaped - model_->baseline(x);
      if (n > 1) adv = (adv - adv.mean()) / (adv.std() + 1e-8);
    }
    const int64_t mb = std::max<int64_t>(1, cfg_.minibatch);
    for (int e = 0; e < cfg_.epochs; ++e) {
      const auto order = shuffled(n, order_);
      for (size_t s = 0; s < n; s += size_t(mb)) {
        const size_t end = std::min(n, s + size_t(mb));
        auto idx = torch::from_blob(const_cast<int64_t*>(order.data() + s), {int64_t(end - s)}, torch::kLong)
                       .clone()
                       .to(dev_);
        auto xs = x.index_select(0, idx), as = a.index_select(0, idx);
        auto logp = torch::log_softmax(model_->logits(xs), 1).gather(1, as.unsqueeze(1)).squeeze(1);
        auto ratio = torch::exp(logp - logp_old.index_select(0, idx));
        auto ad = adv.index_select(0, idx);
        auto surrogate = torch::min(ratio * ad, torch::clamp(ratio, 1.0 - cfg_.clip, 1.0 + cfg_.clip) * ad);
        auto value_err = (model_->baseline(xs) - shaped.index_select(0, idx)).pow(2).mean();
        auto loss = -surrogate.mean() + cfg_.value_coef * value_err;
        opt_.zero_grad();
        loss.backward();
        opt_.step();
      }
    }
    return flatten(*model_);
  }
  /// The reference (base_logits) is frozen and rebuilt from the config: not saved.
  void state(state_io& io) override {
    optimizer_state(io, *model_, opt_, dev_);
    io(order_);
  }

 private:
  torch::Device dev_ = training_device();
  pref_policy_config cfg_;
  std::shared_ptr<policy_module> model_;
  torch::optim::Adam opt_;
  rng order_;
};

class dpo_trainer : public trainable {
 public:
  dpo_trainer(const pref_policy_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), model_(build_policy(cfg, init, dev_)),
        opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)), order_(seed, "dpo") {
    OVERSIGHT_CHECK_LT(0.0, cfg.dpo_beta);
  }

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    const size_t n = b.rows();
    if (n == 0) return flatten(*model_);
    OVERSIGHT_CHECK_EQ(b.dim, cfg_.io.dim);
    OVERSIGHT_CHECK_EQ(b.a.size(), n);
    OVERSIGHT_CHECK_EQ(b.b.size(), n);
    auto x = as_tensor(b.x, b.dim).to(dev_);
    auto w = long_tensor(b.a).to(dev_).unsqueeze(1);
    auto l = long_tensor(b.b).to(dev_).unsqueeze(1);
    torch::Tensor ref_w, ref_l;
    {
      torch::NoGradGuard ng;
      auto ref = torch::log_softmax(model_->base_logits(x), 1);
      ref_w = ref.gather(1, w).squeeze(1);
      ref_l = ref.gather(1, l).squeeze(1);
    }
    const int64_t mb = std::max<int64_t>(1, cfg_.minibatch);
    for (int e = 0; e < cfg_.epochs; ++e) {
      const auto order = shuffled(n, order_);
      for (size_t s = 0; s < n; s += size_t(mb)) {
        const size_t end = std::min(n, s + size_t(mb));
        auto idx = torch::from_blob(const_cast<int64_t*>(order.data() + s), {int64_t(end - s)}, torch::kLong)
                       .clone()
                       .to(dev_);
        auto logp = torch::log_softmax(model_->logits(x.index_select(0, idx)), 1);
        auto loss = dpo_loss_t(logp.gather(1, w.index_select(0, idx)).squeeze(1),
                               logp.gather(1, l.index_select(0, idx)).squeeze(1), ref_w.index_select(0, idx),
                               ref_l.index_select(0, idx), cfg_.dpo_beta);
        opt_.zero_grad();
        loss.backward();
        opt_.step();
      }
    }
    return flatten(*model_);
  }
  /// The reference (base_logits) is frozen and rebuilt from the config: not saved.
  void state(state_io& io) override {
    optimizer_state(io, *model_, opt_, dev_);
    io(order_);
  }

 private:
  torch::Device dev_ = training_device();
  pref_policy_config cfg_;
  std::shared_ptr<policy_module> model_;
  torch::optim::Adam opt_;
  rng order_;
};

// ---- the reward model ----------------------------------------------------------------

struct rm_module : torch::nn::Module {
  explicit rm_module(const pref_rm_config& c) : prior_scale(c.prior_scale) {
    check_features(c.io);
    OVERSIGHT_CHECK_LT(0, c.ensemble);
    rng prior_init(c.prior_seed, "rm-prior");
    const int in = c.io.dim + c.io.features;
    for (int i = 0; i < c.ensemble; ++i) {
      std::string name = "m";  // not "m" + to_string(i): GCC 12 warns falsely on it (bug 105329)
      name += std::to_string(i);
      members.push_back(register_module(name, mlp(in, c.hidden, 1, 2)));
      auto prior = mlp(in, c.hidden, 1, 2);
      init_params(*prior, prior_init);
      for (auto& p : prior->parameters()) p.set_requires_grad(false);
      priors.push_back(prior);
    }
    feats = feature_tensor(c.io);
  }
  void move_to(torch::Device d) {
    to(d);
    for (auto& p : priors) p->to(d);
    feats = feats.to(d);
  }
  /// Member m's reward of each input row (x ⊕ f_a).
  torch::Tensor reward(size_t m, const torch::Tensor& in) {
    auto r = members[m]->forward(in).squeeze(1);
    if (prior_scale == 0.0) return r;
    torch::Tensor p;
    {
      torch::NoGradGuard ng;  // only the fixed prior: the sum must keep the member's graph
      p = priors[m]->forward(in).squeeze(1);
    }
    return r + prior_scale * p;
  }
  double prior_scale;
  std::vector<torch::nn::Sequential> members, priors;
  torch::Tensor feats;
};

std::shared_ptr<rm_module> build_rm(const pref_rm_config& cfg, const std::vector<float>& init, torch::Device dev) {
  auto m = std::make_shared<rm_module>(cfg);
  unflatten(*m, init);
  m->move_to(dev);
  return m;
}

class bt_trainer : public trainable {
 public:
  bt_trainer(const pref_rm_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg), model_(build_rm(cfg, init, dev_)), opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr)) {
    for (int m = 0; m < cfg.ensemble; ++m) streams_.emplace_back(seed, "bt-" + std::to_string(m));
  }

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    const size_t n = b.rows();
    if (n > 0) {
      OVERSIGHT_CHECK_EQ(b.dim, cfg_.io.dim);
      OVERSIGHT_CHECK_LE(1, b.width);
      for (size_t i = 0; i < n; ++i) {
        OVERSIGHT_CHECK_LE(0, b.b[i]);
        x_.insert(x_.end(), b.x.begin() + std::ptrdiff_t(i * size_t(b.dim)),
                  b.x.begin() + std::ptrdiff_t((i + 1) * size_t(b.dim)));
        a_.push_back(b.a[i]);
        b_.push_back(b.b[i]);
        y_.push_back(b.target[i * size_t(b.width)]);
      }
    }
    if (a_.empty()) return flatten(*model_);
    const size_t d = size_t(cfg_.io.dim), mb = size_t(std::max(1, cfg_.minibatch));
    for (int u = 0; u < cfg_.updates; ++u) {
      torch::Tensor loss = torch::zeros({}, dev_);
      for (size_t m = 0; m < size_t(cfg_.ensemble); ++m) {
        std::vector<float> x, y;
        std::vector<int32_t> a, bb;
        for (size_t i = 0; i < mb; ++i) {
          const size_t j = size_t(streams_[m].below(a_.size()));
          x.insert(x.end(), x_.begin() + std::ptrdiff_t(j * d), x_.begin() + std::ptrdiff_t((j + 1) * d));
          a.push_back(a_[j]);
          bb.push_back(b_[j]);
          y.push_back(y_[j]);
        }
        auto xt = as_tensor(x, int64_t(d)).to(dev_);
        auto ra = model_->reward(m, chosen_pairs(xt, model_->feats, long_tensor(a).to(dev_)));
        auto rb = model_->reward(m, chosen_pairs(xt, model_->feats, long_tensor(bb).to(dev_)));
        loss = loss + torch::binary_cross_entropy_with_logits(ra - rb, as_tensor(y, 1).squeeze(1).to(dev_));
      }
      opt_.zero_grad();
      loss.backward();
      opt_.step();
    }
    return flatten(*model_);
  }
  /// The members' fixed priors come from cfg.prior_seed and are not saved.
  void state(state_io& io) override {
    optimizer_state(io, *model_, opt_, dev_);
    io(streams_, x_, y_, a_, b_);
  }

 private:
  torch::Device dev_ = training_device();
  pref_rm_config cfg_;
  std::shared_ptr<rm_module> model_;
  torch::optim::Adam opt_;
  std::vector<rng> streams_;
  std::vector<float> x_, y_;
  std::vector<int32_t> a_, b_;
};

}  // namespace

// ---- inference objects -----------------------------------------------------------------

struct pref_policy::impl {
  pref_policy_config cfg;
  std::shared_ptr<policy_module> model;
};

pref_policy::pref_policy(const pref_policy_config& cfg, rng& init) : impl_(std::make_unique<impl>()) {
  pin_torch_thread();
  impl_->cfg = cfg;
  impl_->model = std::make_shared<policy_module>(cfg);
  init_params(*impl_->model, init);
  // The adapter's output layer starts at zero, so the policy starts as the reference.
  torch::NoGradGuard ng;
  auto last = impl_->model->adapter->ptr(impl_->model->adapter->size() - 1);
  for (auto& p : last->parameters()) p.zero_();
}
pref_policy::~pref_policy() = default;
pref_policy::pref_policy(pref_policy&&) noexcept = default;

namespace {
std::vector<float> to_vector(const torch::Tensor& t) {
  auto c = t.contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}
}  // namespace

std::vector<float> pref_policy::probs(const std::vector<float>& x) const {
  if (x.empty()) return {};
  pin_torch_thread();
  torch::NoGradGuard ng;
  return to_vector(torch::softmax(impl_->model->logits(as_tensor(x, impl_->cfg.io.dim)), 1));
}
std::vector<float> pref_policy::reference_probs(const std::vector<float>& x) const {
  if (x.empty()) return {};
  pin_torch_thread();
  torch::NoGradGuard ng;
  return to_vector(torch::softmax(impl_->model->base_logits(as_tensor(x, impl_->cfg.io.dim)), 1));
}
std::vector<float> pref_policy::params() const { return flatten(*impl_->model); }
void pref_policy::set_params(const std::vector<float>& p) { unflatten(*impl_->model, p); }
const pref_policy_config& pref_policy::config() const { return impl_->cfg; }

std::unique_ptr<trainable> make_ppo_trainer(const pref_policy_config& cfg, const std::vector<float>& init,
                                            uint64_t seed) {
  return std::make_unique<ppo_trainer>(cfg, init, seed);
}
std::unique_ptr<trainable> make_dpo_trainer(const pref_policy_config& cfg, const std::vector<float>& init,
                                            uint64_t seed) {
  return std::make_unique<dpo_trainer>(cfg, init, seed);
}

double dpo_loss(const std::vector<float>& logp_w, const std::vector<float>& logp_l, const std::vector<float>& ref_w,
                const std::vector<float>& ref_l, double beta) {
  if (!(beta > 0)) throw std::invalid_argument("dpo_loss: beta must be > 0, got " + std::to_string(beta));
  const size_t n = logp_w.size();
  if (logp_l.size() != n || ref_w.size() != n || ref_l.size() != n || n == 0)
    throw std::invalid_argument("dpo_loss: the four log-probability vectors must have one equal, non-zero length");
  pin_torch_thread();
  auto t = [](const std::vector<float>& v) { return as_tensor(v, 1).squeeze(1); };
  return dpo_loss_t(t(logp_w), t(logp_l), t(ref_w), t(ref_l), beta).item<double>();
}

struct pref_reward_model::impl {
  pref_rm_config cfg;
  std::shared_ptr<rm_module> model;
};

pref_reward_model::pref_reward_model(const pref_rm_config& cfg, rng& init) : impl_(std::make_unique<impl>()) {
  pin_torch_thread();
  impl_->cfg = cfg;
  impl_->model = std::make_shared<rm_module>(cfg);
  init_params(*impl_->model, init);
}
pref_reward_model::~pref_reward_model() = default;
pref_reward_model::pref_reward_model(pref_reward_model&&) noexcept = default;

reward_view pref_reward_model::score(const std::vector<float>& x) const {
  reward_view out;
  if (x.empty()) return out;
  pin_torch_thread();
  torch::NoGradGuard ng;
  auto& m = *impl_->model;
  auto in = all_pairs(as_tensor(x, impl_->cfg.io.dim), m.feats);
  std::vector<torch::Tensor> r;
  for (size_t i = 0; i < m.members.size(); ++i) r.push_back(m.reward(i, in));
  auto stack = torch::stack(r, 0);
  out.mean = to_vector(stack.mean(0));
  out.sd = to_vector(m.members.size() > 1 ? stack.std(0, /*unbiased=*/false) : torch::zeros_like(stack[0]));
  return out;
}
std::vector<float> pref_reward_model::params() const { return flatten(*impl_->model); }
void pref_reward_model::set_params(const std::vector<float>& p) { unflatten(*impl_->model, p); }

std::unique_ptr<trainable> make_bt_trainer(const pref_rm_config& cfg, const std::vector<float>& init, uint64_t seed) {
  return std::make_unique<bt_trainer>(cfg, init, seed);
}

}  // namespace oversight
