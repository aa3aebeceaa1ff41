// The principal_agent scenario's outcomes on a small configuration: the override-rate
// claim over 8 seeds, the trend's shape and the audits over three; and its messages
// survive serialization.
#include <catch2/catch.hpp>

#include "runtime/protocol.hpp"
#include "scenarios/principal_agent/agent.hpp"
#include "scenarios/principal_agent/messages.hpp"
#include "scenarios/principal_agent/principal.hpp"
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

  order_batch o{2, {1, 3}, {0.25f, -0.5f}};
  std::vector<order_batch> os{o, order_batch{}};
  CHECK(message_round_trip(sys, os) == os);

  decisions d{{choice_batch{{1, 0}}, choice_batch{}}, audit_batch{{0.75f, 0.0f}}};
  CHECK(message_round_trip(sys, d) == d);
  std::vector<choice_batch> cs{choice_batch{{1}}};
  CHECK(message_round_trip(sys, cs) == cs);
  std::vector<audit_batch> as{audit_batch{{0.75f}}};
  CHECK(message_round_trip(sys, as) == as);

  agent_feedback fb{{feedback_batch{{1.0f, -4.0f}}}, penalty_batch{{9}, 4.0f}};
  CHECK(message_round_trip(sys, fb) == fb);

  principal_report pr;
  pr.feedback = {feedback_batch{{1.0f}}};
  pr.transactions = 3;
  pr.overrides = 2;
  pr.observed = 1;
  pr.caught = 1;
  pr.welfare = 0.5;
  CHECK(message_round_trip(sys, pr) == pr);

  const audit_report ar{4, {{9, 11}, {}}};
  CHECK(message_round_trip(sys, ar) == ar);
  const agent_report gr{7, 1.5};
  CHECK(message_round_trip(sys, gr) == gr);
}

// Rows travel without ids (row r answers row r), so a batch of the wrong shape must be
// an error naming the shard, never a read out of bounds.
TEST_CASE("principal_agent: shards refuse batches of the wrong shape", "[principal_agent][protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  market_config mc;
  rng world(1, "market");
  auto cat = std::make_shared<const catalog>(catalog::generate(mc, world));
  const block_split split{10, 2};
  principal_settings ps;
  ps.market = mc;
  auto principal = spawn_principal_shard(sys, ps, cat, split, split, 0, {5, 1, 7, 2, 9}, 1);
  // Agents 5, 7, 9 (local 0, 2, 4 of agent shard 1) are the agents of principals 0, 2, 4
  // of principal shard 0; agents 6 and 8 (local 1, 3) those of two principals of shard 1.
  auto agent = spawn_agent_shard(sys, agent_config{}, cat, split, 1, {{0, 2, 4}, {3, 1}}, 1);
  CHECK_THROWS_WITH(spawn_agent_shard(sys, agent_config{}, cat, split, 1, {{0, 5}, {}}, 1),
                    Catch::Contains("agent shard 1: a route names local agent 5 of 5"));
  CHECK_THROWS_WITH(spawn_agent_shard(sys, agent_config{}, cat, split, 1, {{0, 2, 4}, {3, 1, 3}}, 1),
                    Catch::Contains("agent shard 1: local agent 3 is on two routes"));
  CHECK_THROWS_WITH(spawn_agent_shard(sys, agent_config{}, cat, split, 1, {{0, 2, 4}, {3}}, 1),
                    Catch::Contains("agent shard 1: local agent 1 is on no route"));
  caf::scoped_actor self{sys};
  // The error a request ends in ("no error" when it is answered).
  auto expect_error = [&]<class Reply>(Reply*, auto handle, auto... xs) {
    std::string why;
    self->request(handle, caf::infinite, xs...)
        .receive([&](Reply&) { why = "no error"; }, [&](caf::error& e) { why = sys.render(e); });
    return why;
  };
  principal_report* settled = nullptr;
  decisions* decided = nullptr;
  agent_report* learned = nullptr;
  // Orders for agents 5, 7, 9 go to agent shard 1; 1 and 2 to shard 0.
  std::vector<order_batch> orders;
  self->request(principal, caf::infinite, order_atom::value, int64_t(0))
      .receive([&](std::vector<order_batch>& o) { orders = std::move(o); }, [](caf::error&) {});
  REQUIRE(orders.size() == 2);
  CHECK(orders[0].rows() == 2);
  CHECK(orders[1].rows() == 3);

  // Choices for 2 orders where 3 were sent, from agent shard 1.
  std::vector<choice_batch> short_choices{choice_batch{{0, 0}}, choice_batch{{0, 0}}};
  CHECK_THAT(expect_error(settled, principal, settle_atom::value, int64_t(0), short_choices),
             Catch::Contains("agent shard 1 chose for 2 orders, it was sent 3"));
  // A candidate index past the task's candidates.
  std::vector<choice_batch> bad_pick{choice_batch{{0, 0}}, choice_batch{{0, 200, 0}}};
  CHECK_THAT(expect_error(settled, principal, settle_atom::value, int64_t(0), bad_pick), Catch::Contains("chose candidate 200"));
  // Two rows for principal shard 1's route to agent shard 1 (what its principals would send).
  order_batch two = orders[1];
  two.product.resize(2 * size_t(two.candidates));
  two.utility.resize(2 * size_t(two.candidates));
  // Orders with other rows than the route has (2 where agent shard 1 expects 3).
  std::vector<order_batch> misrouted{orders[0], two};
  CHECK_THAT(expect_error(decided, agent, decide_atom::value, int64_t(0), misrouted),
             Catch::Contains("malformed orders from principal shard 0 (16 product ids and 16 utilities for 3 rows"));
  // Orders whose candidate columns do not match their rows.
  std::vector<order_batch> ragged{orders[1], two};
  ragged[0].utility.pop_back();
  CHECK_THAT(expect_error(decided, agent, decide_atom::value, int64_t(0), ragged),
             Catch::Contains("malformed orders from principal shard 0"));
  // No orders where the route expects two.
  std::vector<order_batch> missing{orders[1], order_batch{}};
  CHECK_THAT(expect_error(decided, agent, decide_atom::value, int64_t(0), missing),
             Catch::Contains("malformed orders from principal shard 1 (0 product ids and 0 utilities for 2 rows"));
  // Feedback for fewer rows than were ordered.
  std::vector<order_batch> fine{orders[1], two};
  decisions made;
  self->request(agent, caf::infinite, decide_atom::value, int64_t(0), fine)
      .receive([&](decisions& d) { made = std::move(d); }, [](caf::error&) { FAIL("decide failed"); });
  // A record per row, principal shard by principal shard.
  CHECK(made.records.rows() == 5);
  agent_feedback short_feedback{{feedback_batch{{1.0f}}, feedback_batch{{1.0f, 1.0f}}}, penalty_batch{}};
  CHECK_THAT(expect_error(learned, agent, learn_atom::value, short_feedback),
             Catch::Contains("feedback for 1 orders from principal shard 0, which sent 3"));
  // An auditor's flag for a row the shard does not have.
  agent_feedback bad_flag{{feedback_batch{{1.0f, 1.0f, 1.0f}}, feedback_batch{{1.0f, 1.0f}}}, penalty_batch{{7}, 4.0f}};
  CHECK_THAT(expect_error(learned, agent, learn_atom::value, bad_flag),
             Catch::Contains("agent shard 1: a flag for row 7 of its 5 transactions"));
  for (auto& h : {caf::actor_cast<caf::actor>(principal), caf::actor_cast<caf::actor>(agent)})
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
}
