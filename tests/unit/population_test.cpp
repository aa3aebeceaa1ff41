// The population (policies/population.hpp) against lone policy_nets and their
// trainers, and the league's Elo and PFSP helpers (policies/league.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "policies/league.hpp"
#include "policies/nets.hpp"
#include "policies/population.hpp"

using namespace oversight;

namespace {

policy_config small_config() {
  policy_config cfg;
  cfg.dim = 5;
  cfg.options = 4;
  cfg.hidden = 12;
  cfg.lr = 1e-2;  // large steps, so a wrong update would show within three
  cfg.entropy = 0.05;
  cfg.epochs = 2;
  return cfg;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

/// Rows for `members` members, member m getting counts[m] of them, interleaved (row i
/// belongs to the member whose turn it is), with random inputs and rewards.
train_batch interleaved_batch(const policy_config& cfg, const std::vector<int>& counts, rng& r) {
  train_batch b;
  b.dim = cfg.dim;
  b.width = cfg.options;
  std::vector<int> left = counts;
  for (bool any = true; any;) {
    any = false;
    for (size_t m = 0; m < left.size(); ++m) {
      if (left[m] == 0) continue;
      --left[m];
      any = true;
      for (int d = 0; d < cfg.dim; ++d) b.x.push_back(float(r.normal()));
      for (int o = 0; o < cfg.options; ++o) b.target.push_back(float(r.uniform()));
      b.a.push_back(int32_t(m));
    }
  }
  return b;
}

/// Member m's rows of a population batch, in order: what its lone trainer gets.
train_batch rows_of(const train_batch& b, int32_t m) {
  train_batch out;
  out.dim = b.dim;
  out.width = b.width;
  for (size_t i = 0; i < b.rows(); ++i) {
    if (b.a[i] != m) continue;
    out.x.insert(out.x.end(), b.x.begin() + std::ptrdiff_t(i) * b.dim, b.x.begin() + std::ptrdiff_t(i + 1) * b.dim);
    out.target.insert(out.target.end(), b.target.begin() + std::ptrdiff_t(i) * b.width,
                      b.target.begin() + std::ptrdiff_t(i + 1) * b.width);
  }
  return out;
}

}  // namespace

TEST_CASE("population: a member starts as the policy_net drawn from the same stream", "[unit][population]") {
  init_torch(1);
  const auto cfg = small_config();
  const size_t n = 5;
  population_net pop(cfg, n);
  std::vector<policy_net> nets;
  for (size_t m = 0; m < n; ++m) {
    rng a(3, "member-" + std::to_string(m)), b(3, "member-" + std::to_string(m));
    nets.emplace_back(cfg, a);
    const auto p = init_member(cfg, b);
    REQUIRE(p == nets.back().params());  // bit for bit: the same draws in the same order
    REQUIRE(p.size() == member_param_count(cfg));
    pop.set_members(m, p);
  }
  // Uneven row counts per member (one with 9 rows, one with none), interleaved: the
  // answers are each member's own, bit for bit (the same kernels as policy_net's).
  rng r(4, "rows");
  std::vector<int32_t> who;
  std::vector<float> x;
  for (int i = 0; i < 30; ++i) {
    const int32_t m = i < 9 ? 0 : int32_t(1 + r.below(3));  // member 4 answers nothing
    who.push_back(m);
    for (int d = 0; d < cfg.dim; ++d) x.push_back(float(r.normal()));
  }
  const auto p = pop.probs(x, who);
  REQUIRE(p.size() == who.size() * size_t(cfg.options));
  for (size_t i = 0; i < who.size(); ++i) {
    const std::vector<float> row(x.begin() + std::ptrdiff_t(i) * cfg.dim, x.begin() + std::ptrdiff_t(i + 1) * cfg.dim);
    const auto lone = nets[size_t(who[i])].probs(row);
    const std::vector<float> mine(p.begin() + std::ptrdiff_t(i) * cfg.options,
                                  p.begin() + std::ptrdiff_t(i + 1) * cfg.options);
    INFO("row " << i << " member " << who[i]);
    CHECK(max_abs_diff(mine, lone) == 0.f);
  }
  // A frozen copy answers as its source and keeps its weights.
  pop.copy_member(2, 4);
  CHECK(pop.member(4) == pop.member(2));
}

TEST_CASE("population: a population step equals separate policy trainer steps of the same networks",
          "[unit][population]") {
  init_torch(1);
  const auto cfg = small_config();
  // Hand-written: each member stepped by the hand-written policy trainer, so exactly the
  // lone trainers' weights; libtorch: the stacked batched model (on the GPU where there is
  // one), equal to float rounding. The lone trainers are hand-written in both cases, the
  // automatic choice on a CPU at this width.
  const auto backend = GENERATE(trainer_backend::hand_written, trainer_backend::libtorch);
  const bool exact = backend == trainer_backend::hand_written;
  INFO((exact ? "hand-written" : "libtorch") << " population trainer");
  const size_t n = 6;
  std::vector<float> init;
  std::vector<std::unique_ptr<trainable>> lone;
  std::vector<std::vector<float>> lone_params(n);
  for (size_t m = 0; m < n; ++m) {
    rng r(9, "member-" + std::to_string(m));
    lone_params[m] = init_member(cfg, r);
    init.insert(init.end(), lone_params[m].begin(), lone_params[m].end());
    lone.push_back(make_policy_trainer(cfg, lone_params[m], trainer_backend::hand_written));
  }
  auto batched = make_population_trainer(cfg, n, init, backend);
  rng data(10, "batches");
  // Three steps with different row counts; member 5 has no rows in the first step and
  // member 2 none in the second: a lone trainer would not be stepped then, so neither
  // its weights nor its Adam moments or step count may move in the batched one.
  const std::vector<std::vector<int>> counts = {{7, 3, 12, 1, 5, 0}, {4, 4, 0, 9, 2, 6}, {1, 8, 3, 3, 10, 2}};
  std::vector<float> out;
  for (const auto& c : counts) {
    const auto b = interleaved_batch(cfg, c, data);
    out = batched->step(b);
    for (size_t m = 0; m < n; ++m)
      if (c[m] > 0) lone_params[m] = lone[m]->step(rows_of(b, int32_t(m)));
  }
  const size_t per = member_param_count(cfg);
  REQUIRE(out.size() == n * per);
  for (size_t m = 0; m < n; ++m) {
    const std::vector<float> mine(out.begin() + std::ptrdiff_t(m * per), out.begin() + std::ptrdiff_t((m + 1) * per));
    const auto diff = max_abs_diff(mine, lone_params[m]);
    INFO("member " << m << ": max |population - separate| = " << diff);
    CHECK(diff < 1e-5f);
    if (exact) CHECK(diff == 0.f);
    CHECK(max_abs_diff(mine, std::vector<float>(init.begin() + std::ptrdiff_t(m * per),
                                                init.begin() + std::ptrdiff_t((m + 1) * per))) > 1e-3f);
  }
}

TEST_CASE("population: the automatic choice takes the GPU from gpu_min_population members on", "[unit][population]") {
  const bool gpu = std::string(init_torch(1)) == "cuda";
  auto cfg = small_config();
  CHECK(population_trainer_backend(cfg, 1) == trainer_backend::hand_written);
  CHECK(population_trainer_backend(cfg, gpu_min_population - 1) == trainer_backend::hand_written);
  CHECK(population_trainer_backend(cfg, gpu_min_population) ==
        (gpu ? trainer_backend::libtorch : trainer_backend::hand_written));
  CHECK(population_trainer_backend(cfg, 4096) == (gpu ? trainer_backend::libtorch : trainer_backend::hand_written));
  cfg.hidden = hand_written_max_hidden + 1;  // too wide to write by hand: libtorch at any size
  CHECK(population_trainer_backend(cfg, 1) == trainer_backend::libtorch);
}

TEST_CASE("population: a row naming a member out of range is refused with its index", "[unit][population]") {
  init_torch(1);
  const auto cfg = small_config();
  population_net pop(cfg, 3);
  std::vector<float> x(size_t(2 * cfg.dim), 0.f);
  CHECK_THROWS_WITH(pop.probs(x, {0, 3}), Catch::Contains("names member 3") && Catch::Contains("0..2"));
  CHECK_THROWS_AS(pop.probs(x, {0}), std::invalid_argument);  // 2 rows of inputs, 1 member named
  for (auto backend : {trainer_backend::hand_written, trainer_backend::libtorch}) {
    auto trainer = make_population_trainer(cfg, 3, std::vector<float>(3 * member_param_count(cfg), 0.f), backend);
    rng r(1, "rows");
    auto b = interleaved_batch(cfg, {1, 1, 1}, r);
    b.a[1] = -1;
    CHECK_THROWS_WITH(trainer->step(b), Catch::Contains("names member -1"));
  }
}

TEST_CASE("league: Elo expectations and PFSP draws", "[unit][population]") {
  CHECK(elo_expected(1000, 1000) == Approx(0.5));
  CHECK(elo_expected(1400, 1000) == Approx(10.0 / 11.0));
  CHECK(elo_delta(1000, 1000, 1.0, 16) == Approx(8.0));
  CHECK(pfsp_weight(0.9, 0.0) == 1.0);
  CHECK(pfsp_weight(0.75, 2.0) == Approx(0.0625));
  rng r(1, "draws");
  std::vector<int> hits(3, 0);
  for (int i = 0; i < 20000; ++i) ++hits[draw_weighted({1.0, 0.0, 3.0}, r)];
  CHECK(hits[1] == 0);
  CHECK(double(hits[2]) / 20000 == Approx(0.75).margin(0.02));
  std::vector<int> flat(2, 0);
  for (int i = 0; i < 2000; ++i) ++flat[draw_weighted({0.0, 0.0}, r)];
  CHECK(flat[0] > 800);
  CHECK(flat[1] > 800);
}
