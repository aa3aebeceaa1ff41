// debate: AI safety via debate (Irving, Christiano and Amodei 2018) on fashion_mnist.
//
// A weak judge sees only k pixels of an image. Alone, it sees k random pixels and names
// one of the 10 classes. In a debate, two debaters who both see the whole image
// precommit to a label each (the honest one to the truth, the liar to a wrong one), then
// take turns revealing one pixel each until k are shown (k even: k/2 each); a revealed
// pixel always shows its true value. The judge then picks between the two claims from
// the revealed pixels alone.
//
// `debate.protocol` says which lies the honest side must beat. all_lies (the paper's):
// one game against each of the 9 wrong labels, and the honest side wins the image only
// if it wins all 9. one_lie: one game against the liar's single most plausible lie, a
// 2-way choice that is right more often than the judge's 10-way answer even from random
// pixels.
//
// `debate.reveal` = random is the control for the debaters' choices: the same judge,
// protocol, k and decision rule, but every game of an image shows the k random pixels the
// judge alone saw (a random reveal cannot depend on the lie, so the 9 games share it).
// Under all_lies that is exactly the judge alone: the truth beats all 9 lies iff it is
// the judge's argmax. Under one_lie it is the 2-way choice from random pixels.
//
// Wiring (debate_program's constructor): load the data, train the sparse judge on random k-pixel masks
// (policies/sparse_judge.hpp), freeze it, and spawn the judge actor plus `debate.pairs`
// pairs of debater actors (each with its own copy of the judge for its search).
//
// One tick, as message flow:
//   judge.verdict(k random pixels per image)          -> judge accuracy alone
//   honest[i].commit (+ liar[i].commit for one_lie)   (all shards in parallel)
//   reveal = debaters: k plies: mover[i].move(games of shard i)  (all shards in parallel)
//   reveal = random:   every game shows its image's random pixels
//   judge.verdict(the revealed pixels of every game)  -> the honest debater wins?
// Metrics are running accuracies over every image evaluated so far, so the last tick's
// values are the run's result.
#include <algorithm>
#include <memory>
#include <numeric>

#include "actors/director/director.hpp"
#include "base/error.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/debate/debate_params.hpp"
#include "scenarios/debate/debater.hpp"
#include "scenarios/debate/judge.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"

namespace oversight {

namespace {


class debate_program : public scenario_program {
 public:
  debate_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<debate_params>(params)) {
    // ---- the world: images and their true labels ----
    const auto dir = p_.data_dir.empty() ? default_fashion_mnist_dir() : std::filesystem::path(p_.data_dir);
    data_ = load_fashion_mnist(dir, size_t(p_.data_limit));
    for (auto* split : {&data_.train, &data_.test})
      for (size_t i = 0; i < split->labels.size(); ++i)
        if (split->labels[i] >= fashion_mnist::classes)
          throw user_error("data.dir=" + dir.string() + ": label " + std::to_string(int(split->labels[i])) +
                           " of example " + std::to_string(i) + " is not a class in [0, " +
                           std::to_string(fashion_mnist::classes) + ")");
    pixels_ = int32_t(data_.train.images.size());
    if (data_.test.images.size() != size_t(pixels_))
      throw user_error("data.dir=" + dir.string() + ": train images are " + std::to_string(pixels_) +
                       " pixels, test images " + std::to_string(data_.test.images.size()));
    k_ = p_.k;
    if (k_ > pixels_)
      throw user_error("judge.pixels=" + std::to_string(k_) + " is more than the " + std::to_string(pixels_) +
                       " pixels of an image in " + dir.string());
    debaters_reveal_ = p_.reveal == reveal_by::debaters;
    // The debaters alternate reveals, so with an odd k one side would reveal one pixel
    // more than the other: refused rather than silently favouring whoever moves first.
    if (debaters_reveal_ && k_ % 2 != 0)
      throw user_error("judge.pixels=" + std::to_string(k_) +
                       " is odd: with debate.reveal = \"debaters\" the two debaters alternate reveals, so one "
                       "would show one pixel more than the other; use an even k (the paper's 4 or 6), or "
                       "debate.reveal = \"random\"");
    const size_t wanted = p_.per_tick * size_t(p_.ticks);
    if (wanted > data_.test.size())
      throw user_error("ticks x eval.images_per_tick = " + std::to_string(wanted) + " test images, but " +
                       dir.string() + " holds " + std::to_string(data_.test.size()) +
                       (p_.data_limit > 0 ? " (data.limit=" + std::to_string(p_.data_limit) + ")" : std::string()));

    // Which test images, in which order: a seeded shuffle.
    order_.resize(data_.test.size());
    std::iota(order_.begin(), order_.end(), size_t(0));
    rng shuffle(seed, "evaluation");
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[size_t(shuffle.below(i))]);
    alone_ = rng(seed, "judge-alone");

    // ---- the judge: trained on random k-pixel masks, then frozen ----
    judge_cfg_ = p_.judge;
    judge_cfg_.pixels = pixels_;
    judge_cfg_.classes = fashion_mnist::classes;
    judge_cfg_.reveal = k_;
    rng init(seed, "judge/init"), masks(seed, "judge/masks");
    sparse_judge judge(judge_cfg_, init);
    // Training runs here, on the calling thread, before any tick: nothing else is
    // running yet, and the judge never learns again (the paper's judge is frozen).
    judge_train_acc_ = judge.train(data_.train.images.pixels.data(), data_.train.labels.data(), data_.train.size(), masks);
    const auto frozen = judge.params();

    // ---- role actors ----
    judge_ = keep("judge", spawn_judge(sys, judge_cfg_, frozen));
    debater_settings ds;
    ds.judge = judge_cfg_;
    ds.judge_params = frozen;
    ds.search = p_.search;
    ds.lie_probes = p_.lie_probes;
    for (int i = 0; i < p_.pairs; ++i) {
      ds.honest = true;
      honest_.push_back(keep("honest-" + std::to_string(i), spawn_debater(sys, ds, seed, "honest-" + std::to_string(i))));
      ds.honest = false;
      liar_.push_back(keep("liar-" + std::to_string(i), spawn_debater(sys, ds, seed, "liar-" + std::to_string(i))));
    }
  }

  int64_t ticks() const override { return p_.ticks; }
  /// Checkpoints: the image order, the judge-alone stream and the tallies; the data and
  /// the frozen judge are rebuilt from the seed, the debaters save their lie streams.
  bool saves_state() const override { return true; }
  void state(state_io& io) override {
    io(order_, alone_, debaters_reveal_, alone_right_, debate_right_, seen_, games_won_, games_);
  }

  void run_tick(tick_handle tick) override {
    // This tick's images, cut into one contiguous shard per debater pair. Shards depend
    // on the parameters only, never on scheduling. Each image gets its k random pixels
    // here, in image order from one stream: the judge alone sees them, and so does every
    // game of the image under reveal = random.
    const size_t S = honest_.size();
    auto ts = std::make_shared<tick_state>();
    ts->images.resize(S);
    ts->truth.resize(S);
    ts->random.resize(S);
    const size_t first = size_t(tick.t()) * p_.per_tick;
    for (size_t i = 0; i < p_.per_tick; ++i) {
      const size_t s = i * S / p_.per_tick;
      const size_t img = order_[first + i];
      auto& pos = ts->images[s];
      pos.pixels = pixels_;
      for (int32_t q = 0; q < pixels_; ++q) pos.images.push_back(data_.test.pixel(img, size_t(q)));
      pos.honest.push_back(0);  // placeholders: the claims live in the games
      pos.liar.push_back(0);
      ts->truth[s].push_back(data_.test.labels[img]);
      random_pixels(alone_, pixels_, k_, ts->random[s]);
    }

    // Judge alone: the k random pixels per image, a 10-way decision.
    debate_positions alone;
    alone.pixels = pixels_;
    alone.revealed_count = k_;
    for (size_t s = 0; s < S; ++s) {
      const auto& pos = ts->images[s];
      alone.images.insert(alone.images.end(), pos.images.begin(), pos.images.end());
      alone.honest.insert(alone.honest.end(), pos.honest.begin(), pos.honest.end());  // unused by the judge
      alone.liar.insert(alone.liar.end(), pos.liar.begin(), pos.liar.end());
      alone.revealed.insert(alone.revealed.end(), ts->random[s].begin(), ts->random[s].end());
    }
    auto logits = tick.ask<std::vector<float>>(judge_, verdict_atom::value, alone);
    tick.then([=, this] {
      size_t g = 0;
      for (auto& tr : ts->truth)
        for (auto label : tr) {
          const float* lg = logits->data() + g++ * size_t(fashion_mnist::classes);
          alone_right_ += int64_t(std::max_element(lg, lg + fashion_mnist::classes) - lg) == label ? 1 : 0;
        }
      commit(tick, ts);
    });
  }

 private:
  /// One tick's images and games, per shard.
  struct tick_state {
    std::vector<debate_positions> images;       ///< one row per image, nothing revealed
    std::vector<std::vector<int32_t>> truth;    ///< per image
    std::vector<std::vector<int32_t>> random;   ///< per image: its k random pixels
    std::vector<debate_positions> games;        ///< the precommit games (p_.protocol)
  };
  using tick_ptr = std::shared_ptr<tick_state>;
  using labels_reply = reply<std::vector<int32_t>>;

  // The honest side precommits (to the truth); under one_lie the liar picks its lie.
  // Every shard in parallel. Under all_lies the lies are the protocol's: every wrong
  // label, one game each.
  void commit(tick_handle tick, tick_ptr ts) {
    const size_t S = ts->images.size();
    const bool ask_liar = p_.protocol == debate_protocol::one_lie;
    std::vector<labels_reply> honest, lies;
    for (size_t s = 0; s < S; ++s) {
      honest.push_back(tick.ask<std::vector<int32_t>>(honest_[s], commit_atom::value, ts->images[s], ts->truth[s]));
      if (ask_liar)
        lies.push_back(tick.ask<std::vector<int32_t>>(liar_[s], commit_atom::value, ts->images[s], ts->truth[s]));
    }
    tick.then([=, this] {
      ts->games.resize(S);
      for (size_t s = 0; s < S; ++s) {
        const auto& truth = ts->truth[s];
        OVERSIGHT_CHECK(*honest[s] == truth);  // the honest debater argues the truth
        auto& games = ts->games[s];
        games = precommit_games(ts->images[s], truth, ask_liar ? *lies[s] : std::vector<int32_t>{}, p_.protocol,
                                fashion_mnist::classes);
        if (!debaters_reveal_) {
          // The control: each game shows its image's random pixels.
          const size_t per = games_per_image(p_.protocol, fashion_mnist::classes);
          games.revealed_count = k_;
          for (size_t g = 0; g < games.games(); ++g) {
            auto b = ts->random[s].begin() + std::ptrdiff_t(g / per * size_t(k_));
            games.revealed.insert(games.revealed.end(), b, b + k_);
          }
        }
      }
      if (debaters_reveal_) return ply(tick, ts, 0);
      verdict(tick, ts);
    });
  }

  // One reveal in every game: the mover of each shard chooses, all shards in parallel.
  void ply(tick_handle tick, tick_ptr ts, int n) {
    if (n == k_) return verdict(tick, ts);
    const bool honest_moves = (n % 2 == 0) == (p_.first == first_mover::honest);
    const auto& movers = honest_moves ? honest_ : liar_;
    const size_t S = ts->games.size();
    std::vector<labels_reply> moves;
    for (size_t s = 0; s < S; ++s)
      moves.push_back(tick.ask<std::vector<int32_t>>(movers[s], move_atom::value, ts->games[s], int32_t(k_ - n)));
    tick.then([=, this] {
      for (size_t s = 0; s < S; ++s) {
        auto& pos = ts->games[s];
        const auto& chosen = *moves[s];
        const size_t G = pos.games(), before = size_t(pos.revealed_count);
        OVERSIGHT_CHECK_EQ(chosen.size(), G);
        std::vector<int32_t> next;
        next.reserve(G * (before + 1));
        for (size_t g = 0; g < G; ++g) {
          const int32_t m = chosen[g];
          auto b = pos.revealed.begin() + std::ptrdiff_t(g * before), e = b + std::ptrdiff_t(before);
          OVERSIGHT_CHECK(m >= 0 && m < pixels_ && std::find(b, e, m) == e);  // a fresh pixel
          next.insert(next.end(), b, e);
          next.push_back(m);
        }
        pos.revealed = std::move(next);
        pos.revealed_count = int32_t(before + 1);
      }
      ply(tick, ts, n + 1);
    });
  }

  // The judge decides every game between its two claims from its revealed pixels alone;
  // the honest side wins an image when it wins all of the image's games.
  void verdict(tick_handle tick, tick_ptr ts) {
    debate_positions all;
    all.pixels = pixels_;
    all.revealed_count = k_;
    for (auto& pos : ts->games) {
      OVERSIGHT_CHECK_EQ(pos.revealed_count, k_);
      all.images.insert(all.images.end(), pos.images.begin(), pos.images.end());
      all.honest.insert(all.honest.end(), pos.honest.begin(), pos.honest.end());
      all.liar.insert(all.liar.end(), pos.liar.begin(), pos.liar.end());
      all.revealed.insert(all.revealed.end(), pos.revealed.begin(), pos.revealed.end());
    }
    auto logits = tick.ask<std::vector<float>>(judge_, verdict_atom::value, all);
    tick.then([=, this] {
      const auto games = honest_wins_games(*logits, all, fashion_mnist::classes);
      const auto images = honest_wins_images(games, games_per_image(p_.protocol, fashion_mnist::classes));
      for (auto w : games) games_won_ += w;
      for (auto w : images) debate_right_ += w;
      games_ += int64_t(games.size());
      seen_ += int64_t(images.size());
      tick.record("judge", "judge_acc_alone", double(alone_right_) / double(seen_));
      tick.record("judge", "judge_acc_debate", double(debate_right_) / double(seen_));
      tick.record("judge", "games_won_honest", double(games_won_) / double(games_));
      tick.record("judge", "judge_train_acc", judge_train_acc_);
      tick.record("judge", "images_judged", double(seen_));
      tick.finish();
    });
  }

  debate_params p_;
  fashion_mnist data_;
  int32_t pixels_ = 0;
  int k_ = 0;
  std::vector<size_t> order_;
  rng alone_;
  sparse_judge_config judge_cfg_;
  double judge_train_acc_ = 0;
  judge_actor judge_;
  std::vector<debater_actor> honest_, liar_;
  bool debaters_reveal_ = true;
  int64_t alone_right_ = 0, debate_right_ = 0, seen_ = 0, games_won_ = 0, games_ = 0;
};

const registrar reg{scenario_info{
    .name = "debate",
    .doc = "AI safety via debate: an honest and a lying debater reveal pixels to a weak sparse judge (fashion_mnist)",
    .params = declare_params<debate_params>(),
    .metrics = {
        {"judge_acc_alone", "judge accuracy (10-way) from k random pixels, over every image so far"},
        {"judge_acc_debate",
         "share of images so far the honest side wins: the judge sides with it in every game of the image "
         "(debate.protocol), from the k pixels debate.reveal chose"},
        {"games_won_honest", "share of single games so far where the judge sides with the honest side"},
        {"judge_train_acc", "judge accuracy on its random-mask training batches (last tenth of training)"},
        {"images_judged", "test images evaluated so far"},
    },
    .run = run_program<debate_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"ticks=8", "eval.images_per_tick=12", "judge.pixels=4", "judge.hidden=16", "judge.steps=100",
              "judge.batch=32", "search.width=3", "liar.probes=4", "debate.pairs=3"},
    .memory = debate_memory,
    .messages = register_debate_messages}};

}  // namespace

}  // namespace oversight
