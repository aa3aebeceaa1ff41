// The population trainer on libtorch (population.hpp): members stacked into tensors
// [members, out, in], a step for all of them in batched products (baddbmm). For a GPU,
// and for widths past hand_written_max_hidden; registers in libtorch_registry() when
// this unit loads (trainer_backends.hpp).
#include <algorithm>
#include <cmath>
#include <string>

#include "policies/population.hpp"
#include "policies/torch_util.hpp"
#include "policies/trainer_backends.hpp"

namespace oversight {

namespace {

using torch_util::training_device;

/// The six stacked tensors of `flat` ([members, total], any device): views, no copies.
struct stacked {
  torch::Tensor w1, b1, w2, b2, w3, b3;
  stacked(const torch::Tensor& flat, const member_layout& l) {
    const int64_t n = flat.size(0);
    w1 = flat.narrow(1, l.w1, l.hidden * l.dim).view({n, l.hidden, l.dim});
    b1 = flat.narrow(1, l.b1, l.hidden);
    w2 = flat.narrow(1, l.w2, l.hidden * l.hidden).view({n, l.hidden, l.hidden});
    b2 = flat.narrow(1, l.b2, l.hidden);
    w3 = flat.narrow(1, l.w3, l.options * l.hidden).view({n, l.options, l.hidden});
    b3 = flat.narrow(1, l.b3, l.options);
  }
};

/// Probabilities [members, rows, options] for inputs x [members, rows, dim]: each
/// member's policy_net (Linear, Tanh, Linear, Tanh, Linear, softmax), all at once.
torch::Tensor batched_probs(const torch::Tensor& x, const torch::Tensor& w1, const torch::Tensor& b1,
                            const torch::Tensor& w2, const torch::Tensor& b2, const torch::Tensor& w3,
                            const torch::Tensor& b3) {
  auto h1 = torch::tanh(torch::baddbmm(b1.unsqueeze(1), x, w1.transpose(1, 2)));
  auto h2 = torch::tanh(torch::baddbmm(b2.unsqueeze(1), h1, w2.transpose(1, 2)));
  return torch::softmax(torch::baddbmm(b3.unsqueeze(1), h2, w3.transpose(1, 2)), 2);
}

/// Members stacked: one step runs every member at once with batched matrix products,
/// so libtorch's per-operation overhead (dispatch, autograd nodes, optimizer
/// bookkeeping) is paid once per step for the whole population, and a GPU gets work
/// worth its launch cost.
class population_trainer_torch : public trainable {
 public:
  population_trainer_torch(const policy_config& cfg, size_t members, const std::vector<float>& init)
      : cfg_(cfg), layout_(cfg), n_(int64_t(members)), steps_(members, 0) {
    OVERSIGHT_CHECK_LT(size_t(0), members);
    OVERSIGHT_CHECK_EQ(init.size(), members * size_t(layout_.total));
    auto flat = torch::from_blob(const_cast<float*>(init.data()), {n_, layout_.total}, torch::kFloat32).to(dev_);
    stacked s(flat, layout_);
    // Leaves of their own (contiguous), so gradients and Adam's moments have their shapes.
    params_ = {s.w1.contiguous(), s.b1.contiguous(), s.w2.contiguous(),
               s.b2.contiguous(), s.w3.contiguous(), s.b3.contiguous()};
    for (auto& p : params_) {
      p = p.clone().set_requires_grad(true);
      exp_avg_.push_back(torch::zeros_like(p));
      exp_avg_sq_.push_back(torch::zeros_like(p));
    }
  }

  std::vector<float> step(const train_batch& b) override {
    pin_torch_thread();
    const size_t rows = b.rows();
    if (rows > 0) {
      const auto g = group_population_batch(b, cfg_, size_t(n_));
      // Inputs, rewards and a mask, padded to [members, max rows, ...]: a member's rows
      // keep their batch order, so its loss is summed as a lone trainer would sum it.
      const int64_t r = g.max_count, d = cfg_.dim, k = cfg_.options;
      std::vector<float> x(size_t(n_ * r * d), 0.f), t(size_t(n_ * r * k), 0.f), mask(size_t(n_ * r), 0.f);
      for (size_t i = 0; i < rows; ++i) {
        const int64_t slot = int64_t(b.a[i]) * r + g.pos[i];
        std::copy_n(b.x.data() + i * size_t(d), d, x.data() + slot * d);
        std::copy_n(b.target.data() + i * size_t(k), k, t.data() + slot * k);
        mask[size_t(slot)] = 1.f;
      }
      auto xt = torch::from_blob(x.data(), {n_, r, d}, torch::kFloat32).to(dev_, false, true);
      auto rt = torch::from_blob(t.data(), {n_, r, k}, torch::kFloat32).to(dev_, false, true);
      auto mt = torch::from_blob(mask.data(), {n_, r}, torch::kFloat32).to(dev_, false, true);
      std::vector<float> counts(static_cast<size_t>(n_));
      std::vector<uint8_t> active(static_cast<size_t>(n_));
      bool all_active = true;
      for (int64_t m = 0; m < n_; ++m) {
        counts[size_t(m)] = float(std::max<int64_t>(g.count[size_t(m)], 1));
        active[size_t(m)] = g.count[size_t(m)] > 0;
        all_active = all_active && active[size_t(m)];
      }
      auto ct = torch::from_blob(counts.data(), {n_}, torch::kFloat32).to(dev_, false, true);
      auto at = torch::from_blob(active.data(), {n_}, torch::kUInt8).to(dev_, false, true).to(torch::kBool);
      for (int e = 0; e < cfg_.epochs; ++e) {
        auto p = batched_probs(xt, params_[0], params_[1], params_[2], params_[3], params_[4], params_[5]);
        auto expected = (p * rt).sum(2);
        auto entropy = -(p * torch::log(p + 1e-8)).sum(2);
        // Each member's mean over its own rows; the sum over members keeps every
        // member's gradient exactly its own.
        auto loss = -(((expected + cfg_.entropy * entropy) * mt).sum(1) / ct).sum();
        auto grads = torch::autograd::grad({loss}, params_);
        adam(grads, active, at, all_active);
      }
    }
    return flat_params();
  }
  void state(state_io& io) override {
    io(steps_);
    for (auto* group : {&params_, &exp_avg_, &exp_avg_sq_})
      for (auto& t : *group) torch_util::tensor_state(io, t);
  }

 private:
  /// Adam as libtorch's torch::optim::Adam computes it (default betas and eps, no weight
  /// decay), with a step count per member; members without rows keep weights and moments.
  void adam(const std::vector<torch::Tensor>& grads, const std::vector<uint8_t>& active, const torch::Tensor& at,
            bool all_active) {
    constexpr double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    std::vector<float> step_size(static_cast<size_t>(n_)), bc2_sqrt(static_cast<size_t>(n_));
    for (int64_t m = 0; m < n_; ++m) {
      if (active[size_t(m)]) ++steps_[size_t(m)];
      const double s = double(std::max<int64_t>(steps_[size_t(m)], 1));
      step_size[size_t(m)] = float(cfg_.lr / (1.0 - std::pow(beta1, s)));
      bc2_sqrt[size_t(m)] = float(std::sqrt(1.0 - std::pow(beta2, s)));
    }
    auto ss = torch::from_blob(step_size.data(), {n_}, torch::kFloat32).to(dev_, false, true);
    auto bc = torch::from_blob(bc2_sqrt.data(), {n_}, torch::kFloat32).to(dev_, false, true);
    torch::NoGradGuard ng;
    for (size_t i = 0; i < params_.size(); ++i) {
      std::vector<int64_t> shape(size_t(params_[i].dim()), 1);
      shape[0] = n_;  // [members, 1, ...]: broadcasts a per-member scalar
      const auto& g = grads[i];
      auto m = exp_avg_[i] * beta1 + g * (1 - beta1);
      auto v = exp_avg_sq_[i] * beta2 + g * g * (1 - beta2);
      auto denom = v.sqrt() / bc.view(shape) + eps;
      auto p = params_[i] - ss.view(shape) * (m / denom);
      if (!all_active) {
        auto keep = at.view(shape);
        m = torch::where(keep, m, exp_avg_[i]);
        v = torch::where(keep, v, exp_avg_sq_[i]);
        p = torch::where(keep, p, params_[i]);
      }
      exp_avg_[i] = m;
      exp_avg_sq_[i] = v;
      params_[i].copy_(p);
    }
  }

  std::vector<float> flat_params() const {
    std::vector<torch::Tensor> parts;
    for (auto& p : params_) parts.push_back(p.detach().reshape({n_, -1}));
    auto flat = torch::cat(parts, 1).to(torch::kCPU).contiguous();
    return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
  }

  torch::Device dev_ = training_device();
  policy_config cfg_;
  member_layout layout_;
  int64_t n_;
  std::vector<int64_t> steps_;
  std::vector<torch::Tensor> params_, exp_avg_, exp_avg_sq_;
};

[[maybe_unused]] const bool registered = [] {
  libtorch_registry().population = [](const policy_config& cfg, size_t members,
                                       const std::vector<float>& init) -> std::unique_ptr<trainable> {
    return std::make_unique<population_trainer_torch>(cfg, members, init);
  };
  return true;
}();

}  // namespace

}  // namespace oversight
