// trainer: runs a policy's optimizer steps apart from the role that serves the policy.
// It owns a `trainable` (the model copy and optimizer) and answers each step with the
// new flat parameters. With one scheduler worker it is a detached actor (a thread of its
// own, so a step overlaps with serving); with more it runs on the scheduler, where the
// two hand-offs per step are cheap (a spinning worker picks the request up).
// One per learner or population; where the trainable runs (CPU or CUDA) the policies
// decide (policies/nets.hpp, policies/population.hpp).
#pragma once

#include <memory>

#include "base/batch.hpp"
#include "runtime/event_log.hpp"
#include "runtime/protocol.hpp"
#include "runtime/role_checkpoint.hpp"

namespace oversight {

trainer_actor spawn_trainer(caf::actor_system& sys, std::unique_ptr<trainable> model);

/// The `learn` half every training actor shares: sends `batch` to `trainer` for one
/// step and, when the new flat parameters arrive, hands them to `apply` (which copies
/// them into the caller's inference model) and then acknowledges the pending request.
/// Return its result from a handler: `return train_and_ack(self, trainer, b, apply);`.
/// A failed step fails the request with the trainer's error.
/// With an event log, the step request and its reply are logged from the caller's role
/// name to "<name>/trainer".
template <class Self, class Apply>
caf::result<ack_atom> train_and_ack(Self self, const trainer_actor& trainer, train_batch batch, Apply apply) {
  auto rp = self->template make_response_promise<ack_atom>();
  auto trace = event_trace::make(self->system(), self->address());
  std::vector<uint32_t> group;
  if (trace) {
    group = trace->next_group();
    trace->log_message(group, 0, 0, trace->source + "/trainer", "request", caf::make_message(step_atom::value, batch),
                       false);
  }
  self->request(trainer, caf::infinite, step_atom::value, std::move(batch))
      .then([=](param_blob& p) mutable {
        if (trace) trace->log_message(group, 1, 0, trace->source + "/trainer", "reply", caf::make_message(p), true);
        apply(p.values);
        rp.deliver(ack_atom::value);
      },
      // A step that failed (the trainer threw, or died) fails the pending request with
      // the cause. Without this handler the caller would quit with its promise
      // unanswered, and whoever asked it would wait for ever.
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return caf::delegated<ack_atom>{};
}

/// The save handler of a role that owns a trainer (self->state.trainer) and describes
/// the rest of its state in self->state.state(state_io&): its own state, then the
/// trainer's (model, optimizer, buffers), as one role_state.
template <class Self>
auto save_with_trainer(Self self) {
  return [=](save_atom) -> caf::result<role_state> {
    auto out = state_io::writer();
    self->state.state(out);
    auto own = std::make_shared<std::vector<char>>(out.take());
    auto rp = self->template make_response_promise<role_state>();
    self->request(self->state.trainer, caf::infinite, save_atom::value)
        .then(
            [=](role_state& trained) mutable {
              auto both = state_io::writer();
              both(*own, trained.bytes);
              rp.deliver(role_state{both.take()});
            },
            [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
    return rp;
  };
}

/// Its restore handler: takes back its own state, then hands the trainer its part.
template <class Self>
auto restore_with_trainer(Self self, std::string role) {
  return [=](restore_atom, role_state& saved) -> caf::result<ack_atom> {
    std::vector<char> own, trained;
    auto in = state_io::reader(std::move(saved.bytes), "checkpoint of " + role);
    in(own, trained);
    in.finish();
    auto mine = state_io::reader(std::move(own), "checkpoint of " + role);
    self->state.state(mine);
    mine.finish();
    auto rp = self->template make_response_promise<ack_atom>();
    self->request(self->state.trainer, caf::infinite, restore_atom::value, role_state{std::move(trained)})
        .then([=](ack_atom) mutable { rp.deliver(ack_atom::value); },
              [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
    return rp;
  };
}

}  // namespace oversight
