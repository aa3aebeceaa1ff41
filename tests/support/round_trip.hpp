// Serializes a value inside a caf::message and reads it back: what crossing a process
// boundary does, and a check that the type is registered.
#pragma once

#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

namespace oversight::testing {

template <class T>
T message_round_trip(caf::actor_system& sys, const T& x) {
  auto msg = caf::make_message(x);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(msg));
  caf::message back;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(back));
  REQUIRE(back.match_element<T>(0));
  return back.get_as<T>(0);
}

}  // namespace oversight::testing
