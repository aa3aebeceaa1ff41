// The principal_agent and oversight_monitor message types survive serialization inside
// a caf::message (what crossing a process boundary needs), which also proves they and
// the vectors the shard interfaces reply with are registered.
#include <catch2/catch.hpp>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/protocol.hpp"
#include "tests/support/round_trip.hpp"

using namespace oversight;
using oversight::testing::message_round_trip;

TEST_CASE("protocol: principal_agent and oversight_monitor messages round-trip", "[protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};

  order_batch o{2, {5}, {9}, {1, 3}, {0.25f, -0.5f}};
  std::vector<order_batch> os{o, order_batch{}};
  auto os2 = message_round_trip(sys, os);
  REQUIRE(os2.size() == 2);
  CHECK((os2[0].candidates == 2 && os2[0].principal == o.principal && os2[0].agent == o.agent &&
         os2[0].product == o.product && os2[0].utility == o.utility));

  decision_batch d{{5}, {9}, {1}, {0.75f}};
  auto ds = message_round_trip(sys, std::vector<decision_batch>{d});
  REQUIRE(ds.size() == 1);
  CHECK((ds[0].principal == d.principal && ds[0].agent == d.agent && ds[0].choice == d.choice && ds[0].gap == d.gap));

  principal_report pr;
  pr.feedback = {feedback_batch{{9}, {1.0f}, {0.0f}}};
  pr.transactions = 3;
  pr.overrides = 2;
  pr.observed = 1;
  pr.caught = 1;
  pr.welfare = 0.5;
  auto pr2 = message_round_trip(sys, pr);
  REQUIRE(pr2.feedback.size() == 1);
  CHECK((pr2.feedback[0].agent == pr.feedback[0].agent && pr2.feedback[0].payment == pr.feedback[0].payment &&
         pr2.transactions == 3 && pr2.overrides == 2 && pr2.observed == 1 && pr2.caught == 1 && pr2.welfare == 0.5));

  auto ar = message_round_trip(sys, audit_report{4, {9, 11}});
  CHECK((ar.audited == 4 && ar.caught == std::vector<int32_t>{9, 11}));
  auto gr = message_round_trip(sys, agent_report{7, 1.5});
  CHECK((gr.transactions == 7 && gr.gain == 1.5));

  response_items ri{{1, 2}, {0, 1}, {0.1f, 0.9f}};
  auto ri2 = message_round_trip(sys, ri);
  CHECK((ri2.id == ri.id && ri2.violation == ri.violation && ri2.subtlety == ri.subtlety));
  flag_batch fb{{-0.5f, 2.5f}, {0, 1}};
  auto fb2 = message_round_trip(sys, fb);
  CHECK((fb2.suspicion == fb.suspicion && fb2.flagged == fb.flagged));
}
