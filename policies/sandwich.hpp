// Sandwiching (Bowman et al. 2022, "Measuring progress on scalable oversight"): plain
// C++ brains for a quiz world where a simulated expert succeeds, while a non-expert
// overseer and an unreliable strong model both often fail alone.
//
// The world (quiz_world) holds, per question: the true answer among K options, a topic,
// and what each party knows about it, drawn once from the run's seed:
//  - the strong model knows the question (with a per-topic competence whose mean is
//    model_knows: 0 is a model that knows nothing, 1 one that knows everything); if it
//    does, its belief peaks on the truth; if not, it confabulates: with probability
//    `stubbornness` a firm belief in a random option, otherwise a diffuse one;
//  - the non-expert knows it with a small probability; otherwise it leans on a random
//    option;
//  - the expert is right with high probability: its labels score everybody, nobody
//    learns from them.
// Each party's draws come from its own stream (truth, model, non-expert, expert), so
// changing what the model knows leaves the questions, the non-expert and the expert as
// they were: arms that differ only in model.* are paired on the same questions.
// Answers are sampled from beliefs with randomness keyed by (question, attempt), so a
// re-ask is a fresh sample and the result does not depend on message order.
//
// The model argues only from what it holds. Asked to argue for an option, it cites the
// fact its belief offers: when it knows the question and the option is the one it
// believes, a fact it knows, which holds (0.95); otherwise (an option it does not
// believe, or a belief it confabulated) a fact that holds only by chance,
// `lie_plausibility`, whether or not the option is right. So a model that knows
// nothing gives arguments that carry nothing about the truth.
//
// The non-expert with the model (overseer_posterior) asks the model `1 + reasks` times
// (consistency reveals a diffuse confabulation), weighs its stated confidence, then
// cross-examines: it asks the model to argue for its leading options and checks each
// argument's cited fact with its own noisy verification. It combines everything with
// its own prior by naive Bayes, using its assumed (not the true) reliabilities; it
// assumes, rightly, that a model backs with a real fact only the answer it knows, so
// only the check of the model's own answer counts.
#pragma once

#include <cstdint>
#include <vector>

#include "base/rng.hpp"

namespace oversight {

struct quiz_config {
  int options = 4;
  int topics = 8;
  double model_knows = 0.55;         ///< mean P(the model knows a question)
  double model_topic_spread = 0.25;  ///< sd of the model's competence across topics
  double stubbornness = 0.3;         ///< P(a confabulation is a firm belief) when it does not know
  double overconfidence = 0.15;      ///< added to the model's stated confidence
  double lie_plausibility = 0.3;     ///< P(a fact the model cites without knowing it holds)
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
  /// Whether the model's belief about q is knowledge rather than a confabulation. The
  /// model's own state (it knows what it knows); not shown to the overseer.
  bool model_knows(int64_t q) const { return model_knows_.at(size_t(q)) != 0; }

  // ---- what each party perceives ----
  /// The model's belief over the options of question q (K probabilities).
  const std::vector<float>& model_belief(int64_t q) const { return model_belief_.at(size_t(q)); }
  /// Whether the fact the model cites when it argues for option `o` of question q
  /// actually holds: decided by what the model holds (its knowledge and belief), never
  /// by whether `o` is the true answer.
  bool argument_fact_holds(int64_t q, int32_t o, uint64_t seed) const;
  /// The non-expert's own belief (K probabilities).
  const std::vector<float>& nonexpert_belief(int64_t q) const { return nonexpert_belief_.at(size_t(q)); }
  /// The expert's label: right with probability expert_accuracy (fixed per question).
  int32_t expert_label(int64_t q) const { return expert_.at(size_t(q)); }

 private:
  quiz_config cfg_;
  std::vector<int32_t> truth_, expert_;
  std::vector<int8_t> model_knows_;
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
  double assumed_model_knows = 0.5;  ///< the non-expert's belief about how often the model knows a question
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
