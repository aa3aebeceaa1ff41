// debate's parameters: every key, declared and read by one list, and the memory
// estimate (debate_memory.cpp) that refuses a run too large to fit before it starts.
#pragma once

#include <cstdint>
#include <string>

#include "policies/debate.hpp"
#include "policies/sparse_judge.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

/// Who picks the revealed pixels (`debate.reveal`).
enum class reveal_by { debaters, random };
/// Who reveals the first pixel (`debate.first`).
enum class first_mover { honest, liar };

/// Every parameter, declared and read by one list.
struct debate_params {
  int64_t ticks = 0;
  size_t per_tick = 0;
  std::string data_dir;
  int64_t data_limit = 0;
  int k = 0;
  sparse_judge_config judge;  ///< hidden, layers, lr, steps, batch (the shape comes from the data)
  debate_search_config search;
  int lie_probes = 0;
  int pairs = 0;
  first_mover first = first_mover::honest;
  debate_protocol protocol = debate_protocol::all_lies;
  reveal_by reveal = reveal_by::debaters;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 5, 1, 1000000, "evaluation batches; each takes eval.images_per_tick fresh test images");
    f.integer("eval.images_per_tick", per_tick, 100, 1, 100000, "test images judged (alone and with debate) per tick");
    f.text("data.dir", data_dir, "", {},
           "directory of the IDX files (train/t10k images and labels); empty: Debian's "
           "/usr/share/datasets/fashion-mnist");
    f.integer("data.limit", data_limit, 0, 0, 100000000, "keep only the first N examples of each split; 0: all");
    f.integer("judge.pixels", k, 6, 1, 100000,
              "k: pixels the judge sees (random alone, debated in a debate; even when the debaters reveal)");
    f.integer("judge.hidden", judge.hidden, 128, 4, 4096, "judge hidden width");
    f.integer("judge.layers", judge.layers, 2, 1, 2, "judge hidden layers");
    f.real("judge.lr", judge.lr, 3e-3, 1e-6, 1.0, "judge Adam learning rate");
    f.integer("judge.steps", judge.steps, 10000, 1, 10000000, "judge training steps (minibatches of random k-pixel masks)");
    f.integer("judge.batch", judge.batch, 128, 1, 100000, "images per judge training step");
    f.integer("search.width", search.width, 8, 1, 100000, "debaters' lookahead: moves kept per node");
    f.integer("search.depth", search.depth, 2, 1, 16, "debaters' lookahead: plies searched per move (1: greedy)");
    f.integer("liar.probes", lie_probes, 16, 1, 100000,
              "random k-pixel masks the liar uses to pick its most plausible lie");
    f.integer("debate.pairs", pairs, 2, 1, 1024, "debater pairs; each plays its own shard of the images in parallel");
    f.choice("debate.first", first, first_mover::honest, {{"honest", first_mover::honest}, {"liar", first_mover::liar}},
             "who reveals the first pixel");
    f.choice("debate.protocol", protocol, debate_protocol::all_lies,
             {{"all_lies", debate_protocol::all_lies}, {"one_lie", debate_protocol::one_lie}},
             "lies the honest side must beat: all_lies, one game against each wrong label, the image won "
             "only if every game is (Irving et al.'s precommit rule); one_lie, one game against the liar's "
             "most plausible lie");
    f.choice("debate.reveal", reveal, reveal_by::debaters,
             {{"debaters", reveal_by::debaters}, {"random", reveal_by::random}},
             "who picks the k revealed pixels: the debaters (the debate); random, the control: every game "
             "of an image shows the judge-alone run's k random pixels");
  }
};

/// The registry's `memory` hook for debate.
memory_estimate debate_memory(const param_set& params);

}  // namespace oversight
