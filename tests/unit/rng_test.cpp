#include <catch2/catch.hpp>

#include "base/rng.hpp"

using namespace oversight;

TEST_CASE("rng streams depend only on seed and name", "[unit][rng]") {
  rng a(7, "learner"), b(7, "learner"), c(7, "critic"), d(8, "learner");
  bool differs_c = false, differs_d = false;
  for (int i = 0; i < 100; ++i) {
    auto x = a.next_u64();
    REQUIRE(x == b.next_u64());
    differs_c |= x != c.next_u64();
    differs_d |= x != d.next_u64();
  }
  CHECK(differs_c);
  CHECK(differs_d);
}

TEST_CASE("rng distributions have the right moments", "[unit][rng]") {
  rng r(1, "moments");
  double sum = 0, sq = 0, usum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double z = r.normal();
    sum += z;
    sq += z * z;
    usum += r.uniform();
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(sq / n - 1.0) < 0.02);
  CHECK(std::abs(usum / n - 0.5) < 0.01);
  for (int i = 0; i < 1000; ++i) REQUIRE(r.below(5) < 5);
}
