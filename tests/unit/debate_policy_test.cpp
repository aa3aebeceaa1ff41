// Unit tests of the debate and sandwiching brains (policies/debate.hpp,
// policies/sparse_judge.hpp, policies/sandwich.hpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "policies/debate.hpp"
#include "policies/sandwich.hpp"
#include "policies/sparse_judge.hpp"

using namespace oversight;

namespace {
sparse_judge small_judge() {
  sparse_judge_config c;
  c.pixels = 16;
  c.classes = 3;
  c.reveal = 3;
  c.hidden = 8;
  rng init(1, "judge");
  return sparse_judge(c, init);
}
}  // namespace

TEST_CASE("sparse_judge: extend_logits equals logits on the extended row", "[unit][debate]") {
  auto j = small_judge();
  reveal_rows base;
  base.width = 3;
  base.pixel = {2, 5, -1, 7, -1, -1};
  base.value = {0.5f, 0.25f, 0.f, 1.f, 0.f, 0.f};
  const std::vector<int32_t> row{0, 1, 1};
  const std::vector<int32_t> pixel{9, 3, 11};
  const std::vector<float> value{0.75f, 0.1f, 0.9f};
  const auto ext = j.extend_logits(base, row, pixel, value);
  reveal_rows full;
  full.width = 3;
  full.pixel = {2, 5, 9, 7, 3, -1, 7, 11, -1};
  full.value = {0.5f, 0.25f, 0.75f, 1.f, 0.1f, 0.f, 1.f, 0.9f, 0.f};
  const auto direct = j.logits(full);
  REQUIRE(ext.size() == direct.size());
  for (size_t i = 0; i < ext.size(); ++i) CHECK(ext[i] == Approx(direct[i]).margin(1e-5));
}

TEST_CASE("debate search: a greedy debater reveals the pixel that moves the judge most its way", "[unit][debate]") {
  auto j = small_judge();
  debate_positions pos;
  pos.pixels = 16;
  rng r(3, "images");
  for (int i = 0; i < 16; ++i) pos.images.push_back(float(r.uniform()));
  pos.honest = {0};
  pos.liar = {2};
  for (bool honest : {true, false}) {
    auto move = choose_reveals(j, pos, honest, 3, debate_search_config{4, 1});
    REQUIRE(move.size() == 1);
    double best = -1e9;
    int32_t best_p = -1;
    for (int32_t p = 0; p < 16; ++p) {
      reveal_rows x;
      x.width = 1;
      x.pixel = {p};
      x.value = {pos.images[size_t(p)]};
      auto l = j.logits(x);
      const double m = (honest ? 1 : -1) * (double(l[0]) - double(l[2]));
      if (m > best) best = m, best_p = p;
    }
    CHECK(move[0] == best_p);
    // A deeper search still returns a fresh pixel.
    auto deep = choose_reveals(j, pos, honest, 3, debate_search_config{4, 3});
    CHECK(deep[0] >= 0);
    CHECK(deep[0] < 16);
  }
}

TEST_CASE("sandwich: calibration error of perfectly calibrated and overconfident answers", "[unit][sandwiching]") {
  std::vector<double> conf;
  std::vector<int8_t> ok;
  for (int i = 0; i < 100; ++i) {
    conf.push_back(0.75);
    ok.push_back(i % 4 != 0 ? 1 : 0);  // 75% right at confidence 0.75
  }
  CHECK(expected_calibration_error(conf, ok) == Approx(0.0).margin(1e-12));
  for (auto& c : conf) c = 0.95;
  CHECK(expected_calibration_error(conf, ok) == Approx(0.2));
}
