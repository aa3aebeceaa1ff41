// The weak-to-strong parameters (declared and read by one list) and the ladder's checks.
#include "scenarios/weak_to_strong/w2s_params.hpp"

#include <algorithm>
#include <cstdlib>

#include "base/error.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"

namespace oversight {

void w2s_params::common_fields(param_fields& f) {
  const bool deception = variant == w2s_variant::deception;
  if (deception)
    f.choice("world", world, w2s_world::value_world, {{"value_world", w2s_world::value_world}},
             "the world: value_world (target harmless, conflicting objective helpful)");
  else
    f.choice("world", world, w2s_world::value_world,
             {{"value_world", w2s_world::value_world}, {"fashion_mnist", w2s_world::fashion_mnist}},
             "the world: value_world (is this response acceptable) or fashion_mnist (10 classes)");
  // w2s_deception runs on value_world only; its run never reads data.*, but the keys
  // exist so both scenarios share one program.
  f.text("data.dir", data_dir, default_fashion_mnist_dir().string(), {},
         "fashion_mnist: directory with the gzipped IDX files (Debian package dataset-fashion-mnist)");
  f.integer("data.limit", data_limit, 0, 0, 1000000000, "fashion_mnist: keep only the first N examples of each split (0: all)");
  fields(f, value);
  f.integer("world.train_samples", train_samples, 8000, 4, 10000000,
            "value_world: (query, response) training pairs, split in half");
  f.integer("world.test_samples", test_samples, 4000, 1, 10000000, "value_world: held-out (query, response) pairs");
  f.real("rep.bandwidth", bandwidth, 1.0, 1e-3, 1e3, "value_world: length scale of the random Fourier features");
  f.text("ladder.features", ladder_features, "0,0,0,16,32,64", {},
         "per size: fashion_mnist principal components; value_world random Fourier features of the query");
  f.text("ladder.hidden", ladder_hidden, "0,0,0,32,64,128", {}, "per size: hidden units (0: a linear probe)");
  f.text("ladder.inputs", ladder_inputs, "4,5,8,0,0,0", {},
         "per size: value_world raw query coordinates seen; fashion_mnist pixels a side of the pooled image "
         "(a divisor of 28)");
  f.text("ladder.concepts", ladder_concepts, "0,0,0,2,3,4", {},
         "per size: value_world latent concepts in the pretrained representation (harm, hardness, "
         "interaction, pocket; 0 to 4)");
  f.text("ladder.concept_noise", ladder_concept_noise, "", {},
         "per size: value_world noise (standard deviation, in hundredths; the concepts are of order 1) on each "
         "latent concept the size perceives (empty: none); each size draws its own");
  f.text("ladder.input_noise", ladder_input_noise, "", {},
         "per size: value_world noise (standard deviation, in hundredths; the coordinates are of order 1) on each "
         "raw query coordinate the size perceives (empty: none); each size draws its own");
  f.integer("weak.size", weak_size, 0, 0, 31, "the weak supervisor's size (index into the ladder)");
  f.integer("strong.size", strong_size, 5, 0, 31, "the strong ceiling's and students' size (index into the ladder)");
  f.integer("train.epochs", epochs, 20, 1, 100000, "epochs per phase (one tick is one epoch)");
  f.real("train.lr", lr, 5e-3, 1e-6, 1.0, "Adam learning rate");
  f.integer("train.minibatch", minibatch, 64, 1, 1000000, "minibatch size");
  f.real("train.weight_decay", weight_decay, 0.0, 0.0, 1.0, "L2 weight decay");
  f.boolean("aux.enabled", aux_enabled, !deception, "also train student_aux with the auxiliary confidence loss");
  f.real("aux.weight", aux_weight, 0.5, 0.0, 1.0, "the auxiliary confidence loss's maximum weight a");
  f.real("aux.warmup", aux_warmup, 0.1, 0.0, 1.0, "share of training over which a ramps up from 0");
  f.choice("teacher.labels", labels, teacher_labels::soft,
           {{"soft", teacher_labels::soft}, {"hard", teacher_labels::hard}},
           "labels a teacher gives its student: its probabilities (soft) or its argmax (hard)");
  f.integer("boot.steps", boot_steps, 1, 0, 16, "bootstrapping: intermediate sizes between weak and strong (0: off)");
}

void w2s_deception_params::fields(param_fields& f) {
  common_fields(f);
  f.real("conflict", conflict, 0.3, 0.0, 1.0, "weight c of the conflicting objective (0: no conflict); see conflict_mode");
  f.choice("conflict_mode", mode, conflict_mode::helpful,
           {{"helpful", conflict_mode::helpful}, {"reward", conflict_mode::reward}, {"implicit", conflict_mode::implicit}},
           "helpful: students learn (1-c) weak label + c helpful label (the other objective's "
           "ground truth); reward: Yang et al.'s explicit conflict, a reward of weight c for each "
           "training row the student currently gets wrong on the target; implicit: Yang et al.'s "
           "implicit conflict, fresh rows labelled with the helpful truth make up a share c < 1 of "
           "the student's training set");
  f.choice("reference.init", ref_init, reference_init::same, {{"same", reference_init::same}, {"own", reference_init::own}},
           "the no-conflict reference students that deception_score measures the conflict tax "
           "against: same (the student's initialization, so only the conflict differs) or own (their "
           "own; also trained without conflict, then the score shows where retraining alone moves "
           "errors)");
}

std::vector<int> parse_ladder(const std::string& key, const std::string& text) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, end - pos);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    char* stop = nullptr;
    const long v = item.empty() ? -1 : std::strtol(item.c_str(), &stop, 10);
    if (item.empty() || *stop != '\0' || v < 0 || v > 100000)
      throw user_error(key + " = \"" + text + "\": '" + item +
                       "' is not a whole number in [0, 100000] (expected a comma-separated list, e.g. \"2,4,8\")");
    out.push_back(int(v));
    pos = end + 1;
  }
  return out;
}

w2s_ladder read_ladder(const w2s_params& p) {
  w2s_ladder l;
  l.features = parse_ladder("ladder.features", p.ladder_features);
  l.hidden = parse_ladder("ladder.hidden", p.ladder_hidden);
  l.inputs = parse_ladder("ladder.inputs", p.ladder_inputs);
  l.concepts = parse_ladder("ladder.concepts", p.ladder_concepts);
  auto noise_list = [&](const std::string& key, const std::string& text) {
    return text.empty() ? std::vector<int>(l.features.size(), 0) : parse_ladder(key, text);
  };
  l.concept_noise = noise_list("ladder.concept_noise", p.ladder_concept_noise);
  l.input_noise = noise_list("ladder.input_noise", p.ladder_input_noise);
  const size_t sizes = l.sizes();
  if (l.hidden.size() != sizes || l.inputs.size() != sizes || l.concepts.size() != sizes ||
      l.concept_noise.size() != sizes || l.input_noise.size() != sizes)
    throw user_error(
        "ladder.hidden, ladder.inputs, ladder.concepts, ladder.concept_noise and ladder.input_noise must list as "
        "many sizes as ladder.features (" +
        std::to_string(sizes) + "), got " + std::to_string(l.hidden.size()) + ", " + std::to_string(l.inputs.size()) +
        ", " + std::to_string(l.concepts.size()) + ", " + std::to_string(l.concept_noise.size()) + " and " +
        std::to_string(l.input_noise.size()) + " (ladder.input_noise and ladder.concept_noise may be empty: no noise)");
  const bool fashion = p.world == w2s_world::fashion_mnist;
  for (size_t i = 0; i < sizes; ++i) {
    if (fashion && (l.inputs[i] == 0 || 28 % l.inputs[i] != 0))
      throw user_error("ladder.inputs = \"" + p.ladder_inputs + "\": size " + std::to_string(i) + " perceives " +
                       std::to_string(l.inputs[i]) +
                       " pixels a side; fashion_mnist needs a divisor of 28 (1, 2, 4, 7, 14, 28)");
    if (fashion && l.features[i] == 0)
      throw user_error("ladder.features = \"" + p.ladder_features + "\": size " + std::to_string(i) +
                       " has 0 principal components");
    if (!fashion && l.concepts[i] > concept_count)
      throw user_error("ladder.concepts = \"" + p.ladder_concepts + "\": size " + std::to_string(i) + " asks for " +
                       std::to_string(l.concepts[i]) + " latent concepts; value_world has " +
                       std::to_string(concept_count) + " (0 to " + std::to_string(concept_count) + ")");
    if (!fashion && l.inputs[i] > p.value.dim)
      throw user_error("ladder.inputs = \"" + p.ladder_inputs + "\": size " + std::to_string(i) + " perceives " +
                       std::to_string(l.inputs[i]) + " raw coordinates; world.dim is " + std::to_string(p.value.dim));
  }
  for (auto [key, v] : {std::pair{"weak.size", p.weak_size}, std::pair{"strong.size", p.strong_size}})
    if (v >= int(sizes))
      throw user_error(std::string(key) + " = " + std::to_string(v) + ": the ladder has only " +
                       std::to_string(sizes) + " sizes (0 to " + std::to_string(sizes - 1) + ")");
  if (p.mode == conflict_mode::implicit && p.conflict >= 1.0)
    throw user_error(
        "conflict = 1: with conflict_mode = implicit it is the helpful rows' share of the student's training set "
        "and must be below 1");
  return l;
}

}  // namespace oversight
