#include "policies/debate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "base/error.hpp"

namespace oversight {

namespace {

/// A node of the lookahead: a position of game `game` after the root's reveals plus
/// `path` (this node's extra reveals, in order).
struct node {
  int32_t game = 0;
  std::vector<int32_t> path;
  int32_t parent = -1;   ///< index in the previous level
  double value = 0;      ///< minimax margin
  int32_t best_move = -1;
};

reveal_rows rows_of(const debate_positions& pos, const std::vector<node>& nodes) {
  reveal_rows base;
  const size_t n = size_t(pos.revealed_count);
  const size_t extra = nodes.empty() ? 0 : nodes.front().path.size();
  base.width = int32_t(std::max<size_t>(1, n + extra));  // width 0 would mean no rows
  base.pixel.assign(nodes.size() * size_t(base.width), -1);
  base.value.assign(base.pixel.size(), 0.f);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const size_t g = size_t(nodes[i].game);
    const float* img = pos.images.data() + g * size_t(pos.pixels);
    int32_t* px = base.pixel.data() + i * size_t(base.width);
    float* val = base.value.data() + i * size_t(base.width);
    for (size_t j = 0; j < n; ++j) px[j] = pos.revealed[g * n + j];
    for (size_t j = 0; j < extra; ++j) px[n + j] = nodes[i].path[j];
    for (size_t j = 0; j < n + extra; ++j) val[j] = img[px[j]];
  }
  return base;
}

}  // namespace

void random_pixels(rng& r, int32_t pixels, int k, std::vector<int32_t>& out) {
  OVERSIGHT_CHECK_LE(k, pixels);
  const size_t begin = out.size();
  for (int j = 0; j < k; ++j) {
    int32_t p;
    do p = int32_t(r.below(uint64_t(pixels)));
    while (std::find(out.begin() + std::ptrdiff_t(begin), out.end(), p) != out.end());
    out.push_back(p);
  }
}

std::vector<int32_t> choose_reveals(const sparse_judge& judge, const debate_positions& pos, bool honest_moves,
                                    int plies_left, const debate_search_config& cfg) {
  OVERSIGHT_CHECK_LE(1, plies_left);
  OVERSIGHT_CHECK_LE(1, cfg.width);
  OVERSIGHT_CHECK_LE(1, cfg.depth);
  const int classes = judge.config().classes;
  const int depth = std::min(cfg.depth, plies_left);
  const size_t P = size_t(pos.pixels);

  std::vector<std::vector<node>> levels(1);
  for (size_t g = 0; g < pos.games(); ++g) levels[0].push_back(node{int32_t(g), {}, -1, 0, -1});

  for (int L = 0; L < depth; ++L) {
    auto& nodes = levels[size_t(L)];
    const bool honest_here = (L % 2 == 0) == honest_moves;
    const double sign = honest_here ? 1.0 : -1.0;  // the mover maximizes sign * margin
    // Every unrevealed pixel of every node, scored in one batched judge call.
    const auto base = rows_of(pos, nodes);
    std::vector<int32_t> row, pixel;
    std::vector<float> value;
    std::vector<uint8_t> shown(P);
    for (size_t i = 0; i < nodes.size(); ++i) {
      std::fill(shown.begin(), shown.end(), 0);
      const int32_t* px = base.pixel.data() + i * size_t(base.width);
      for (int32_t j = 0; j < base.width; ++j)
        if (px[j] >= 0) shown[size_t(px[j])] = 1;
      const float* img = pos.images.data() + size_t(nodes[i].game) * P;
      for (size_t p = 0; p < P; ++p)
        if (!shown[p]) {
          row.push_back(int32_t(i));
          pixel.push_back(int32_t(p));
          value.push_back(img[p]);
        }
    }
    const auto logits = judge.extend_logits(base, row, pixel, value);
    std::vector<node> next;
    size_t c = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const size_t g = size_t(nodes[i].game);
      const size_t h = size_t(pos.honest[g]), l = size_t(pos.liar[g]);
      // This node's candidates are rows [c, e) of the batch.
      size_t e = c;
      while (e < row.size() && row[e] == int32_t(i)) ++e;
      std::vector<std::pair<double, int32_t>> scored;  // (sign * margin, pixel)
      scored.reserve(e - c);
      for (size_t j = c; j < e; ++j) {
        const float* lg = logits.data() + j * size_t(classes);
        scored.emplace_back(sign * (double(lg[h]) - double(lg[l])), pixel[j]);
      }
      c = e;
      OVERSIGHT_CHECK(!scored.empty());
      // Best first; ties broken by pixel index so the choice is a function of the input.
      auto better = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
      if (L == depth - 1) {
        auto best = *std::min_element(scored.begin(), scored.end(), better);
        nodes[i].value = sign * best.first;
        nodes[i].best_move = best.second;
      } else {
        const size_t keep = std::min(scored.size(), size_t(cfg.width));
        std::partial_sort(scored.begin(), scored.begin() + std::ptrdiff_t(keep), scored.end(), better);
        for (size_t j = 0; j < keep; ++j) {
          node child{nodes[i].game, nodes[i].path, int32_t(i), 0, -1};
          child.path.push_back(scored[j].second);
          next.push_back(std::move(child));
        }
      }
    }
    if (L < depth - 1) levels.push_back(std::move(next));
  }

  // Back the values up: each node takes its mover's best child.
  for (int L = depth - 2; L >= 0; --L) {
    auto& nodes = levels[size_t(L)];
    const bool honest_here = (L % 2 == 0) == honest_moves;
    const double sign = honest_here ? 1.0 : -1.0;
    std::vector<double> best(nodes.size(), -std::numeric_limits<double>::infinity());
    for (auto& child : levels[size_t(L + 1)]) {
      const double v = sign * child.value;
      auto& parent = nodes[size_t(child.parent)];
      // Children come best-first by the immediate score, so a strict > keeps the
      // earlier (immediately better) move on ties.
      if (v > best[size_t(child.parent)]) {
        best[size_t(child.parent)] = v;
        parent.best_move = child.path.back();
      }
    }
    for (size_t i = 0; i < nodes.size(); ++i) nodes[i].value = sign * best[i];
  }
  std::vector<int32_t> out;
  out.reserve(levels[0].size());
  for (auto& r : levels[0]) {
    OVERSIGHT_CHECK_LE(0, r.best_move);
    out.push_back(r.best_move);
  }
  return out;
}

std::vector<float> judge_revealed(const sparse_judge& judge, const debate_positions& pos) {
  reveal_rows x;
  const size_t n = size_t(pos.revealed_count), P = size_t(pos.pixels);
  x.width = int32_t(std::max<size_t>(1, n));
  x.pixel.assign(pos.games() * size_t(x.width), -1);
  x.value.assign(x.pixel.size(), 0.f);
  for (size_t g = 0; g < pos.games(); ++g)
    for (size_t j = 0; j < n; ++j) {
      const int32_t p = pos.revealed[g * n + j];
      x.pixel[g * size_t(x.width) + j] = p;
      x.value[g * size_t(x.width) + j] = pos.images[g * P + size_t(p)];
    }
  return judge.logits(x);
}

size_t games_per_image(debate_protocol protocol, int classes) {
  OVERSIGHT_CHECK_LE(2, classes);
  return protocol == debate_protocol::all_lies ? size_t(classes - 1) : size_t(1);
}

debate_positions precommit_games(const debate_positions& images, const std::vector<int32_t>& truth,
                                 const std::vector<int32_t>& lies, debate_protocol protocol, int classes) {
  const size_t G = images.games(), P = size_t(images.pixels);
  OVERSIGHT_CHECK_EQ(truth.size(), G);
  OVERSIGHT_CHECK_EQ(images.revealed_count, 0);
  if (protocol == debate_protocol::one_lie) OVERSIGHT_CHECK_EQ(lies.size(), G);
  debate_positions out;
  out.pixels = images.pixels;
  const size_t per = games_per_image(protocol, classes);
  out.images.reserve(G * per * P);
  std::vector<int32_t> against;  // this image's lies, one game each
  for (size_t g = 0; g < G; ++g) {
    OVERSIGHT_CHECK(truth[g] >= 0 && truth[g] < classes);
    against.clear();
    if (protocol == debate_protocol::one_lie) {
      OVERSIGHT_CHECK(lies[g] >= 0 && lies[g] < classes && lies[g] != truth[g]);
      against.push_back(lies[g]);
    } else {
      for (int32_t c = 0; c < classes; ++c)
        if (c != truth[g]) against.push_back(c);
    }
    for (int32_t lie : against) {
      out.images.insert(out.images.end(), images.images.begin() + std::ptrdiff_t(g * P),
                        images.images.begin() + std::ptrdiff_t((g + 1) * P));
      out.honest.push_back(truth[g]);
      out.liar.push_back(lie);
    }
  }
  OVERSIGHT_CHECK_EQ(out.games(), G * per);
  return out;
}

std::vector<uint8_t> honest_wins_games(const std::vector<float>& logits, const debate_positions& games, int classes) {
  const size_t G = games.games();
  OVERSIGHT_CHECK_EQ(logits.size(), G * size_t(classes));
  std::vector<uint8_t> won(G);
  for (size_t g = 0; g < G; ++g) {
    const float* lg = logits.data() + g * size_t(classes);
    won[g] = lg[games.honest[g]] > lg[games.liar[g]] ? 1 : 0;
  }
  return won;
}

std::vector<uint8_t> honest_wins_images(const std::vector<uint8_t>& game_wins, size_t per_image) {
  OVERSIGHT_CHECK_LE(size_t(1), per_image);
  OVERSIGHT_CHECK_EQ(game_wins.size() % per_image, size_t(0));
  std::vector<uint8_t> won(game_wins.size() / per_image, 1);
  for (size_t g = 0; g < game_wins.size(); ++g)
    if (!game_wins[g]) won[g / per_image] = 0;
  return won;
}

std::vector<int32_t> choose_lies(const sparse_judge& judge, const debate_positions& pos,
                                 const std::vector<int32_t>& truth, int k, int probes, rng& r) {
  const int classes = judge.config().classes;
  const size_t G = pos.games(), P = size_t(pos.pixels);
  OVERSIGHT_CHECK_EQ(truth.size(), G);
  reveal_rows x;
  x.width = k;
  for (size_t g = 0; g < G; ++g)
    for (int q = 0; q < probes; ++q) {
      const size_t begin = x.pixel.size();
      random_pixels(r, pos.pixels, k, x.pixel);
      for (size_t j = begin; j < x.pixel.size(); ++j) x.value.push_back(pos.images[g * P + size_t(x.pixel[j])]);
    }
  const auto logits = judge.logits(x);
  std::vector<int32_t> lies(G);
  for (size_t g = 0; g < G; ++g) {
    std::vector<double> mean(size_t(classes), 0.0);
    for (int q = 0; q < probes; ++q) {
      const float* lg = logits.data() + (g * size_t(probes) + size_t(q)) * size_t(classes);
      const double mx = *std::max_element(lg, lg + classes);
      double z = 0;
      for (int c = 0; c < classes; ++c) z += std::exp(double(lg[c]) - mx);
      for (int c = 0; c < classes; ++c) mean[size_t(c)] += std::exp(double(lg[c]) - mx) / z;
    }
    int32_t best = -1;
    for (int c = 0; c < classes; ++c)
      if (c != truth[g] && (best < 0 || mean[size_t(c)] > mean[size_t(best)])) best = c;
    lies[g] = best;
  }
  return lies;
}

}  // namespace oversight
