// The oversight_monitor scenario's outcome on a small grid over three seeds (issue 5:
// "how the catch rate moves with monitor quality and human budget").
#include <catch2/catch.hpp>

#include "tests/support/scenario_run.hpp"

using namespace oversight;

namespace {

using oversight::testing::metric_series;

metric_series run_om(uint64_t seed, std::vector<std::string> sets) {
  sets.insert(sets.begin(), "ticks=40");
  return oversight::testing::run_scenario_file("scenarios/oversight_monitor/oversight_monitor.toml", seed, sets);
}

}  // namespace

TEST_CASE("oversight_monitor: the catch rate rises with monitor quality and with the human budget",
          "[scenario][oversight_monitor]") {
  // Grid: critic quality 0.3 / 0.9 x human throughput 2 / 15 per reviewer (2 reviewers).
  for (uint64_t seed : {1, 2, 3}) {
    double rate[2][2], queue[2][2], load[2][2];
    const char* quality[2] = {"monitor.quality=0.3", "monitor.quality=0.9"};
    const char* budget[2] = {"human.throughput=2", "human.throughput=15"};
    for (int q = 0; q < 2; ++q)
      for (int b = 0; b < 2; ++b) {
        auto m = run_om(seed, {quality[q], budget[b]});
        rate[q][b] = m.at("catch_rate").back();
        queue[q][b] = m.at("queue_length").back();
        load[q][b] = m.at("human_load").back();
        REQUIRE(m.at("false_flags").back() > 0);
      }
    INFO("seed " << seed << ": catch rate [quality 0.3, 0.9] x [budget 4, 30 per tick]: " << rate[0][0] << " "
                 << rate[0][1] << " / " << rate[1][0] << " " << rate[1][1] << "; queue " << queue[0][0] << " "
                 << queue[1][1] << "; load " << load[0][0] << " " << load[1][1]);
    // A better monitor catches more at either budget...
    for (int b = 0; b < 2; ++b) CHECK(rate[1][b] > rate[0][b]);
    // ...but the human budget caps what it can deliver: with 4 reviews a tick for about
    // 10 violations a tick, at most ~38% can be caught however good the ranking is, so
    // monitor quality pays several times more with the larger budget.
    CHECK(rate[1][1] - rate[0][1] > 2 * (rate[1][0] - rate[0][0]));
    CHECK(rate[1][1] - rate[0][1] > 0.2);
    for (int q = 0; q < 2; ++q) CHECK(rate[q][1] > rate[q][0] + 0.1);  // more humans, more caught
    CHECK(load[0][0] == 1.0);  // the small budget is saturated: the queue is the bottleneck
    CHECK(queue[0][0] > queue[0][1]);
  }
}
