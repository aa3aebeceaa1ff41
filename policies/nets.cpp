// The networks of nets.hpp without libtorch: the inference objects, the hand-written
// trainers, and the choice between them and the libtorch trainers (nets_torch.cpp,
// reached through trainer_backends.hpp so that libtorch loads only when one is needed).
#include "policies/nets.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "base/device.hpp"
#include "base/error.hpp"
#include "policies/small_mlp.hpp"
#include "policies/trainer_backends.hpp"

namespace oversight {

mlp_shape policy_shape(const policy_config& c) { return {c.dim, c.hidden, c.options}; }
mlp_shape critic_shape(const critic_config& c) { return {c.dim + c.options, c.hidden, 3}; }

mlp_bank critic_prior_bank(const critic_config& c) {
  mlp_bank bank(critic_shape(c), size_t(c.ensemble));
  const auto p = critic_prior_params(c);
  const size_t n = critic_shape(c).param_count();
  for (size_t m = 0; m < size_t(c.ensemble); ++m) bank.set(m, p.data() + m * n, float(c.prior_scale));
  return bank;
}

libtorch_trainers& libtorch_registry() {
  static libtorch_trainers r;
  return r;
}

const libtorch_trainers& libtorch_backend(const std::string& who) {
  const auto& r = libtorch_registry();
  try {
    // Always through the loader's lock (cheap once loaded): when it returns, every
    // registrar of the module has run.
    load_libtorch();
  } catch (const std::exception& e) {
    throw std::runtime_error(who + " trains on libtorch: " + e.what());
  }
  if (!r.loaded || !r.policy || !r.critic || !r.population)
    throw std::runtime_error(who + " trains on libtorch, and this program has none");
  return r;
}

std::string trainer_needing_libtorch(const char* what, int hidden) {
  if (hidden > hand_written_max_hidden)
    return std::string(what) + " with hidden = " + std::to_string(hidden) + " (more than " +
           std::to_string(hand_written_max_hidden) + ")";
  if (gpu_may_be_present()) return std::string(what) + " on a machine that may have a GPU";
  return what;
}

bool trainers_on_gpu() {
  // Without a device that CUDA could use, libtorch need not be loaded to know.
  if (!libtorch_registry().loaded && !gpu_may_be_present()) return false;
  return libtorch_backend("a trainer on a machine with a GPU").cuda;
}

namespace {

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
    p_.resize(k);
    g_.resize(k);
    e_.resize(k);
    double* p = p_.data();
    double* g = g_.data();
    float* e = e_.data();
    const double c = cfg_.entropy, n = double(rows);
    double loss = 0;
    for (size_t i = 0; i < rows; ++i) {
      const float* zi = z + i * k;
      const float* r = b.target.data() + i * k;
      // Softmax as libtorch's: shifted by the row's largest logit, in float.
      float top = zi[0];
      for (size_t a = 1; a < k; ++a) top = std::max(top, zi[a]);
      float sum = 0.f;
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
  std::vector<float> dz_, e_;       // scratch: the gradient, a row's exponentials
  std::vector<double> p_, g_;       // scratch: a row's probabilities and dL/dp
};

std::unique_ptr<policy_trainer_base> new_policy_trainer(const policy_config& cfg, const std::vector<float>& init,
                                                        trainer_backend backend) {
  if (backend == trainer_backend::automatic) backend = policy_trainer_backend(cfg);
  if (backend == trainer_backend::hand_written) return std::make_unique<policy_trainer_hand>(cfg, init);
  return libtorch_backend(trainer_needing_libtorch("a policy trainer", cfg.hidden)).policy(cfg, init);
}

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
  return libtorch_backend(trainer_needing_libtorch("a critic trainer", cfg.hidden)).critic(cfg, init, seed);
}

}  // namespace

std::unique_ptr<policy_trainer_base> make_hand_policy_trainer(const policy_config& cfg, const std::vector<float>& init) {
  return std::make_unique<policy_trainer_hand>(cfg, init);
}

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
