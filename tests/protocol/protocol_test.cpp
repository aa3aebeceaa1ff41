// Every message type survives serialization (what crossing a process boundary needs),
// both alone and inside a caf::message, which also proves it is registered.
#include <catch2/catch.hpp>

#include <cstring>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/protocol.hpp"
#include "tests/support/round_trip.hpp"

using namespace oversight;
using oversight::testing::message_round_trip;

namespace {

template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(x));
  T y;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(y));
  return y;
}


bool same(const judgment_batch& a, const judgment_batch& b) {
  return a.options == b.options && a.p_ok == b.p_ok && a.fail_dim == b.fail_dim && a.confidence == b.confidence &&
         a.uncertainty == b.uncertainty && a.score == b.score;
}

}  // namespace

TEST_CASE("protocol: every message type round-trips through CAF's binary serializer", "[protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};

  query_batch q{3, {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}};
  for (auto& r : {round_trip(sys, q), message_round_trip(sys, q)}) {
    CHECK(r.dim == 3);
    CHECK(r.x == q.x);
    CHECK(r.rows() == 2);
  }
  response_batch resp{4, {1, 3}, {0.1f, 0.2f, 0.3f, 0.4f, 0.25f, 0.25f, 0.25f, 0.25f}};
  auto resp2 = message_round_trip(sys, resp);
  CHECK((resp2.options == 4 && resp2.action == resp.action && resp2.prob == resp.prob));

  judgment_batch j{4, {0.3f}, {value_dim::harmless}, {0.6f}, {0.05f}, {0.3f, 0.9f, 0.1f, 0.5f}};
  CHECK(same(message_round_trip(sys, j), j));

  label_request req{7, label_kind::pairwise, {0.5f, -0.5f}, 2, 3};
  auto req2 = message_round_trip(sys, req);
  CHECK((req2.id == 7 && req2.kind == label_kind::pairwise && req2.x == req.x && req2.a == 2 && req2.b == 3));

  expert_label l{9, 1, label_kind::pointwise, {1.f}, 2, -1, {1, 0, 1}, 0};
  label_batch lb{{l, l}};
  auto lb2 = message_round_trip(sys, lb);
  REQUIRE(lb2.labels.size() == 2);
  CHECK((lb2.labels[1].id == 9 && lb2.labels[1].ok == l.ok && lb2.labels[1].expert == 1));

  train_batch tb;
  tb.dim = 2;
  tb.x = {1.f, 2.f};
  tb.a = {1};
  tb.b = {-1};
  tb.width = 3;
  tb.target = {1.f, 0.f, 1.f};
  auto tb2 = message_round_trip(sys, tb);
  CHECK((tb2.dim == 2 && tb2.x == tb.x && tb2.a == tb.a && tb2.b == tb.b && tb2.target == tb.target));

  param_blob p{{0.5f, -1.25f}};
  CHECK(message_round_trip(sys, p).values == p.values);

  metric_batch mb{{{3, "learner", "true_failure_rate", 0.125}}};
  auto mb2 = message_round_trip(sys, mb);
  REQUIRE(mb2.rows.size() == 1);
  CHECK((mb2.rows[0].tick == 3 && mb2.rows[0].actor == "learner" && mb2.rows[0].value == 0.125));
}

TEST_CASE("protocol: packed fields are a count and the bytes, and refuse a forged count", "[protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};

  // The bytes: the element count as CAF writes a sequence's size, then the elements as
  // they are in memory, nothing between them.
  param_blob p{{0.5f, -1.25f, 3.0f}};
  std::vector<char> buf;
  {
    caf::binary_serializer sink{sys, buf};
    REQUIRE(!sink(p));
  }
  std::vector<char> count;
  {
    caf::binary_serializer sink{sys, count};
    size_t three = 3;
    REQUIRE(!sink.begin_sequence(three));
  }
  REQUIRE(buf.size() == count.size() + 3 * sizeof(float));
  CHECK(std::equal(count.begin(), count.end(), buf.begin()));
  CHECK(std::memcmp(buf.data() + count.size(), p.values.data(), 3 * sizeof(float)) == 0);
  CHECK(round_trip(sys, p).values == p.values);

  // Every kind of number, empty vectors included, and a vector larger than one chunk.
  train_batch tb;
  tb.dim = 1;
  tb.x.resize(300'000);
  for (size_t i = 0; i < tb.x.size(); ++i) tb.x[i] = float(i) * 0.25f - 7.f;
  tb.a = {-3, 0, 1 << 30};
  tb.width = 0;
  const auto tb2 = round_trip(sys, tb);
  CHECK((tb2.x == tb.x && tb2.a == tb.a && tb2.b.empty() && tb2.target.empty()));
  role_state bytes{{'a', '\0', char(0xff)}};
  CHECK(round_trip(sys, bytes) == bytes);

  // A count far beyond the bytes that follow: an error, not an allocation of its size.
  std::vector<char> forged;
  {
    caf::binary_serializer sink{sys, forged};
    size_t huge = size_t(1) << 31;  // 8 GB of floats (a sequence's size travels as 32 bits)
    REQUIRE(!sink.begin_sequence(huge));
  }
  forged.insert(forged.end(), 64, '\x01');
  param_blob out;
  caf::binary_deserializer source{sys, forged};
  CHECK(source(out));  // an error
  CHECK(out.values.capacity() * sizeof(float) <= (size_t(1) << 20));

  // Other inspectors see the vector itself.
  const std::string text = caf::deep_to_string(param_blob{{0.5f, 2.f}});
  INFO(text);
  CHECK(text == "param_blob([0.500000, 2.000000])");
}
