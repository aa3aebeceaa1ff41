// The principal_agent scenario's vocabulary: what its principal shards, agent shards,
// auditors and its program say to each other. Registered with the actor system through
// the scenario's registration (scenario_info::messages), like every scenario's own
// messages.
//
// Populations are sharded: one actor owns a contiguous block of principals or agents.
// These batches carry one row per transaction and travel shard -> director -> shard; the
// director regroups them (moves, never copies rows).
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "base/uninitialized.hpp"
#include "policies/market.hpp"     // product_id
#include "runtime/protocol.hpp"  // learn_atom

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using order_atom = caf::atom_constant<caf::atom("order")>;    // principal shard: this tick's purchase orders
using decide_atom = caf::atom_constant<caf::atom("decide")>;  // agent shard: choose per order
using audit_atom = caf::atom_constant<caf::atom("audit")>;    // auditor: inspect transactions
using settle_atom = caf::atom_constant<caf::atom("settle")>;  // principal shard: check decisions, pay or penalize

// Rows travel without ids: delegation never changes, so the principals of shard s that
// delegate to agent shard a are a fixed list, and so are their agents. Both shards know
// their side of it from the start (the program derives it from the seed), and row r of
// the orders s sends a, of the choices a sends back and of the feedback s sends a all
// belong to the same transaction. An agent shard's transaction records (for the
// auditors) are its rows in the same order, principal shard by principal shard; an
// auditor's flags name rows of those records. No message names an agent.

/// Purchase orders a principal shard delegates to one agent shard, one row per principal
/// of the shard that delegates to an agent there (in principal order): the `candidates`
/// product ids offered and the principal's stated utility for each (its preferences,
/// which the agent is meant to serve).
struct order_batch {
  int32_t candidates = 0;
  uninitialized_vector<product_id> product;  ///< rows x candidates
  uninitialized_vector<float> utility;       ///< rows x candidates
  size_t rows() const { return candidates > 0 ? utility.size() / size_t(candidates) : 0; }
  friend bool operator==(const order_batch&, const order_batch&) = default;
};

/// An agent shard's choices for the orders of one principal shard, row for row: the
/// index of the chosen candidate.
struct choice_batch {
  std::vector<uint8_t> choice;
  size_t rows() const { return choice.size(); }
  friend bool operator==(const choice_batch&, const choice_batch&) = default;
};

/// The transaction records an auditor reads: per transaction of one agent shard, in its
/// row order, the principal's loss (its best utility minus the chosen one, 0 when
/// faithful).
struct audit_batch {
  uninitialized_vector<float> gap;
  size_t rows() const { return gap.size(); }
  friend bool operator==(const audit_batch&, const audit_batch&) = default;
};

/// An agent shard's reply to decide: choices per principal shard, and its transactions
/// for the auditors.
struct decisions {
  std::vector<choice_batch> choices;  ///< one per principal shard
  audit_batch records;
  friend bool operator==(const decisions&, const decisions&) = default;
};

/// What a principal shard tells one agent shard after a transaction, row for row with
/// its orders: the fee paid minus any penalty (an override the principal saw).
struct feedback_batch {
  uninitialized_vector<float> net;
  size_t rows() const { return net.size(); }
  friend bool operator==(const feedback_batch&, const feedback_batch&) = default;
};

/// Auditors' flags for one agent shard: the agent of each listed row of its records
/// pays `penalty`.
struct penalty_batch {
  std::vector<int32_t> row;
  float penalty = 0;
  friend bool operator==(const penalty_batch&, const penalty_batch&) = default;
};

/// Everything one agent shard hears after a tick's transactions: the feedback of every
/// principal shard (in principal-shard order), then the auditors' flags.
struct agent_feedback {
  std::vector<feedback_batch> principals;
  penalty_batch auditors;
  friend bool operator==(const agent_feedback&, const agent_feedback&) = default;
};

/// A principal shard's reply to settle: feedback per agent shard, and the shard's sums
/// for this tick's metrics (the principal side reads the true utilities).
struct principal_report {
  std::vector<feedback_batch> feedback;  ///< one per agent shard
  int64_t transactions = 0;
  int64_t overrides = 0;  ///< chose against the principal's interest (hidden truth)
  int64_t observed = 0;   ///< transactions the principal saw
  int64_t caught = 0;     ///< overrides the principal saw and punished
  double welfare = 0;     ///< sum of the principal's utility of what was bought
  friend bool operator==(const principal_report&, const principal_report&) = default;
};

/// An auditor's findings: how many transactions it inspected, and per batch of records
/// it was given (in order) the rows it flagged.
struct audit_report {
  int64_t audited = 0;
  std::vector<std::vector<int32_t>> caught;
  friend bool operator==(const audit_report&, const audit_report&) = default;
};

/// An agent shard's sums after learning: its agents' material gain this tick.
struct agent_report {
  int64_t transactions = 0;
  double gain = 0;  ///< commission + fee - penalties (not the intrinsic alignment term)
  friend bool operator==(const agent_report&, const agent_report&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_batch& x) {
  return f(caf::meta::type_name("order_batch"), x.candidates, packed(x.product), packed(x.utility));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, choice_batch& x) {
  return f(caf::meta::type_name("choice_batch"), packed(x.choice));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_batch& x) {
  return f(caf::meta::type_name("audit_batch"), packed(x.gap));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decisions& x) {
  return f(caf::meta::type_name("decisions"), x.choices, x.records);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feedback_batch& x) {
  return f(caf::meta::type_name("feedback_batch"), packed(x.net));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, penalty_batch& x) {
  return f(caf::meta::type_name("penalty_batch"), packed(x.row), x.penalty);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_feedback& x) {
  return f(caf::meta::type_name("agent_feedback"), x.principals, x.auditors);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, principal_report& x) {
  return f(caf::meta::type_name("principal_report"), x.feedback, x.transactions, x.overrides, x.observed, x.caught,
           x.welfare);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_report& x) {
  return f(caf::meta::type_name("audit_report"), x.audited, x.caught);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_report& x) {
  return f(caf::meta::type_name("agent_report"), x.transactions, x.gain);
}

/// Principal shard: a block of principals. order(t) -> this tick's orders, one batch
/// per agent shard; settle(t, choices in agent-shard order) -> feedback and metric sums.
using principal_shard_actor = caf::typed_actor<
    caf::replies_to<order_atom, int64_t /*tick*/>::with<std::vector<order_batch>>,
    caf::replies_to<settle_atom, int64_t /*tick*/, std::vector<choice_batch>>::with<principal_report>>::
    extend_with<checkpointable>;

/// Agent shard: a block of agents. decide(t, orders in principal-shard order) -> choices
/// per principal shard and the audit records; learn(feedback) -> the shard's material
/// gain this tick.
using agent_shard_actor = caf::typed_actor<
    caf::replies_to<decide_atom, int64_t /*tick*/, std::vector<order_batch>>::with<decisions>,
    caf::replies_to<learn_atom, agent_feedback>::with<agent_report>>::
    extend_with<checkpointable>;

/// Critic auditor: inspects a share of the transactions it is shown, at a cost each.
using auditor_actor =
    caf::typed_actor<caf::replies_to<audit_atom, int64_t /*tick*/, std::vector<audit_batch>>::with<audit_report>>::
        extend_with<checkpointable>;

inline void register_principal_agent_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<order_batch>("order_batch");
  cfg.add_message_type<choice_batch>("choice_batch");
  cfg.add_message_type<audit_batch>("audit_batch");
  cfg.add_message_type<decisions>("decisions");
  cfg.add_message_type<feedback_batch>("feedback_batch");
  cfg.add_message_type<penalty_batch>("penalty_batch");
  cfg.add_message_type<agent_feedback>("agent_feedback");
  cfg.add_message_type<principal_report>("principal_report");
  cfg.add_message_type<audit_report>("audit_report");
  cfg.add_message_type<agent_report>("agent_report");
}

}  // namespace oversight
