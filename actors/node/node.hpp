// Nodes: other processes, on this machine or others, that host a share of a run's roles.
//
//   oversight node --listen HOST:PORT --tls DIR      (serve_node: until SIGINT/SIGTERM)
//   oversight run FILE --nodes H:P,H:P --tls DIR     (connect_nodes, then the run)
//
// The coordinator (the process of `oversight run`, which runs the director and the
// recorder) connects to each node over TLS (caf_openssl: both sides' certificates
// checked against the lab's CA), says hello with the lab's secret (runtime/tls.hpp) and
// gets the node's facts (its build's commit, whether it has a GPU); a node that runs
// another build is refused, since the run would not be the same run. It then sends each
// node a host_request: the run's resolved scenario.toml, seed, the node's index and the
// run's placement. The node builds the same program (runtime/placement.hpp), spawns its
// share of the placed roles and replies with their handles, which the coordinator's
// program uses where it would have spawned them. From then on the run is the same
// message flow as in one process, over CAF's middleman: the director's requests reach
// remote roles through proxies, replies land in slots by sender, so the metrics are
// bit-identical to a single-process run.
//
// A node stops a run's roles when the coordinator's anchor actor goes down: the run
// ended, or its process or connection died. A node that dies mid-run ends the run (the
// director monitors every role) naming the node; the run directory keeps its last
// checkpoint, and `oversight resume DIR --nodes ...` continues on the nodes that remain.
#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/placement.hpp"
#include "runtime/protocol.hpp"
#include "runtime/spec.hpp"
#include "runtime/tls.hpp"

namespace oversight {

/// `oversight node`: listens on `listen` ("HOST:PORT"; port 0 picks a free one), prints
/// "oversight node listening on HOST:PORT" on stdout once it accepts connections, and
/// serves runs until SIGINT or SIGTERM. Throws user_error for bad flags (naming them).
int serve_node(const std::string& listen, const tls_set& tls, int threads);

/// The coordinator's links to a run's nodes.
struct node_links {
  std::vector<node_address> addresses;
  std::vector<caf::actor> gates;   ///< each node's published actor
  std::vector<node_facts> facts;
  caf::actor anchor;               ///< lives as long as the run; nodes watch it
};

/// Connects to every node and checks it (TLS, secret, build). Throws user_error naming
/// the node and the reason in one line: unreachable, TLS refused (another lab's CA),
/// wrong secret, another build.
node_links connect_nodes(caf::actor_system& sys, const std::vector<node_address>& nodes, const tls_set& tls);

/// Asks every node to host its share of `spec`'s program under `plan` (coordinator mode,
/// one entry per node) and records the handles they report in `plan`. Throws
/// std::runtime_error naming the node when one fails to build its share.
void host_on_nodes(caf::actor_system& sys, node_links& links, const scenario_spec& spec, placement& plan);

}  // namespace oversight
