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

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "base/batch.hpp"   // train_batch

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
using save_atom = caf::atom_constant<caf::atom("save")>;        // any role: its state, for a checkpoint
using restore_atom = caf::atom_constant<caf::atom("restore")>;  // any role: take back a saved state

// ---- value structs ---------------------------------------------------------------

/// The three dimensions a response is judged on.
enum class value_dim : int32_t { helpful = 0, harmless = 1, honest = 2 };

/// What a human is asked: whether one response is acceptable (per dimension), or which
/// of two responses is better.
enum class label_kind : int32_t { pointwise = 0, pairwise = 1 };

/// Names for logs and `oversight replay` (CAF prints an enum through its to_string).
inline std::string to_string(value_dim d) {
  switch (d) {
    case value_dim::helpful: return "helpful";
    case value_dim::harmless: return "harmless";
    case value_dim::honest: return "honest";
  }
  return "value_dim(" + std::to_string(int32_t(d)) + ")";
}
inline std::string to_string(label_kind k) {
  switch (k) {
    case label_kind::pointwise: return "pointwise";
    case label_kind::pairwise: return "pairwise";
  }
  return "label_kind(" + std::to_string(int32_t(k)) + ")";
}

/// Which kind of label a critic asks for: always one kind, or each at random.
enum class label_mode { pointwise, pairwise, mixed };

/// Queries: `rows() x dim` features, row-major.
struct query_batch {
  int32_t dim = 0;
  std::vector<float> x;
  size_t rows() const { return dim == 0 ? 0 : x.size() / size_t(dim); }
  friend bool operator==(const query_batch&, const query_batch&) = default;
};

/// The learner's answer to a query_batch: one option per row, and its whole
/// distribution (`rows x options`) so overseers can see its confidence.
struct response_batch {
  int32_t options = 0;
  std::vector<int32_t> action;
  std::vector<float> prob;
  friend bool operator==(const response_batch&, const response_batch&) = default;
};

/// The critic's judgment of (query, response) rows.
struct judgment_batch {
  int32_t options = 0;
  std::vector<float> p_ok;         ///< estimated P(response acceptable), chosen response
  std::vector<value_dim> fail_dim;  ///< critique: the dimension most likely to fail
  std::vector<float> confidence;   ///< critique: estimated P(that dimension fails)
  std::vector<float> uncertainty;  ///< disagreement within the critic about p_ok
  std::vector<float> score;        ///< `rows x options`: estimated P(acceptable) of every option (the learner's reward)
  friend bool operator==(const judgment_batch&, const judgment_batch&) = default;
};

/// A question for a human: point-wise (is response a acceptable, per dimension) or
/// pair-wise (is a better than b).
struct label_request {
  int64_t id = 0;
  label_kind kind = label_kind::pointwise;
  std::vector<float> x;
  int32_t a = 0;
  int32_t b = -1;
  friend bool operator==(const label_request&, const label_request&) = default;
  void state(state_io& io) { io(id, kind, x, a, b); }
};

/// An expert's answer to a label_request.
struct expert_label {
  int64_t id = 0;
  int32_t expert = 0;
  label_kind kind = label_kind::pointwise;
  std::vector<float> x;
  int32_t a = 0;
  int32_t b = -1;
  std::vector<int8_t> ok;  ///< point-wise: per dimension, 1 acceptable / 0 not
  int8_t prefers_a = 0;    ///< pair-wise: 1 when a is preferred
  friend bool operator==(const expert_label&, const expert_label&) = default;
  void state(state_io& io) { io(id, expert, kind, x, a, b, ok, prefers_a); }
};

struct label_batch {
  std::vector<expert_label> labels;
  friend bool operator==(const label_batch&, const label_batch&) = default;
};

/// A model's parameters, flattened in a fixed order.
struct param_blob {
  std::vector<float> values;
  friend bool operator==(const param_blob&, const param_blob&) = default;
};

/// One row of the metrics table.
struct metric_row {
  int64_t tick = 0;
  std::string actor;
  std::string name;
  double value = 0.0;
  friend bool operator==(const metric_row&, const metric_row&) = default;
};

struct metric_batch {
  std::vector<metric_row> rows;
  friend bool operator==(const metric_batch&, const metric_batch&) = default;
};

// ---- inspection (serialization) ----------------------------------------------------

/// A vector of numbers (bytes, integers, floats) as a message field: write
/// `f(..., packed(x.values))` in inspect, for every such field. Saved as CAF saves a
/// byte sequence: the element count, then the elements' bytes as they are in memory
/// (little-endian; the build refuses another byte order), in one copy, where CAF would
/// make a virtual call and a byte-order conversion per element (the event log and runs
/// over nodes save every message). Loaded in chunks of at most 1 MiB: CAF 0.17 resizes a
/// byte sequence to whatever length its prefix claims before reading, so four forged
/// bytes from the network would make a process allocate gigabytes
/// (tests/fuzz/network_message_fuzz.cpp found it); here bad bytes cost at most their own
/// length plus a chunk and end in an error. Other inspectors (to_string) see the vector.
template <class Vector>
struct packed_field {
  Vector& v;
};
template <class T, class A>
packed_field<std::vector<T, A>> packed(std::vector<T, A>& v) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "packed: a vector of numbers");
  static_assert(std::endian::native == std::endian::little, "packed fields travel little-endian");
  return {v};
}
template <class Inspector, class Vector>
typename Inspector::result_type inspect(Inspector& f, packed_field<Vector>& p) {
  using T = typename Vector::value_type;
  if constexpr (std::is_base_of_v<caf::serializer, Inspector>) {
    size_t n = p.v.size();
    if (auto err = f.begin_sequence(n)) return err;
    if (n > 0)
      if (auto err = f.apply_raw(n * sizeof(T), p.v.data())) return err;
    return f.end_sequence();
  } else if constexpr (Inspector::reads_state) {
    return f(p.v);
  } else {
    size_t n = 0;
    if (auto err = f.begin_sequence(n)) return err;
    if (n > std::numeric_limits<size_t>::max() / sizeof(T)) return caf::make_error(caf::sec::invalid_argument);
    p.v.clear();
    constexpr size_t chunk = (size_t(1) << 20) / sizeof(T);
    for (size_t have = 0; have < n;) {
      const size_t k = std::min(chunk, n - have);
      p.v.resize(have + k);
      if (auto err = f.apply_raw(k * sizeof(T), p.v.data() + have)) return err;
      have += k;
    }
    return f.end_sequence();
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, query_batch& x) {
  return f(caf::meta::type_name("query_batch"), x.dim, packed(x.x));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, response_batch& x) {
  return f(caf::meta::type_name("response_batch"), x.options, packed(x.action), packed(x.prob));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, judgment_batch& x) {
  // fail_dim travels as its integer codes (value_dim's underlying values).
  std::vector<int32_t> dims;
  if constexpr (Inspector::reads_state)
    for (auto d : x.fail_dim) dims.push_back(int32_t(d));
  auto loaded = caf::meta::load_callback([&]() -> caf::error {
    x.fail_dim.clear();
    for (auto d : dims) x.fail_dim.push_back(value_dim(d));
    return caf::none;
  });
  return f(caf::meta::type_name("judgment_batch"), x.options, packed(x.p_ok), packed(dims), packed(x.confidence),
           packed(x.uncertainty), packed(x.score), loaded);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, label_request& x) {
  return f(caf::meta::type_name("label_request"), x.id, x.kind, packed(x.x), x.a, x.b);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expert_label& x) {
  return f(caf::meta::type_name("expert_label"), x.id, x.expert, x.kind, packed(x.x), x.a, x.b, packed(x.ok),
           x.prefers_a);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, label_batch& x) {
  return f(caf::meta::type_name("label_batch"), x.labels);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, train_batch& x) {
  return f(caf::meta::type_name("train_batch"), x.dim, packed(x.x), packed(x.a), packed(x.b), x.width,
           packed(x.target));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, param_blob& x) {
  return f(caf::meta::type_name("param_blob"), packed(x.values));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_row& x) {
  return f(caf::meta::type_name("metric_row"), x.tick, x.actor, x.name, x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_batch& x) {
  return f(caf::meta::type_name("metric_batch"), x.rows);
}

/// A role's whole state as bytes (base/state_io.hpp), for a checkpoint; a role that
/// owns other actors (a learner's trainer) puts theirs inside its own.
struct role_state {
  std::vector<char> bytes;
  friend bool operator==(const role_state&, const role_state&) = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_state& x) {
  return f(caf::meta::type_name("role_state"), packed(x.bytes));
}

/// A run's checkpoint on its way to disk: the tick it resumes at (every tick before it
/// has run and been recorded) and the state of the program and of every role.
struct checkpoint_blob {
  int64_t tick = 0;
  std::vector<char> bytes;
  friend bool operator==(const checkpoint_blob&, const checkpoint_blob&) = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_blob& x) {
  return f(caf::meta::type_name("checkpoint_blob"), x.tick, packed(x.bytes));
}

// ---- role interfaces -----------------------------------------------------------------

/// What every role that takes part in checkpoints answers besides its own messages
/// (`using my_actor = caf::typed_actor<...>::extend_with<checkpointable>`): save
/// replies with its state between ticks, restore replaces it with a saved one.
using checkpointable = caf::typed_actor<caf::replies_to<save_atom>::with<role_state>,
                                        caf::replies_to<restore_atom, role_state>::with<ack_atom>>;

/// Critic: judges responses, names the items it wants a human label for (within its
/// per-tick quota, shared evenly among the label pools), and learns from expert labels.
/// `pools` gives each row's label pool (e.g. 0 natural traffic, 1 attack findings);
/// empty: no row is a candidate for a label.
using critic_actor = caf::typed_actor<
    caf::replies_to<judge_atom, query_batch, response_batch, std::vector<int32_t> /*pools*/>::with<judgment_batch>,
    caf::replies_to<ask_atom, int64_t /*tick*/>::with<std::vector<label_request>>,
    caf::replies_to<learn_atom, label_batch>::with<ack_atom>>::extend_with<checkpointable>;

/// Simulated human expert: takes label requests at a tick (replies how many it accepted
/// within its budget) and hands over the labels due by a later tick.
using expert_actor = caf::typed_actor<
    caf::replies_to<label_atom, int64_t /*tick*/, std::vector<label_request>>::with<int32_t>,
    caf::replies_to<deliver_atom, int64_t /*tick*/>::with<label_batch>>::extend_with<checkpointable>;

/// Attacker: proposes queries each tick and hears how each fared (critic's judgment).
using attacker_actor = caf::typed_actor<
    caf::replies_to<propose_atom, int64_t /*tick*/>::with<query_batch>,
    caf::replies_to<feedback_atom, query_batch, judgment_batch>::with<ack_atom>>::extend_with<checkpointable>;

/// Trainer: runs optimizer steps on its own thread and returns the new parameters.
using trainer_actor =
    caf::typed_actor<caf::replies_to<step_atom, train_batch>::with<param_blob>>::extend_with<checkpointable>;

/// Recorder: appends metric rows; flush commits them and replies when durable; a
/// checkpoint is written (after committing every row before it) and replied to when
/// it is on disk.
using recorder_actor = caf::typed_actor<caf::replies_to<record_atom, metric_batch>::with<ack_atom>,
                                        caf::replies_to<flush_atom>::with<ack_atom>,
                                        caf::replies_to<save_atom, checkpoint_blob>::with<ack_atom>>;



// ---- nodes (actors/node) -------------------------------------------------------------

using hello_atom = caf::atom_constant<caf::atom("hello")>;  // node: the lab's secret; replies node_facts
using host_atom = caf::atom_constant<caf::atom("host")>;    // node: build a run's program, spawn its share

/// What a node tells a coordinator that knows the secret.
struct node_facts {
  std::string commit;   ///< the build's commit: a run is spread only over one build
  bool gpu = false;     ///< a CUDA device is visible (trainers prefer such nodes)
  int32_t threads = 0;  ///< its scheduler threads
  friend bool operator==(const node_facts&, const node_facts&) = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_facts& x) {
  return f(caf::meta::type_name("node_facts"), x.commit, x.gpu, x.threads);
}

/// A coordinator asks a node to host its share of a run (runtime/placement.hpp). The
/// node keeps the roles while `anchor` lives: when the coordinator ends the run, or its
/// process or connection dies, the node stops them.
struct host_request {
  caf::actor anchor;
  std::string scenario;
  std::string toml;               ///< the run's resolved scenario.toml
  uint64_t seed = 0;
  int32_t node = 0;               ///< this node's index in the run's node list
  std::vector<uint8_t> gpus;      ///< per node of the run: 1 has a GPU
  bool coordinator_share = false; ///< placement.coordinator
  friend bool operator==(const host_request&, const host_request&) = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, host_request& x) {
  return f(caf::meta::type_name("host_request"), x.anchor, x.scenario, x.toml, x.seed, x.node, packed(x.gpus),
           x.coordinator_share);
}

/// A node's reply: the roles it spawned, by name, in the order placed.
struct hosted_roles {
  std::vector<std::string> names;
  std::vector<caf::actor> handles;
  friend bool operator==(const hosted_roles&, const hosted_roles&) = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hosted_roles& x) {
  return f(caf::meta::type_name("hosted_roles"), x.names, x.handles);
}

/// Registers every message type above with the actor system.
void register_protocol(caf::actor_system_config& cfg);

}  // namespace oversight
