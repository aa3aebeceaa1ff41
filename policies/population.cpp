// The batched population of policies (see population.hpp); a libtorch unit.
#include "policies/population.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "policies/small_mlp.hpp"
#include "policies/torch_util.hpp"
#include "base/error.hpp"

namespace oversight {

namespace {

using torch_util::training_device;

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

/// Rows grouped by member: for row i, its member and its position among that member's
/// rows (in batch order), and each member's row count.
struct grouping {
  std::vector<int64_t> count;  // per member
  std::vector<int64_t> pos;    // per row
  int64_t max_count = 0;
};

grouping group_rows(const std::vector<int32_t>& who, size_t members, const char* what) {
  grouping g;
  g.count.assign(members, 0);
  g.pos.resize(who.size());
  for (size_t i = 0; i < who.size(); ++i) {
    const int32_t m = who[i];
    if (m < 0 || size_t(m) >= members)
      throw std::invalid_argument(std::string(what) + ": row " + std::to_string(i) + " names member " +
                                  std::to_string(m) + ", but the population has " + std::to_string(members) +
                                  " (0.." + std::to_string(int64_t(members) - 1) + ")");
    g.pos[i] = g.count[size_t(m)]++;
    g.max_count = std::max(g.max_count, g.count[size_t(m)]);
  }
  return g;
}

// ---- trainer ---------------------------------------------------------------------------

class population_trainer : public trainable {
 public:
  population_trainer(const policy_config& cfg, size_t members, const std::vector<float>& init)
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
      OVERSIGHT_CHECK_EQ(b.dim, cfg_.dim);
      OVERSIGHT_CHECK_EQ(b.width, cfg_.options);
      OVERSIGHT_CHECK_EQ(b.a.size(), rows);
      OVERSIGHT_CHECK_EQ(b.target.size(), rows * size_t(cfg_.options));
      const auto g = group_rows(b.a, size_t(n_), "population trainer");
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

}  // namespace

size_t member_param_count(const policy_config& cfg) { return size_t(member_layout(cfg).total); }

std::vector<float> init_member(const policy_config& cfg, rng& init) {
  const member_layout l(cfg);
  std::vector<float> out(size_t(l.total));
  // torch_util::init_params over policy_module's parameters: fan_in is a weight's
  // second size and, for a bias, its only one.
  auto fill = [&](int64_t offset, int64_t numel, int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(double(std::max<int64_t>(fan_in, 1)));
    for (int64_t i = 0; i < numel; ++i) out[size_t(offset + i)] = float(init.uniform(-bound, bound));
  };
  fill(l.w1, l.hidden * l.dim, l.dim);
  fill(l.b1, l.hidden, l.hidden);
  fill(l.w2, l.hidden * l.hidden, l.hidden);
  fill(l.b2, l.hidden, l.hidden);
  fill(l.w3, l.options * l.hidden, l.hidden);
  fill(l.b3, l.options, l.options);
  return out;
}

struct population_net::impl {
  policy_config cfg;
  member_layout layout;
  torch::Tensor flat;  // [members, total], CPU
  impl(const policy_config& c, size_t n) : cfg(c), layout(c), flat(torch::zeros({int64_t(n), layout.total})) {}
};

population_net::population_net(const policy_config& cfg, size_t members)
    : impl_(std::make_unique<impl>(cfg, members)) {}
population_net::~population_net() = default;
population_net::population_net(population_net&&) noexcept = default;

size_t population_net::size() const { return size_t(impl_->flat.size(0)); }
const policy_config& population_net::config() const { return impl_->cfg; }

void population_net::set_members(size_t first, const std::vector<float>& flat) {
  const auto total = size_t(impl_->layout.total);
  OVERSIGHT_CHECK_EQ(flat.size() % total, size_t(0));
  const size_t count = flat.size() / total;
  OVERSIGHT_CHECK_LE(first + count, size());
  std::copy(flat.begin(), flat.end(), impl_->flat.data_ptr<float>() + first * total);
}

std::vector<float> population_net::member(size_t i) const {
  OVERSIGHT_CHECK_LT(i, size());
  const auto total = size_t(impl_->layout.total);
  const float* p = impl_->flat.data_ptr<float>() + i * total;
  return {p, p + total};
}

void population_net::copy_member(size_t from, size_t to) {
  OVERSIGHT_CHECK_LT(from, size());
  OVERSIGHT_CHECK_LT(to, size());
  const auto total = int64_t(impl_->layout.total);
  float* p = impl_->flat.data_ptr<float>();
  std::copy_n(p + int64_t(from) * total, total, p + int64_t(to) * total);
}

std::vector<float> population_net::probs(const std::vector<float>& x, const std::vector<int32_t>& who) const {
  const auto& c = impl_->cfg;
  const size_t d = size_t(c.dim), k = size_t(c.options), rows = who.size();
  if (x.size() != rows * d)
    throw std::invalid_argument("population_net::probs: " + std::to_string(x.size()) + " input floats for " +
                                std::to_string(rows) + " rows of dim " + std::to_string(d));
  if (rows == 0) return {};
  pin_torch_thread();
  torch::NoGradGuard ng;
  const auto g = group_rows(who, size(), "population_net::probs");
  // Members that answer something, most rows first, cut into chunks each padded to its
  // first member's row count; a chunk grows only while padding at most doubles its
  // rows, so a member with many rows (a popular frozen snapshot) never pads the rest.
  std::vector<int64_t> present;
  for (size_t m = 0; m < g.count.size(); ++m)
    if (g.count[m] > 0) present.push_back(int64_t(m));
  std::stable_sort(present.begin(), present.end(),
                   [&](int64_t a, int64_t b) { return g.count[size_t(a)] > g.count[size_t(b)]; });
  std::vector<int64_t> chunk_of(size(), -1), index_in_chunk(size(), -1);
  std::vector<std::pair<size_t, size_t>> chunks;  // [begin, end) in `present`
  for (size_t i = 0; i < present.size();) {
    const int64_t pad = g.count[size_t(present[i])];
    size_t j = i;
    int64_t real = 0;
    while (j < present.size() && int64_t(j - i + 1) * pad <= 2 * (real + g.count[size_t(present[j])])) {
      real += g.count[size_t(present[j])];
      chunk_of[size_t(present[j])] = int64_t(chunks.size());
      index_in_chunk[size_t(present[j])] = int64_t(j - i);
      ++j;
    }
    chunks.emplace_back(i, j);
    i = j;
  }
  std::vector<std::vector<size_t>> chunk_rows(chunks.size());
  for (size_t i = 0; i < rows; ++i) chunk_rows[size_t(chunk_of[size_t(who[i])])].push_back(i);
  std::vector<float> out(rows * k);
  const stacked all(impl_->flat, impl_->layout);
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const auto [begin, end] = chunks[ci];
    const int64_t n = int64_t(end - begin), r = g.count[size_t(present[begin])];
    std::vector<int64_t> ids(present.begin() + std::ptrdiff_t(begin), present.begin() + std::ptrdiff_t(end));
    std::vector<float> xs(size_t(n * r) * d, 0.f);
    const auto& rows_here = chunk_rows[ci];
    for (size_t i : rows_here)
      std::copy_n(x.data() + i * d, d, xs.data() + size_t(index_in_chunk[size_t(who[i])] * r + g.pos[i]) * d);
    auto idx = torch::from_blob(ids.data(), {n}, torch::kLong);
    auto xt = torch::from_blob(xs.data(), {n, r, int64_t(d)}, torch::kFloat32);
    auto p = batched_probs(xt, all.w1.index_select(0, idx), all.b1.index_select(0, idx),
                           all.w2.index_select(0, idx), all.b2.index_select(0, idx), all.w3.index_select(0, idx),
                           all.b3.index_select(0, idx))
                 .contiguous();
    const float* pp = p.data_ptr<float>();
    for (size_t i : rows_here) {
      const auto m = size_t(who[i]);
      std::copy_n(pp + size_t(index_in_chunk[m] * r + g.pos[i]) * k, k, out.data() + i * k);
    }
  }
  return out;
}

std::unique_ptr<trainable> make_population_trainer(const policy_config& cfg, size_t members,
                                                   const std::vector<float>& init) {
  return std::make_unique<population_trainer>(cfg, members, init);
}

}  // namespace oversight
