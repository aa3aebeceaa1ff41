// The save and restore handlers every checkpointing role adds to its behavior, for a
// role whose stateful actor state has a `void state(state_io&)` member (base/state_io.hpp):
//
//   using my_actor = caf::typed_actor<...>::extend_with<checkpointable>;
//   return {
//       [=](act_atom, ...) { ... },
//       save_handler(self),
//       restore_handler(self, "learner"),
//   };
//
// A role that owns another actor (a learner's trainer) writes its own pair, asking the
// owned actor for its state inside (actors/trainer/trainer.hpp has the trainer's).
#pragma once

#include <string>

#include "base/state_io.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

template <class Self>
auto save_handler(Self self) {
  return [=](save_atom) {
    auto out = state_io::writer();
    self->state.state(out);
    return role_state{out.take()};
  };
}

/// `role` names the role in the error a damaged checkpoint gives.
template <class Self>
auto restore_handler(Self self, std::string role) {
  return [=](restore_atom, role_state& saved) {
    auto in = state_io::reader(std::move(saved.bytes), "checkpoint of " + role);
    self->state.state(in);
    in.finish();
    return ack_atom::value;
  };
}

}  // namespace oversight
