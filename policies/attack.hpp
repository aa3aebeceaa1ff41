// Attack strategies: how an attacker searches the query space for inputs that make the
// learner misbehave. Every proposal stays inside the bounding box of the seed corpus
// (slightly widened): a real attacker must still write a plausible query, and outside
// the data any critic is a poor judge an attacker would only farm. Plain C++; the attacker actor feeds them fitness (the critic's
// judgment of failure, plus a novelty bonus for the critic's uncertainty: an attacker
// that only trusted the critic would never look where the critic is confidently wrong).
//
//   none          proposes nothing (the attacker is switched off)
//   random        perturbed samples from a seed corpus of natural queries
//   evolutionary  a population kept by fitness; children by tournament and mutation,
//                 with random restarts; old fitness decays, since the learner adapts;
//                 deterministic crowding keeps several niches (failure modes) alive
//   bandit        UCB1 over anchors drawn from the seed corpus; arms drift to their
//                 best child
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "base/state_io.hpp"

namespace oversight {

/// How an attacker searches: not at all (the attackers are off), at random around its
/// seed corpus, by an evolutionary search on the critic's judgments, or as a bandit over
/// anchors.
enum class attack_kind { none, random, evolutionary, bandit };

struct attack_config {
  attack_kind strategy = attack_kind::evolutionary;
  int dim = 8;
  int population = 64;    ///< evolutionary: survivors kept
  int arms = 32;          ///< bandit: anchors
  double mutation = 0.1;  ///< sd of the Gaussian mutation
  double restart = 0.5;   ///< evolutionary: share of children drawn fresh from the seed corpus
  double decay = 0.8;     ///< evolutionary: fitness of survivors multiplied by this each round
  double niche_radius = 0.0;  ///< evolutionary: a child replaces a survivor this close only by beating it (0: off)
  double margin = 0.1;    ///< queries stay inside the seed corpus's bounding box, widened by this share
};

/// Writes one natural query (dim floats) to `out`: the attacker's seed corpus.
using seed_sampler = std::function<void(rng&, float* out)>;

class attack_strategy {
 public:
  virtual ~attack_strategy() = default;
  /// `n x dim` queries.
  virtual std::vector<float> propose(size_t n, rng& r) = 0;
  /// Fitness of the rows last proposed (higher: a more successful attack).
  virtual void observe(const std::vector<float>& x, const std::vector<float>& fitness) = 0;
  /// What it has learned so far (checkpoints); stateless strategies keep the default.
  virtual void state(state_io&) {}
};

std::unique_ptr<attack_strategy> make_attack_strategy(const attack_config& cfg, seed_sampler seeds);

}  // namespace oversight
