#include <catch2/catch.hpp>

#include <thread>

#include "policies/nets.hpp"
#include "scenarios/worlds/value_world.hpp"

using namespace oversight;

namespace {
double critic_agreement(const reward_model& m, const value_world& w, const std::vector<float>& x) {
  auto view = m.judge(x);
  const size_t d = size_t(w.dim()), n = x.size() / d;
  double agree = 0;
  for (size_t i = 0; i < n; ++i)
    for (int a = 0; a < 4; ++a)
      agree += (view.p_ok[i * 4 + size_t(a)] >= 0.5f) == w.evaluate(x.data() + i * d, a).acceptable() ? 1 : 0;
  return agree / double(n * 4);
}
}  // namespace

TEST_CASE("reward model learns the truth from point-wise labels", "[unit][nets]") {
  init_torch(1);
  value_world w(value_world_config{}, 5);
  rng r(5, "t");
  critic_config cfg;
  rng init(5, "init");
  reward_model model(cfg, init);
  auto trainer = make_critic_trainer(cfg, model.params(), 5);
  auto test = w.sample_natural(r, 500);
  const double before = critic_agreement(model, w, test);
  for (int step = 0; step < 30; ++step) {
    train_batch b;
    b.dim = 8;
    b.width = 3;
    b.x = w.sample_natural(r, 32);
    for (size_t i = 0; i < 32; ++i) {
      int a = int(r.below(4));
      auto t = w.evaluate(b.x.data() + i * 8, a);
      b.a.push_back(a);
      b.b.push_back(-1);
      for (float v : t.v) b.target.push_back(v >= 0 ? 1.f : 0.f);
    }
    model.set_params(trainer->step(b));
  }
  const double after = critic_agreement(model, w, test);
  INFO("agreement before " << before << " after " << after);
  CHECK(after > 0.85);
  CHECK(after > before + 0.2);
}

TEST_CASE("policy trainer maximizes the expected reward", "[unit][nets]") {
  init_torch(1);
  policy_config cfg;
  rng init(1, "init"), r(1, "data");
  policy_net net(cfg, init);
  auto trainer = make_policy_trainer(cfg, net.params());
  // Reward: option (row index mod 4) is the only good one, keyed on the sign of x0, x1.
  auto best = [](const float* x) { return (x[0] > 0 ? 1 : 0) + (x[1] > 0 ? 2 : 0); };
  train_batch b;
  b.dim = 8;
  b.width = 4;
  for (int i = 0; i < 256; ++i) {
    for (int k = 0; k < 8; ++k) b.x.push_back(float(r.normal()));
    for (int a = 0; a < 4; ++a) b.target.push_back(a == best(b.x.data() + i * 8) ? 1.f : 0.f);
  }
  for (int s = 0; s < 100; ++s) net.set_params(trainer->step(b));
  auto p = net.probs(b.x);
  double mass = 0;
  for (int i = 0; i < 256; ++i) mass += p[size_t(i * 4 + best(b.x.data() + i * 8))];
  INFO("mean probability of the best option " << mass / 256);
  CHECK(mass / 256 > 0.8);
}

// Trainers run on their own threads, side by side. OpenBLAS's serial build shares its
// work buffers between callers, so two trainers stepping at once corrupt each other's
// products and runs stop repeating (this is how the determinism suite first failed).
TEST_CASE("trainers stepping on four threads at once give the weights one thread gives", "[unit][nets]") {
  const char* problem = blas_concurrency_problem();
  INFO((problem ? problem : "no BLAS problem found"));
  CHECK(problem == nullptr);
  init_torch(1);
  policy_config cfg;
  cfg.dim = 32;
  cfg.hidden = 256;
  rng data(3, "data");
  train_batch b;
  b.dim = cfg.dim;
  b.width = cfg.options;
  for (int i = 0; i < 64; ++i) {
    for (int k = 0; k < cfg.dim; ++k) b.x.push_back(float(data.normal()));
    for (int a = 0; a < cfg.options; ++a) b.target.push_back(float(data.uniform()));
  }
  auto train = [&] {
    rng init(3, "init");
    policy_net net(cfg, init);
    auto trainer = make_policy_trainer(cfg, net.params());
    std::vector<float> w;
    for (int s = 0; s < 400; ++s) w = trainer->step(b);
    return w;
  };
  const auto alone = train();
  std::vector<std::vector<float>> together(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < together.size(); ++t) threads.emplace_back([&, t] { together[t] = train(); });
  for (auto& t : threads) t.join();
  for (size_t t = 0; t < together.size(); ++t) {
    INFO("thread " << t);
    CHECK(together[t] == alone);
  }
}
