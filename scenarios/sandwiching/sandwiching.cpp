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
//   assistant.query(questions, attempt 0)    -> the model alone
//   overseer.solo(questions)                 -> the non-expert alone
//   overseer.decide(questions)               -> the non-expert with the model
//       overseer -> assistant.query x (1 + reasks), then assistant.argue
//   scoring against the expert's labels      -> metrics (running, over every question so far)
#include <array>
#include <memory>
#include <numeric>

#include "actors/assistant/assistant.hpp"
#include "actors/director/director.hpp"
#include "actors/overseer/overseer.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

namespace {

class sandwiching_program : public tick_program {
 public:
  sandwiching_program(const param_set& p, uint64_t seed, caf::actor_system& sys) : p_(p) {
    quiz_config qc;
    qc.options = int(p.integer("world.options"));
    qc.topics = int(p.integer("world.topics"));
    qc.model_knows = p.real("model.knows");
    qc.model_topic_spread = p.real("model.topic_spread");
    qc.stubbornness = p.real("model.stubbornness");
    qc.overconfidence = p.real("model.overconfidence");
    qc.lie_plausibility = p.real("model.lie_plausibility");
    qc.nonexpert_knows = p.real("nonexpert.knows");
    qc.expert_accuracy = p.real("expert.accuracy");
    per_tick_ = size_t(p.integer("questions_per_tick"));
    world_ = std::make_shared<quiz_world>(qc, per_tick_ * size_t(p.integer("ticks")), seed);

    overseer_config oc;
    oc.reasks = int(p.integer("nonexpert.reasks"));
    oc.cross = int(p.integer("nonexpert.cross"));
    oc.check_accuracy = p.real("nonexpert.check_accuracy");
    oc.assumed_lie_plausibility = p.real("nonexpert.assumed_lie_plausibility");
    oc.confidence_weight = p.real("nonexpert.confidence_weight");
    oc.assumed_model_knows = p.real("nonexpert.assumed_model_knows");
    assistant_ = spawn_assistant(sys, world_, seed);
    overseer_ = spawn_overseer(sys, oc, world_, assistant_, seed);
  }

  int64_t ticks() const override { return p_.integer("ticks"); }

  std::vector<caf::actor> actors() const override {
    return {caf::actor_cast<caf::actor>(assistant_), caf::actor_cast<caf::actor>(overseer_)};
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    std::vector<int64_t> qs(per_tick_);
    std::iota(qs.begin(), qs.end(), int64_t(size_t(t) * per_tick_));
    // The three conditions run in parallel; each reply lands in its own slot.
    auto got = std::make_shared<std::array<answer_batch, 3>>();
    auto after = join(3, [=, this] { score(t, qs, *got, done); });
    self->request(assistant_, caf::infinite, query_atom::value, qs, int32_t(0))
        .then(
            [=](answer_batch& a) {
              (*got)[0] = std::move(a);
              after();
            },
            done.fail);
    self->request(overseer_, caf::infinite, solo_atom::value, qs)
        .then(
            [=](answer_batch& a) {
              (*got)[1] = std::move(a);
              after();
            },
            done.fail);
    self->request(overseer_, caf::infinite, decide_atom::value, qs)
        .then(
            [=](answer_batch& a) {
              (*got)[2] = std::move(a);
              after();
            },
            done.fail);
  }

 private:
  void score(int64_t t, const std::vector<int64_t>& qs, const std::array<answer_batch, 3>& got, tick_done done) {
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
    std::vector<metric_row> rows{
        {t, "assistant", "model_acc", double(right_[0]) / n},
        {t, "overseer", "nonexpert_acc", double(right_[1]) / n},
        {t, "overseer", "sandwich_acc", double(right_[2]) / n},
        {t, "overseer", "calibration_error", expected_calibration_error(with_conf_, with_ok_)},
        {t, "overseer", "nonexpert_calibration_error", expected_calibration_error(solo_conf_, solo_ok_)},
        {t, "assistant", "model_calibration_error", expected_calibration_error(model_conf_, model_ok_)},
        {t, "overseer", "sandwich_confidence", mean_with},
        {t, "overseer", "nonexpert_confidence", mean_solo},
    };
    done.ok(std::move(rows));
  }

  param_set p_;
  size_t per_tick_ = 0;
  std::shared_ptr<quiz_world> world_;
  assistant_actor assistant_;
  overseer_actor overseer_;
  std::array<int64_t, 3> right_{};
  std::vector<double> solo_conf_, with_conf_, model_conf_;
  std::vector<int8_t> solo_ok_, with_ok_, model_ok_;
};

void run_sandwiching(run_context& ctx) {
  drive(ctx, std::make_shared<sandwiching_program>(ctx.params(), ctx.seed(), ctx.system()));
}

using P = param_decl;
const registrar reg{scenario_info{
    "sandwiching",
    "a non-expert overseer asks, re-asks and cross-examines an unreliable strong model (Bowman et al. 2022); expert labels only score",
    {
        P::integer("ticks", 20, 1, 1000000, "ticks; each brings questions_per_tick fresh questions"),
        P::integer("questions_per_tick", 100, 1, 1000000, "questions per tick"),
        P::integer("world.options", 4, 2, 26, "answer options per question"),
        P::integer("world.topics", 8, 1, 100000, "topics (the model's competence differs by topic)"),
        P::real("model.knows", 0.55, 0.0, 1.0, "mean P(the model knows a question); 0: it knows nothing"),
        P::real("model.topic_spread", 0.25, 0.0, 1.0,
                "sd of the model's competence across topics (at most model.knows and 1 - model.knows)"),
        P::real("model.stubbornness", 0.3, 0.0, 1.0,
                "P(a question the model does not know gets a firm, consistent wrong belief instead of a guess)"),
        P::real("model.overconfidence", 0.15, 0.0, 1.0, "added to the model's stated confidence"),
        P::real("model.lie_plausibility", 0.3, 0.0, 1.0,
                "P(a fact the model cites without knowing it holds: for an option it does not believe, or from a "
                "confabulated belief)"),
        P::real("nonexpert.knows", 0.3, 0.0, 1.0, "P(the non-expert knows a question)"),
        P::integer("nonexpert.reasks", 4, 0, 100, "times the non-expert re-asks each question"),
        P::integer("nonexpert.cross", 2, 0, 26, "leading options the non-expert cross-examines"),
        P::real("nonexpert.check_accuracy", 0.8, 0.0, 1.0, "P(the non-expert judges a cited fact correctly)"),
        P::real("nonexpert.assumed_lie_plausibility", 0.3, 0.0, 0.99,
                "what the non-expert believes model.lie_plausibility is"),
        P::real("nonexpert.assumed_model_knows", 0.5, 0.0, 1.0,
                "what the non-expert believes model.knows is (how much a checked argument for the model's answer "
                "counts)"),
        P::real("nonexpert.confidence_weight", 0.3, 0.0, 1.0,
                "weight the non-expert gives the model's stated confidence (vs. its consistency)"),
        P::real("expert.accuracy", 0.98, 0.0, 1.0, "P(the expert's scoring label is right)"),
    },
    {
        {"model_acc", "accuracy of the model alone (first answer), against the expert's labels"},
        {"nonexpert_acc", "accuracy of the non-expert alone"},
        {"sandwich_acc", "accuracy of the non-expert with the model"},
        {"calibration_error", "expected calibration error (10 bins) of the non-expert's confidence with the model"},
        {"nonexpert_calibration_error", "the same for the non-expert alone"},
        {"model_calibration_error", "the same for the model's stated confidence"},
        {"sandwich_confidence", "mean confidence of the non-expert with the model"},
        {"nonexpert_confidence", "mean confidence of the non-expert alone"},
    },
    run_sandwiching,
    // Small enough for the test over every registered scenario.
    {"ticks=8", "questions_per_tick=50"}}};

}  // namespace

}  // namespace oversight
