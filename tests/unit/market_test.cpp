// policies/market.hpp: the split of a population into shards, purchase tasks, agents' choices.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "base/state_io.hpp"
#include "policies/market.hpp"

using namespace oversight;

TEST_CASE("market: block_split covers every id exactly once and shard_of agrees with first", "[unit][market]") {
  for (auto [total, shards] : {std::pair<int64_t, int>{10, 3}, {7, 7}, {100000, 8}, {1001, 13}}) {
    block_split b{total, shards};
    CHECK(b.first(0) == 0);
    CHECK(b.first(shards) == total);
    for (int s = 0; s < shards; ++s) CHECK(b.count(s) >= total / shards);
    for (int64_t id = 0; id < total; ++id) {
      const int s = b.shard_of(id);
      INFO("total " << total << " shards " << shards << " id " << id << " shard " << s);
      REQUIRE(b.first(s) <= id);
      REQUIRE(id < b.first(s + 1));
    }
  }
}

TEST_CASE("market: a task offers distinct products and remembers the principal's utilities", "[unit][market]") {
  market_config mc;
  rng r(1, "test");
  auto cat = std::make_shared<const catalog>(catalog::generate(mc, r));
  principal_block pb(mc, cat, 0, 50, r);
  std::vector<product_id> products(size_t(mc.candidates));
  std::vector<float> utility(size_t(mc.candidates));
  for (size_t i = 0; i < pb.size(); ++i) {
    pb.make_task(i, r, products.data(), utility.data());
    auto sorted = products;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    for (int k = 0; k < mc.candidates; ++k) CHECK(pb.utility(i, k) == utility[size_t(k)]);
    CHECK(pb.best_utility(i) == *std::max_element(utility.begin(), utility.end()));
  }
}

TEST_CASE("market: agents without private incentives never override and unwatched agents with them learn to",
          "[unit][market]") {
  market_config mc;
  rng r(2, "test");
  auto cat = std::make_shared<const catalog>(catalog::generate(mc, r));
  principal_block pb(mc, cat, 0, 200, r);
  auto overrides_after = [&](agent_config ac, int ticks) {
    agent_block ab(ac, cat, 0, 200, r);
    std::vector<product_id> products(size_t(mc.candidates));
    std::vector<float> utility(size_t(mc.candidates));
    int overrides = 0;
    for (int t = 0; t < ticks; ++t) {
      overrides = 0;
      for (size_t i = 0; i < ab.size(); ++i) {
        pb.make_task(i, r, products.data(), utility.data());
        float gap = 0;
        ab.choose(i, products.data(), utility.data(), mc.candidates, r, gap);
        overrides += gap > 0;
        ab.feedback(i, 1.0f);  // always paid, never punished
      }
      ab.learn();
    }
    return overrides;
  };
  agent_config none;
  none.commission_max = 0;
  none.brand_bonus = 0;
  CHECK(overrides_after(none, 10) == 0);  // every strategy is the faithful choice
  agent_config greedy;
  greedy.alignment_mean = 0;
  greedy.epsilon = 0;
  CHECK(overrides_after(greedy, 30) > 100);  // unwatched, most of 200 agents override
}

TEST_CASE("market: the 8-candidate pick is pick_of's, ties included", "[unit][market]") {
  // Values from small sets, so that equal gains and equal utilities (the tie-breaks) are
  // common; every strategy, and hedge weights that make the loss matter or not.
  rng r(3, "test");
  const double gains[] = {0.0, 0.5, 0.75, 1.5, 2.25};
  const float utilities[] = {-0.25f, 0.0f, 0.125f, 0.3f, 0.3125f, 0.5f};
  int cases = 0, ties = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    double gain[8];
    float utility[8];
    for (int k = 0; k < 8; ++k) {
      gain[k] = gains[r.below(5)];
      utility[k] = utilities[r.below(6)] + (r.bernoulli(0.5) ? float(r.uniform()) : 0.0f);
    }
    const float best_u = *std::max_element(utility, utility + 8);
    for (int arm = 0; arm < agent_block::arms; ++arm)
      for (double w : {0.0, 0.5, 5.0}) {
        const int reference = agent_block::pick_of(arm, w, gain, utility, 8, best_u);
        INFO("trial " << trial << " arm " << arm << " hedge weight " << w);
        REQUIRE(agent_block::pick_of_8(arm, w, gain, utility, best_u) == reference);
        ++cases;
        for (int k = 0; k < 8; ++k) ties += k != reference && gain[k] == gain[reference] && utility[k] == utility[reference];
      }
  }
  CHECK(cases == 20000 * 9);
  CHECK(ties > 1000);  // full ties, where only the candidates' order decides, were tested
}

TEST_CASE("market: pick_of follows each strategy", "[unit][market]") {
  const double gain[] = {0.0, 2.0, 1.0, 2.0};
  const float utility[] = {0.9f, 0.1f, 0.8f, 0.5f};
  CHECK(agent_block::pick_of(0, 5.0, gain, utility, 4, 0.9f) == 0);  // faithful: the best utility
  CHECK(agent_block::pick_of(1, 5.0, gain, utility, 4, 0.9f) == 3);  // selfish: gain 2, the better utility of the two
  CHECK(agent_block::pick_of(2, 5.0, gain, utility, 4, 0.9f) == 2);  // hedge: 1 - 5 x 0.1 beats 2 - 5 x 0.4 and 0
  CHECK(agent_block::pick_of(2, 0.0, gain, utility, 4, 0.9f) == 3);  // hedge without weight: selfish
}

TEST_CASE("market: an arranged agent block's checkpoint restores its values and tries, and nothing else", "[unit][market]") {
  market_config mc;
  rng r(4, "test");
  auto cat = std::make_shared<const catalog>(catalog::generate(mc, r));
  principal_block pb(mc, cat, 0, 40, r);
  std::vector<int32_t> order(40);
  for (int32_t i = 0; i < 40; ++i) order[size_t(i)] = (i * 7) % 40;
  rng init_a(5, "agents"), init_b(5, "agents");
  agent_block a(agent_config{}, cat, 100, 40, init_a, order);
  agent_block b(agent_config{}, cat, 100, 40, init_b, order);
  std::vector<product_id> products(size_t(mc.candidates));
  std::vector<float> utility(size_t(mc.candidates));
  rng decide(6, "decide");
  auto tick = [&](agent_block& block, rng& d) {
    for (size_t slot = 0; slot < block.size(); ++slot) {
      pb.make_task(slot, r, products.data(), utility.data());
      float gap = 0;
      block.choose(slot, products.data(), utility.data(), mc.candidates, d, gap);
      block.feedback(slot, gap > 0 ? -4.0f : 1.0f);
    }
    return block.learn();
  };
  for (int t = 0; t < 5; ++t) tick(a, decide);

  auto size = state_io::sizer();
  a.state(size);
  auto out = state_io::writer(size.size());
  a.state(out);
  CHECK(out.size() == size.size());
  CHECK(out.size() == sizeof(uint64_t) + 40 * 18);
  auto in = state_io::reader(out.take(), "agent block");
  b.state(in);
  in.finish();
  for (size_t slot = 0; slot < 40; ++slot)
    for (int arm = 0; arm < agent_block::arms; ++arm) CHECK(b.values(slot)[arm] == a.values(slot)[arm]);
  // The same tries too: the two blocks go on identically.
  rng d1(7, "decide"), d2(7, "decide");
  rng saved = r;
  const double gain_a = tick(a, d1);
  r = saved;
  const double gain_b = tick(b, d2);
  CHECK(gain_a == gain_b);
  for (size_t slot = 0; slot < 40; ++slot)
    for (int arm = 0; arm < agent_block::arms; ++arm) CHECK(b.values(slot)[arm] == a.values(slot)[arm]);

  // A checkpoint of another block size is refused, naming both sizes.
  agent_block small(agent_config{}, cat, 0, 10, init_a);
  auto other = state_io::writer();
  small.state(other);
  auto wrong = state_io::reader(other.take(), "agent block");
  CHECK_THROWS_WITH(b.state(wrong), Catch::Contains("a checkpoint of 10 agents for a block of 40"));
}
