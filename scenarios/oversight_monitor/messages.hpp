// The oversight_monitor scenario's vocabulary: what its monitors, reviewers and its
// program say to each other. Registered with the actor system through the scenario's
// registration (scenario_info::messages), like every scenario's own messages.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"  // checkpointable

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using scan_atom = caf::atom_constant<caf::atom("scan")>;      // monitor: score and flag responses
using review_atom = caf::atom_constant<caf::atom("review")>;  // reviewer: human review of flagged items

/// Learner responses as the monitors' and reviewers' perception models see them
/// (policies/monitor_model.hpp): an id, whether it violates the policy (hidden truth,
/// read only by those models and the evaluation) and how subtle it is.
struct response_items {
  std::vector<int64_t> id;
  std::vector<int8_t> violation;
  std::vector<float> subtlety;
  size_t rows() const { return id.size(); }
  friend bool operator==(const response_items&, const response_items&) = default;
};

/// One monitor's verdict on response_items: a suspicion score and a flag per row.
struct flag_batch {
  std::vector<float> suspicion;
  std::vector<int8_t> flagged;
  friend bool operator==(const flag_batch&, const flag_batch&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, response_items& x) {
  return f(caf::meta::type_name("response_items"), packed(x.id), packed(x.violation), packed(x.subtlety));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flag_batch& x) {
  return f(caf::meta::type_name("flag_batch"), packed(x.suspicion), packed(x.flagged));
}

/// Automated monitor (a critic model or rule checks): scores and flags responses.
using monitor_actor = caf::typed_actor<caf::replies_to<scan_atom, int64_t /*tick*/, response_items>::with<flag_batch>>::
    extend_with<checkpointable>;

/// Simulated human reviewer: reviews flagged responses, replies 1 per confirmed violation.
using reviewer_actor =
    caf::typed_actor<caf::replies_to<review_atom, int64_t /*tick*/, response_items>::with<std::vector<int8_t>>>::
        extend_with<checkpointable>;

inline void register_oversight_monitor_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<response_items>("response_items");
  cfg.add_message_type<flag_batch>("flag_batch");
}

}  // namespace oversight
