// The critic trainers (policies/nets.cpp and nets_torch.cpp), libtorch's batched ensemble and the one written
// by hand, against the same objective computed member by member with libtorch modules
// (tests/support/torch_reference.hpp): the loss and its gradient; then the hand-written
// trainer's steps against libtorch's, and its checkpoints.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "policies/nets.hpp"
#include "tests/support/torch_reference.hpp"

using namespace oversight;
using namespace oversight::testing;

namespace {

std::vector<float> slice(const std::vector<float>& v, size_t i, size_t n) {
  return {v.begin() + std::ptrdiff_t(i * n), v.begin() + std::ptrdiff_t((i + 1) * n)};
}

/// `rows` labels: point-wise (3 acceptability bits) or pair-wise (a preferred or not).
train_batch labels(const critic_config& c, rng& r, size_t rows, double pair_share) {
  train_batch b;
  b.dim = c.dim;
  b.width = 3;
  for (size_t i = 0; i < rows; ++i) {
    for (int k = 0; k < c.dim; ++k) b.x.push_back(float(r.normal()));
    const int a = int(r.below(uint64_t(c.options)));
    b.a.push_back(a);
    if (r.uniform() < pair_share) {
      b.b.push_back(int((a + 1 + int(r.below(uint64_t(c.options - 1)))) % c.options));
      b.target.insert(b.target.end(), {r.bernoulli(0.5) ? 1.f : 0.f, 0.f, 0.f});
    } else {
      b.b.push_back(-1);
      for (int d = 0; d < 3; ++d) b.target.push_back(r.bernoulli(0.7) ? 1.f : 0.f);
    }
  }
  return b;
}

}  // namespace

TEST_CASE("critic trainer: the batched ensemble's loss and gradient equal the member-by-member ones",
          "[unit][nets][critic_trainer]") {
  init_torch(1);
  for (auto backend : {trainer_backend::libtorch, trainer_backend::hand_written})
  for (int ensemble : {1, 3}) {
    for (double prior_scale : {0.0, 1.0}) {
      for (double pair_share : {0.0, 0.5, 1.0}) {
        critic_config cfg;
        cfg.ensemble = ensemble;
        cfg.prior_scale = prior_scale;
        cfg.prior_seed = 5;
        cfg.minibatch = 48;
        rng init(31, "init"), data(31, "data");
        reward_model model(cfg, init);
        auto params = model.params();
        for (auto& w : params) w += float(0.05 * data.normal());
        const auto b = labels(cfg, data, 40, pair_share);
        const auto fused = critic_trainer_objective(cfg, params, b, 77, backend);
        const auto reference = torch_critic_objective_by_member(cfg, params, b, 77);
        INFO((backend == trainer_backend::libtorch ? "libtorch" : "hand-written") << " ensemble " << ensemble << " prior_scale " << prior_scale << " pair share " << pair_share);
        INFO("loss " << fused.loss << " vs " << reference.loss);
        CHECK(std::abs(fused.loss - reference.loss) < 1e-5 * std::max(1.0, std::abs(reference.loss)));
        REQUIRE(fused.grad.size() == reference.grad.size());
        float worst = 0, largest = 0;
        for (size_t i = 0; i < fused.grad.size(); ++i) {
          worst = std::max(worst, std::abs(fused.grad[i] - reference.grad[i]));
          largest = std::max(largest, std::abs(reference.grad[i]));
        }
        INFO("largest gradient " << largest << ", largest difference " << worst);
        CHECK(worst < 1e-5f);
        CHECK(largest > 1e-3f);  // a real gradient, not zeros on both sides
      }
    }
  }
}

// A trainer that mixed members (one member's rows reaching another's weights) would fail
// here: member 0's gradient is the same whatever the other members' weights are.
TEST_CASE("critic trainer: a member's gradient ignores the other members' weights", "[unit][nets][critic_trainer]") {
  init_torch(1);
  const auto backend = GENERATE(trainer_backend::libtorch, trainer_backend::hand_written);
  critic_config cfg;
  cfg.ensemble = 3;
  rng init(32, "init"), data(32, "data");
  reward_model model(cfg, init);
  const auto b = labels(cfg, data, 30, 0.5);
  auto params = model.params();
  const auto before = critic_trainer_objective(cfg, params, b, 9, backend);
  const size_t n = params.size() / 3;
  for (size_t i = n; i < params.size(); ++i) params[i] = -params[i];
  const auto after = critic_trainer_objective(cfg, params, b, 9, backend);
  CHECK(slice(before.grad, 0, n) == slice(after.grad, 0, n));
  CHECK(slice(before.grad, 1, n) != slice(after.grad, 1, n));
}

// Steps, not only gradients: the same labels, minibatches and Adam updates give the same
// weights on both backends (Adam's moments and bias correction included: a trainer that
// dropped the correction would move the weights about 3 times as far in the first steps).
TEST_CASE("critic trainer: the hand-written trainer's steps equal libtorch's", "[unit][nets][critic_trainer]") {
  init_torch(1);
  for (double pair_share : {0.0, 0.5}) {
    critic_config cfg;
    cfg.prior_seed = 6;
    cfg.updates = 4;
    rng init(33, "init"), data(33, "data");
    reward_model model(cfg, init);
    const auto start = model.params();
    auto hand = make_critic_trainer(cfg, start, 11, trainer_backend::hand_written);
    auto torch = make_critic_trainer(cfg, start, 11, trainer_backend::libtorch);
    for (int s = 0; s < 3; ++s) {
      const auto b = labels(cfg, data, 16, pair_share);
      const auto h = hand->step(b), t = torch->step(b);
      REQUIRE(h.size() == t.size());
      float worst = 0, moved = 0;
      for (size_t i = 0; i < h.size(); ++i) {
        worst = std::max(worst, std::abs(h[i] - t[i]));
        moved = std::max(moved, std::abs(t[i] - start[i]));
      }
      INFO("pair share " << pair_share << " step " << s << ": largest difference " << worst << ", largest move "
                         << moved);
      CHECK(worst < 1e-5f);
      CHECK(moved > float(cfg.lr));  // the weights did move: 4 Adam steps of about lr each
    }
  }
}

TEST_CASE("critic trainer: the hand-written trainer resumes from its checkpoint bit for bit",
          "[unit][nets][critic_trainer]") {
  critic_config cfg;
  cfg.updates = 3;
  rng init(34, "init"), data(34, "data");
  reward_model model(cfg, init);
  auto first = make_critic_trainer(cfg, model.params(), 12, trainer_backend::hand_written);
  first->step(labels(cfg, data, 20, 0.3));
  auto out = state_io::writer();
  first->state(out);
  auto bytes = out.take();
  // A fresh trainer from other weights takes everything from the checkpoint.
  auto second = make_critic_trainer(cfg, std::vector<float>(model.params().size(), 0.5f), 99,
                                    trainer_backend::hand_written);
  auto in = state_io::reader(std::move(bytes), "critic trainer");
  second->state(in);
  in.finish();
  const auto b = labels(cfg, data, 10, 0.3);
  CHECK(first->step(b) == second->step(b));
  CHECK(first->step({}) == second->step({}));
}

TEST_CASE("critic trainer: the automatic choice is hand-written at small widths with a GPU or without",
          "[unit][nets][critic_trainer]") {
  init_torch(1);
  critic_config cfg;
  cfg.hidden = hand_written_max_hidden;
  CHECK(critic_trainer_backend(cfg) == trainer_backend::hand_written);
  cfg.hidden = hand_written_max_hidden + 1;
  CHECK(critic_trainer_backend(cfg) == trainer_backend::libtorch);
}
