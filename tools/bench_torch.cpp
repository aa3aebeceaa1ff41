// `oversight bench`'s figures that train networks, built into the libtorch module
// (tools/torch_module.hpp); bench.cpp calls them through the symbols below.
#include <chrono>
#include <memory>
#include <vector>

#include "policies/nets.hpp"
#include "policies/population.hpp"
#include "runtime/protocol.hpp"
#include "scenarios/red_team/learner.hpp"
#include "tools/bench_support.hpp"

namespace oversight::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// train_ratio: learner updates/s through the learner and trainer actors over a bare
/// loop of the same trainer step.
void train_figures(bool quick, std::vector<figure>& out) {
  policy_config pc;
  const int steps = quick ? 200 : 1000, rows = 192;
  rng r(1, "bench");
  train_batch b;
  b.dim = pc.dim;
  b.width = pc.options;
  for (int i = 0; i < rows * pc.dim; ++i) b.x.push_back(float(r.normal()));
  for (int i = 0; i < rows * pc.options; ++i) b.target.push_back(float(r.uniform()));
  rng init(1, "init");
  policy_net net(pc, init);
  auto bare = make_policy_trainer(pc, net.params());
  auto bare_once = [&] {
    auto t0 = clock_type::now();
    for (int i = 0; i < steps; ++i) net.set_params(bare->step(b));
    return steps / seconds_since(t0);
  };

  auto cfg = make_config(2);
  caf::actor_system sys{cfg};
  auto learner = spawn_learner(sys, pc, 1, "learner");
  query_batch q{pc.dim, b.x};
  auto actor_once = [&] {
    return round_trips_per_s(sys, steps, [=](caf::event_based_actor* self, std::function<void()> k) {
      self->request(learner, caf::infinite, learn_atom::value, q, b.target).then([=](ack_atom) { k(); });
    });
  };
  bare_once();  // warm up libtorch's allocator
  const double bare_rate = best_of(3, bare_once), actor_rate = best_of(3, actor_once);
  caf::anon_send_exit(learner, caf::exit_reason::user_shutdown);
  out.push_back({"bare_train_steps_per_s", bare_rate, "policy trainer step + weight copy, no actors"});
  out.push_back({"actor_train_steps_per_s", actor_rate, "learner -> trainer actor -> learner"});
  out.push_back({"train_ratio", actor_rate / bare_rate, "target >= 0.9"});
}

/// League learner updates/s: one population trainer (policies/population.hpp) against
/// one policy trainer per learner, at 16, 256 and 4096 learners of the league's shape
/// (hidden 32), with the trainers the league runs (hand-written, except a population of
/// gpu_min_population members or more on a GPU: libtorch's there) and with libtorch's
/// (the population stacked into batched products) on the training device.
/// tools/gpu-check runs bench with the GPU visible and hidden: the batched figures at 256
/// and 4,096 learners of the two runs are the league's GPU against its CPU. A learner
/// update is one learner's trainer step (2 epochs) on its 48 rows, a league tick's share
/// (16 natural queries and about two matches of 16). Each figure runs for at least
/// `budget` seconds.
void league_figures(bool quick, std::vector<figure>& out) {
  policy_config pc;
  pc.hidden = 32;
  const int rows = 48;
  const double budget = quick ? 0.5 : 2.0;
  double ratio_256 = 0, ratio_256_torch = 0;
  for (int n : {16, 256, 4096}) {
    rng data(1, "bench-league"), init_stream(1, "bench-league-init");
    train_batch all;
    all.dim = pc.dim;
    all.width = pc.options;
    std::vector<train_batch> each(static_cast<size_t>(n));
    std::vector<float> init;
    for (int m = 0; m < n; ++m) {
      auto& b = each[size_t(m)];
      b.dim = pc.dim;
      b.width = pc.options;
      for (int i = 0; i < rows * pc.dim; ++i) b.x.push_back(float(data.normal()));
      for (int i = 0; i < rows * pc.options; ++i) b.target.push_back(float(data.uniform()));
      all.x.insert(all.x.end(), b.x.begin(), b.x.end());
      all.target.insert(all.target.end(), b.target.begin(), b.target.end());
      all.a.insert(all.a.end(), size_t(rows), int32_t(m));
      auto p = init_member(pc, init_stream);
      init.insert(init.end(), p.begin(), p.end());
    }
    // Updates/s of `round` (which updates every learner once), run for at least `budget`.
    auto rate = [&](const std::function<void()>& round) {
      round();  // warm up the allocator
      int rounds = 0;
      auto t0 = clock_type::now();
      do {
        round();
        ++rounds;
      } while (seconds_since(t0) < budget);
      return double(n) * rounds / seconds_since(t0);
    };
    auto population_rate = [&](trainer_backend backend) {
      auto trainer = make_population_trainer(pc, size_t(n), init, backend);
      return rate([&] { trainer->step(all); });
    };
    auto separate_rate = [&](trainer_backend backend) {
      std::vector<std::unique_ptr<trainable>> lone;
      const size_t per = member_param_count(pc);
      for (int m = 0; m < n; ++m)
        lone.push_back(make_policy_trainer(pc,
                                           std::vector<float>(init.begin() + std::ptrdiff_t(size_t(m) * per),
                                                              init.begin() + std::ptrdiff_t(size_t(m + 1) * per)),
                                           backend));
      return rate([&] {
        for (int m = 0; m < n; ++m) lone[size_t(m)]->step(each[size_t(m)]);
      });
    };
    const double b_rate = population_rate(trainer_backend::automatic);
    const double s_rate = separate_rate(trainer_backend::automatic);
    const double bt_rate = population_rate(trainer_backend::libtorch);
    const double st_rate = separate_rate(trainer_backend::libtorch);
    const std::string tag = std::to_string(n), dev = trainers_on_gpu() ? "GPU" : "CPU";
    out.push_back({"league_updates_per_s_batched_" + tag, b_rate, "one population trainer, as the league runs (" + dev + ")"});
    out.push_back({"league_updates_per_s_separate_" + tag, s_rate, "one policy trainer per learner (" + dev + ")"});
    out.push_back({"league_updates_per_s_batched_libtorch_" + tag, bt_rate, "one stacked libtorch population trainer, " + dev});
    out.push_back({"league_updates_per_s_separate_libtorch_" + tag, st_rate, "one libtorch policy trainer per learner, " + dev});
    if (n == 256) {
      ratio_256 = b_rate / s_rate;
      ratio_256_torch = bt_rate / st_rate;
    }
  }
  out.push_back({"league_batched_ratio", ratio_256,
                 "population / per-learner updates/s at 256 learners, the trainers the league runs; target >= 3 on the CPU"});
  out.push_back({"league_batched_ratio_libtorch", ratio_256_torch,
                 "the same with libtorch's trainers: stacked / per learner"});
}

}  // namespace

}  // namespace oversight::bench

// The entry points bench.cpp looks up (bench_support.hpp names them); their type is
// bench::figures_fn.
extern "C" void oversight_bench_train_figures(bool quick, std::vector<oversight::bench::figure>& out) {
  oversight::bench::train_figures(quick, out);
}
extern "C" void oversight_bench_league_figures(bool quick, std::vector<oversight::bench::figure>& out) {
  oversight::bench::league_figures(quick, out);
}
