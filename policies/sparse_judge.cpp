// The sparse judge's libtorch unit (see sparse_judge.hpp).
#include "policies/sparse_judge.hpp"

#include "policies/nets.hpp"  // pin_torch_thread

#include <torch/torch.h>

#include "base/error.hpp"

namespace oversight {

namespace {

struct judge_module : torch::nn::Module {
  explicit judge_module(const sparse_judge_config& c) : cfg(c) {
    // Row `pixels` of each table is a zero pad for empty slots (never trained: its
    // gradient is multiplied by a zero presence flag).
    wv = register_parameter("wv", torch::zeros({c.pixels + 1, c.hidden}));
    wm = register_parameter("wm", torch::zeros({c.pixels + 1, c.hidden}));
    b1 = register_parameter("b1", torch::zeros({c.hidden}));
    if (c.layers >= 2) l2 = register_module("l2", torch::nn::Linear(c.hidden, c.hidden));
    out = register_module("out", torch::nn::Linear(c.hidden, c.classes));
  }
  /// First-layer pre-activations. idx: rows x width (long, pad = pixels), val,
  /// present: rows x width (float).
  torch::Tensor first(const torch::Tensor& idx, const torch::Tensor& val, const torch::Tensor& present) {
    const int64_t rows = idx.size(0), width = idx.size(1);
    auto flat = idx.reshape({-1});
    auto ev = wv.index_select(0, flat).view({rows, width, cfg.hidden});
    auto em = wm.index_select(0, flat).view({rows, width, cfg.hidden});
    return b1 + ((ev * val.unsqueeze(2) + em) * present.unsqueeze(2)).sum(1);
  }
  torch::Tensor rest(const torch::Tensor& pre) {
    auto h = torch::relu(pre);
    if (l2) h = torch::relu(l2->forward(h));
    return out->forward(h);
  }
  torch::Tensor forward(const torch::Tensor& idx, const torch::Tensor& val, const torch::Tensor& present) {
    return rest(first(idx, val, present));
  }
  sparse_judge_config cfg;
  torch::Tensor wv, wm, b1;
  torch::nn::Linear l2{nullptr}, out{nullptr};
};

/// Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) from our stream. The first layer's fan-in is
/// the k revealed pixels times two inputs each (value and mask bit).
void init_judge(judge_module& m, rng& r) {
  torch::NoGradGuard ng;
  auto fill = [&](torch::Tensor& t, double bound) {
    auto acc = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) acc[i] = float(r.uniform(-bound, bound));
  };
  const double first = 1.0 / std::sqrt(2.0 * double(std::max(m.cfg.reveal, 1)));
  fill(m.wv, first);
  fill(m.wm, first);
  fill(m.b1, first);
  m.wv[m.cfg.pixels].zero_();
  m.wm[m.cfg.pixels].zero_();
  for (auto* lin : {&m.l2, &m.out}) {
    if (!*lin) continue;
    const double bound = 1.0 / std::sqrt(double((*lin)->weight.size(1)));
    fill((*lin)->weight, bound);
    fill((*lin)->bias, bound);
  }
}

struct tensors {
  torch::Tensor idx, val, present;
};

tensors to_tensors(const reveal_rows& x, int pad) {
  const int64_t rows = int64_t(x.rows()), width = x.width;
  std::vector<int64_t> idx(x.pixel.size());
  std::vector<float> present(x.pixel.size());
  for (size_t i = 0; i < x.pixel.size(); ++i) {
    present[i] = x.pixel[i] >= 0 ? 1.f : 0.f;
    idx[i] = x.pixel[i] >= 0 ? x.pixel[i] : pad;
  }
  tensors t;
  t.idx = torch::from_blob(idx.data(), {rows, width}, torch::kLong).clone();
  t.val = torch::from_blob(const_cast<float*>(x.value.data()), {rows, width}, torch::kFloat32).clone();
  t.present = torch::from_blob(present.data(), {rows, width}, torch::kFloat32).clone();
  return t;
}

}  // namespace

struct sparse_judge::impl {
  explicit impl(const sparse_judge_config& c) : cfg(c), net(std::make_shared<judge_module>(c)) {}
  sparse_judge_config cfg;
  std::shared_ptr<judge_module> net;
};

sparse_judge::sparse_judge(const sparse_judge_config& cfg, rng& init) : impl_(std::make_unique<impl>(cfg)) {
  OVERSIGHT_CHECK(cfg.layers == 1 || cfg.layers == 2);
  init_judge(*impl_->net, init);
}
sparse_judge::~sparse_judge() = default;
sparse_judge::sparse_judge(sparse_judge&&) noexcept = default;

double sparse_judge::train(const uint8_t* images, const uint8_t* labels, size_t n, rng& r) {
  pin_torch_thread();
  OVERSIGHT_CHECK_LT(size_t(0), n);
  const auto& c = impl_->cfg;
  OVERSIGHT_CHECK_LE(c.reveal, c.pixels);
  auto& net = *impl_->net;
  torch::optim::Adam opt(net.parameters(), torch::optim::AdamOptions(c.lr));
  reveal_rows x;
  x.width = c.reveal;
  x.pixel.resize(size_t(c.batch * c.reveal));
  x.value.resize(x.pixel.size());
  std::vector<int64_t> y(size_t(c.batch));
  const int tail_from = c.steps - std::max(1, c.steps / 10);
  double right = 0, seen = 0;
  for (int s = 0; s < c.steps; ++s) {
    for (int b = 0; b < c.batch; ++b) {
      const size_t img = size_t(r.below(n));
      y[size_t(b)] = labels[img];
      int32_t* px = x.pixel.data() + size_t(b * c.reveal);
      for (int j = 0; j < c.reveal; ++j) {
        int32_t p;
        do p = int32_t(r.below(uint64_t(c.pixels)));  // distinct pixels, by rejection (k << P)
        while (std::find(px, px + j, p) != px + j);
        px[j] = p;
        x.value[size_t(b * c.reveal + j)] = float(images[img * size_t(c.pixels) + size_t(p)]) / 255.f;
      }
    }
    auto t = to_tensors(x, c.pixels);
    auto target = torch::from_blob(y.data(), {c.batch}, torch::kLong).clone();
    auto logits = net.forward(t.idx, t.val, t.present);
    auto loss = torch::nn::functional::cross_entropy(logits, target);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (s >= tail_from) {
      right += logits.argmax(1).eq(target).sum().item<double>();
      seen += c.batch;
    }
  }
  return seen > 0 ? right / seen : 0.0;
}

std::vector<float> sparse_judge::logits(const reveal_rows& x) const {
  pin_torch_thread();
  const auto& c = impl_->cfg;
  if (x.rows() == 0) return {};
  OVERSIGHT_CHECK_EQ(x.pixel.size(), x.value.size());
  for (auto p : x.pixel) OVERSIGHT_CHECK_LT(p, c.pixels);
  torch::NoGradGuard ng;
  auto t = to_tensors(x, c.pixels);
  auto out = impl_->net->forward(t.idx, t.val, t.present).contiguous();
  return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}

std::vector<float> sparse_judge::extend_logits(const reveal_rows& base, const std::vector<int32_t>& row,
                                               const std::vector<int32_t>& pixel,
                                               const std::vector<float>& value) const {
  pin_torch_thread();
  const auto& c = impl_->cfg;
  OVERSIGHT_CHECK_EQ(row.size(), pixel.size());
  OVERSIGHT_CHECK_EQ(row.size(), value.size());
  if (row.empty()) return {};
  for (auto p : pixel) {
    OVERSIGHT_CHECK_LE(0, p);
    OVERSIGHT_CHECK_LT(p, c.pixels);
  }
  for (auto r : row) OVERSIGHT_CHECK_LT(size_t(r), base.rows());
  torch::NoGradGuard ng;
  auto& net = *impl_->net;
  auto t = to_tensors(base, c.pixels);
  auto prefix = net.first(t.idx, t.val, t.present);
  std::vector<float> out;
  out.reserve(row.size() * size_t(c.classes));
  // Fixed-size chunks bound the memory of a wide search (and keep batch shapes a
  // function of the input alone, so results do not depend on scheduling).
  constexpr size_t chunk = 16384;
  for (size_t b = 0; b < row.size(); b += chunk) {
    const size_t e = std::min(row.size(), b + chunk);
    const int64_t n = int64_t(e - b);
    std::vector<int64_t> r64(row.begin() + std::ptrdiff_t(b), row.begin() + std::ptrdiff_t(e));
    std::vector<int64_t> p64(pixel.begin() + std::ptrdiff_t(b), pixel.begin() + std::ptrdiff_t(e));
    auto rt = torch::from_blob(r64.data(), {n}, torch::kLong);
    auto pt = torch::from_blob(p64.data(), {n}, torch::kLong);
    auto vt = torch::from_blob(const_cast<float*>(value.data() + b), {n, 1}, torch::kFloat32);
    auto pre = prefix.index_select(0, rt) + net.wv.index_select(0, pt) * vt + net.wm.index_select(0, pt);
    auto l = net.rest(pre).contiguous();
    out.insert(out.end(), l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
  }
  return out;
}

std::vector<float> sparse_judge::params() const {
  std::vector<float> out;
  for (auto& p : impl_->net->parameters()) {
    auto c = p.detach().contiguous();
    out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

void sparse_judge::set_params(const std::vector<float>& v) {
  torch::NoGradGuard ng;
  size_t off = 0;
  for (auto& p : impl_->net->parameters()) {
    OVERSIGHT_CHECK_LE(off + size_t(p.numel()), v.size());
    std::memcpy(p.data_ptr<float>(), v.data() + off, sizeof(float) * size_t(p.numel()));
    off += size_t(p.numel());
  }
  OVERSIGHT_CHECK_EQ(off, v.size());
}

const sparse_judge_config& sparse_judge::config() const { return impl_->cfg; }

}  // namespace oversight
