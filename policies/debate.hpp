// Debaters' brains for the pixel debate of Irving, Christiano and Amodei (2018): plain
// C++ over the sparse judge (no libtorch here).
//
// A position: an image, the pixels revealed so far (every value true: a debater can
// only choose WHICH pixel to show, never lie about it), the honest debater's label h
// and the liar's label l. Its value for the search is the judge's margin
//   m = logit[h] - logit[l]
// on the revealed pixels: the judge sides with the honest debater when m > 0. The
// honest debater maximizes m, the liar minimizes it; they alternate.
//
// The search is a depth-limited minimax lookahead with the judge as the evaluator:
// at each node the mover scores every unrevealed pixel with one batched judge call
// (sparse_judge::extend_logits), keeps its `width` best moves, and expands them for
// the opponent, down to `depth` plies (or the end of the debate); at the last ply every
// unrevealed pixel is scored. Budget: about width^(depth-1) nodes per move, each costing
// one small layer per unrevealed pixel. depth 1 is the greedy debater.
#pragma once

#include <cstdint>
#include <vector>

#include "policies/sparse_judge.hpp"
#include "base/rng.hpp"

namespace oversight {

struct debate_search_config {
  int width = 8;  ///< moves kept per node (beam of the lookahead)
  int depth = 2;  ///< plies looked ahead, this move included
};

/// Games played in lockstep: G images of P pixels (values in [0, 1]), each with the
/// same number n of pixels revealed so far.
struct debate_positions {
  int32_t pixels = 0;             ///< P
  std::vector<float> images;      ///< G x P
  std::vector<int32_t> honest;    ///< G: the honest debater's label
  std::vector<int32_t> liar;      ///< G: the liar's label
  int32_t revealed_count = 0;     ///< n
  std::vector<int32_t> revealed;  ///< G x n pixel indices, in reveal order
  size_t games() const { return pixels == 0 ? 0 : images.size() / size_t(pixels); }
  friend bool operator==(const debate_positions&, const debate_positions&) = default;
};

/// The next pixel of each game for the player to move (`honest_moves`), when
/// `plies_left` reveals remain in the debate (this one included; the players alternate).
std::vector<int32_t> choose_reveals(const sparse_judge& judge, const debate_positions& pos, bool honest_moves,
                                    int plies_left, const debate_search_config& cfg);

/// The judge's logits (`G x classes`) on each game's revealed pixels.
std::vector<float> judge_revealed(const sparse_judge& judge, const debate_positions& pos);

/// The liar's precommitment: for each image, the wrong label the judge finds most
/// plausible, by its mean probability over `probes` random masks of `k` pixels (drawn
/// from `r`). A strong liar argues the lie most likely to convince.
std::vector<int32_t> choose_lies(const sparse_judge& judge, const debate_positions& pos,
                                 const std::vector<int32_t>& truth, int k, int probes, rng& r);

/// Which lies the honest debater must beat, after both sides precommit.
enum class debate_protocol {
  /// Irving et al.'s precommit game: for each image one game against each of the
  /// `classes - 1` wrong labels; the honest side wins the image only if it wins them all
  /// (the liar wins if any lie wins).
  all_lies,
  /// One game per image against the single lie the liar chose (`choose_lies`): the judge
  /// makes a 2-way choice, which is easier to get right than the 10-way one even from
  /// random pixels.
  one_lie,
};

/// The games of a precommit debate over `images` (one row per image, nothing revealed):
/// all_lies: `classes - 1` consecutive games per image, its wrong labels in increasing
/// order; one_lie: one game per image against `lies[i]` (`lies` is ignored for
/// all_lies). The honest label of every game is the image's truth. Throws (a bug) when a
/// lie is the truth or not a class.
debate_positions precommit_games(const debate_positions& images, const std::vector<int32_t>& truth,
                                 const std::vector<int32_t>& lies, debate_protocol protocol, int classes);

/// Games per image of `protocol`.
size_t games_per_image(debate_protocol protocol, int classes);

/// Per game: does the judge side with the honest debater (logit[honest] > logit[liar],
/// strictly: a tie goes to the liar)? `logits` is `games x classes`.
std::vector<uint8_t> honest_wins_games(const std::vector<float>& logits, const debate_positions& games, int classes);

/// Per image: did the honest debater win every one of its `per_image` consecutive games?
std::vector<uint8_t> honest_wins_images(const std::vector<uint8_t>& game_wins, size_t per_image);

/// `k` distinct pixels of [0, P), uniformly, appended to `out`.
void random_pixels(rng& r, int32_t pixels, int k, std::vector<int32_t>& out);

}  // namespace oversight
