// Where a program's roles run when a run is spread over nodes (`oversight run --nodes`).
//
// Every process of a run builds the same program from the same resolved parameters and
// seed: the coordinating process (which runs the director and the recorder) and each
// node. A program names the roles that may run elsewhere with
// scenario_program::place(name, spawn, hint) (actors/director/director.hpp); each
// process asks this plan where the next placed role goes, and since the program's
// constructor places its roles in the same order everywhere, every process gets the same
// answer without talking to the others:
//  - the process the role goes to calls `spawn` and keeps the actor;
//  - a node hands the coordinator the handles of the roles it spawned (hosted);
//  - the coordinator uses those handles (remote) where it would have spawned the role.
// A placed role is built from the parameters, the seed and what the program's
// constructor computes from them: never from the handle of another placed role (on a
// node that handle would be its own copy, not the role the run talks to).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>

namespace oversight {

/// What a role needs from the process it runs on.
enum class placement_hint : uint8_t {
  spread,       ///< any process: dealt round robin (shards of a population, attackers)
  accelerator,  ///< a node with a GPU when the run has one (trainers); else like spread
};

/// One node of a run, as the coordinator reached it.
struct node_address {
  std::string host;
  uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

/// "HOST:PORT" -> node_address; `what` names the value's source in the error (e.g.
/// "--nodes"). Throws user_error naming the value.
node_address parse_node_address(const std::string& text, const std::string& what);
/// "a:1,b:2" -> addresses, in order; duplicates are refused.
std::vector<node_address> parse_node_list(const std::string& text, const std::string& what);

class placement {
 public:
  enum class mode : uint8_t {
    coordinator,  ///< the process that runs the director: spawns its share, uses the nodes' handles for theirs
    node,         ///< a node: spawns only its own share and reports them
  };

  /// `gpus[k]`: node k has a GPU. `coordinator_share`: the coordinating process takes a
  /// share of the spread roles as if it were one more node (placement.coordinator).
  placement(mode m, std::vector<bool> gpus, bool coordinator_share, int self_node = -1)
      : mode_(m), gpus_(std::move(gpus)), coordinator_share_(coordinator_share), self_(self_node) {}

  mode role() const { return mode_; }
  int self_node() const { return self_; }
  size_t nodes() const { return gpus_.size(); }

  /// Where the next placed role goes: -1 the coordinating process, k node k. Advances
  /// the plan (call once per placed role, in the program's order).
  int next(placement_hint hint);

  // coordinator: the roles the nodes host, by name (from their replies).
  void add_remote(const std::string& name, caf::actor handle, int node) {
    remote_[name] = {std::move(handle), node};
  }
  /// The handle node `node` reported for `name`; throws std::runtime_error when it
  /// reported none (the node built another program: a different build or parameters).
  caf::actor remote(const std::string& name, int node) const;
  /// How many roles the nodes host (coordinator).
  size_t remote_count() const { return remote_.size(); }
  /// The node a role name was placed on; -1 when it runs in this process.
  int node_of(const std::string& name) const;
  /// How the run names its nodes ("127.0.0.1:4100"), in node order (coordinator).
  std::vector<std::string> node_labels;
  /// "agent/2 on node 127.0.0.1:4100", or the name alone for a role in this process.
  std::string where(const std::string& name) const {
    const int k = node_of(name);
    if (k < 0 || size_t(k) >= node_labels.size()) return name;
    return name + " on node " + node_labels[size_t(k)];
  }

  // node: the roles this node spawned, in the order placed.
  void add_hosted(std::string name, caf::actor handle) {
    hosted_names_.push_back(std::move(name));
    hosted_.push_back(std::move(handle));
  }
  const std::vector<std::string>& hosted_names() const { return hosted_names_; }
  const std::vector<caf::actor>& hosted() const { return hosted_; }

 private:
  mode mode_;
  std::vector<bool> gpus_;
  bool coordinator_share_;
  int self_;
  size_t spread_next_ = 0, accel_next_ = 0;
  std::map<std::string, std::pair<caf::actor, int>> remote_;
  std::vector<std::string> hosted_names_;
  std::vector<caf::actor> hosted_;
};

}  // namespace oversight
