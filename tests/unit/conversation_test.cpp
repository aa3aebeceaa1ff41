// The conversation behind every tick_handle: phases end only when every request, and
// every request their continuations asked, has replied; gathers keep target order
// whatever the arrival order; the first failure ends the conversation once.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "actors/director/conversation.hpp"
#include "runtime/event_log.hpp"
#include "runtime/protocol.hpp"
#include "tests/support/temp_dir.hpp"

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

namespace {

/// Replies x + offset after sleeping `delay_ms` (a detached actor: replies arrive in an
/// order set by the delays, not by the order asked).
echo_actor::behavior_type slow_echo(echo_actor::pointer, int32_t offset, int delay_ms) {
  return {[=](int32_t x) -> int32_t {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    return x + offset;
  }};
}

/// One conversation's event log: a gather whose replies arrive last-asked first, an ask
/// whose continuation asks again, a second phase. Returns the file's records as
/// "from>to:kind" lines.
std::vector<std::string> logged_conversation(const std::filesystem::path& file, int threads) {
  event_log log(file, "unit", 1);
  event_log_config cfg;
  cfg.events = &log;
  cfg.set("scheduler.max-threads", threads);
  {
    caf::actor_system sys{cfg};
    std::vector<echo_actor> targets;
    for (int32_t i = 0; i < 4; ++i) {
      targets.push_back(sys.spawn<caf::detached>(slow_echo, 100 * i, 4 * (4 - i)));
      log.name(targets.back().address(), "echo-" + std::to_string(i));
    }
    caf::scoped_actor waiter{sys};
    auto driver = sys.spawn([=, &log](caf::event_based_actor* self) {
      log.name(self->address(), "director");
      conversation talk(self, [](const caf::error&) {}, 5);
      talk.gather<int32_t>(targets, int32_t(1));
      talk.ask<int32_t>(targets[0], int32_t(5)).then([=](int32_t&) { talk.ask<int32_t>(targets[3], int32_t(7)); });
      talk.then([=] { talk.ask<int32_t>(targets[2], int32_t(9)); });
    });
    waiter->wait_for(driver);
    for (auto& t : targets) caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  }
  REQUIRE(log.close());
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  read_event_log(bytes.data(), bytes.size(), file.string(), nullptr, [&](const event_record& r, size_t) {
    CHECK(r.tick == 5);
    out.push_back(r.from + ">" + r.to + ":" + r.kind);
  });
  return out;
}

}  // namespace

TEST_CASE("conversation: the event log keeps the program's order whatever the arrival order", "[unit][conversation][events]") {
  oversight::testing::temp_dir tmp("conversation-log");
  const std::vector<std::string> expected{
      // the gather: its requests, then its replies in target order (they arrived 3, 2, 1, 0)
      "director>echo-0:request", "director>echo-1:request", "director>echo-2:request", "director>echo-3:request",
      "echo-0>director:reply", "echo-1>director:reply", "echo-2>director:reply", "echo-3>director:reply",
      // the ask, its reply, then what its continuation asked
      "director>echo-0:request", "echo-0>director:reply", "director>echo-3:request", "echo-3>director:reply",
      // the second phase
      "director>echo-2:request", "echo-2>director:reply"};
  CHECK(logged_conversation(tmp / "one.msgpack", 1) == expected);
  CHECK(logged_conversation(tmp / "four.msgpack", 4) == expected);
  CHECK(oversight::testing::slurp(tmp / "one.msgpack") == oversight::testing::slurp(tmp / "four.msgpack"));
}
