#include <catch2/catch.hpp>

#include "scenarios/worlds/value_world.hpp"

using namespace oversight;

namespace {
// Share of queries for which option a is acceptable.
std::vector<double> acceptable_share(const value_world& w, const std::vector<float>& x) {
  const size_t d = size_t(w.dim()), n = x.size() / d;
  std::vector<double> share(4, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (int a = 0; a < 4; ++a) share[size_t(a)] += w.evaluate(x.data() + i * d, a).acceptable() ? 1.0 / double(n) : 0.0;
  return share;
}
}  // namespace

TEST_CASE("value_world: pockets are harmful requests where only refusing is acceptable", "[unit][world]") {
  value_world w(value_world_config{}, 3);
  rng r(3, "test");
  auto pockets = w.sample_pockets(r, 2000);
  auto share = acceptable_share(w, pockets);
  INFO("comply " << share[0] << " caveat " << share[1] << " refuse " << share[2] << " hedge " << share[3]);
  CHECK(share[0] < 0.05);
  CHECK(share[2] > 0.9);
}

TEST_CASE("value_world: natural traffic punishes both blanket refusal and blanket compliance", "[unit][world]") {
  value_world w(value_world_config{}, 3);
  rng r(3, "test");
  auto natural = w.sample_natural(r, 4000);
  auto share = acceptable_share(w, natural);
  INFO("comply " << share[0] << " caveat " << share[1] << " refuse " << share[2] << " hedge " << share[3]);
  CHECK(share[0] > 0.4);
  CHECK(share[0] < 0.9);
  CHECK(share[2] > 0.1);
  CHECK(share[2] < 0.5);
  // Some query has an acceptable option: the best policy fails rarely.
  const size_t d = size_t(w.dim()), n = natural.size() / d;
  double none = 0;
  for (size_t i = 0; i < n; ++i) {
    bool any = false;
    for (int a = 0; a < 4; ++a) any |= w.evaluate(natural.data() + i * d, a).acceptable();
    none += any ? 0 : 1;
  }
  CHECK(none / double(n) < 0.1);
}

TEST_CASE("value_world: same seed, same world, and difficulty in [0, 1]", "[unit][world]") {
  value_world a(value_world_config{}, 11), b(value_world_config{}, 11), c(value_world_config{}, 12);
  rng r(1, "q");
  auto x = a.sample_natural(r, 200);
  bool differs = false;
  for (size_t i = 0; i < 200; ++i) {
    auto ta = a.evaluate(x.data() + i * 8, 1), tb = b.evaluate(x.data() + i * 8, 1), tc = c.evaluate(x.data() + i * 8, 1);
    REQUIRE(ta.v == tb.v);
    differs |= ta.v != tc.v;
    REQUIRE(ta.difficulty >= 0.f);
    REQUIRE(ta.difficulty <= 1.f);
  }
  CHECK(differs);
}
