// abstention: a learner that may abstain when unsure (VisAlign's setting, Lee et al.
// 2023), and what its overseers' label budget buys: less harm (acting on items no class
// fits) and more coverage (acting on the items it should).
//
// Made from the reference scenario (red_team) the way docs/architecture.md describes:
//   world.{hpp,cpp}     the hidden truth: known classes and novel clusters
//   messages.hpp        the scenario's vocabulary, in its own namespace
//   learner.{hpp,cpp}   the abstaining learner (role + its plain-C++ decision rule)
//   labeller.{hpp,cpp}  the simulated humans (budget, latency, error rate)
//   abstention.cpp      this file: parameters, the tick program, the registration
//
// One tick, as message flow:
//   labellers.collect(t) --labels due now--> learner.teach     (phase A)
//   learner.classify(this tick's traffic)                       (phase B: it acts or abstains)
//   learner.unsure(n) -> labellers.request(t, items)            (phase C: labels due at t + latency)
//   learner.classify(held-out items) scored against the truth   (phase D: metrics)
//
// The truth (world) is read only by the labellers (through their error rate) and the
// scoring in phase D; the learner sees features and labels.
#include <memory>

#include "actors/director/director.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/abstention/labeller.hpp"
#include "scenarios/abstention/learner.hpp"

namespace oversight::abstention {

namespace {

struct abstention_params {
  int64_t ticks = 0;
  size_t traffic = 0, eval_items = 0, pretrain_per_class = 0;
  int labels_per_tick = 0, labeller_count = 0;
  world_config world;
  learner_config learner;
  labeller_config labeller;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 40, 1, 1000000, "ticks of simulated time");
    f.integer("traffic.items_per_tick", traffic, 128, 1, 1000000, "items the learner meets each tick");
    f.integer("eval.items", eval_items, 1000, 1, 1000000, "held-out items scored every tick");
    abstention::fields(f, world);
    f.integer("learner.pretrain_per_class", pretrain_per_class, 20, 1, 100000,
              "labelled items per known class the learner starts from (none novel)");
    f.real("learner.radius_scale", learner.radius_scale, 1.8, 0.0, 100.0,
           "the learner abstains beyond this many times its class items' median distance to their centroid");
    f.integer("learner.neighbours", learner.neighbours, 5, 1, 1000,
              "nearest labelled items that vote; it abstains when half of them say none of these");
    f.real("learner.explore", learner.explore, 0.2, 0.0, 1.0,
           "share of label requests drawn at random instead of by unsureness");
    f.integer("learner.labels_per_tick", labels_per_tick, 8, 0, 100000, "label requests the learner sends each tick");
    f.integer("labeller.count", labeller_count, 2, 1, 1000, "simulated human labellers");
    f.integer("labeller.budget", labeller.budget, 150, 0, 1000000000, "labels each labeller gives in the whole run");
    f.integer("labeller.latency", labeller.latency, 2, 0, 100000, "ticks before a label arrives");
    f.real("labeller.accuracy", labeller.accuracy, 0.9, 0.0, 1.0,
           "P(a label is the truth); otherwise another label at random");
  }
};

// Item ids: traffic items count up from 0; held-out items live far above them.
constexpr int64_t kEvalIds = int64_t(1) << 48;

class abstention_program : public scenario_program {
 public:
  abstention_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<abstention_params>(params)) {
    world_ = std::make_shared<const world>(p_.world, seed);
    eval_ = items(kEvalIds, p_.eval_items, &eval_truth_);
    // The learner's pretraining data: labelled items of the known classes only.
    rng pre(seed, "abstention/pretrain");
    std::vector<item_label> pretrain;
    for (int32_t k = 0; k < p_.world.classes; ++k)
      for (size_t i = 0; i < p_.pretrain_per_class; ++i) {
        item_label l;
        l.label = k;
        world_->known_item(pre, k, l.x);
        pretrain.push_back(std::move(l));
      }
    p_.learner.dim = p_.world.dim;
    p_.learner.classes = p_.world.classes;
    learner_ = keep("learner", spawn_learner(sys, p_.learner, std::move(pretrain), seed));
    for (int i = 0; i < p_.labeller_count; ++i)
      labellers_.push_back(keep("labeller-" + std::to_string(i), spawn_labeller(sys, p_.labeller, i, world_, seed)));
  }

  int64_t ticks() const override { return p_.ticks; }

  // Checkpoints (`oversight resume`): the program's own state is its label count; the
  // world, the held-out set and the traffic (items keyed by tick) are rebuilt from the
  // seed. Each role saves its own (learner.cpp, labeller.cpp: save_handler).
  bool saves_state() const override { return true; }
  void state(state_io& io) override { io(labels_spent_); }

  void run_tick(tick_handle tick) override {
    // Phase A: labels whose latency ends now reach the learner first.
    auto due = tick.gather<label_list>(labellers_, collect_atom::value, tick.t());
    tick.then([=, this] {
      label_list merged;  // in labeller order
      for (auto& l : *due) std::move(l.labels.begin(), l.labels.end(), std::back_inserter(merged.labels));
      tick.ask<ack_atom>(learner_, teach_atom::value, std::move(merged));
      // Phase B and C: it meets this tick's traffic, then asks about what it is least sure of.
      tick.then([=, this] {
        tick.ask<choice_batch>(learner_, classify_atom::value, items(tick.t() * int64_t(p_.traffic), p_.traffic))
            .then([=, this](choice_batch&) {
              tick.ask<item_batch>(learner_, unsure_atom::value, int32_t(p_.labels_per_tick))
                  .then([=, this](item_batch& ask) { request_labels(tick, ask); });
            });
        tick.then([=, this] { evaluate(tick); });
      });
    });
  }

 private:
  /// n items from id `first` on; their true labels into *truth when given.
  item_batch items(int64_t first, size_t n, std::vector<int32_t>* truth = nullptr) const {
    item_batch b;
    b.dim = p_.world.dim;
    for (size_t i = 0; i < n; ++i) {
      b.id.push_back(first + int64_t(i));
      const int32_t label = world_->item(b.id.back(), b.x);
      if (truth) truth->push_back(label);
    }
    return b;
  }

  /// Round-robin over the labellers; each takes what its budget allows.
  void request_labels(tick_handle tick, const item_batch& ask) {
    const size_t n = labellers_.size(), dim = size_t(ask.dim);
    std::vector<item_batch> per(n);
    for (size_t i = 0; i < ask.rows(); ++i) {
      auto& b = per[i % n];
      b.dim = ask.dim;
      b.id.push_back(ask.id[i]);
      b.x.insert(b.x.end(), ask.x.begin() + std::ptrdiff_t(i * dim), ask.x.begin() + std::ptrdiff_t((i + 1) * dim));
    }
    tick.scatter<int32_t>(labellers_, std::move(per), request_atom::value, tick.t())
        .then([this](std::vector<int32_t>& taken) {
          for (auto k : taken) labels_spent_ += k;
        });
  }

  // Phase D: the held-out items, scored against the truth.
  void evaluate(tick_handle tick) {
    tick.ask<choice_batch>(learner_, classify_atom::value, eval_).then([=, this](choice_batch& c) {
      double known = 0, acted = 0, right = 0, novel = 0, harm = 0;
      for (size_t i = 0; i < eval_truth_.size(); ++i) {
        const bool act = c.choice[i] != kAbstain;
        if (eval_truth_[i] == kAbstain) {
          novel += 1;
          harm += act;
        } else {
          known += 1;
          acted += act;
          right += act && c.choice[i] == eval_truth_[i];
        }
      }
      tick.record("learner", "coverage", known ? acted / known : 0);
      tick.record("learner", "selective_accuracy", acted ? right / acted : 0);
      tick.record("learner", "harm", novel ? harm / novel : 0);
      tick.record("learner", "accuracy", known ? right / known : 0);
      tick.record("labellers", "labels_spent", double(labels_spent_));
      tick.finish();
    });
  }

  abstention_params p_;
  std::shared_ptr<const world> world_;
  item_batch eval_;
  std::vector<int32_t> eval_truth_;
  learner_actor learner_;
  std::vector<labeller_actor> labellers_;
  int64_t labels_spent_ = 0;
};

const registrar reg{scenario_info{
    .name = "abstention",
    .doc = "a learner that may abstain when unsure (VisAlign's setting); what its labellers' budget buys in harm "
           "and coverage",
    .params = declare_params<abstention_params>(),
    .metrics =
        {
            {"coverage", "share of held-out items of a known class the learner acts on"},
            {"selective_accuracy", "share of those it acts on that it classifies right"},
            {"harm", "share of held-out novel items (no class fits) the learner acts on"},
            {"accuracy", "share of held-out known-class items classified right (abstaining counts wrong)"},
            {"labels_spent", "labels the labellers have given so far"},
        },
    .run = run_program<abstention_program>,
    .smoke = {"ticks=8", "eval.items=200"},
    .messages = register_messages}};

}  // namespace

}  // namespace oversight::abstention
