// The principal_agent scenario's vocabulary: what its principal shards, agent shards,
// auditors and its program say to each other. Registered with the actor system through
// the scenario's registration (scenario_info::messages), like every scenario's own
// messages.
//
// Populations are sharded: one actor owns a contiguous block of principals or agents.
// These batches carry one row per transaction and travel shard -> director -> shard.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "runtime/protocol.hpp"  // learn_atom

namespace oversight {

// ---- atoms (one meaning each) ----------------------------------------------------------
using order_atom = caf::atom_constant<caf::atom("order")>;    // principal shard: this tick's purchase orders
using decide_atom = caf::atom_constant<caf::atom("decide")>;  // agent shard: choose per order
using audit_atom = caf::atom_constant<caf::atom("audit")>;    // auditor: inspect transactions
using settle_atom = caf::atom_constant<caf::atom("settle")>;  // principal shard: check decisions, pay or penalize

/// Purchase orders a principal shard delegates to one agent shard: per row, the
/// principal, the agent it delegates to, `candidates` product ids and the principal's
/// stated utility for each (its preferences, which the agent is meant to serve).
struct order_batch {
  int32_t candidates = 0;
  std::vector<int32_t> principal;
  std::vector<int32_t> agent;
  std::vector<int32_t> product;  ///< rows x candidates
  std::vector<float> utility;    ///< rows x candidates
  size_t rows() const { return principal.size(); }
  friend bool operator==(const order_batch&, const order_batch&) = default;
};

/// An agent shard's choices for orders of one principal shard: the chosen candidate
/// (index into the order's candidates) and the transaction record an auditor reads
/// (`gap`: the principal's best utility minus the chosen one, 0 when faithful).
struct decision_batch {
  std::vector<int32_t> principal;
  std::vector<int32_t> agent;
  std::vector<int32_t> choice;
  std::vector<float> gap;
  size_t rows() const { return principal.size(); }
  friend bool operator==(const decision_batch&, const decision_batch&) = default;
};

/// What agents hear after a transaction: the fee paid and any penalty (a principal who
/// saw an override, or an auditor who caught one).
struct feedback_batch {
  std::vector<int32_t> agent;
  std::vector<float> payment;
  std::vector<float> penalty;
  size_t rows() const { return agent.size(); }
  friend bool operator==(const feedback_batch&, const feedback_batch&) = default;
};

/// A principal shard's reply to decisions: feedback bucketed by agent shard, and the
/// shard's sums for this tick's metrics (the principal side reads the true utilities).
struct principal_report {
  std::vector<feedback_batch> feedback;  ///< one per agent shard
  int64_t transactions = 0;
  int64_t overrides = 0;  ///< chose against the principal's interest (hidden truth)
  int64_t observed = 0;   ///< transactions the principal saw
  int64_t caught = 0;     ///< overrides the principal saw and punished
  double welfare = 0;     ///< sum of the principal's utility of what was bought
  friend bool operator==(const principal_report&, const principal_report&) = default;
};

/// An auditor's findings: how many transactions it inspected, and the agents it caught.
struct audit_report {
  int64_t audited = 0;
  std::vector<int32_t> caught;
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
  return f(caf::meta::type_name("order_batch"), x.candidates, x.principal, x.agent, x.product, x.utility);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decision_batch& x) {
  return f(caf::meta::type_name("decision_batch"), x.principal, x.agent, x.choice, x.gap);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feedback_batch& x) {
  return f(caf::meta::type_name("feedback_batch"), x.agent, x.payment, x.penalty);
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

/// Principal shard: a block of principals. order(t) -> this tick's orders, one batch per
/// agent shard; settle(t, decisions in agent-shard order) -> feedback and metric sums.
using principal_shard_actor = caf::typed_actor<
    caf::replies_to<order_atom, int64_t /*tick*/>::with<std::vector<order_batch>>,
    caf::replies_to<settle_atom, int64_t /*tick*/, std::vector<decision_batch>>::with<principal_report>>::
    extend_with<checkpointable>;

/// Agent shard: a block of agents. decide(t, orders) -> choices, one batch per principal
/// shard; learn(feedback) -> the shard's material gain this tick.
using agent_shard_actor =
    caf::typed_actor<caf::replies_to<decide_atom, int64_t /*tick*/, order_batch>::with<std::vector<decision_batch>>,
                     caf::replies_to<learn_atom, feedback_batch>::with<agent_report>>::extend_with<checkpointable>;

/// Critic auditor: inspects a share of the transactions it is shown, at a cost each.
using auditor_actor = caf::typed_actor<caf::replies_to<audit_atom, int64_t /*tick*/, decision_batch>::with<audit_report>>::
    extend_with<checkpointable>;

inline void register_principal_agent_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<order_batch>("order_batch");
  cfg.add_message_type<decision_batch>("decision_batch");
  cfg.add_message_type<feedback_batch>("feedback_batch");
  cfg.add_message_type<principal_report>("principal_report");
  cfg.add_message_type<audit_report>("audit_report");
  cfg.add_message_type<agent_report>("agent_report");
}

}  // namespace oversight
