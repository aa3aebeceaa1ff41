// The hand-written forward pass (policies/small_mlp.hpp) against libtorch's forward of the
// same weights: the MLP bank itself, policy_net::probs and reward_model::judge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "policies/nets.hpp"
#include "policies/small_mlp.hpp"
#include "tests/support/torch_reference.hpp"

using namespace oversight;
using namespace oversight::testing;

namespace {

std::vector<simd_level> supported_levels() {
  std::vector<simd_level> out;
  for (auto l : {simd_level::portable, simd_level::sse2, simd_level::avx2, simd_level::avx512})
    if (simd_supported(l)) out.push_back(l);
  return out;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

std::vector<float> normal(rng& r, size_t n, double scale = 1.0) {
  std::vector<float> v(n);
  for (auto& x : v) x = float(scale * r.normal());
  return v;
}

/// w2 (the square hidden layer) transposed in a net's flat parameters.
std::vector<float> transpose_w2(const mlp_shape& s, std::vector<float> flat) {
  const size_t h = size_t(s.hidden), w2 = size_t(s.in + 1) * h;
  std::vector<float> t(h * h);
  for (size_t i = 0; i < h; ++i)
    for (size_t j = 0; j < h; ++j) t[j * h + i] = flat[w2 + i * h + j];
  std::copy(t.begin(), t.end(), flat.begin() + std::ptrdiff_t(w2));
  return flat;
}

}  // namespace

TEST_CASE("small_mlp: init_mlp_params draws what torch_util::init_params draws", "[unit][small_mlp]") {
  init_torch(1);
  for (mlp_shape s : {mlp_shape{8, 64, 4}, mlp_shape{12, 64, 3}, mlp_shape{3, 5, 2}}) {
    rng a(7, "init"), b(7, "init");
    const auto theirs = torch_init_mlp(s, a);
    const auto mine = init_mlp_params(s, b);
    CHECK(mine.size() == s.param_count());
    CHECK(mine == theirs);
    CHECK(a.uniform() == b.uniform());  // both streams consumed alike
  }
}

TEST_CASE("small_mlp: tanh is accurate to 2e-7 relative at every kernel level", "[unit][small_mlp]") {
  std::vector<float> x;
  for (int i = -200000; i <= 200000; ++i) x.push_back(float(i) * 6e-5f);  // [-12, 12]
  for (float v = 1e-30f; v < 1.f; v *= 1.05f) x.push_back(v);            // tiny magnitudes
  for (float v : {0.4f, -0.4f, std::nextafter(0.4f, 0.f), 10.f, 30.f, -88.f, 1e30f, -1e30f, 0.f}) x.push_back(v);
  for (auto level : supported_levels()) {
    INFO("level " << simd_name(level));
    std::vector<float> y(x.size());
    mlp_tanh(x.data(), y.data(), x.size(), level);
    double worst = 0;
    float at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double t = std::tanh(double(x[i]));
      const double rel = t == 0 ? std::abs(double(y[i])) : std::abs(double(y[i]) - t) / std::abs(t);
      if (rel > worst) worst = rel, at = x[i];
    }
    INFO("worst relative error " << worst << " at x = " << at);
    CHECK(worst < 2e-7);
  }
}

TEST_CASE("small_mlp: sigmoid is accurate to 3e-7 relative at every kernel level", "[unit][small_mlp]") {
  std::vector<float> z;
  for (int i = -400000; i <= 400000; ++i) z.push_back(float(i) * 2e-4f);  // [-80, 80]
  for (float v : {87.f, -87.f, 100.f, -100.f, 1e30f, -1e30f, 0.f, 1e-30f}) z.push_back(v);
  for (auto level : supported_levels()) {
    INFO("level " << simd_name(level));
    std::vector<float> y(z.size());
    mlp_sigmoid(z.data(), y.data(), z.size(), level);
    double worst = 0;
    float at = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      const double want = 1.0 / (1.0 + std::exp(-double(z[i])));
      // Below exp's range the result is clamped: tiny, not relatively accurate.
      const double err = z[i] < -80 ? (y[i] < 2e-38f ? 0.0 : 1.0) : std::abs(double(y[i]) - want) / want;
      if (err > worst) worst = err, at = z[i];
    }
    INFO("worst relative error " << worst << " at z = " << at);
    CHECK(worst < 3e-7);
  }
}

TEST_CASE("small_mlp: the bank's forward equals libtorch's at every kernel level", "[unit][small_mlp]") {
  init_torch(1);
  rng r(11, "small_mlp");
  struct shape_case {
    mlp_shape s;
    int options;
  };
  // Widths below, at and past the kernels' tiles (4 and 16 floats), with and without options.
  const std::vector<shape_case> cases = {{{8, 64, 4}, 0}, {{12, 64, 3}, 4}, {{3, 5, 2}, 0}, {{6, 20, 7}, 2},
                                         {{9, 33, 1}, 3}, {{4, 4, 4}, 0},   {{1, 16, 17}, 0}};
  for (const auto& c : cases) {
    for (size_t rows : {size_t(1), size_t(3), size_t(37), size_t(100)}) {
      const auto flat = init_mlp_params(c.s, r);
      const auto x = normal(r, rows * size_t(c.s.in - c.options), 2.0);
      const auto want = torch_mlp_forward(c.s, flat, x, c.options);
      mlp_bank bank(c.s, 1);
      bank.set(0, flat.data());
      for (auto level : supported_levels()) {
        INFO("shape " << c.s.in << "-" << c.s.hidden << "-" << c.s.out << " options " << c.options << " rows " << rows
                      << " level " << simd_name(level));
        CHECK(max_abs_diff(bank.forward(x.data(), rows, c.options, level), want) < 1e-5f);
      }
    }
  }
}

TEST_CASE("small_mlp: a bank gives each net's outputs times its scale", "[unit][small_mlp]") {
  init_torch(1);
  rng r(12, "small_mlp");
  const mlp_shape s{10, 24, 3};
  const int options = 4;
  const size_t rows = 29;
  const std::vector<float> scales = {1.f, 1.5f, -0.5f};
  mlp_bank bank(s, scales.size());
  std::vector<std::vector<float>> nets;
  for (size_t n = 0; n < scales.size(); ++n) {
    nets.push_back(init_mlp_params(s, r));
    bank.set(n, nets[n].data(), scales[n]);
  }
  const auto x = normal(r, rows * size_t(s.in - options));
  const auto got = bank.forward(x.data(), rows, options);
  std::vector<float> want(got.size());
  for (size_t n = 0; n < nets.size(); ++n) {
    const auto f = torch_mlp_forward(s, nets[n], x, options);
    for (size_t i = 0; i < rows * size_t(options); ++i)
      for (size_t j = 0; j < 3; ++j) want[(i * nets.size() + n) * 3 + j] = scales[n] * f[i * 3 + j];
  }
  CHECK(max_abs_diff(got, want) < 1e-5f);
}

// The comparisons above would catch weights read in the wrong layout: a transposed
// hidden layer moves the outputs far past their tolerance.
TEST_CASE("small_mlp: a transposed layer fails the comparison with libtorch", "[unit][small_mlp]") {
  init_torch(1);
  rng r(13, "small_mlp");
  const mlp_shape s{8, 64, 4};
  const auto flat = init_mlp_params(s, r);
  const auto x = normal(r, 50 * size_t(s.in), 2.0);
  mlp_bank bank(s, 1);
  bank.set(0, flat.data());
  const auto got = bank.forward(x.data(), 50, 0);
  CHECK(max_abs_diff(got, torch_mlp_forward(s, flat, x, 0)) < 1e-5f);
  CHECK(max_abs_diff(got, torch_mlp_forward(s, transpose_w2(s, flat), x, 0)) > 1e-2f);
}

TEST_CASE("small_mlp: a row's outputs do not depend on the rows batched with it", "[unit][small_mlp]") {
  rng r(14, "small_mlp");
  const mlp_shape s{12, 64, 3};
  mlp_bank bank(s, 4);
  for (size_t n = 0; n < 4; ++n) bank.set(n, init_mlp_params(s, r).data(), n % 2 ? 0.7f : 1.f);
  const size_t rows = 45;
  const auto x = normal(r, rows * 8);
  const auto all = bank.forward(x.data(), rows, 4);
  const size_t per_row = 4 * 4 * 3;
  for (size_t i = 0; i < rows; ++i) {
    const auto one = bank.forward(x.data() + i * 8, 1, 4);
    CHECK(std::equal(one.begin(), one.end(), all.begin() + std::ptrdiff_t(i * per_row)));
  }
}

TEST_CASE("small_mlp: AVX2 and AVX-512 give bit-identical outputs", "[unit][small_mlp]") {
  if (!simd_supported(simd_level::avx2) || !simd_supported(simd_level::avx512)) {
    WARN("this CPU lacks AVX2 or AVX-512: nothing to compare");
    return;
  }
  rng r(15, "small_mlp");
  for (mlp_shape s : {mlp_shape{12, 64, 3}, mlp_shape{8, 64, 4}, mlp_shape{7, 40, 9}}) {
    mlp_bank bank(s, 1);
    bank.set(0, init_mlp_params(s, r).data());
    const int options = s.out == 3 ? 4 : 0;
    const auto x = normal(r, 64 * size_t(s.in - options), 3.0);
    CHECK(bank.forward(x.data(), 64, options, simd_level::avx2) ==
          bank.forward(x.data(), 64, options, simd_level::avx512));
  }
}

TEST_CASE("small_mlp: policy_net probabilities equal libtorch's softmax policy", "[unit][small_mlp]") {
  init_torch(1);
  for (int hidden : {64, 13}) {
    policy_config cfg;
    cfg.hidden = hidden;
    rng init(21, "init"), data(21, "data");
    policy_net net(cfg, init);
    const auto x = normal(data, 300 * size_t(cfg.dim), 2.0);
    INFO("hidden " << hidden);
    CHECK(max_abs_diff(net.probs(x), torch_policy_probs(cfg, net.params(), x)) < 1e-5f);
  }
}

TEST_CASE("small_mlp: reward_model judgments equal libtorch's ensemble with priors", "[unit][small_mlp]") {
  init_torch(1);
  for (int ensemble : {1, 3}) {
    for (double prior_scale : {0.0, 1.0, 2.5}) {
      critic_config cfg;
      cfg.ensemble = ensemble;
      cfg.prior_scale = prior_scale;
      cfg.prior_seed = 99;
      rng init(22, "init"), data(22, "data");
      reward_model model(cfg, init);
      // Trained-looking weights: the initial ones, perturbed, through set_params.
      auto params = model.params();
      for (auto& w : params) w += float(0.1 * data.normal());
      model.set_params(params);
      const auto x = normal(data, 200 * size_t(cfg.dim), 2.0);
      const auto got = model.judge(x);
      const auto want = torch_judge(cfg, params, x);
      INFO("ensemble " << ensemble << " prior_scale " << prior_scale);
      CHECK(max_abs_diff(got.p_ok, want.p_ok) < 1e-5f);
      CHECK(max_abs_diff(got.uncertainty, want.uncertainty) < 1e-5f);
      CHECK(max_abs_diff(got.p_dim, want.p_dim) < 1e-5f);
      if (ensemble > 1 && prior_scale > 0) {
        float spread = 0;
        for (float u : got.uncertainty) spread = std::max(spread, u);
        CHECK(spread > 0.01f);  // the members (and priors) do disagree: the spread is tested
      }
    }
  }
}

// reward_model keeps its priors' logits for the last few batches it judged: a batch
// judged again, after others or by a model with no memory of it, gives the same bits.
TEST_CASE("small_mlp: reward_model judgments do not depend on the batches judged before", "[unit][small_mlp]") {
  critic_config cfg;
  cfg.prior_seed = 3;
  rng init(23, "init"), data(23, "data");
  reward_model model(cfg, init);
  std::vector<std::vector<float>> batches;
  for (size_t n : {50, 7, 50, 120, 3, 9}) batches.push_back(normal(data, n * size_t(cfg.dim)));
  const auto first = model.judge(batches[0]);
  for (const auto& b : batches) model.judge(b);  // more batches than the model remembers
  const auto again = model.judge(batches[0]);
  rng init2(23, "init");
  const reward_model fresh(cfg, init2);
  const auto other = fresh.judge(batches[0]);
  for (const auto* v : {&again, &other}) {
    CHECK(v->p_ok == first.p_ok);
    CHECK(v->uncertainty == first.uncertainty);
    CHECK(v->p_dim == first.p_dim);
  }
  // New weights change the judgment (the memory holds the priors only).
  auto p = model.params();
  for (auto& w : p) w *= 1.5f;
  model.set_params(p);
  CHECK(model.judge(batches[0]).p_ok != first.p_ok);
}
