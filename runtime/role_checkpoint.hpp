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
    // Measured first: a population's state (the largest thing in the process) is then
    // written into a buffer of its size, never copied while it grows.
    auto size = state_io::sizer();
    self->state.state(size);
    auto out = state_io::writer(size.size());
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

/// The pair for a role whose state never changes (frozen weights, keyed randomness):
/// nothing to save, and a checkpoint that holds something for it is refused.
inline auto stateless_save_handler() {
  return [](save_atom) { return role_state{}; };
}
inline auto stateless_restore_handler(std::string role) {
  return [role](restore_atom, const role_state& saved) -> caf::result<ack_atom> {
    if (!saved.bytes.empty())
      return caf::make_error(caf::sec::runtime_error, "checkpoint of " + role + ": " +
                                                          std::to_string(saved.bytes.size()) +
                                                          " bytes for a role that keeps no state");
    return ack_atom::value;
  };
}

}  // namespace oversight
