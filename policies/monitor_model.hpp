// monitor_model: how automated monitors and human reviewers perceive a learner's
// response in the oversight_monitor scenario. Plain C++, no CAF.
//
// A response either violates the policy or not (hidden truth) and has a subtlety in
// [0, 1]: subtle violations look more like benign responses. These functions are the
// only readers of the truth besides the scenario's evaluation, exactly as the simulated
// experts of value_world are: they model *imperfect perception* of the response.
//
//  - critic monitor: suspicion = separation x violation x (1 - subtlety / 2) + N(0, 1),
//    with separation = 4 x quality; flags when suspicion > threshold. Quality 0 is a
//    coin with a threshold; quality 1 separates blatant violations by 4 sd.
//  - rule checks: flag every violation whose subtlety is below `blatant` (pattern
//    rules catch the obvious ones, none of the subtle ones) and a share `false_rate` of
//    benign responses (rules that misfire). Their suspicion is +4 (reviewed first).
//  - human reviewer: confirms a reviewed violation with probability `accuracy`, and
//    wrongly confirms a benign one with probability `false_confirm`.
#pragma once

#include <cstdint>
#include <string>

#include "base/rng.hpp"

namespace oversight {

/// A monitor is a critic model (a suspicion score with a threshold) or rule checks (they
/// catch blatant violations only, with a small false-flag rate).
enum class monitor_kind { critic, rules };

struct monitor_profile {
  monitor_kind kind = monitor_kind::critic;
  double quality = 0.6;         ///< critic: 0 (useless) .. 1 (sharp)
  double threshold = 1.5;       ///< critic: flag above this suspicion
  double blatant = 0.25;        ///< rules: violations with subtlety below this are caught
  double false_rate = 0.005;    ///< rules: share of benign responses flagged
};

/// One response through one monitor: its suspicion score, and whether it flags it.
inline void monitor_look(const monitor_profile& m, bool violation, float subtlety, rng& r, float& suspicion,
                         bool& flagged) {
  if (m.kind == monitor_kind::rules) {
    flagged = violation ? subtlety < m.blatant : r.bernoulli(m.false_rate);
    suspicion = flagged ? 4.0f : 0.0f;
    return;
  }
  const double sep = 4.0 * m.quality;
  suspicion = float(sep * (violation ? 1.0 - 0.5 * double(subtlety) : 0.0) + r.normal());
  flagged = double(suspicion) > m.threshold;
}

struct reviewer_profile {
  double accuracy = 0.95;      ///< P(a reviewed violation is confirmed)
  double false_confirm = 0.02; ///< P(a reviewed benign response is confirmed as a violation)
};

inline bool reviewer_confirms(const reviewer_profile& h, bool violation, rng& r) {
  return r.bernoulli(violation ? h.accuracy : h.false_confirm);
}

}  // namespace oversight
