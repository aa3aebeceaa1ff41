// abstention's vocabulary: what its learner, its labellers and its program say to each
// other. Its own namespace keeps its names from clashing with other scenarios'.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"  // ack_atom, checkpointable

namespace oversight::abstention {

// ---- atoms (one meaning each) ----------------------------------------------------------
using classify_atom = caf::atom_constant<caf::atom("act_or_abs")>;  // learner: act or abstain per item
using unsure_atom = caf::atom_constant<caf::atom("unsure")>;      // learner: the items it wants labelled
using teach_atom = caf::atom_constant<caf::atom("teach")>;        // learner: learn from labels
using request_atom = caf::atom_constant<caf::atom("lbl_req")>;    // labeller: take label requests
using collect_atom = caf::atom_constant<caf::atom("lbl_due")>;    // labeller: labels due by this tick

/// Items: ids and `rows x dim` features, row-major. The features are all a learner sees.
struct item_batch {
  int32_t dim = 0;
  std::vector<int64_t> id;
  std::vector<float> x;
  size_t rows() const { return id.size(); }
  friend bool operator==(const item_batch&, const item_batch&) = default;
  void state(state_io& io) { io(dim, id, x); }  // for checkpoints (base/state_io.hpp)
};

/// The learner's decision per item: a class, or kAbstain.
constexpr int32_t kAbstain = -1;
struct choice_batch {
  std::vector<int32_t> choice;
  friend bool operator==(const choice_batch&, const choice_batch&) = default;
};

/// A human's label of one item: its class, or kAbstain ("none of these").
struct item_label {
  int64_t id = 0;
  std::vector<float> x;
  int32_t label = kAbstain;
  friend bool operator==(const item_label&, const item_label&) = default;
  void state(state_io& io) { io(id, x, label); }
};

struct label_list {
  std::vector<item_label> labels;
  friend bool operator==(const label_list&, const label_list&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_batch& x) {
  return f(caf::meta::type_name("abstention.item_batch"), x.dim, packed(x.id), packed(x.x));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, choice_batch& x) {
  return f(caf::meta::type_name("abstention.choice_batch"), packed(x.choice));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_label& x) {
  return f(caf::meta::type_name("abstention.item_label"), x.id, packed(x.x), x.label);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, label_list& x) {
  return f(caf::meta::type_name("abstention.label_list"), x.labels);
}

/// Learner: classifies or abstains on items; names the items of its last classify it
/// is least sure about (at most n); learns from labels.
using learner_actor =
    caf::typed_actor<caf::replies_to<classify_atom, item_batch>::with<choice_batch>,
                     caf::replies_to<unsure_atom, int32_t /*n*/>::with<item_batch>,
                     caf::replies_to<teach_atom, label_list>::with<ack_atom>>::extend_with<checkpointable>;

/// Labeller: a simulated human with a budget for the whole run and a latency. Takes
/// items to label at a tick (replies how many it accepted) and hands over the labels due.
using labeller_actor =
    caf::typed_actor<caf::replies_to<request_atom, int64_t /*tick*/, item_batch>::with<int32_t>,
                     caf::replies_to<collect_atom, int64_t /*tick*/>::with<label_list>>::extend_with<checkpointable>;

inline void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<item_batch>("abstention.item_batch");
  cfg.add_message_type<choice_batch>("abstention.choice_batch");
  cfg.add_message_type<item_label>("abstention.item_label");
  cfg.add_message_type<label_list>("abstention.label_list");
}

}  // namespace oversight::abstention
