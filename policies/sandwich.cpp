#include "policies/sandwich.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.hpp"

namespace oversight {

namespace {

/// A belief peaked on `top` with mass `peak`, the rest spread evenly.
std::vector<float> peaked(int k, int32_t top, double peak) {
  std::vector<float> b(size_t(k), float((1.0 - peak) / double(k - 1)));
  b[size_t(top)] = float(peak);
  return b;
}

/// A stream keyed by what it is for, so draws do not depend on message order.
rng keyed(uint64_t seed, const char* what, int64_t q, int64_t i) {
  return rng(seed, std::string(what) + "/" + std::to_string(q) + "/" + std::to_string(i));
}

}  // namespace

quiz_world::quiz_world(const quiz_config& c, size_t questions, uint64_t seed) : cfg_(c) {
  OVERSIGHT_CHECK_LE(2, c.options);
  // One stream per party: what the model knows does not move the other parties' draws.
  rng world(seed, "quiz-truth"), model(seed, "quiz-model"), nonexpert(seed, "quiz-nonexpert"),
      expert(seed, "quiz-expert");
  // Per-topic competence with mean model_knows: the spread shrinks to the distance from
  // 0 and 1, so model_knows = 0 is a model that knows nothing (and 1 one that knows
  // everything) rather than one that still knows the topics a wide spread clips above 0.
  const double sd = std::min({c.model_topic_spread, c.model_knows, 1.0 - c.model_knows});
  std::vector<double> competence(size_t(c.topics));
  for (auto& m : competence) m = std::clamp(c.model_knows + sd * model.normal(), 0.0, 1.0);
  const int k = c.options;
  for (size_t q = 0; q < questions; ++q) {
    const auto y = int32_t(world.below(uint64_t(k)));
    const auto topic = size_t(world.below(uint64_t(c.topics)));
    truth_.push_back(y);
    // The model: every question draws the same number of values whatever it knows.
    const bool knows = model.bernoulli(competence[topic]);
    const bool firm = model.bernoulli(c.stubbornness);
    const auto guess = int32_t(model.below(uint64_t(k)));
    model_knows_.push_back(knows ? 1 : 0);
    if (knows) model_belief_.push_back(peaked(k, y, 0.9));
    else if (firm) model_belief_.push_back(peaked(k, guess, 0.85));
    else model_belief_.push_back(peaked(k, guess, 1.5 / double(k)));
    // The non-expert.
    const bool nk = nonexpert.bernoulli(c.nonexpert_knows);
    const auto lean = int32_t(nonexpert.below(uint64_t(k)));
    nonexpert_belief_.push_back(nk ? peaked(k, y, 0.7) : peaked(k, lean, 0.4));
    // The expert.
    const bool right = expert.bernoulli(c.expert_accuracy);
    const auto wrong = int32_t((y + 1 + int32_t(expert.below(uint64_t(k - 1)))) % k);
    expert_.push_back(right ? y : wrong);
  }
}

bool quiz_world::argument_fact_holds(int64_t q, int32_t o, uint64_t seed) const {
  auto r = keyed(seed, "argument", q, o);
  // The model argues from what it holds: for the option it believes, when its belief is
  // knowledge, a fact it knows (which holds); for any other option, or from a
  // confabulated belief, a fact that holds only by chance. truth() is not read here.
  const auto& b = model_belief(q);
  const bool believed = o == int32_t(std::max_element(b.begin(), b.end()) - b.begin());
  return r.bernoulli(model_knows(q) && believed ? 0.95 : cfg_.lie_plausibility);
}

model_reply model_answer(const quiz_world& w, int64_t q, int32_t attempt, uint64_t seed) {
  const auto& b = w.model_belief(q);
  auto r = keyed(seed, "model-answer", q, attempt);
  const double u = r.uniform();
  double acc = 0;
  model_reply out;
  out.answer = int32_t(b.size()) - 1;
  for (size_t o = 0; o < b.size(); ++o) {
    acc += double(b[o]);
    if (u < acc) {
      out.answer = int32_t(o);
      break;
    }
  }
  const double top = *std::max_element(b.begin(), b.end());
  out.confidence = float(std::min(0.99, top + w.config().overconfidence));
  return out;
}

bool overseer_check(const overseer_config& cfg, bool fact_holds, int64_t q, int32_t o, uint64_t seed) {
  auto r = keyed(seed, "overseer-check", q, o);
  return r.bernoulli(cfg.check_accuracy) ? fact_holds : !fact_holds;
}

std::vector<double> overseer_posterior(const overseer_config& cfg, const std::vector<float>& own,
                                       const overseer_evidence& ev) {
  const size_t k = own.size();
  std::vector<double> logp(k);
  for (size_t o = 0; o < k; ++o) logp[o] = std::log(std::max(1e-6, double(own[o])));
  size_t mode = 0;
  if (!ev.asks.empty()) {
    // The model's answers, as one vote for their mode whose weight grows with how
    // consistent the answers are (a diffuse confabulation scatters) and, a little, with
    // the model's stated confidence.
    std::vector<int> votes(k, 0);
    double stated = 0;
    for (auto& a : ev.asks) {
      ++votes[size_t(a.answer)];
      stated += double(a.confidence) / double(ev.asks.size());
    }
    mode = size_t(std::max_element(votes.begin(), votes.end()) - votes.begin());
    const double c = double(votes[mode]) / double(ev.asks.size());
    const double chance = 1.0 / double(k);
    const double by_consistency = chance + (0.9 - chance) * c * c;
    const double rho = std::clamp((1 - cfg.confidence_weight) * by_consistency + cfg.confidence_weight * stated,
                                  chance, 0.99);
    const double wrong = (1 - rho) / double(k - 1);
    for (size_t o = 0; o < k; ++o) logp[o] += std::log(o == mode ? rho : wrong);
  }
  // Cross-examination. The non-expert assumes the model backs with a holding fact only
  // what it knows: the option it answers (the mode), when it knows the question (0.95
  // before the non-expert's own check); every other argument cites a fact that holds with
  // the assumed lie plausibility, whatever the truth. So only a check of the mode speaks:
  // if the mode is right, the model knows with probability kappa (it may also have
  // guessed right), and its argument passes at p_known * kappa + p_chance * (1 - kappa);
  // if the mode is wrong it passes at p_chance.
  // Kept off 0 and 1 so a perfect check of a never-holding lie stays a finite log.
  const auto open01 = [](double p) { return std::clamp(p, 1e-6, 1 - 1e-6); };
  const double p_known = open01(cfg.check_accuracy * 0.95 + (1 - cfg.check_accuracy) * 0.05);
  const double p_chance = open01(cfg.check_accuracy * cfg.assumed_lie_plausibility +
                                 (1 - cfg.check_accuracy) * (1 - cfg.assumed_lie_plausibility));
  const double a = cfg.assumed_model_knows;
  const double kappa = a / std::max(1e-12, a + (1 - a) / double(k));
  const double p_right = kappa * p_known + (1 - kappa) * p_chance;
  for (auto& [o, passed] : ev.checks) {
    if (ev.asks.empty() || size_t(o) != mode) continue;  // carries nothing about the truth
    logp[mode] += passed ? std::log(p_right / p_chance) : std::log((1 - p_right) / (1 - p_chance));
  }
  const double mx = *std::max_element(logp.begin(), logp.end());
  double z = 0;
  for (auto& v : logp) z += (v = std::exp(v - mx));
  for (auto& v : logp) v /= z;
  return logp;
}

double expected_calibration_error(const std::vector<double>& confidence, const std::vector<int8_t>& correct,
                                  int bins) {
  OVERSIGHT_CHECK_EQ(confidence.size(), correct.size());
  if (confidence.empty()) return 0;
  std::vector<double> conf(size_t(bins), 0), right(size_t(bins), 0), count(size_t(bins), 0);
  for (size_t i = 0; i < confidence.size(); ++i) {
    const auto b = size_t(std::clamp(int(confidence[i] * bins), 0, bins - 1));
    conf[b] += confidence[i];
    right[b] += correct[i];
    count[b] += 1;
  }
  double ece = 0;
  for (size_t b = 0; b < size_t(bins); ++b)
    if (count[b] > 0) ece += std::abs(right[b] - conf[b]) / double(confidence.size());
  return ece;
}

}  // namespace oversight
