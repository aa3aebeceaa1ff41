#include "tests/support/torch_reference.hpp"

#include <string>

#include "policies/torch_util.hpp"

namespace oversight::testing {

namespace {

torch::nn::Sequential torch_mlp(const mlp_shape& s, const std::vector<float>& flat) {
  torch::nn::Sequential m(torch::nn::Linear(s.in, s.hidden), torch::nn::Tanh(), torch::nn::Linear(s.hidden, s.hidden),
                          torch::nn::Tanh(), torch::nn::Linear(s.hidden, s.out));
  torch_util::unflatten(*m, flat);
  return m;
}

std::vector<float> slice(const std::vector<float>& v, size_t i, size_t n) {
  return {v.begin() + std::ptrdiff_t(i * n), v.begin() + std::ptrdiff_t((i + 1) * n)};
}

std::vector<float> values(const torch::Tensor& t) {
  auto c = t.detach().contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

/// Rows of x (cols wide) each paired with every option as a one-hot.
torch::Tensor with_all_options(const std::vector<float>& x, int64_t cols, int options) {
  auto in = torch_util::as_tensor(x, cols);
  const int64_t rows = in.size(0);
  return torch::cat({in.repeat_interleave(options, 0), torch::eye(options).repeat({rows, 1})}, 1);
}

}  // namespace

std::vector<float> torch_init_mlp(const mlp_shape& s, rng& init) {
  auto m = torch_mlp(s, std::vector<float>(s.param_count(), 0.f));
  torch_util::init_params(*m, init);
  return torch_util::flatten(*m);
}

std::vector<float> torch_mlp_forward(const mlp_shape& s, const std::vector<float>& flat, const std::vector<float>& x,
                                     int options) {
  torch::NoGradGuard ng;
  auto in = options > 0 ? with_all_options(x, s.in - options, options) : torch_util::as_tensor(x, s.in);
  return values(torch_mlp(s, flat)->forward(in));
}

std::vector<float> torch_mlp_gradient(const mlp_shape& s, const std::vector<float>& flat, const std::vector<float>& x,
                                      const std::vector<float>& dout) {
  auto m = torch_mlp(s, flat);
  auto out = m->forward(torch_util::as_tensor(x, s.in));
  (out * torch_util::as_tensor(dout, s.out)).sum().backward();
  std::vector<float> g;
  for (auto& p : m->parameters()) {
    auto v = values(p.grad());
    g.insert(g.end(), v.begin(), v.end());
  }
  return g;
}

std::vector<float> torch_adam_steps(const std::vector<float>& params, const std::vector<std::vector<float>>& grads,
                                    double lr) {
  auto p = torch_util::as_tensor(params, int64_t(params.size())).requires_grad_();
  torch::optim::Adam opt({p}, torch::optim::AdamOptions(lr));
  for (const auto& g : grads) {
    p.mutable_grad() = torch_util::as_tensor(g, int64_t(g.size()));
    opt.step();
  }
  return values(p);
}

std::vector<float> torch_policy_probs(const policy_config& c, const std::vector<float>& params,
                                      const std::vector<float>& x) {
  torch::NoGradGuard ng;
  auto m = torch_mlp({c.dim, c.hidden, c.options}, params);
  return values(torch::softmax(m->forward(torch_util::as_tensor(x, c.dim)), 1));
}

critic_view torch_judge(const critic_config& c, const std::vector<float>& params, const std::vector<float>& x) {
  torch::NoGradGuard ng;
  const mlp_shape s{c.dim + c.options, c.hidden, 3};
  const size_t n = s.param_count();
  const auto priors = critic_prior_params(c);
  auto in = with_all_options(x, c.dim, c.options);
  std::vector<torch::Tensor> pd, pok;
  for (size_t m = 0; m < size_t(c.ensemble); ++m) {
    auto logits = torch_mlp(s, slice(params, m, n))->forward(in);
    if (c.prior_scale != 0.0) logits = logits + c.prior_scale * torch_mlp(s, slice(priors, m, n))->forward(in);
    auto p = torch::sigmoid(logits);
    pd.push_back(p);
    pok.push_back(p.prod(1));
  }
  auto stack = torch::stack(pok, 0);
  auto mean = stack.mean(0);
  critic_view v;
  v.p_ok = values(mean);
  v.uncertainty = values(c.ensemble > 1 ? stack.std(0, /*unbiased=*/false) : torch::zeros_like(mean));
  v.p_dim = values(torch::stack(pd, 0).mean(0));
  return v;
}

critic_objective torch_critic_objective_by_member(const critic_config& c, const std::vector<float>& params,
                                                 const train_batch& b, uint64_t seed) {
  const mlp_shape s{c.dim + c.options, c.hidden, 3};
  const size_t n = s.param_count();
  const auto priors = critic_prior_params(c);
  struct item {
    std::vector<float> x;
    int a, b;
    float t[3];
  };
  std::vector<item> point, pair;
  for (size_t i = 0; i < b.rows(); ++i) {
    item it{slice(b.x, i, size_t(b.dim)), b.a[i], b.b[i], {}};
    for (size_t d = 0; d < 3; ++d) it.t[d] = b.target[i * size_t(b.width) + d];
    (it.b < 0 ? point : pair).push_back(it);
  }
  auto input = [&](const std::vector<float>& x, const std::vector<int64_t>& opt) {
    auto oh = torch::one_hot(torch::tensor(opt, torch::kLong), c.options).to(torch::kFloat32);
    return torch::cat({torch_util::as_tensor(x, c.dim), oh}, 1);
  };
  std::vector<torch::nn::Sequential> members;
  torch::Tensor loss = torch::zeros({});
  for (int m = 0; m < c.ensemble; ++m) {
    auto member = torch_mlp(s, slice(params, size_t(m), n));
    auto prior = torch_mlp(s, slice(priors, size_t(m), n));
    members.push_back(member);
    auto logits = [&](const torch::Tensor& in) {
      if (c.prior_scale == 0.0) return member->forward(in);
      torch::Tensor p;
      {
        torch::NoGradGuard ng;
        p = prior->forward(in);
      }
      return member->forward(in) + c.prior_scale * p;
    };
    rng r(seed, "critic-bootstrap-" + std::to_string(m));
    if (!point.empty()) {
      std::vector<float> x, t;
      std::vector<int64_t> a;
      for (int i = 0; i < c.minibatch; ++i) {
        const auto& it = point[r.below(point.size())];
        x.insert(x.end(), it.x.begin(), it.x.end());
        t.insert(t.end(), it.t, it.t + 3);
        a.push_back(it.a);
      }
      loss = loss + torch::binary_cross_entropy_with_logits(logits(input(x, a)), torch_util::as_tensor(t, 3));
    }
    if (!pair.empty()) {
      std::vector<float> x, pref;
      std::vector<int64_t> a, bb;
      for (int i = 0; i < c.minibatch; ++i) {
        const auto& it = pair[r.below(pair.size())];
        x.insert(x.end(), it.x.begin(), it.x.end());
        a.push_back(it.a);
        bb.push_back(it.b);
        pref.push_back(it.t[0]);
      }
      auto ua = torch::log_sigmoid(logits(input(x, a))).sum(1);
      auto ub = torch::log_sigmoid(logits(input(x, bb))).sum(1);
      loss = loss + torch::binary_cross_entropy_with_logits(ua - ub, torch::tensor(pref));
    }
  }
  loss.backward();
  critic_objective out;
  out.loss = loss.item<double>();
  for (auto& m : members)
    for (auto& p : m->parameters()) {
      auto g = values(p.grad());
      out.grad.insert(out.grad.end(), g.begin(), g.end());
    }
  return out;
}

}  // namespace oversight::testing
