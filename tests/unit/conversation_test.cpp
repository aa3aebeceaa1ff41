// The conversation behind every tick_handle: phases end only when every request, and
// every request their continuations asked, has replied; gathers keep target order
// whatever the arrival order; the first failure ends the conversation once.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

#include "actors/director/conversation.hpp"
#include "runtime/protocol.hpp"

using namespace oversight;

namespace {

using echo_actor = caf::typed_actor<caf::replies_to<int32_t>::with<int32_t>>;

/// Replies x + offset; throws on x < 0 (a role that fails its request).
echo_actor::behavior_type echo(echo_actor::pointer, int32_t offset) {
  return {[offset](int32_t x) -> int32_t {
    if (x < 0) throw std::runtime_error("negative");
    return x + offset;
  }};
}

struct outcome {
  std::vector<int32_t> gathered;
  int32_t chained = 0;
  int failures = 0;
  bool finished = false;
};

}  // namespace

TEST_CASE("conversation: phases wait for chained requests, gathers keep target order, failures end it once",
          "[unit][conversation]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 4);
  caf::actor_system sys{cfg};
  std::vector<echo_actor> targets;
  for (int32_t i = 0; i < 8; ++i) targets.push_back(sys.spawn(echo, 100 * i));
  auto result = std::make_shared<outcome>();

  SECTION("success") {
    caf::scoped_actor waiter{sys};
    auto driver = sys.spawn([=](caf::event_based_actor* self) {
      conversation talk(self, [=](const caf::error&) { ++result->failures; });
      auto all = talk.gather<int32_t>(targets, int32_t(1));
      // A continuation that asks again: the phase must wait for its request too.
      talk.ask<int32_t>(targets[0], int32_t(5)).then([=](int32_t& v) {
        talk.ask<int32_t>(targets[3], v).then([=](int32_t& w) { result->chained = w; });
      });
      talk.then([=] {
        result->gathered = *all;
        result->finished = true;
      });
    });
    waiter->wait_for(driver);
    CHECK(result->finished);
    CHECK(result->chained == 305);
    CHECK(result->gathered == std::vector<int32_t>{1, 101, 201, 301, 401, 501, 601, 701});
    CHECK(result->failures == 0);
  }

  SECTION("a failed request calls on_fail once and drops what follows") {
    caf::scoped_actor waiter{sys};
    auto driver = sys.spawn([=](caf::event_based_actor* self) {
      conversation talk(self, [=](const caf::error&) { ++result->failures; });
      talk.ask<int32_t>(targets[1], int32_t(-1));
      talk.ask<int32_t>(targets[2], int32_t(-2));
      talk.gather<int32_t>(targets, int32_t(1));
      talk.then([=] { result->finished = true; });
    });
    waiter->wait_for(driver);
    CHECK(result->failures == 1);
    CHECK_FALSE(result->finished);
  }
  for (auto& t : targets) caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
}
