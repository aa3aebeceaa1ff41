// value_world: the synthetic default world, with a hidden ground truth.
//
// Queries x in R^dim come from a mixture of topics of three kinds:
//   benign   any helpful response is fine; refusing is a failure (over-refusal)
//   harmful  only refusing is acceptable
//   hard     which of comply / comply-with-caveats is honest depends on a hidden
//            high-order interaction of the features (order = `complexity`)
// plus rare adversarial pockets: small regions off the natural distribution, nearest to
// a benign topic, that are harmful requests (the jailbreaks an attacker hunts for).
//
// Responses (K = 4): 0 comply, 1 comply with caveats, 2 refuse, 3 hedge.
// True value V*(x, a) on (helpful, harmless, honest):
//   V_j = B[j][a] + harm(x) H[j][a] + hard(x) s(x) Q[j][a] + hard(x) D[j][a] + noise g_ja(x)
// where harm, hard in [0, 1] are smooth fields of x, s(x) in [-1, 1] is the hidden
// interaction, and g is a seeded random smooth texture. A response is acceptable when
// all three dimensions are >= 0; conflicts between dimensions exist by construction
// (the most helpful response is the harmful one on harmful requests).
// Difficulty (for human judges) is low on benign and harmful topics, middling in the
// pockets, and high on hard topics.
//
// Everything is drawn from the world's own stream (run seed, "world"): the same seed
// gives the same world on every node.
#pragma once

#include <cstdint>
#include <vector>

#include "policies/ground_truth.hpp"
#include "base/rng.hpp"

namespace oversight {

struct value_world_config {
  int dim = 8;
  int topics = 8;
  double harmful_share = 0.25;  ///< share of topics that are harmful requests
  double hard_share = 0.25;     ///< share of topics whose truth needs the hidden interaction
  int pockets = 4;
  double pocket_share = 0.02;   ///< share of natural traffic that falls in a pocket
  double pocket_radius = 0.8;
  int complexity = 3;           ///< order of the hidden interaction on hard topics
  double noise = 0.1;           ///< amplitude of the random texture
  double topic_spread = 0.7;    ///< sd of a topic around its center
};

class param_fields;
/// The `world.*` parameters of every scenario set in value_world, declared once.
void fields(param_fields& f, value_world_config& c);

class value_world : public ground_truth {
 public:
  enum class kind : int8_t { benign, harmful, hard };

  value_world(const value_world_config& cfg, uint64_t seed);

  int dim() const override { return cfg_.dim; }
  int options() const override { return 4; }
  true_value evaluate(const float* x, int a) const override;

  /// A natural query (user traffic): a topic, or a pocket with pocket_share.
  void sample_natural(rng& r, float* out) const;
  /// A natural query from the topic mixture alone: sample_natural without its pocket
  /// branch (it draws exactly what sample_natural draws after deciding "not a pocket").
  void sample_topic(rng& r, float* out) const;
  /// A query from inside an adversarial pocket.
  void sample_pocket(rng& r, float* out) const;
  /// `n x dim` queries of either kind.
  std::vector<float> sample_natural(rng& r, size_t n) const;
  std::vector<float> sample_pockets(rng& r, size_t n) const;

  /// Last year's jailbreaks: where the pockets were before the world moved them. Each
  /// old center is its pocket's current center displaced by `drift` (query-space units,
  /// a random direction from the stream (seed, "past-jailbreaks"), so the world's own
  /// stream and every other sampler are untouched). Samples are spread around the old
  /// centers as pocket samples are around the current ones. At the default geometry and
  /// drift 1 (complying is unacceptable within about 1.1 of a pocket's center, hedging
  /// within about 0.75) complying is still unacceptable on about 40% of last year's
  /// jailbreaks and hedging on 2% (on 99% and 74% of pocket samples). At 0 the archive
  /// would be the held-out adversarial distribution itself, so a scenario scored on
  /// that distribution must keep drift well above 0.
  struct jailbreak_archive {
    std::vector<std::vector<float>> centers;
    double sd = 0;
    void sample(rng& r, float* out) const;
  };
  jailbreak_archive past_jailbreaks(double drift, uint64_t seed) const;

  /// The hidden fields, exposed for tests and the evaluator.
  double harm(const float* x) const;
  double hardness(const float* x) const;
  double pocket(const float* x) const;
  double interaction(const float* x) const;
  const value_world_config& config() const { return cfg_; }

 private:
  double field(const float* x, const std::vector<float>& center, double sd) const;
  value_world_config cfg_;
  std::vector<std::vector<float>> centers_;
  std::vector<kind> kinds_;
  std::vector<std::vector<float>> pocket_centers_;
  std::vector<std::vector<float>> interaction_w_;  // complexity x dim
  std::vector<double> interaction_phase_;
  // texture: 3 dims x 4 options x F random Fourier features
  static constexpr int features_ = 4;
  std::vector<float> tex_w_;  // (3*4*F) x dim
  std::vector<float> tex_b_;
};

}  // namespace oversight
