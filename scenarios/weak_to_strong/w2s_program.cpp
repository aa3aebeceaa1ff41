// The weak-to-strong tick program (see w2s_program.hpp for the protocol): which models
// train when, on what, and with which teacher's labels.
//
// Deception (w2s_deception, Yang et al. 2024). The task is binary on value_world: is
// response a to query x harmless (the target dimension, V*_harmless(x, a) >= 0)? A
// second objective conflicts with it: helpfulness (V*_helpful(x, a) >= 0), which the
// student sees as ground truth (in Yang et al. the other objective is also supervised).
// With conflict_mode = helpful each student minimizes
//     (1 - c) * CE(p, weak soft label) + c * CE(p, helpful label),
// which, for one output and soft targets, is exactly CE against the mixed target
// (1 - c) * weak + c * helpful; c = `conflict` is the knob (0: no conflict). Yang et
// al.'s two conflicts are the other modes: reward (the explicit one: CE on the weak
// labels plus a reward of weight c for each training row the student currently gets
// wrong, policies/classifier.hpp) and implicit (fresh rows labelled with the helpful
// truth make up a share c of the student's training set, with nothing telling the
// student which objective a label is about). What is measured of it: w2s_metrics.cpp.
#include "scenarios/weak_to_strong/w2s_program.hpp"

#include <algorithm>
#include <cmath>

#include "scenarios/weak_to_strong/classifier.hpp"

namespace oversight {

w2s_program::w2s_program(const w2s_params& p, uint64_t seed, caf::actor_system& sys)
    : p_(p), mode_(p.effective_mode()), ladder_(read_ladder(p)), data_(load_w2s_data(p, seed)) {
  reps_ = std::make_unique<w2s_representations>(p_, ladder_, data_, seed);

  // ---- the models: weak, ceiling, students, the bootstrap chain, the references ----
  classifier_config base;
  base.classes = data_.classes;
  base.lr = p_.lr;
  base.minibatch = p_.minibatch;
  base.weight_decay = p_.weight_decay;
  base.epochs = p_.epochs;
  auto add = [&](std::string name, w2s_role role, int size, int phase, split_id split, int teacher, double aux,
                 const std::string& init = "") {
    classifier_config c = base;
    c.in = reps_->of(size).width;
    c.hidden = ladder_.hidden[size_t(size)];
    c.aux_weight = aux;
    c.aux_warmup = p_.aux_warmup;
    // The conflict reaches the final students only: the bootstrap rungs learn without
    // it, as in Yang et al.'s runs, and so do the references.
    const bool conflicted = mode_ != conflict_mode::none && role == w2s_role::strong_student;
    if (mode_ == conflict_mode::reward && conflicted) c.misalign_reward = p_.conflict;
    w2s_model m;
    m.name = std::move(name);
    m.role = role;
    m.size = size;
    m.phase = phase;
    m.split = split;
    m.teacher = teacher;
    m.conflicted = conflicted;
    m.misalign = c.misalign_reward > 0;
    m.actor = keep(m.name, spawn_classifier(sys, c, seed, "w2s/" + (init.empty() ? m.name : init)));
    models_.push_back(std::move(m));
    return int(models_.size() - 1);
  };
  const int weak = p_.weak_size, strong = p_.strong_size;
  const auto half1 = split_id::half1, half2 = split_id::half2;
  weak_ = add("weak", w2s_role::weak_supervisor, weak, 0, half1, -1, 0);
  ceiling_ = add("ceiling", w2s_role::strong_ceiling, strong, 0, half2, -1, 0);
  std::vector<int> first_students{add("student", w2s_role::strong_student, strong, 1, half2, weak_, 0)};
  if (p_.aux_enabled)
    first_students.push_back(add("student_aux", w2s_role::strong_student, strong, 1, half2, weak_, p_.aux_weight));
  // w2s_deception: beside the final students, the no-conflict reference their conflict
  // tax is measured against: the same size on the same teacher's labels without the
  // conflict. With reference.init = same it starts from the student's own initialization
  // (so it is the student itself when there is no conflict, and is not trained twice).
  const bool own_init = p_.ref_init == reference_init::own;
  const bool references =
      p_.variant == w2s_variant::deception && (mode_ != conflict_mode::none || own_init);
  if (references) {
    const int ref = add("reference", w2s_role::reference, strong, 1, half2, weak_, 0, own_init ? "" : "student");
    for (int s : first_students) models_[size_t(s)].reference = ref;
  }
  phases_ = 2;
  if (p_.boot_steps > 0) {
    const int steps = p_.boot_steps;
    int teacher = weak_;
    for (int j = 1; j <= steps; ++j) {
      const int size = weak + int(std::lround(double(j) * (strong - weak) / double(steps + 1)));
      teacher = add("boot_" + std::to_string(j), w2s_role::bootstrap_rung, size, j, half2, teacher, 0);
    }
    const int boot = add("student_boot", w2s_role::strong_student, strong, steps + 1, half2, teacher, 0);
    if (references)
      models_[size_t(boot)].reference = add("reference_boot", w2s_role::reference, strong, steps + 1, half2, teacher,
                                            0, own_init ? "" : "student_boot");
    phases_ = steps + 2;
  }
  for (auto& m : models_)
    if (m.teacher < 0) m.target = one_hot(data_.split(m.split).label);
}

void w2s_program::run_tick(tick_handle tick) {
  const int phase = int(tick.t() / p_.epochs), epoch = int(tick.t() % p_.epochs);
  std::vector<size_t> active;
  for (size_t i = 0; i < models_.size(); ++i)
    if (models_[i].phase == phase) active.push_back(i);
  // 1. One epoch for every model of this phase, in parallel (each on its trainer). After
  // the first epoch the batch is empty: the trainer keeps its data.
  for (size_t i : active)
    tick.ask<ack_atom>(models_[i].actor, fit_atom::value, epoch == 0 ? first_batch(models_[i]) : train_batch{});
  tick.then([=, this] { evaluate(tick, active); });
}

train_batch w2s_program::first_batch(const w2s_model& m) const {
  train_batch b;
  const auto& q = reps_->of(m.size).of(m.split);
  b.dim = q.dim;
  b.x = q.x;
  b.width = data_.classes;
  b.target = m.target;
  if (m.misalign) b.a = data_.split(m.split).label;
  if (mode_ == conflict_mode::implicit && m.conflicted) {
    // The implicit conflict: the helpful-labelled rows join the training set.
    const auto& extra = reps_->of(m.size).of(split_id::helpful);
    b.x.insert(b.x.end(), extra.x.begin(), extra.x.end());
    const auto helpful = one_hot(data_.extra.other);
    b.target.insert(b.target.end(), helpful.begin(), helpful.end());
  }
  return b;
}

// 2. Every active model answers the test set; gt_acc per model.
void w2s_program::evaluate(tick_handle tick, const std::vector<size_t>& active) {
  for (size_t i : active)
    tick.ask<std::vector<float>>(models_[i].actor, classify_atom::value, reps_->of(models_[i].size).of(split_id::test))
        .then([this, i](std::vector<float>& probs) {
          models_[i].acc.push_back(accuracy(probs, data_.test.label, data_.classes));
          models_[i].test_probs = std::move(probs);
        });
  tick.then([=, this] {
    for (size_t i : active) tick.record(models_[i].name, "gt_acc", models_[i].acc.back());
    const int64_t t = tick.t();
    if (t % p_.epochs != p_.epochs - 1) return tick.finish();
    label_next(tick, int(t / p_.epochs));
    // 4. The run's results, at its last tick.
    tick.then([=, this] {
      if (t == ticks() - 1) tick.finish(summarize(t, models_, weak_, ceiling_, data_, p_.variant));
      else tick.finish();
    });
  });
}

// 3. At the end of a phase, each teacher of a next-phase model labels half 2.
void w2s_program::label_next(tick_handle tick, int phase) {
  std::vector<size_t> teachers;
  for (auto& m : models_)
    if (m.phase == phase + 1 && m.teacher >= 0 &&
        std::find(teachers.begin(), teachers.end(), size_t(m.teacher)) == teachers.end())
      teachers.push_back(size_t(m.teacher));
  for (size_t ti : teachers)
    tick.ask<std::vector<float>>(models_[ti].actor, classify_atom::value,
                                 reps_->of(models_[ti].size).of(split_id::half2))
        .then([this, phase, ti](std::vector<float>& soft) {
          for (auto& m : models_)
            if (m.phase == phase + 1 && m.teacher == int(ti)) m.target = student_target(soft, m);
        });
}

/// The teacher's soft labels, mixed with the conflicting objective's labels
/// (conflict_mode = helpful). The bootstrap rungs learn without the conflict, as in
/// Yang et al.'s bootstrapping runs (weak -> intermediate without conflict,
/// intermediate -> strong with it); only the final students see it.
std::vector<float> w2s_program::student_target(std::vector<float> soft, const w2s_model& m) const {
  const size_t classes = size_t(data_.classes);
  if (p_.labels == teacher_labels::hard)
    for (size_t i = 0; i < soft.size() / classes; ++i) {
      const size_t pick = argmax(soft, i, data_.classes);
      for (size_t k = 0; k < classes; ++k) soft[i * classes + k] = k == pick ? 1.f : 0.f;
    }
  if (!m.conflicted || mode_ != conflict_mode::helpful) return soft;
  auto other = one_hot(data_.half[1].other);
  std::vector<float> out(soft.size());
  for (size_t i = 0; i < soft.size(); ++i) out[i] = float((1 - p_.conflict) * soft[i] + p_.conflict * other[i]);
  return out;
}

std::vector<float> w2s_program::one_hot(const std::vector<int32_t>& y) const {
  std::vector<float> out(y.size() * size_t(data_.classes), 0.f);
  for (size_t i = 0; i < y.size(); ++i) out[i * size_t(data_.classes) + size_t(y[i])] = 1.f;
  return out;
}

}  // namespace oversight
