// The principal_agent scenario's outcomes on a small configuration: the override-rate
// claim over 8 seeds, the trend's shape and the audits over three; and its messages
// survive serialization.
#include <catch2/catch.hpp>

#include "runtime/protocol.hpp"
#include "scenarios/principal_agent/messages.hpp"
#include "tests/support/claim_run.hpp"
#include "tests/support/round_trip.hpp"
#include "tests/support/scenario_run.hpp"

using namespace oversight;

namespace {

using oversight::testing::mean_of_last;
using oversight::testing::metric_series;

/// Runs principal_agent (1000 principals and agents, 3 shards, 40 ticks) with overrides.
metric_series run_pa(uint64_t seed, std::vector<std::string> sets) {
  sets.insert(sets.begin(), {"population=1000", "shards=3", "ticks=40"});
  return oversight::testing::run_scenario_file("scenarios/principal_agent/principal_agent.toml", seed, sets);
}

}  // namespace

// Claim: the override rate at observe_prob 0.9 is more than 0.1 below its rate at 0.1.
// Measured at this size (seeds 1..8): 0.022 against 0.30. Fails when seeing has no
// consequence for the agent (--set principal.fee=0 principal.penalty=0: the difference
// is then near 0).
TEST_CASE("principal_agent claim: agents override less when principals see more",
          "[scenario][principal_agent][claim]") {
  const auto file = std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/principal_agent/claims/observe_prob.toml";
  const auto v = oversight::testing::run_claim_file(file, {"population=1000", "shards=3", "ticks=40"}, "1..8");
  INFO(oversight::testing::describe(v));
  REQUIRE(v.holds);
}

TEST_CASE("principal_agent: the override rate falls as the principal sees more (observe_prob)",
          "[scenario][principal_agent]") {
  const std::vector<double> ps{0.1, 0.5, 0.9};
  for (uint64_t seed : {1, 2, 3}) {
    std::vector<double> rate, welfare;
    for (double p : ps) {
      auto m = run_pa(seed, {"principal.observe_prob=" + std::to_string(p)});
      rate.push_back(mean_of_last(m.at("override_rate"), 10));
      welfare.push_back(mean_of_last(m.at("principal_welfare"), 10));
    }
    INFO("seed " << seed << ": override rate at p = 0.1, 0.5, 0.9: " << rate[0] << ", " << rate[1] << ", "
                 << rate[2] << "; welfare " << welfare[0] << ", " << welfare[1] << ", " << welfare[2]);
    CHECK(rate[0] > rate[1]);
    CHECK(rate[1] > rate[2]);
    CHECK(welfare[2] > welfare[0]);  // what the principals get back for seeing more
  }
}

TEST_CASE("principal_agent: auditors lower the override rate at the cost they report",
          "[scenario][principal_agent]") {
  const int64_t population = 1000, ticks = 40;
  const double rate = 0.3, cost = 2.0;
  for (uint64_t seed : {1, 2, 3}) {
    auto off = run_pa(seed, {"principal.observe_prob=0.1", "audit.rate=0"});
    auto on = run_pa(seed, {"principal.observe_prob=0.1", "audit.rate=" + std::to_string(rate),
                            "audit.cost=" + std::to_string(cost)});
    const double r_off = mean_of_last(off.at("override_rate"), 10);
    const double r_on = mean_of_last(on.at("override_rate"), 10);
    const double spent = on.at("audits_spent").back();
    const double expected = rate * double(population * ticks) * cost;
    INFO("seed " << seed << ": override rate without audits " << r_off << ", with " << r_on << "; audits spent "
                 << spent << " (expected about " << expected << ")");
    CHECK(r_on <= 0.75 * r_off);
    CHECK(off.at("audits_spent").back() == 0.0);
    CHECK(spent == Approx(expected).epsilon(0.05));
  }
}

// Inside a caf::message (what crossing a process boundary needs), which also proves they
// and the vectors the shard interfaces reply with are registered.
TEST_CASE("principal_agent: its messages round-trip", "[principal_agent][protocol]") {
  using oversight::testing::message_round_trip;
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};

  order_batch o{2, {5}, {9}, {1, 3}, {0.25f, -0.5f}};
  std::vector<order_batch> os{o, order_batch{}};
  CHECK(message_round_trip(sys, os) == os);

  std::vector<decision_batch> ds{decision_batch{{5}, {9}, {1}, {0.75f}}};
  CHECK(message_round_trip(sys, ds) == ds);

  principal_report pr;
  pr.feedback = {feedback_batch{{9}, {1.0f}, {0.0f}}};
  pr.transactions = 3;
  pr.overrides = 2;
  pr.observed = 1;
  pr.caught = 1;
  pr.welfare = 0.5;
  CHECK(message_round_trip(sys, pr) == pr);

  const audit_report ar{4, {9, 11}};
  CHECK(message_round_trip(sys, ar) == ar);
  const agent_report gr{7, 1.5};
  CHECK(message_round_trip(sys, gr) == gr);
}
