// The hand-written training pieces of policies/small_mlp.hpp against libtorch
// (tests/support/torch_reference.hpp): mlp_tape's forward and parameter gradient, and
// mlp_adam's steps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "policies/nets.hpp"
#include "policies/small_mlp.hpp"
#include "tests/support/torch_reference.hpp"

using namespace oversight;
using namespace oversight::testing;

namespace {

std::vector<float> normal(rng& r, size_t n, double scale = 1.0) {
  std::vector<float> v(n);
  for (auto& x : v) x = float(scale * r.normal());
  return v;
}

float max_abs(const std::vector<float>& a) {
  float m = 0;
  for (float v : a) m = std::max(m, std::abs(v));
  return m;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

/// A square block of a flat vector transposed: [rows][rows] at `offset`.
std::vector<float> transpose_block(std::vector<float> v, size_t offset, size_t n) {
  const auto copy = v;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) v[offset + i * n + j] = copy[offset + j * n + i];
  return v;
}

}  // namespace

TEST_CASE("small_mlp: mlp_tape's outputs and parameter gradient equal libtorch's autograd", "[unit][small_mlp]") {
  init_torch(1);
  // The critic's and the policy's shapes, and shapes that exercise the padding: inputs,
  // hidden units and outputs off the kernels' widths, and row counts off the row tile.
  const std::vector<std::pair<mlp_shape, size_t>> cases = {
      {{12, 64, 3}, 64}, {{8, 64, 4}, 192}, {{5, 20, 6}, 7}, {{3, 4, 2}, 1}, {{16, 130, 17}, 9}, {{12, 128, 3}, 130}};
  rng r(41, "tape");
  for (const auto& [s, rows] : cases) {
    const auto flat = torch_init_mlp(s, r);
    const auto x = normal(r, rows * size_t(s.in));
    const auto dout = normal(r, rows * size_t(s.out), 0.1);
    mlp_tape tape(s);
    const float* out = tape.forward(flat.data(), x.data(), rows);
    const std::vector<float> outs(out, out + rows * size_t(s.out));
    std::vector<float> grad(s.param_count(), -1.f);
    tape.backward(dout.data(), grad.data());
    const auto ref_out = torch_mlp_forward(s, flat, x, 0);
    const auto ref_grad = torch_mlp_gradient(s, flat, x, dout);
    INFO("shape " << s.in << " " << s.hidden << " " << s.out << ", rows " << rows);
    CHECK(max_abs_diff(outs, ref_out) < 1e-5f);
    const float largest = max_abs(ref_grad);
    INFO("largest gradient " << largest << ", largest difference " << max_abs_diff(grad, ref_grad));
    CHECK(max_abs_diff(grad, ref_grad) < 1e-5f * std::max(1.f, largest));
    CHECK(largest > 1e-2f);  // a real gradient
    // The comparison tells a transposed gradient of the square layer from the right one.
    const mlp_layout l(s);
    CHECK(max_abs_diff(transpose_block(grad, size_t(l.w2), size_t(l.hidden)), ref_grad) > 1e-3f);
  }
}

TEST_CASE("small_mlp: mlp_tape's gradient is the same for a row whatever rows share its batch", "[unit][small_mlp]") {
  const mlp_shape s{12, 64, 3};
  rng r(42, "tape");
  const auto flat = init_mlp_params(s, r);
  const auto x = normal(r, 9 * 12);
  const auto dout = normal(r, 9 * 3);
  std::vector<float> dout_first(9 * 3, 0.f);
  std::copy_n(dout.begin(), 3, dout_first.begin());
  mlp_tape tape(s);
  std::vector<float> alone(s.param_count()), batched(s.param_count());
  tape.forward(flat.data(), x.data(), 1);
  tape.backward(dout.data(), alone.data());
  tape.forward(flat.data(), x.data(), 9);
  tape.backward(dout_first.data(), batched.data());
  CHECK(alone == batched);
}

TEST_CASE("small_mlp: mlp_adam takes torch::optim::Adam's steps", "[unit][small_mlp]") {
  init_torch(1);
  rng r(43, "adam");
  const size_t n = 300;
  const auto start = normal(r, n);
  std::vector<std::vector<float>> grads;
  for (int i = 0; i < 5; ++i) grads.push_back(normal(r, n, 0.01 * (i + 1)));
  for (double lr : {3e-3, 1e-1}) {
    mlp_adam adam(n, lr);
    auto p = start;
    for (const auto& g : grads) adam.update(p.data(), g.data());
    const auto ref = torch_adam_steps(start, grads, lr);
    INFO("lr " << lr);
    CHECK(max_abs_diff(p, ref) < 1e-6f * float(std::max(1.0, lr * 100)));
    CHECK(adam.steps == 5);
  }
  // Bias correction: the first step moves every parameter by lr (|g| >> eps), where an
  // uncorrected one would move it by lr * 0.1 / sqrt(0.001), 3.2 times as far.
  std::vector<float> g(n);
  for (size_t i = 0; i < n; ++i) g[i] = float(i % 2 ? 1 : -1) * (0.01f + 0.001f * float(i));
  mlp_adam adam(n, 3e-3);
  auto p = start;
  adam.update(p.data(), g.data());
  for (size_t i = 0; i < n; ++i) CHECK(std::abs(std::abs(p[i] - start[i]) - 3e-3f) < 1e-6f);
}

// ---- the policy trainer: hand-written against libtorch's -----------------------------

namespace {

/// `rows` queries with a reward in [0, 1] for every option.
train_batch policy_batch(const policy_config& c, rng& r, size_t rows) {
  train_batch b;
  b.dim = c.dim;
  b.width = c.options;
  for (size_t i = 0; i < rows * size_t(c.dim); ++i) b.x.push_back(float(r.normal()));
  for (size_t i = 0; i < rows * size_t(c.options); ++i) b.target.push_back(float(r.uniform()));
  return b;
}

std::vector<policy_config> policy_configs() {
  policy_config red_team;  // the defaults: 8 -> 64 -> 64 -> 4
  policy_config odd;
  odd.dim = 5;
  odd.hidden = 20;
  odd.options = 3;
  odd.entropy = 0.3;
  odd.epochs = 3;
  return {red_team, odd};
}

}  // namespace

TEST_CASE("policy trainer: the hand-written loss and gradient equal libtorch's", "[unit][small_mlp][policy_trainer]") {
  init_torch(1);
  for (const auto& cfg : policy_configs())
    for (size_t rows : {size_t(192), size_t(7)}) {
      rng init(44, "init"), data(44, "data");
      const policy_net net(cfg, init);
      const auto b = policy_batch(cfg, data, rows);
      const auto hand = policy_trainer_objective(cfg, net.params(), b, trainer_backend::hand_written);
      const auto torch = policy_trainer_objective(cfg, net.params(), b, trainer_backend::libtorch);
      INFO("hidden " << cfg.hidden << ", rows " << rows << ": loss " << hand.loss << " vs " << torch.loss);
      CHECK(std::abs(hand.loss - torch.loss) < 1e-5 * std::max(1.0, std::abs(torch.loss)));
      const float largest = max_abs(torch.grad);
      INFO("largest gradient " << largest << ", largest difference " << max_abs_diff(hand.grad, torch.grad));
      CHECK(max_abs_diff(hand.grad, torch.grad) < 1e-5f * std::max(1.f, largest));
      CHECK(largest > 1e-3f);
    }
}

// Adam's steps hide a gradient's scale (the first step is lr times its sign), so the
// gradient is compared above and the steps here.
TEST_CASE("policy trainer: the hand-written trainer's steps equal libtorch's", "[unit][small_mlp][policy_trainer]") {
  init_torch(1);
  for (const auto& cfg : policy_configs()) {
    rng init(45, "init"), data(45, "data");
    const policy_net net(cfg, init);
    const auto start = net.params();
    auto hand = make_policy_trainer(cfg, start, trainer_backend::hand_written);
    auto torch = make_policy_trainer(cfg, start, trainer_backend::libtorch);
    for (int s = 0; s < 3; ++s) {
      const auto b = policy_batch(cfg, data, 64);
      const auto h = hand->step(b), t = torch->step(b);
      INFO("hidden " << cfg.hidden << " step " << s << ": largest difference " << max_abs_diff(h, t));
      CHECK(max_abs_diff(h, t) < 1e-5f);
      CHECK(max_abs_diff(t, start) > float(cfg.lr));
    }
    // An empty batch takes no step on either.
    const auto h = hand->step({});
    CHECK(hand->step({}) == h);
    CHECK(max_abs_diff(h, torch->step({})) < 1e-5f);
  }
}

TEST_CASE("policy trainer: the hand-written trainer resumes from its checkpoint bit for bit",
          "[unit][small_mlp][policy_trainer]") {
  policy_config cfg;
  rng init(46, "init"), data(46, "data");
  const policy_net net(cfg, init);
  auto first = make_policy_trainer(cfg, net.params(), trainer_backend::hand_written);
  first->step(policy_batch(cfg, data, 32));
  auto out = state_io::writer();
  first->state(out);
  auto bytes = out.take();
  auto second = make_policy_trainer(cfg, std::vector<float>(net.params().size(), 0.25f), trainer_backend::hand_written);
  auto in = state_io::reader(std::move(bytes), "policy trainer");
  second->state(in);
  in.finish();
  const auto b = policy_batch(cfg, data, 32);
  CHECK(first->step(b) == second->step(b));
}

TEST_CASE("policy trainer: the automatic choice is hand-written at small widths with a GPU or without",
          "[unit][small_mlp][policy_trainer]") {
  init_torch(1);
  policy_config cfg;
  cfg.hidden = hand_written_max_hidden;
  CHECK(policy_trainer_backend(cfg) == trainer_backend::hand_written);
  cfg.hidden = hand_written_max_hidden + 1;
  CHECK(policy_trainer_backend(cfg) == trainer_backend::libtorch);
}
