// sandwiching: measuring progress on scalable oversight (Bowman et al. 2022).
//
// A quiz world (policies/sandwich.hpp) where a simulated expert is nearly always right,
// while an unreliable strong model (the assistant) and a non-expert (the overseer) both
// often fail alone. The overseer tries to get reliable answers out of the assistant
// through messages: it asks, re-asks, sees the stated confidence, cross-examines the
// options it is unsure between, checks the arguments itself, then decides. The expert's
// labels are used only for scoring; nobody learns from them.
//
// One tick, as message flow (questions are fresh each tick):
//   assistant.quiz_ask(questions, attempt 0) -> the model alone
//   overseer.solo(questions)                 -> the non-expert alone
//   overseer.assisted(questions)             -> the non-expert with the model
//       overseer -> assistant.quiz_ask x (1 + reasks), then assistant.quiz_argue
//   scoring against the expert's labels      -> metrics (running, over every question so far)
#include <array>
#include <memory>
#include <numeric>

#include "scenarios/sandwiching/assistant.hpp"
#include "actors/director/director.hpp"
#include "scenarios/sandwiching/overseer.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

namespace {

/// Every parameter, declared and read by one list.
struct sandwiching_params {
  int64_t ticks = 0;
  size_t per_tick = 0;
  quiz_config quiz;
  overseer_config overseer;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 20, 1, 1000000, "ticks; each brings questions_per_tick fresh questions");
    f.integer("questions_per_tick", per_tick, 100, 1, 1000000, "questions per tick");
    f.integer("world.options", quiz.options, 4, 2, 26, "answer options per question");
    f.integer("world.topics", quiz.topics, 8, 1, 100000, "topics (the model's competence differs by topic)");
    f.real("model.knows", quiz.model_knows, 0.55, 0.0, 1.0, "mean P(the model knows a question); 0: it knows nothing");
    f.real("model.topic_spread", quiz.model_topic_spread, 0.25, 0.0, 1.0,
           "sd of the model's competence across topics (at most model.knows and 1 - model.knows)");
    f.real("model.stubbornness", quiz.stubbornness, 0.3, 0.0, 1.0,
           "P(a question the model does not know gets a firm, consistent wrong belief instead of a guess)");
    f.real("model.overconfidence", quiz.overconfidence, 0.15, 0.0, 1.0, "added to the model's stated confidence");
    f.real("model.lie_plausibility", quiz.lie_plausibility, 0.3, 0.0, 1.0,
           "P(a fact the model cites without knowing it holds: for an option it does not believe, or from a "
           "confabulated belief)");
    f.real("nonexpert.knows", quiz.nonexpert_knows, 0.3, 0.0, 1.0, "P(the non-expert knows a question)");
    f.integer("nonexpert.reasks", overseer.reasks, 4, 0, 100, "times the non-expert re-asks each question");
    f.integer("nonexpert.cross", overseer.cross, 2, 0, 26, "leading options the non-expert cross-examines");
    f.real("nonexpert.check_accuracy", overseer.check_accuracy, 0.8, 0.0, 1.0,
           "P(the non-expert judges a cited fact correctly)");
    f.real("nonexpert.assumed_lie_plausibility", overseer.assumed_lie_plausibility, 0.3, 0.0, 0.99,
           "what the non-expert believes model.lie_plausibility is");
    f.real("nonexpert.assumed_model_knows", overseer.assumed_model_knows, 0.5, 0.0, 1.0,
           "what the non-expert believes model.knows is (how much a checked argument for the model's answer "
           "counts)");
    f.real("nonexpert.confidence_weight", overseer.confidence_weight, 0.3, 0.0, 1.0,
           "weight the non-expert gives the model's stated confidence (vs. its consistency)");
    f.real("expert.accuracy", quiz.expert_accuracy, 0.98, 0.0, 1.0, "P(the expert's scoring label is right)");
  }
};

class sandwiching_program : public scenario_program {
 public:
  sandwiching_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<sandwiching_params>(params)) {
    world_ = std::make_shared<quiz_world>(p_.quiz, p_.per_tick * size_t(p_.ticks), seed);
    assistant_ = keep("assistant", spawn_assistant(sys, world_, seed));
    overseer_ = keep("overseer", spawn_overseer(sys, p_.overseer, world_, assistant_, seed));
  }

  int64_t ticks() const override { return p_.ticks; }
  /// Checkpoints: the running tallies; the world is rebuilt from the seed and the roles
  /// keep no state (keyed randomness).
  bool saves_state() const override { return true; }
  void state(state_io& io) override { io(right_, solo_conf_, with_conf_, model_conf_, solo_ok_, with_ok_, model_ok_); }

  void run_tick(tick_handle tick) override {
    std::vector<int64_t> qs(p_.per_tick);
    std::iota(qs.begin(), qs.end(), tick.t() * int64_t(p_.per_tick));
    // The three conditions run in parallel; each reply lands in its own slot.
    auto model = tick.ask<answer_batch>(assistant_, quiz_ask_atom::value, qs, int32_t(0));
    auto solo = tick.ask<answer_batch>(overseer_, solo_atom::value, qs);
    auto with = tick.ask<answer_batch>(overseer_, assisted_atom::value, qs);
    tick.then([=, this] { score(tick, qs, {*model, *solo, *with}); });
  }

 private:
  void score(tick_handle tick, const std::vector<int64_t>& qs, const std::array<answer_batch, 3>& got) {
    for (size_t i = 0; i < qs.size(); ++i) {
      const int32_t label = world_->expert_label(qs[i]);  // scoring only
      for (size_t c = 0; c < 3; ++c) right_[c] += got[c].answer.at(i) == label ? 1 : 0;
      solo_conf_.push_back(got[1].confidence[i]);
      solo_ok_.push_back(got[1].answer[i] == label ? 1 : 0);
      with_conf_.push_back(got[2].confidence[i]);
      with_ok_.push_back(got[2].answer[i] == label ? 1 : 0);
      model_conf_.push_back(got[0].confidence[i]);
      model_ok_.push_back(got[0].answer[i] == label ? 1 : 0);
    }
    const double n = double(with_ok_.size());
    const double mean_with = std::accumulate(with_conf_.begin(), with_conf_.end(), 0.0) / n;
    const double mean_solo = std::accumulate(solo_conf_.begin(), solo_conf_.end(), 0.0) / n;
    tick.record("assistant", "model_acc", double(right_[0]) / n);
    tick.record("overseer", "nonexpert_acc", double(right_[1]) / n);
    tick.record("overseer", "sandwich_acc", double(right_[2]) / n);
    tick.record("overseer", "calibration_error", expected_calibration_error(with_conf_, with_ok_));
    tick.record("overseer", "nonexpert_calibration_error", expected_calibration_error(solo_conf_, solo_ok_));
    tick.record("assistant", "model_calibration_error", expected_calibration_error(model_conf_, model_ok_));
    tick.record("overseer", "sandwich_confidence", mean_with);
    tick.record("overseer", "nonexpert_confidence", mean_solo);
    tick.finish();
  }

  sandwiching_params p_;
  std::shared_ptr<quiz_world> world_;
  assistant_actor assistant_;
  overseer_actor overseer_;
  std::array<int64_t, 3> right_{};
  std::vector<double> solo_conf_, with_conf_, model_conf_;
  std::vector<int8_t> solo_ok_, with_ok_, model_ok_;
};

const registrar reg{scenario_info{
    .name = "sandwiching",
    .doc = "a non-expert overseer asks, re-asks and cross-examines an unreliable strong model (Bowman et al. 2022); expert labels only score",
    .params = declare_params<sandwiching_params>(),
    .metrics = {
        {"model_acc", "accuracy of the model alone (first answer), against the expert's labels"},
        {"nonexpert_acc", "accuracy of the non-expert alone"},
        {"sandwich_acc", "accuracy of the non-expert with the model"},
        {"calibration_error", "expected calibration error (10 bins) of the non-expert's confidence with the model"},
        {"nonexpert_calibration_error", "the same for the non-expert alone"},
        {"model_calibration_error", "the same for the model's stated confidence"},
        {"sandwich_confidence", "mean confidence of the non-expert with the model"},
        {"nonexpert_confidence", "mean confidence of the non-expert alone"},
    },
    .run = run_program<sandwiching_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"ticks=8", "questions_per_tick=50"},
    .messages = register_sandwiching_messages}};

}  // namespace

}  // namespace oversight
