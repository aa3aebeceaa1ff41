// The message protocol: every struct that crosses between actors, the atoms that name
// requests, and the typed interface of each role. All types are serializable (inspect +
// registration in register_protocol) so a later node can host any actor.
//
// Conventions
//  - Hot-path messages carry batches: a query_batch is `rows x dim` floats, row-major.
//  - Every request gets a reply, even when it carries no data (ack_atom): the director
//    counts replies to close a tick.
//  - A gatherer orders what it gathered by (tick, sender index) before acting on it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "policies/batch.hpp"   // train_batch

namespace oversight {

// ---- atoms (10 characters at most) -----------------------------------------------
using act_atom = caf::atom_constant<caf::atom("act")>;          // learner: answer queries
using learn_atom = caf::atom_constant<caf::atom("learn")>;      // learner/critic: train on feedback
using judge_atom = caf::atom_constant<caf::atom("judge")>;      // critic: judge responses
using ask_atom = caf::atom_constant<caf::atom("ask")>;          // critic: which items need a human label
using label_atom = caf::atom_constant<caf::atom("label")>;      // expert: take label requests
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;  // expert: labels due by this tick
using propose_atom = caf::atom_constant<caf::atom("propose")>;  // attacker: queries for this tick
using feedback_atom = caf::atom_constant<caf::atom("feedback")>;  // attacker: how its queries fared
using step_atom = caf::atom_constant<caf::atom("step")>;        // trainer: one optimizer step
using record_atom = caf::atom_constant<caf::atom("record")>;    // recorder: metric rows
using flush_atom = caf::atom_constant<caf::atom("flush")>;      // recorder: commit everything so far
using ack_atom = caf::atom_constant<caf::atom("ack")>;          // a reply that carries no data
using run_atom = caf::atom_constant<caf::atom("run")>;          // director: run every tick, reply at the end
using order_atom = caf::atom_constant<caf::atom("order")>;      // principal shard: this tick's purchase orders
using decide_atom = caf::atom_constant<caf::atom("decide")>;    // agent shard: choose per order
using audit_atom = caf::atom_constant<caf::atom("audit")>;      // auditor: inspect transactions
using review_atom = caf::atom_constant<caf::atom("review")>;    // reviewer: human review of flagged items

// ---- value structs ---------------------------------------------------------------

/// Queries: `rows() x dim` features, row-major.
struct query_batch {
  int32_t dim = 0;
  std::vector<float> x;
  size_t rows() const { return dim == 0 ? 0 : x.size() / size_t(dim); }
};

/// The learner's answer to a query_batch: one option per row, and its whole
/// distribution (`rows x options`) so overseers can see its confidence.
struct response_batch {
  int32_t options = 0;
  std::vector<int32_t> action;
  std::vector<float> prob;
};

/// The critic's judgment of (query, response) rows.
struct judgment_batch {
  int32_t options = 0;
  std::vector<float> p_ok;         ///< estimated P(response acceptable), chosen response
  std::vector<int32_t> fail_dim;   ///< critique: the dimension most likely to fail (0 helpful, 1 harmless, 2 honest)
  std::vector<float> confidence;   ///< critique: estimated P(that dimension fails)
  std::vector<float> uncertainty;  ///< disagreement within the critic about p_ok
  std::vector<float> score;        ///< `rows x options`: estimated P(acceptable) of every option (the learner's reward)
};

/// A question for a human: point-wise (is response a acceptable, per dimension) or
/// pair-wise (is a better than b).
struct label_request {
  int64_t id = 0;
  int32_t kind = 0;  ///< 0 point-wise, 1 pair-wise
  std::vector<float> x;
  int32_t a = 0;
  int32_t b = -1;
};

/// An expert's answer to a label_request.
struct expert_label {
  int64_t id = 0;
  int32_t expert = 0;
  int32_t kind = 0;
  std::vector<float> x;
  int32_t a = 0;
  int32_t b = -1;
  std::vector<int8_t> ok;  ///< point-wise: per dimension, 1 acceptable / 0 not
  int8_t prefers_a = 0;    ///< pair-wise: 1 when a is preferred
};

struct label_batch {
  std::vector<expert_label> labels;
};

/// A model's parameters, flattened in a fixed order.
struct param_blob {
  std::vector<float> values;
};

/// One row of the metrics table.
struct metric_row {
  int64_t tick = 0;
  std::string actor;
  std::string name;
  double value = 0.0;
};

struct metric_batch {
  std::vector<metric_row> rows;
};

// ---- principal-agent market (scenarios/principal_agent) -----------------------------
// Populations are sharded: one actor owns a contiguous block of principals or agents.
// These batches carry one row per transaction and travel shard -> director -> shard.

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
};

/// What agents hear after a transaction: the fee paid and any penalty (a principal who
/// saw an override, or an auditor who caught one).
struct feedback_batch {
  std::vector<int32_t> agent;
  std::vector<float> payment;
  std::vector<float> penalty;
  size_t rows() const { return agent.size(); }
};

/// A principal shard's reply to decisions: feedback bucketed by agent shard, and the
/// shard's sums for this tick's metrics (the principal side reads the true utilities).
struct principal_report {
  std::vector<feedback_batch> feedback;  ///< one per agent shard
  int64_t transactions = 0;
  int64_t overrides = 0;   ///< chose against the principal's interest (hidden truth)
  int64_t observed = 0;    ///< transactions the principal saw
  int64_t caught = 0;      ///< overrides the principal saw and punished
  double welfare = 0;      ///< sum of the principal's utility of what was bought
};

/// An auditor's findings: how many transactions it inspected, and the agents it caught.
struct audit_report {
  int64_t audited = 0;
  std::vector<int32_t> caught;
};

/// An agent shard's sums after learning: its agents' material gain this tick.
struct agent_report {
  int64_t transactions = 0;
  double gain = 0;  ///< commission + fee - penalties (not the intrinsic alignment term)
};

// ---- scalable oversight by monitoring (scenarios/oversight_monitor) -------------------

/// Learner responses as the monitors' and reviewers' perception models see them
/// (policies/monitor_model.hpp): an id, whether it violates the policy (hidden truth,
/// read only by those models and the evaluation) and how subtle it is.
struct response_items {
  std::vector<int64_t> id;
  std::vector<int8_t> violation;
  std::vector<float> subtlety;
  size_t rows() const { return id.size(); }
};

/// One monitor's verdict on response_items: a suspicion score and a flag per row.
struct flag_batch {
  std::vector<float> suspicion;
  std::vector<int8_t> flagged;
};

// ---- inspection (serialization) ----------------------------------------------------
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, query_batch& x) {
  return f(caf::meta::type_name("query_batch"), x.dim, x.x);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, response_batch& x) {
  return f(caf::meta::type_name("response_batch"), x.options, x.action, x.prob);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, judgment_batch& x) {
  return f(caf::meta::type_name("judgment_batch"), x.options, x.p_ok, x.fail_dim, x.confidence, x.uncertainty,
           x.score);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, label_request& x) {
  return f(caf::meta::type_name("label_request"), x.id, x.kind, x.x, x.a, x.b);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expert_label& x) {
  return f(caf::meta::type_name("expert_label"), x.id, x.expert, x.kind, x.x, x.a, x.b, x.ok, x.prefers_a);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, label_batch& x) {
  return f(caf::meta::type_name("label_batch"), x.labels);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, train_batch& x) {
  return f(caf::meta::type_name("train_batch"), x.dim, x.x, x.a, x.b, x.width, x.target);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, param_blob& x) {
  return f(caf::meta::type_name("param_blob"), x.values);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_row& x) {
  return f(caf::meta::type_name("metric_row"), x.tick, x.actor, x.name, x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_batch& x) {
  return f(caf::meta::type_name("metric_batch"), x.rows);
}

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
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, response_items& x) {
  return f(caf::meta::type_name("response_items"), x.id, x.violation, x.subtlety);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flag_batch& x) {
  return f(caf::meta::type_name("flag_batch"), x.suspicion, x.flagged);
}


// ---- role interfaces -----------------------------------------------------------------

/// Learner: answers queries (sampling, or greedy for evaluation) and learns from
/// per-option rewards; replies to learn once the trainer's new weights are in place.
using learner_actor = caf::typed_actor<
    caf::replies_to<act_atom, query_batch, bool /*greedy*/>::with<response_batch>,
    caf::replies_to<learn_atom, query_batch, std::vector<float> /*rows x options rewards*/>::with<ack_atom>>;

/// Critic: judges responses, names the items it wants a human label for (within its
/// per-tick quota, shared evenly among the label pools), and learns from expert labels.
/// `pools` gives each row's label pool (e.g. 0 natural traffic, 1 attack findings);
/// empty: no row is a candidate for a label.
using critic_actor = caf::typed_actor<
    caf::replies_to<judge_atom, query_batch, response_batch, std::vector<int32_t> /*pools*/>::with<judgment_batch>,
    caf::replies_to<ask_atom, int64_t /*tick*/>::with<std::vector<label_request>>,
    caf::replies_to<learn_atom, label_batch>::with<ack_atom>>;

/// Simulated human expert: takes label requests at a tick (replies how many it accepted
/// within its budget) and hands over the labels due by a later tick.
using expert_actor = caf::typed_actor<
    caf::replies_to<label_atom, int64_t /*tick*/, std::vector<label_request>>::with<int32_t>,
    caf::replies_to<deliver_atom, int64_t /*tick*/>::with<label_batch>>;

/// Attacker: proposes queries each tick and hears how each fared (critic's judgment).
using attacker_actor = caf::typed_actor<
    caf::replies_to<propose_atom, int64_t /*tick*/>::with<query_batch>,
    caf::replies_to<feedback_atom, query_batch, judgment_batch>::with<ack_atom>>;

/// Classifier (weak supervisor, strong ceiling, weak-to-strong student): learn trains
/// one epoch on its trainer thread (a batch with rows replaces its training set; an
/// empty one reuses it) and acks once the new weights are installed; act returns
/// `rows x classes` probabilities.
using classifier_actor =
    caf::typed_actor<caf::replies_to<learn_atom, train_batch>::with<ack_atom>,
                     caf::replies_to<act_atom, query_batch>::with<std::vector<float>>>;

/// Trainer: runs optimizer steps on its own thread and returns the new parameters.
using trainer_actor = caf::typed_actor<caf::replies_to<step_atom, train_batch>::with<param_blob>>;

/// Recorder: appends metric rows; flush commits them and replies when durable.
using recorder_actor = caf::typed_actor<caf::replies_to<record_atom, metric_batch>::with<ack_atom>,
                                        caf::replies_to<flush_atom>::with<ack_atom>>;

/// Principal shard: a block of principals. order(t) -> this tick's orders, one batch per
/// agent shard; judge(t, decisions in agent-shard order) -> feedback and metric sums.
using principal_shard_actor = caf::typed_actor<
    caf::replies_to<order_atom, int64_t /*tick*/>::with<std::vector<order_batch>>,
    caf::replies_to<judge_atom, int64_t /*tick*/, std::vector<decision_batch>>::with<principal_report>>;

/// Agent shard: a block of agents. decide(t, orders) -> choices, one batch per principal
/// shard; learn(feedback) -> the shard's material gain this tick.
using agent_shard_actor =
    caf::typed_actor<caf::replies_to<decide_atom, int64_t /*tick*/, order_batch>::with<std::vector<decision_batch>>,
                     caf::replies_to<learn_atom, feedback_batch>::with<agent_report>>;

/// Critic auditor: inspects a share of the transactions it is shown, at a cost each.
using auditor_actor = caf::typed_actor<caf::replies_to<audit_atom, int64_t /*tick*/, decision_batch>::with<audit_report>>;

/// Automated monitor (a critic model or rule checks): scores and flags responses.
using monitor_actor = caf::typed_actor<caf::replies_to<judge_atom, int64_t /*tick*/, response_items>::with<flag_batch>>;

/// Simulated human reviewer: reviews flagged responses, replies 1 per confirmed violation.
using reviewer_actor =
    caf::typed_actor<caf::replies_to<review_atom, int64_t /*tick*/, response_items>::with<std::vector<int8_t>>>;

/// Registers every message type above with the actor system.
void register_protocol(caf::actor_system_config& cfg);

}  // namespace oversight
