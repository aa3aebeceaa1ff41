// The oversight_monitor message types survive serialization inside a caf::message (what
// crossing a process boundary needs), which also proves they are registered.
#include <catch2/catch.hpp>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/protocol.hpp"
#include "tests/support/round_trip.hpp"

using namespace oversight;
using oversight::testing::message_round_trip;

TEST_CASE("protocol: oversight_monitor messages round-trip", "[protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};

  response_items ri{{1, 2}, {0, 1}, {0.1f, 0.9f}};
  auto ri2 = message_round_trip(sys, ri);
  CHECK((ri2.id == ri.id && ri2.violation == ri.violation && ri2.subtlety == ri.subtlety));
  flag_batch fb{{-0.5f, 2.5f}, {0, 1}};
  auto fb2 = message_round_trip(sys, fb);
  CHECK((fb2.suspicion == fb.suspicion && fb2.flagged == fb.flagged));
}
