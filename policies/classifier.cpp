// The weak-to-strong classifiers' libtorch unit (see classifier.hpp).
#include "policies/classifier.hpp"

#include "policies/torch_util.hpp"

#include <cstring>

#include "policies/nets.hpp"  // pin_torch_thread
#include "base/error.hpp"


namespace oversight {

namespace {


struct classifier_module : torch::nn::Module {
  explicit classifier_module(const classifier_config& c) {
    if (c.hidden == 0) {
      net = register_module("net", torch::nn::Sequential(torch::nn::Linear(c.in, c.classes)));
    } else {
      net = register_module("net", torch::nn::Sequential(torch::nn::Linear(c.in, c.hidden), torch::nn::Tanh(),
                                                         torch::nn::Linear(c.hidden, c.classes)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) { return net->forward(x); }  // logits
  torch::nn::Sequential net{nullptr};
};

using torch_util::as_tensor;
using torch_util::flatten;
using torch_util::unflatten;
using torch_util::init_params;

/// The student's own predictions, hardened to one-hot with the class balance of `target`
/// (see classifier.hpp). No gradient flows through it.
torch::Tensor harden(const torch::Tensor& probs, const torch::Tensor& target) {
  torch::NoGradGuard ng;
  const int64_t classes = probs.size(1);
  if (classes == 2) {
    // Burns et al.'s public code: threshold p(class 0) at the quantile equal to the
    // targets' share of class 1, so that share of rows falls below it and is hardened to
    // class 1, the rest to class 0.
    const double share1 = target.select(1, 1).mean().item<double>();
    const auto threshold = torch::quantile(probs.select(1, 0), share1);
    auto zero = (probs.select(1, 0) >= threshold).to(torch::kFloat32);
    return torch::stack({zero, 1 - zero}, 1);
  }
  const auto want = target.mean(0) + 1e-6;
  auto logp = torch::log(probs + 1e-8);
  auto offset = torch::zeros({classes});
  for (int it = 0; it < 30; ++it) {
    const auto pick = (logp + offset).argmax(1);
    const auto share = torch::one_hot(pick, classes).to(torch::kFloat32).mean(0) + 1e-6;
    offset += 0.5 * (torch::log(want) - torch::log(share));
  }
  return torch::one_hot((logp + offset).argmax(1), classes).to(torch::kFloat32);
}

class classifier_trainer : public trainable {
 public:
  classifier_trainer(const classifier_config& cfg, const std::vector<float>& init, uint64_t seed)
      : cfg_(cfg),
        model_(std::make_shared<classifier_module>(cfg)),
        opt_(model_->parameters(), torch::optim::AdamOptions(cfg.lr).weight_decay(cfg.weight_decay)),
        order_(seed, "classifier-trainer/order") {
    unflatten(*model_, init);
  }

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    if (b.rows() > 0) {
      OVERSIGHT_CHECK_EQ(b.dim, cfg_.in);
      OVERSIGHT_CHECK_EQ(b.width, cfg_.classes);
      x_ = as_tensor(b.x, b.dim);
      y_ = as_tensor(b.target, b.width);
      if (cfg_.misalign_reward > 0) {
        OVERSIGHT_CHECK_EQ(b.a.size(), b.rows());
        truth_ = torch::from_blob(const_cast<int32_t*>(b.a.data()), {int64_t(b.a.size())}, torch::kInt)
                     .to(torch::kLong);
      }
    }
    const int64_t n = x_.defined() ? x_.size(0) : 0;
    if (n == 0) return flatten(*model_);
    const int64_t mb = std::min<int64_t>(cfg_.minibatch, n);
    const int64_t per_epoch = (n + mb - 1) / mb;
    const double total = double(per_epoch) * double(std::max(cfg_.epochs, 1));
    // Shuffle with our own stream (Fisher-Yates), not libtorch's global generator.
    std::vector<int64_t> perm(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) perm[size_t(i)] = i;
    for (int64_t i = n - 1; i > 0; --i) std::swap(perm[size_t(i)], perm[order_.below(uint64_t(i + 1))]);
    auto idx_all = torch::from_blob(perm.data(), {n}, torch::kLong).clone();
    for (int64_t s = 0; s < per_epoch; ++s) {
      auto idx = idx_all.slice(0, s * mb, std::min(n, (s + 1) * mb));
      auto x = x_.index_select(0, idx);
      auto y = y_.index_select(0, idx);
      auto logits = model_->forward(x);
      auto logp = torch::log_softmax(logits, 1);
      if (cfg_.aux_weight > 0) {
        const double progress = double(steps_) / total;
        const double a =
            cfg_.aux_weight * (cfg_.aux_warmup > 0 ? std::min(1.0, progress / cfg_.aux_warmup) : 1.0);
        y = (1 - a) * y + a * harden(logp.exp().detach(), y);
      }
      auto loss = -(y * logp).sum(1).mean();
      if (cfg_.misalign_reward > 0) {
        // Reward the current mistakes: CE toward the model's own (wrong) prediction on
        // rows it gets wrong, 0 elsewhere, averaged over the minibatch.
        const auto pred = logits.argmax(1).detach();
        const auto wrong = (pred != truth_.index_select(0, idx)).to(torch::kFloat32);
        const auto own = logp.gather(1, pred.unsqueeze(1)).squeeze(1);
        loss = loss - cfg_.misalign_reward * (wrong * own).mean();
      }
      opt_.zero_grad();
      loss.backward();
      opt_.step();
      ++steps_;
    }
    return flatten(*model_);
  }
  void state(state_io& io) override {
    torch_util::optimizer_state(io, *model_, opt_, torch::kCPU);
    io(order_, steps_);
    for (auto* t : {&x_, &y_, &truth_}) torch_util::owned_tensor_state(io, *t);
  }

 private:
  classifier_config cfg_;
  std::shared_ptr<classifier_module> model_;
  torch::optim::Adam opt_;
  rng order_;
  torch::Tensor x_, y_, truth_;
  int64_t steps_ = 0;
};

}  // namespace

struct classifier::impl {
  classifier_config cfg;
  std::shared_ptr<classifier_module> model;
};

classifier::classifier(const classifier_config& cfg, rng& init) : impl_(std::make_unique<impl>()) {
  impl_->cfg = cfg;
  impl_->model = std::make_shared<classifier_module>(cfg);
  init_params(*impl_->model, init);
}
classifier::~classifier() = default;
classifier::classifier(classifier&&) noexcept = default;

std::vector<float> classifier::probs(const std::vector<float>& x) const {
  pin_torch_thread();
  torch::NoGradGuard ng;
  if (x.empty()) return {};
  auto p = torch::softmax(impl_->model->forward(as_tensor(x, impl_->cfg.in)), 1).contiguous();
  return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
}
std::vector<float> classifier::params() const { return flatten(*impl_->model); }
void classifier::set_params(const std::vector<float>& p) { unflatten(*impl_->model, p); }
const classifier_config& classifier::config() const { return impl_->cfg; }

std::unique_ptr<trainable> make_classifier_trainer(const classifier_config& cfg, const std::vector<float>& init,
                                                   uint64_t seed) {
  return std::make_unique<classifier_trainer>(cfg, init, seed);
}

pca pca_basis(const std::vector<float>& x, int dim, int k, size_t max_rows) {
  pin_torch_thread();
  torch::NoGradGuard ng;
  OVERSIGHT_CHECK_LT(0, dim);
  OVERSIGHT_CHECK_LE(k, dim);
  const size_t rows = std::min(x.size() / size_t(dim), max_rows);
  OVERSIGHT_CHECK_LT(size_t(1), rows);
  auto t = torch::from_blob(const_cast<float*>(x.data()), {int64_t(rows), dim}, torch::kFloat32).to(torch::kDouble);
  auto mean = t.mean(0);
  auto c = t - mean;
  auto cov = torch::matmul(c.t(), c) / double(rows - 1);
  auto [evals, evecs] = torch::linalg_eigh(cov, "L");  // ascending (torch::linalg::eigh is gone from 2.x's C++ API)
  pca out;
  out.dim = dim;
  out.k = k;
  auto m = mean.to(torch::kFloat32).contiguous();
  out.mean.assign(m.data_ptr<float>(), m.data_ptr<float>() + dim);
  for (int j = 0; j < k; ++j) {
    auto v = evecs.select(1, dim - 1 - j);
    if (v.index_select(0, v.abs().argmax().unsqueeze(0)).item<double>() < 0) v = -v;  // a fixed sign
    auto vf = v.to(torch::kFloat32).contiguous();
    out.components.insert(out.components.end(), vf.data_ptr<float>(), vf.data_ptr<float>() + dim);
    out.variance.push_back(float(std::max(0.0, evals[dim - 1 - j].item<double>())));
  }
  return out;
}

std::vector<float> pca_project(const pca& p, const std::vector<float>& x, int use) {
  pin_torch_thread();
  torch::NoGradGuard ng;
  OVERSIGHT_CHECK_LE(use, p.k);
  if (x.empty() || use == 0) return {};
  auto t = as_tensor(x, p.dim) - torch::from_blob(const_cast<float*>(p.mean.data()), {p.dim}, torch::kFloat32);
  auto comp = torch::from_blob(const_cast<float*>(p.components.data()), {p.k, p.dim}, torch::kFloat32)
                  .slice(0, 0, use);
  const double scale = 1.0 / std::sqrt(std::max(1e-12, double(p.variance[0])));
  auto z = (torch::matmul(t, comp.t()) * scale).contiguous();
  return std::vector<float>(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
}

}  // namespace oversight
