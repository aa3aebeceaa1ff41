// The trainer actor and train_and_ack: a step that throws fails the request that asked
// for it (the run then ends with the cause), it never leaves the asker waiting.
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>

#include "actors/trainer/trainer.hpp"
#include "runtime/protocol.hpp"

using namespace oversight;

namespace {
/// A trainable whose every step fails, as a libtorch error inside a step would.
class failing_trainable : public trainable {
 public:
  std::vector<float> step(const train_batch&) override { throw std::runtime_error("the loss has no gradient"); }
};

struct role_state_for_test {
  trainer_actor trainer;
};
}  // namespace

TEST_CASE("trainer: a step that throws fails the learn request instead of hanging it", "[unit][trainer]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  // A role as the learners are written: it owns a trainer and answers learn with
  // train_and_ack.
  auto role = sys.spawn([](caf::stateful_actor<role_state_for_test>* self) -> caf::behavior {
    self->state.trainer = spawn_trainer(self->system(), std::make_unique<failing_trainable>());
    return {[=](learn_atom) -> caf::result<ack_atom> {
      return train_and_ack(self, self->state.trainer, train_batch{}, [](const std::vector<float>&) {});
    }};
  });
  caf::scoped_actor asker{sys};
  bool acked = false, failed = false, timed_out = false;
  asker->request(role, std::chrono::seconds(20), learn_atom::value)
      .receive([&](ack_atom) { acked = true; },
               [&](caf::error& e) {
                 if (e == caf::sec::request_timeout) timed_out = true;
                 else failed = true;
               });
  CHECK_FALSE(timed_out);
  CHECK_FALSE(acked);
  CHECK(failed);
  caf::anon_send_exit(role, caf::exit_reason::user_shutdown);
}
