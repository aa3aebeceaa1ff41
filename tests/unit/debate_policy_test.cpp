// Unit tests of the debate and sandwiching brains (policies/debate.hpp,
// policies/sparse_judge.hpp, policies/sandwich.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
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

TEST_CASE("precommit games: all_lies plays every wrong label once, one_lie the chosen lie", "[unit][debate]") {
  debate_positions images;
  images.pixels = 2;
  images.images = {0.1f, 0.2f, 0.3f, 0.4f};  // two images
  images.honest = images.liar = {0, 0};
  const std::vector<int32_t> truth{2, 0};
  const auto all = precommit_games(images, truth, {}, debate_protocol::all_lies, 4);
  CHECK(games_per_image(debate_protocol::all_lies, 4) == 3);
  REQUIRE(all.games() == 6);
  CHECK(all.honest == std::vector<int32_t>{2, 2, 2, 0, 0, 0});
  CHECK(all.liar == std::vector<int32_t>{0, 1, 3, 1, 2, 3});
  CHECK(all.images[4] == 0.1f);   // game 2 is image 0
  CHECK(all.images[6] == 0.3f);   // game 3 is image 1
  CHECK(all.revealed_count == 0);
  const auto one = precommit_games(images, truth, {3, 1}, debate_protocol::one_lie, 4);
  CHECK(games_per_image(debate_protocol::one_lie, 4) == 1);
  REQUIRE(one.games() == 2);
  CHECK(one.honest == truth);
  CHECK(one.liar == std::vector<int32_t>{3, 1});
  CHECK(one.images == images.images);
}

TEST_CASE("precommit games: the honest side wins an image only by winning every game", "[unit][debate]") {
  debate_positions games;
  games.pixels = 1;
  games.images.assign(4, 0.f);
  games.honest = {0, 0, 1, 1};
  games.liar = {1, 2, 0, 2};
  // 3 classes: logits per game. Game 1 is a tie, which goes to the liar.
  const std::vector<float> logits{2, 1, 0,  1, 0, 1,  0, 3, 1,  0, 3, 4};
  const auto won = honest_wins_games(logits, games, 3);
  CHECK(won == std::vector<uint8_t>{1, 0, 1, 0});
  CHECK(honest_wins_images(won, 2) == std::vector<uint8_t>{0, 0});  // each image lost one game
  CHECK(honest_wins_images({1, 1, 1, 0}, 2) == std::vector<uint8_t>{1, 0});
  CHECK(honest_wins_images(won, 1) == won);
}

TEST_CASE("precommit games: with random reveals shared by the 9 games, all_lies is the judge's 10-way accuracy",
          "[unit][debate]") {
  // The control's identity: the truth beats every lie on the same pixels iff it is the
  // judge's argmax; one_lie's 2-way choice is right at least as often.
  sparse_judge_config c;
  c.pixels = 30;
  c.classes = 10;
  c.reveal = 4;
  c.hidden = 16;
  rng init(2, "judge");
  sparse_judge j(c, init);
  rng r(4, "images");
  debate_positions images;
  images.pixels = c.pixels;
  std::vector<int32_t> truth, lies, pixels;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < c.pixels; ++p) images.images.push_back(float(r.uniform()));
    images.honest.push_back(0);
    images.liar.push_back(0);
    truth.push_back(int32_t(r.below(10)));
    lies.push_back(int32_t((truth.back() + 1 + r.below(9)) % 10));
    random_pixels(r, c.pixels, c.reveal, pixels);
  }
  auto shown = images;
  shown.revealed_count = c.reveal;
  shown.revealed = pixels;
  const auto alone = judge_revealed(j, shown);
  int right10 = 0;
  std::vector<uint8_t> argmax_right;
  for (int i = 0; i < n; ++i) {
    const float* lg = alone.data() + i * 10;
    argmax_right.push_back(std::max_element(lg, lg + 10) - lg == truth[size_t(i)] ? 1 : 0);
    right10 += argmax_right.back();
  }
  for (auto protocol : {debate_protocol::all_lies, debate_protocol::one_lie}) {
    auto games = precommit_games(images, truth, lies, protocol, 10);
    const size_t per = games_per_image(protocol, 10);
    games.revealed_count = c.reveal;
    for (size_t g = 0; g < games.games(); ++g)
      games.revealed.insert(games.revealed.end(), pixels.begin() + std::ptrdiff_t(g / per * 4),
                            pixels.begin() + std::ptrdiff_t(g / per * 4 + 4));
    const auto won = honest_wins_images(honest_wins_games(judge_revealed(j, games), games, 10), per);
    REQUIRE(won.size() == size_t(n));
    int right = 0;
    for (auto w : won) right += w;
    if (protocol == debate_protocol::all_lies) {
      CHECK(won == argmax_right);
    } else {
      for (int i = 0; i < n; ++i) CHECK(won[size_t(i)] >= argmax_right[size_t(i)]);
      CHECK(right > right10);  // the 2-way choice is easier: it is not the 10-way accuracy
    }
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
