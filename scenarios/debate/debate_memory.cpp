// debate's memory estimate (scenario_info::memory).
#include <algorithm>
#include <cmath>

#include "scenarios/debate/debate_params.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"

namespace oversight {

/// The memory a debate run must hold at once, for the sizes that can exceed it (the
/// registry's `memory` hook); a lower bound, so a run refused here could not have run.
///  - The debaters' lookahead. Every pair searches its shard of the games level by
///    level, all pairs at once, so a tick's games count together: eval.images_per_tick
///    images, 9 games each under all_lies (one per wrong label), 1 under one_lie. At the
///    deepest level, games x b^(plies - 1) nodes (plies = min(search.depth,
///    judge.pixels), b = search.width, at most the pixels left to choose from) each
///    score every unrevealed pixel in one batched judge call: per candidate its row,
///    pixel and value (12 bytes) and the judge's logits (4 x classes); per node the
///    judge's first layer on its revealed pixels (4 x judge.hidden). The judge's hidden
///    layers for the candidates are computed in fixed chunks, so they do not count. The
///    image size comes from the data's header (1 pixel when it cannot be read).
///  - The judge's weights, held by the judge and both debaters of every pair: at least
///    its first layer, 2 x pixels x judge.hidden floats (value and mask embeddings).
memory_estimate debate_memory(const param_set& params) {
  const auto p = read_params<debate_params>(params);
  const auto dir = p.data_dir.empty() ? default_fashion_mnist_dir() : std::filesystem::path(p.data_dir);
  const double pixels = std::max<double>(1, double(idx_image_pixels(fashion_mnist_train_images(dir))));
  memory_estimate best;
  auto consider = [&](double bytes, std::string parameter) {
    if (bytes > best.bytes) best = {bytes, std::move(parameter)};
  };
  if (p.reveal == reveal_by::debaters) {
    const double games = double(p.per_tick) * (p.protocol == debate_protocol::all_lies ? fashion_mnist::classes - 1 : 1);
    const int plies = std::min(p.search.depth, p.k);
    const double unrevealed = std::max(1.0, pixels - double(p.k));
    const double branching = std::min(double(p.search.width), unrevealed);
    const double nodes = games * std::pow(branching, plies - 1);
    const double per_row = 12 + 4.0 * fashion_mnist::classes;
    consider(nodes * (unrevealed * per_row + 4.0 * p.judge.hidden), "search.depth = " + std::to_string(p.search.depth) +
                                               " with search.width = " + std::to_string(p.search.width));
  }
  const double copies = 1 + 2.0 * p.pairs;
  consider(copies * 4 * 2 * pixels * p.judge.hidden,
           "debate.pairs = " + std::to_string(p.pairs) + " with judge.hidden = " + std::to_string(p.judge.hidden));
  return best;
}

}  // namespace oversight
