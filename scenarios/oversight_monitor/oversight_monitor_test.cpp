// The oversight_monitor scenario: how the catch rate moves with monitor quality and the
// human budget (a small grid over three seeds), the review-order claim over 8 seeds, and
// rates with an empty denominator left unrecorded rather than written as 0; and its
// messages survive serialization.
#include <catch2/catch.hpp>

#include "runtime/protocol.hpp"
#include "scenarios/oversight_monitor/messages.hpp"
#include "tests/support/claim_run.hpp"
#include "tests/support/round_trip.hpp"
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

// Claim: with scarce reviewers, most-suspicious-first review catches more than FIFO.
// Measured at this size (40 ticks, seeds 1..8): 0.50 against 0.33. Fails when reviewers
// are not scarce (--set human.throughput=50: every flag is reviewed either way and the
// difference is near 0).
TEST_CASE("oversight_monitor claim: ranking the queue by suspicion catches more when humans are scarce",
          "[scenario][oversight_monitor][claim]") {
  const auto file =
      std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/oversight_monitor/claims/review_order.toml";
  const auto v = oversight::testing::run_claim_file(file, {"ticks=40"}, "1..8");
  INFO(oversight::testing::describe(v));
  REQUIRE(v.holds);
}

TEST_CASE("oversight_monitor: a rate with nothing in its denominator is not recorded, and never recorded as 0",
          "[scenario][oversight_monitor]") {
  SECTION("no violations: no catch_rate row at all") {
    auto m = run_om(1, {"ticks=6", "stream.violation_rate=0"});
    REQUIRE(m.at("false_flags").back() > 0);  // the monitors ran and flagged benign responses
    CHECK(m.count("catch_rate") == 0);
    CHECK(m.at("violations_caught").back() == 0);
  }
  SECTION("no reviewers: no human_load row; catch_rate is a real 0 once violations have gone through") {
    auto m = run_om(1, {"ticks=6", "human.count=0"});
    CHECK(m.count("human_load") == 0);
    REQUIRE(m.count("catch_rate") == 1);
    CHECK(m.at("violations_missed").back() > 0);
    for (double r : m.at("catch_rate")) CHECK(r == 0.0);
  }
  SECTION("catch_rate is recorded exactly on the ticks with a resolved violation, as caught / resolved") {
    // Rare violations (about one every 10 ticks), so runs start with ticks to skip.
    size_t skipped = 0, recorded = 0;
    for (uint64_t seed : {1, 2, 3}) {
      auto m = run_om(seed, {"stream.responses_per_tick=10", "stream.violation_rate=0.01"});
      const auto& caught = m.at("violations_caught");
      const auto& missed = m.at("violations_missed");
      std::vector<double> expected;
      for (size_t t = 0; t < caught.size(); ++t)
        if (caught[t] + missed[t] > 0) expected.push_back(caught[t] / (caught[t] + missed[t]));
      const std::vector<double> got = m.count("catch_rate") ? m.at("catch_rate") : std::vector<double>{};
      INFO("seed " << seed << ": ticks with a resolved violation: " << expected.size() << " of " << caught.size());
      REQUIRE(got.size() == expected.size());
      for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]));
      skipped += caught.size() - expected.size();
      recorded += expected.size();
    }
    CHECK(skipped > 0);   // the empty ticks were there to skip...
    CHECK(recorded > 0);  // ...and so were rates to record
  }
}

// Inside a caf::message (what crossing a process boundary needs), which also proves they
// are registered.
TEST_CASE("oversight_monitor: its messages round-trip", "[oversight_monitor][protocol]") {
  using oversight::testing::message_round_trip;
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};

  const response_items ri{{1, 2}, {0, 1}, {0.1f, 0.9f}};
  CHECK(message_round_trip(sys, ri) == ri);
  const flag_batch fb{{-0.5f, 2.5f}, {0, 1}};
  CHECK(message_round_trip(sys, fb) == fb);
}
