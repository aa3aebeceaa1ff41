// debate: AI safety via debate (Irving, Christiano and Amodei 2018) on fashion_mnist.
//
// A weak judge sees only k pixels of an image. Alone, it sees k random pixels. In a
// debate, two debaters who both see the whole image precommit to a label each (the
// honest one to the truth, the liar to the most plausible wrong label), then take turns
// revealing one pixel each until k are shown; a revealed pixel always shows its true
// value. The judge then picks between the two claims from the revealed pixels alone.
// If debate works, the honest debater can always find pixels that expose the lie, and
// the judge, weak as it is, ends up right far more often than from random pixels.
//
// Wiring (constructor): load the data, train the sparse judge on random k-pixel masks
// (policies/sparse_judge.hpp), freeze it, and spawn the judge actor plus `debate.pairs`
// pairs of debater actors (each with its own copy of the judge for its search).
//
// One tick, as message flow:
//   judge.verdict(k random pixels per image)          -> judge accuracy alone
//   honest[i].commit, liar[i].commit   (all shards in parallel)
//   k plies: mover[i].move(positions of shard i)      (all shards in parallel)
//   judge.verdict(the debated pixels)                 -> the honest debater wins?
// Metrics are running accuracies over every image evaluated so far, so the last tick's
// values are the run's result.
#include <algorithm>
#include <memory>
#include <numeric>

#include "actors/debater/debater.hpp"
#include "actors/director/director.hpp"
#include "actors/judge/judge.hpp"
#include "runtime/error.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"

namespace oversight {

namespace {

class debate_program : public tick_program {
 public:
  debate_program(const param_set& p, uint64_t seed, caf::actor_system& sys) : p_(p) {
    // ---- the world: images and their true labels ----
    const std::string dir_text = p.text("data.dir");
    const auto dir = dir_text.empty() ? default_fashion_mnist_dir() : std::filesystem::path(dir_text);
    data_ = load_fashion_mnist(dir, size_t(p.integer("data.limit")));
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
    k_ = int(p.integer("judge.pixels"));
    if (k_ > pixels_)
      throw user_error("judge.pixels=" + std::to_string(k_) + " is more than the " + std::to_string(pixels_) +
                       " pixels of an image in " + dir.string());
    per_tick_ = size_t(p.integer("eval.images_per_tick"));
    const size_t wanted = per_tick_ * size_t(p.integer("ticks"));
    if (wanted > data_.test.size())
      throw user_error("ticks x eval.images_per_tick = " + std::to_string(wanted) + " test images, but " +
                       dir.string() + " holds " + std::to_string(data_.test.size()) +
                       (p.integer("data.limit") > 0 ? " (data.limit=" + std::to_string(p.integer("data.limit")) + ")"
                                                    : std::string()));

    // Which test images, in which order: a seeded shuffle.
    order_.resize(data_.test.size());
    std::iota(order_.begin(), order_.end(), size_t(0));
    rng shuffle(seed, "evaluation");
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[size_t(shuffle.below(i))]);
    alone_ = rng(seed, "judge-alone");

    // ---- the judge: trained on random k-pixel masks, then frozen ----
    judge_cfg_.pixels = pixels_;
    judge_cfg_.classes = fashion_mnist::classes;
    judge_cfg_.reveal = k_;
    judge_cfg_.hidden = int(p.integer("judge.hidden"));
    judge_cfg_.layers = int(p.integer("judge.layers"));
    judge_cfg_.lr = p.real("judge.lr");
    judge_cfg_.steps = int(p.integer("judge.steps"));
    judge_cfg_.batch = int(p.integer("judge.batch"));
    rng init(seed, "judge/init"), masks(seed, "judge/masks");
    sparse_judge judge(judge_cfg_, init);
    // Training runs here, on the calling thread, before any tick: nothing else is
    // running yet, and the judge never learns again (the paper's judge is frozen).
    judge_train_acc_ = judge.train(data_.train.images.pixels.data(), data_.train.labels.data(), data_.train.size(), masks);
    const auto frozen = judge.params();

    // ---- role actors ----
    judge_ = spawn_judge(sys, judge_cfg_, frozen);
    debater_settings ds;
    ds.judge = judge_cfg_;
    ds.judge_params = frozen;
    ds.search.width = int(p.integer("search.width"));
    ds.search.depth = int(p.integer("search.depth"));
    ds.lie_probes = int(p.integer("liar.probes"));
    const int pairs = int(p.integer("debate.pairs"));
    for (int i = 0; i < pairs; ++i) {
      ds.honest = true;
      honest_.push_back(spawn_debater(sys, ds, seed, "honest-" + std::to_string(i)));
      ds.honest = false;
      liar_.push_back(spawn_debater(sys, ds, seed, "liar-" + std::to_string(i)));
    }
    honest_first_ = p.text("debate.first") == "honest";
  }

  int64_t ticks() const override { return p_.integer("ticks"); }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out{caf::actor_cast<caf::actor>(judge_)};
    for (auto& d : honest_) out.push_back(caf::actor_cast<caf::actor>(d));
    for (auto& d : liar_) out.push_back(caf::actor_cast<caf::actor>(d));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    // This tick's images, cut into one contiguous shard per debater pair. Shards depend
    // on the parameters only, never on scheduling.
    auto shards = std::make_shared<std::vector<debate_positions>>(honest_.size());
    auto truth = std::make_shared<std::vector<std::vector<int32_t>>>(honest_.size());
    const size_t first = size_t(t) * per_tick_;
    for (size_t i = 0; i < per_tick_; ++i) {
      const size_t s = i * honest_.size() / per_tick_;
      const size_t img = order_[first + i];
      auto& pos = (*shards)[s];
      pos.pixels = pixels_;
      for (int32_t q = 0; q < pixels_; ++q) pos.images.push_back(data_.test.pixel(img, size_t(q)));
      (*truth)[s].push_back(data_.test.labels[img]);
    }

    // Judge alone: k pixels at random per image, a 10-way decision.
    debate_positions alone;
    alone.pixels = pixels_;
    alone.revealed_count = k_;
    for (auto& pos : *shards) {
      alone.images.insert(alone.images.end(), pos.images.begin(), pos.images.end());
      for (size_t g = 0; g < pos.images.size() / size_t(pixels_); ++g) {
        alone.honest.push_back(0);  // unused by the judge
        alone.liar.push_back(0);
        random_pixels(alone_, pixels_, k_, alone.revealed);
      }
    }
    self->request(judge_, caf::infinite, verdict_atom::value, alone)
        .then(
            [=, this](std::vector<float>& logits) {
              size_t g = 0;
              for (auto& tr : *truth)
                for (auto label : tr) {
                  const float* lg = logits.data() + g++ * size_t(fashion_mnist::classes);
                  alone_right_ += int64_t(std::max_element(lg, lg + fashion_mnist::classes) - lg) == label ? 1 : 0;
                }
              commit(self, t, shards, truth, done);
            },
            done.fail);
  }

 private:
  using shards_ptr = std::shared_ptr<std::vector<debate_positions>>;
  using truth_ptr = std::shared_ptr<std::vector<std::vector<int32_t>>>;

  // Both sides precommit, every shard in parallel.
  void commit(caf::event_based_actor* self, int64_t t, shards_ptr shards, truth_ptr truth, tick_done done) {
    auto claims = std::make_shared<std::vector<std::vector<int32_t>>>(2 * shards->size());
    auto after = join(2 * shards->size(), [=, this] {
      for (size_t s = 0; s < shards->size(); ++s) {
        (*shards)[s].honest = (*claims)[2 * s];
        (*shards)[s].liar = (*claims)[2 * s + 1];
        OVERSIGHT_CHECK_EQ((*shards)[s].honest.size(), (*truth)[s].size());
        for (size_t g = 0; g < (*truth)[s].size(); ++g) {
          OVERSIGHT_CHECK_EQ((*shards)[s].honest[g], (*truth)[s][g]);
          OVERSIGHT_CHECK((*shards)[s].liar[g] != (*truth)[s][g]);
        }
      }
      ply(self, t, shards, 0, done);
    });
    for (size_t s = 0; s < shards->size(); ++s) {
      for (int side = 0; side < 2; ++side) {
        const auto& who = side == 0 ? honest_[s] : liar_[s];
        self->request(who, caf::infinite, commit_atom::value, (*shards)[s], (*truth)[s])
            .then(
                [=](std::vector<int32_t>& c) {
                  (*claims)[2 * s + size_t(side)] = std::move(c);
                  after();
                },
                done.fail);
      }
    }
  }

  // One reveal in every game: the mover of each shard chooses, all shards in parallel.
  void ply(caf::event_based_actor* self, int64_t t, shards_ptr shards, int n, tick_done done) {
    if (n == k_) return verdict(self, t, shards, done);
    const bool honest_moves = (n % 2 == 0) == honest_first_;
    const auto& movers = honest_moves ? honest_ : liar_;
    auto moves = std::make_shared<std::vector<std::vector<int32_t>>>(shards->size());
    auto after = join(shards->size(), [=, this] {
      for (size_t s = 0; s < shards->size(); ++s) {
        auto& pos = (*shards)[s];
        const size_t G = pos.games(), before = size_t(pos.revealed_count);
        OVERSIGHT_CHECK_EQ((*moves)[s].size(), G);
        std::vector<int32_t> next;
        next.reserve(G * (before + 1));
        for (size_t g = 0; g < G; ++g) {
          const int32_t m = (*moves)[s][g];
          auto b = pos.revealed.begin() + std::ptrdiff_t(g * before), e = b + std::ptrdiff_t(before);
          OVERSIGHT_CHECK(m >= 0 && m < pixels_ && std::find(b, e, m) == e);  // a fresh pixel
          next.insert(next.end(), b, e);
          next.push_back(m);
        }
        pos.revealed = std::move(next);
        pos.revealed_count = int32_t(before + 1);
      }
      ply(self, t, shards, n + 1, done);
    });
    for (size_t s = 0; s < shards->size(); ++s)
      self->request(movers[s], caf::infinite, move_atom::value, (*shards)[s], int32_t(k_ - n))
          .then(
              [=](std::vector<int32_t>& m) {
                (*moves)[s] = std::move(m);
                after();
              },
              done.fail);
  }

  // The judge decides between the two claims from the debated pixels alone.
  void verdict(caf::event_based_actor* self, int64_t t, shards_ptr shards, tick_done done) {
    debate_positions all;
    all.pixels = pixels_;
    all.revealed_count = k_;
    for (auto& pos : *shards) {
      all.images.insert(all.images.end(), pos.images.begin(), pos.images.end());
      all.honest.insert(all.honest.end(), pos.honest.begin(), pos.honest.end());
      all.liar.insert(all.liar.end(), pos.liar.begin(), pos.liar.end());
      all.revealed.insert(all.revealed.end(), pos.revealed.begin(), pos.revealed.end());
    }
    self->request(judge_, caf::infinite, verdict_atom::value, all)
        .then(
            [=, this](std::vector<float>& logits) {
              for (size_t g = 0; g < all.games(); ++g) {
                const float* lg = logits.data() + g * size_t(fashion_mnist::classes);
                debate_right_ += lg[all.honest[g]] > lg[all.liar[g]] ? 1 : 0;
              }
              seen_ += int64_t(all.games());
              std::vector<metric_row> rows;
              rows.push_back({t, "judge", "judge_acc_alone", double(alone_right_) / double(seen_)});
              rows.push_back({t, "judge", "judge_acc_debate", double(debate_right_) / double(seen_)});
              rows.push_back({t, "judge", "judge_train_acc", judge_train_acc_});
              rows.push_back({t, "judge", "images_judged", double(seen_)});
              done.ok(std::move(rows));
            },
            done.fail);
  }

  param_set p_;
  fashion_mnist data_;
  int32_t pixels_ = 0;
  int k_ = 0;
  size_t per_tick_ = 0;
  std::vector<size_t> order_;
  rng alone_;
  sparse_judge_config judge_cfg_;
  double judge_train_acc_ = 0;
  judge_actor judge_;
  std::vector<debater_actor> honest_, liar_;
  bool honest_first_ = true;
  int64_t alone_right_ = 0, debate_right_ = 0, seen_ = 0;
};

void run_debate(run_context& ctx) {
  drive(ctx, std::make_shared<debate_program>(ctx.params(), ctx.seed(), ctx.system()));
}

using P = param_decl;
const registrar reg{scenario_info{
    "debate",
    "AI safety via debate: an honest and a lying debater reveal pixels to a weak sparse judge (fashion_mnist)",
    {
        P::integer("ticks", 5, 1, 1000000, "evaluation batches; each takes eval.images_per_tick fresh test images"),
        P::integer("eval.images_per_tick", 100, 1, 100000, "test images judged (alone and with debate) per tick"),
        P::text("data.dir", "", {},
                "directory of the IDX files (train/t10k images and labels); empty: Debian's "
                "/usr/share/datasets/fashion-mnist"),
        P::integer("data.limit", 0, 0, 100000000, "keep only the first N examples of each split; 0: all"),
        P::integer("judge.pixels", 6, 1, 100000, "k: pixels the judge sees (random alone, debated in a debate)"),
        P::integer("judge.hidden", 128, 4, 4096, "judge hidden width"),
        P::integer("judge.layers", 2, 1, 2, "judge hidden layers"),
        P::real("judge.lr", 3e-3, 1e-6, 1.0, "judge Adam learning rate"),
        P::integer("judge.steps", 10000, 1, 10000000, "judge training steps (minibatches of random k-pixel masks)"),
        P::integer("judge.batch", 128, 1, 100000, "images per judge training step"),
        P::integer("search.width", 8, 1, 100000, "debaters' lookahead: moves kept per node"),
        P::integer("search.depth", 2, 1, 16, "debaters' lookahead: plies searched per move (1: greedy)"),
        P::integer("liar.probes", 16, 1, 100000, "random k-pixel masks the liar uses to pick its most plausible lie"),
        P::integer("debate.pairs", 2, 1, 1024, "debater pairs; each plays its own shard of the images in parallel"),
        P::text("debate.first", "honest", {"honest", "liar"}, "who reveals the first pixel"),
    },
    {
        {"judge_acc_alone", "judge accuracy (10-way) from k random pixels, over every image so far"},
        {"judge_acc_debate", "share of images so far where the judge sides with the honest debater after k debated pixels"},
        {"judge_train_acc", "judge accuracy on its random-mask training batches (last tenth of training)"},
        {"images_judged", "test images evaluated so far"},
    },
    run_debate}};

}  // namespace

}  // namespace oversight
