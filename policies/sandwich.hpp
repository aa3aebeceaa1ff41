// Sandwiching (Bowman et al. 2022, "Measuring progress on scalable oversight"): plain
// C++ brains for a quiz world where a simulated expert succeeds, while a non-expert
// overseer and an unreliable strong model both often fail alone.
//
// The world (quiz_world) holds, per question: the true answer among K options, a topic,
// and what each party knows about it, drawn once from the run's seed:
//  - the strong model knows the question (with a per-topic competence); if it does, its
//    belief peaks on the truth; if not, it confabulates: with probability
//    `stubbornness` a firm belief in a random option, otherwise a diffuse one;
//  - the non-expert knows it with a small probability; otherwise it leans on a random
//    option;
//  - the expert is right with high probability: its labels score everybody, nobody
//    learns from them.
// Answers are sampled from beliefs with randomness keyed by (question, attempt), so a
// re-ask is a fresh sample and the result does not depend on message order.
//
// The non-expert with the model (overseer_combine) asks the model `1 + reasks` times
// (consistency reveals a diffuse confabulation), weighs its stated confidence, then
// cross-examines: it asks the model to argue for its leading options and checks each
// argument's cited fact with its own noisy verification. It combines everything with
// its own prior by naive Bayes, using its assumed (not the true) reliabilities.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/rng.hpp"

namespace oversight {

struct quiz_config {
  int options = 4;
  int topics = 8;
  double model_knows = 0.55;         ///< mean P(the model knows a question)
  double model_topic_spread = 0.25;  ///< sd of the model's competence across topics
  double stubbornness = 0.3;         ///< P(a confabulation is a firm belief) when it does not know
  double overconfidence = 0.15;      ///< added to the model's stated confidence
  double lie_plausibility = 0.3;     ///< P(an argument for a false option cites a fact that holds)
  double nonexpert_knows = 0.3;
  double expert_accuracy = 0.98;
};

class quiz_world {
 public:
  quiz_world(const quiz_config& cfg, size_t questions, uint64_t seed);
  const quiz_config& config() const { return cfg_; }
  size_t questions() const { return truth_.size(); }
  int options() const { return cfg_.options; }

  // ---- the hidden truth: the world and the scoring only ----
  int32_t truth(int64_t q) const { return truth_.at(size_t(q)); }

  // ---- what each party perceives ----
  /// The model's belief over the options of question q (K probabilities).
  const std::vector<float>& model_belief(int64_t q) const { return model_belief_.at(size_t(q)); }
  /// Whether the fact an argument for option `o` of question q cites actually holds.
  bool argument_fact_holds(int64_t q, int32_t o, uint64_t seed) const;
  /// The non-expert's own belief (K probabilities).
  const std::vector<float>& nonexpert_belief(int64_t q) const { return nonexpert_belief_.at(size_t(q)); }
  /// The expert's label: right with probability expert_accuracy (fixed per question).
  int32_t expert_label(int64_t q) const { return expert_.at(size_t(q)); }

 private:
  quiz_config cfg_;
  std::vector<int32_t> truth_, expert_;
  std::vector<std::vector<float>> model_belief_, nonexpert_belief_;
};

struct model_reply {
  int32_t answer = 0;
  float confidence = 0;  ///< stated, not necessarily calibrated
};

/// The strong model's answer to question q on attempt `attempt` (a fresh sample per
/// attempt) and its stated confidence.
model_reply model_answer(const quiz_world& w, int64_t q, int32_t attempt, uint64_t seed);

struct overseer_config {
  int reasks = 4;                ///< extra asks of the same question
  int cross = 2;                 ///< leading options cross-examined
  double check_accuracy = 0.8;   ///< P(the non-expert judges a cited fact correctly)
  double assumed_lie_plausibility = 0.3;  ///< the non-expert's belief about the model's arguments
  double confidence_weight = 0.3;  ///< weight of the model's stated confidence against its consistency
};

/// What the non-expert saw of one question with the model's help.
struct overseer_evidence {
  std::vector<model_reply> asks;                 ///< 1 + reasks answers
  std::vector<std::pair<int32_t, bool>> checks;  ///< (option argued for, the non-expert's check passed)
};

/// The non-expert's posterior over the options from its own belief and the model's
/// answers only (before cross-examination), and after adding the checks.
std::vector<double> overseer_posterior(const overseer_config& cfg, const std::vector<float>& own,
                                       const overseer_evidence& ev);

/// The non-expert's noisy check of a cited fact, keyed by (question, option).
bool overseer_check(const overseer_config& cfg, bool fact_holds, int64_t q, int32_t o, uint64_t seed);

/// Expected calibration error over `bins` equal-width confidence bins.
double expected_calibration_error(const std::vector<double>& confidence, const std::vector<int8_t>& correct,
                                  int bins = 10);

}  // namespace oversight
