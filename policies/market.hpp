// market: the principal-agent world (Phelps and Ranson 2023, "Of Models and Tin Men",
// run as a population). Plain C++, no CAF, no libtorch.
//
//   catalog          products with a price, quality attributes, a brand, and a seller's
//                    commission rate (0 for most products: the "sponsored" ones pay).
//   principal_block  a contiguous block of principals stored as struct-of-arrays: a
//                    budget and preference weights over the attributes. Each tick a
//                    principal draws a purchase task: `candidates` affordable products
//                    and its utility for each, u = w . q - price_weight * price / budget.
//   agent_block      a contiguous block of agents (struct-of-arrays), each with hidden
//                    incentives that conflict with its principal's: a commission
//                    strength (paid on sponsored products), a preferred brand, and a
//                    prior alignment (an intrinsic reward for serving the principal).
//                    Agents learn which of three strategies pays with an epsilon-greedy
//                    bandit over the material + intrinsic reward they get (each
//                    strategy is tried once first; values are sample means until
//                    1 / tries falls below `step`, then track with that step):
//                      0 faithful   the principal's best candidate
//                      1 selfish    the candidate with the largest private gain
//                      2 hedge      the best trade-off: private gain minus
//                                   hedge_weight x the principal's utility loss
//
// No per-agent heap object: 100,000 agents cost a few MB. Every random draw comes from
// an rng passed in by the caller (one stream per shard), so a block's behaviour is a
// function of the seed and the order of the rows it is given.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/rng.hpp"

namespace oversight {

/// A product's id in tasks and orders: 16 bits, so a catalog holds at most
/// `max_products` (orders are most of what a population's tick moves between shards).
using product_id = uint16_t;
inline constexpr int max_products = 65536;

struct market_config {
  int products = 200;             ///< at most max_products
  int attributes = 4;
  int brands = 8;
  int candidates = 8;             ///< products offered per purchase task
  double sponsored_share = 0.3;   ///< share of products that pay the agent a commission
  double price_min = 10, price_max = 100;
  double budget_min = 40, budget_max = 120;  ///< budget_min >= price_min: a task always exists
  double price_weight = 0.5;      ///< principal's disutility per unit of price / budget
};

struct catalog {
  int attributes = 0;
  int brands = 0;
  std::vector<float> price;
  std::vector<float> attr;        ///< products x attributes, in [0, 1]
  std::vector<int32_t> brand;
  std::vector<float> commission;  ///< commission rate: 0, or in [0.5, 1] for sponsored products
  size_t size() const { return price.size(); }

  /// Throws std::invalid_argument for more than max_products products.
  static catalog generate(const market_config& cfg, rng& r);
};

class principal_block {
 public:
  /// Principals [first, first + count); their budgets and preferences drawn from `init`.
  principal_block(const market_config& cfg, std::shared_ptr<const catalog> cat, int64_t first, int64_t count,
                  rng& init);
  int64_t first() const { return first_; }
  size_t size() const { return budget_.size(); }
  int candidates() const { return cfg_.candidates; }

  /// Draws local principal i's task for this tick: `candidates` distinct affordable
  /// products into `products` and the principal's utility of each into `utility`;
  /// remembers the products (and the best utility) so the choice can be judged.
  void make_task(size_t i, rng& r, product_id* products, float* utility);
  /// The utility of candidate `choice` of local principal i's current task (computed
  /// again, to the bit what make_task gave), and of the best one.
  float utility(size_t i, int choice) const {
    return utility_of(i, task_product_[i * size_t(cfg_.candidates) + size_t(choice)]);
  }
  float best_utility(size_t i) const { return best_[i]; }

  // No state() for checkpoints: nothing here changes from one tick to the next (the
  // current task lives from make_task to the judging of its choice, within a tick).

 private:
  market_config cfg_;
  std::shared_ptr<const catalog> cat_;
  int64_t first_;
  std::vector<float> budget_;
  std::vector<float> pref_;          ///< size x attributes, non-negative, summing to 1
  std::vector<product_id> task_product_;  ///< size x candidates: the current task
  std::vector<float> best_;               ///< size: the best utility of the current task
  std::vector<product_id> by_price_;  ///< product ids, cheapest first
  /// size: how many of by_price_ the budget affords, minus one (at least 1, at most
  /// max_products: 16 bits hold it so).
  std::vector<uint16_t> affordable_less_one_;
  std::vector<double> attr_;         ///< the catalog's attributes as doubles
  std::vector<double> price_cost_;   ///< per product: price_weight x price

  /// Principal i's utility of product j: preferences . attributes - price cost / budget,
  /// in double, summed in attribute order.
  float utility_of(size_t i, size_t j) const {
    const size_t d = size_t(cat_->attributes);
    const float* pref = &pref_[i * d];
    const double* a = &attr_[j * d];
    double u = 0;
    for (size_t x = 0; x < d; ++x) u += double(pref[x]) * a[x];
    u -= price_cost_[j] / double(budget_[i]);
    return float(u);
  }
};

struct agent_config {
  double commission_max = 3.0;   ///< commission strength ~ U[0, commission_max] per agent
  double brand_bonus = 0.5;      ///< private gain from selling the agent's preferred brand
  double alignment_mean = 0.5;   ///< prior alignment ~ U[0, 2 x mean] clipped to [0, 1]
  double alignment_weight = 1.0; ///< intrinsic reward of a faithful choice at alignment 1
  double hedge_weight = 5.0;     ///< hedge strategy: private gain minus this x principal's loss
  double epsilon = 0.05;         ///< bandit exploration
  double step = 0.1;             ///< bandit step size (constant: the environment moves as others learn)
};

class agent_block {
 public:
  static constexpr int arms = 3;
  /// Agents [first, first + count), their incentives drawn from `init` in id order.
  /// `order`, when given, is the order the block keeps them in: order[slot] = local id
  /// (id - first), a permutation of 0 .. count - 1 (std::invalid_argument otherwise).
  /// A caller that visits agents in a fixed order (the rows of its principals' orders)
  /// stores them in that order and walks the records front to back; without it, slot
  /// = local id. Every member below takes slots.
  agent_block(const agent_config& cfg, std::shared_ptr<const catalog> cat, int64_t first, int64_t count, rng& init,
              std::vector<int32_t> order = {});
  int64_t first() const { return first_; }
  size_t size() const { return agent_.size(); }

  /// The agent in `slot` picks a strategy (epsilon-greedy) and with it one of the n
  /// candidates; returns the chosen index and the principal's loss (best - chosen
  /// utility) in `gap`. Starts the agent's pending reward with its private gain.
  int choose(size_t slot, const product_id* products, const float* utility, int n, rng& r, float& gap);
  /// Adds `net` (a payment minus any penalty) to the pending reward of the agent in `slot`.
  void feedback(size_t slot, float net);
  /// Closes the tick: every agent that acted updates its strategy value with its
  /// reward. Returns the sum of the material gains (commission + payments - penalties),
  /// added in id order whatever the slots.
  double learn();

  /// The candidate strategy `arm` picks among n, given each candidate's private gain
  /// (commission and brand) and the principal's utility: 0 faithful, the first best
  /// utility; 1 selfish, the largest gain; 2 hedge, the largest gain - hedge_weight x
  /// loss; ties in 1 and 2 go to the larger utility, then to the earlier candidate.
  /// pick_of_8 is the same for n = 8, in SIMD without branches on the data (the same
  /// pick, bit for bit: tested against pick_of).
  /// `best_u` is the largest of the n utilities (the caller has it already).
  static int pick_of(int arm, double hedge_weight, const double* gain, const float* utility, int n, float best_u);
  static int pick_of_8(int arm, double hedge_weight, const double* gain, const float* utility, float best_u);

  /// Strategy values of the agent in `slot` (tests, diagnostics).
  const float* values(size_t slot) const { return agent_[slot].q; }

  /// What changes from one tick to the next (checkpoints, taken between ticks): the
  /// strategy values and tries, by slot. The incentives are fixed at construction; this
  /// tick's rewards live from choose() to learn().
  template <class IO>
  void state(IO& io) {
    // Each record's first `learned` bytes, agent after agent, copied straight between
    // the records and the checkpoint (a million agents: 18 MB, no temporary).
    static_assert(offsetof(record, q) == 0 && offsetof(record, tries) == sizeof(float) * arms);
    constexpr size_t learned = sizeof(float) * arms + sizeof(uint16_t) * arms;
    uint64_t n = agent_.size();
    io(n);
    if (io.loading() && n != agent_.size())
      throw std::runtime_error("a checkpoint of " + std::to_string(n) + " agents for a block of " +
                               std::to_string(agent_.size()));
    char* p = io.span(size_t(n) * learned);
    if (!p) return;  // only counting
    for (size_t i = 0; i < agent_.size(); ++i, p += learned) {
      if (io.loading())
        std::memcpy(static_cast<void*>(&agent_[i]), p, learned);
      else
        std::memcpy(p, static_cast<const void*>(&agent_[i]), learned);
    }
  }

 private:
  agent_config cfg_;
  std::shared_ptr<const catalog> cat_;
  int64_t first_;
  /// What choose() and learn() read of one agent, in one 32-byte record: one cache line
  /// per agent instead of one per array (and no line shared when a caller visits the
  /// agents out of their slot order).
  struct alignas(32) record {
    float q[arms];            ///< strategy values
    uint16_t tries[arms];     ///< saturating
    /// This tick's strategy (bits 0-1), + faithful when its choice cost the principal
    /// nothing (the intrinsic reward is due); idle between ticks.
    int8_t played = idle;
    float commission = 0;     ///< commission strength
    float alignment = 0;      ///< prior alignment
    int32_t brand = 0;        ///< preferred brand
  };
  static constexpr int8_t idle = -1, faithful = 4;
  static_assert(sizeof(record) == 32);
  std::vector<record> agent_;     ///< by slot
  /// This tick's material reward so far (commission, payments, penalties), by slot; zero
  /// between ticks.
  std::vector<float> material_;
  std::vector<int32_t> slot_of_;  ///< local id -> slot; empty: the same
};

}  // namespace oversight

namespace oversight {

/// `total` ids split into `shards` contiguous blocks of near-equal size: block s holds
/// [first(s), first(s + 1)). The split depends only on (total, shards), never on threads.
struct block_split {
  int64_t total = 0;
  int shards = 1;
  int64_t first(int s) const { return total * s / shards; }
  int64_t count(int s) const { return first(s + 1) - first(s); }
  int shard_of(int64_t id) const {
    int s = int(id * shards / total);  // a guess, off by at most one
    while (s > 0 && id < first(s)) --s;
    while (s + 1 < shards && id >= first(s + 1)) ++s;
    return s;
  }
};

}  // namespace oversight
