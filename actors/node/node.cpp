#include "actors/node/node.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <unistd.h>

#include <caf/io/middleman.hpp>
#include <caf/openssl/all.hpp>

#include "actors/director/director.hpp"
#include "policies/nets.hpp"
#include "base/error.hpp"
#include "base/log.hpp"
#include "runtime/event_log.hpp"
#include "runtime/run_context.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/tls_handshakes.hpp"
#include "runtime/version.hpp"

namespace oversight {

namespace {

/// One run a node hosts a share of.
struct hosted_run {
  caf::actor_addr anchor;
  std::shared_ptr<void> program;   ///< the node's copy of the program: its roles may share its data
  std::vector<caf::actor> actors;  ///< every actor the copy spawned (placed here or not placed at all)
  std::string label;               ///< "principal_agent seed 3" for the node's log lines
};

struct gate_state {
  std::string secret;
  node_facts facts;
  std::set<caf::node_id> trusted;  ///< coordinators that presented the secret
  std::vector<hosted_run> runs;
};

/// A run's spec from its resolved scenario.toml, read as `oversight run` reads a file.
scenario_spec spec_from_text(const std::string& toml) {
  char path[] = "/tmp/oversight-node-XXXXXX.toml";
  const int fd = ::mkstemps(path, 5);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file for the run's scenario.toml");
  {
    std::ofstream out(path, std::ios::binary);
    out << toml;
  }
  ::close(fd);
  struct remove_file {
    const char* p;
    ~remove_file() { std::remove(p); }
  } cleanup{path};
  return load_spec(path, {}, std::nullopt);
}

std::string peer_of(caf::stateful_actor<gate_state>* self) {
  const auto& s = self->current_sender();
  return s ? "coordinator " + to_string(s->node()) : "an unknown peer";
}

caf::behavior node_gate(caf::stateful_actor<gate_state>* self, std::string secret, node_facts facts) {
  self->state.secret = std::move(secret);
  self->state.facts = std::move(facts);
  // The gate is linked to every role it hosts, so that when the node stops (SIGTERM:
  // serve_node sends the gate an anonymous exit) its roles stop with it instead of
  // keeping the process alive. The exit of a role (stopped by its run's director, or dead
  // on its own, possibly after its run was forgotten here) does not take the gate down:
  // the run's coordinator learns it from its own monitor.
  self->set_exit_handler([=](caf::exit_msg& m) {
    // anon_send_exit names the receiver itself as the source.
    if (m.source && m.source != self->address()) return;  // a role's, not serve_node's
    self->quit(m.reason);
  });
  self->set_down_handler([=](caf::down_msg& m) {
    auto& runs = self->state.runs;
    for (auto it = runs.begin(); it != runs.end();) {
      if (it->anchor != m.source) {
        ++it;
        continue;
      }
      for (auto& a : it->actors)
        if (a) {
          self->unlink_from(a);
          self->send_exit(a, caf::exit_reason::user_shutdown);
        }
      std::cerr << "oversight node: " << it->label << " ended"
                << (m.reason == caf::exit_reason::remote_link_unreachable ? " (its coordinator is unreachable)" : "")
                << std::endl;
      it = runs.erase(it);
    }
  });
  return {
      [=](hello_atom, const std::string& secret) -> caf::result<node_facts> {
        if (!same_secret(secret, self->state.secret)) {
          std::cerr << "oversight node: refused " << peer_of(self) << ": its secret does not match this node's"
                    << std::endl;
          return caf::make_error(caf::sec::runtime_error, "the secret does not match the node's");
        }
        if (self->current_sender()) self->state.trusted.insert(self->current_sender()->node());
        return self->state.facts;
      },
      [=](host_atom, host_request& rq) -> caf::result<hosted_roles> {
        if (!self->current_sender() || !self->state.trusted.count(self->current_sender()->node()))
          return caf::make_error(caf::sec::runtime_error, "refused: say hello with the lab's secret first");
        try {
          const scenario_info* info = ensure_scenario(rq.scenario);
          if (!info) throw std::runtime_error("unknown scenario '" + rq.scenario + "'");
          const scenario_spec spec = spec_from_text(rq.toml);
          if (spec.scenario != rq.scenario || spec.seed != rq.seed)
            throw std::runtime_error("the request's scenario or seed does not match its scenario.toml");
          std::vector<bool> gpus(rq.gpus.begin(), rq.gpus.end());
          if (rq.node < 0 || size_t(rq.node) >= gpus.size())
            throw std::runtime_error("node index " + std::to_string(rq.node) + " outside the run's " +
                                     std::to_string(gpus.size()) + " nodes");
          placement plan(placement::mode::node, std::move(gpus), rq.coordinator_share, rq.node);
          run_context ctx(self->system(), spec, recorder_actor{}, nullptr);
          ctx.set_placement(&plan);
          hosted_run run;
          ctx.set_host([&run](std::shared_ptr<void> program, std::vector<caf::actor> actors) {
            run.program = std::move(program);
            run.actors = std::move(actors);
          });
          info->run(ctx);
          run.anchor = rq.anchor.address();
          run.label = spec.scenario + " seed " + std::to_string(spec.seed) + " (node " + std::to_string(rq.node) + ")";
          std::cerr << "oversight node: hosting " << plan.hosted().size() << " roles of " << run.label << " for "
                    << peer_of(self) << std::endl;
          for (auto& a : run.actors)
            if (a) self->link_to(a);
          self->state.runs.push_back(std::move(run));
          self->monitor(rq.anchor);
          return hosted_roles{plan.hosted_names(), plan.hosted()};
        } catch (const std::exception& e) {
          std::cerr << "oversight node: cannot host " << rq.scenario << ": " << e.what() << std::endl;
          return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
        }
      },
  };
}

/// Blocks SIGINT and SIGTERM in this thread (and every thread it starts after), so that
/// serve_node can wait for them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

std::string render_error(caf::actor_system& sys, const caf::error& e) {
  std::string s = sys.render(e);
  return s.empty() ? "unknown error" : s;
}

}  // namespace

int serve_node(const std::string& listen, const tls_set& tls, int threads) {
  const node_address at = parse_node_address(listen, "--listen");
  // Every scenario's messages, as any run may ask this node to host any scenario.
  load_all_scenarios();
  const sigset_t stop = block_stop_signals();
  event_log_config cfg;
  register_protocol(cfg);
  use_tls(cfg, tls);
  const int workers = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  cfg.set("scheduler.max-threads", workers);
  cfg.set("work-stealing.aggressive-steal-interval", 1);
  cfg.set("work-stealing.moderate-steal-interval", 1);
  caf::actor_system sys{cfg};
  node_facts facts{oversight_commit(), trainers_on_gpu(), int32_t(workers)};
  auto gate = sys.spawn(node_gate, tls.secret, facts);
  report_failed_handshakes([](const std::string& peer, const std::string& reason) {
    std::cerr << "oversight node: refused a connection from " << peer << ": " << reason << std::endl;
  });
  auto port = caf::openssl::publish(gate, at.port, at.host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    throw user_error("--listen " + listen + ": cannot listen (" + render_error(sys, port.error()) + ")");
  }
  std::cout << "oversight node listening on " << at.host << ":" << *port << " (TLS: " << tls.dir.string()
            << (facts.gpu ? ", GPU" : ", no GPU") << ", " << workers << " threads)" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  std::cerr << "oversight node: stopping (signal " << sig << ")" << std::endl;
  report_failed_handshakes(nullptr);  // the connections it closes now are not refusals
  caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
  sys.middleman().unpublish(gate, *port);
  return 0;
}

node_links connect_nodes(caf::actor_system& sys, const std::vector<node_address>& nodes, const tls_set& tls) {
  node_links links;
  links.addresses = nodes;
  caf::scoped_actor self{sys};
  for (const auto& n : nodes) {
    auto gate = caf::openssl::remote_actor(sys, n.host, n.port);
    if (!gate)
      throw user_error("--nodes " + n.text() + ": cannot connect (" + render_error(sys, gate.error()) +
                       "): is `oversight node` listening there, and does its --tls set share this run's ca.pem (" +
                       (tls.dir / "ca.pem").string() + ")?");
    std::string failure;
    node_facts facts;
    self->request(*gate, std::chrono::seconds(30), hello_atom::value, tls.secret)
        .receive([&](node_facts& f) { facts = std::move(f); },
                 [&](caf::error& e) { failure = render_error(sys, e); });
    if (!failure.empty()) {
      if (failure.find("secret") != std::string::npos)
        throw user_error("--nodes " + n.text() + ": the node refused this run: the secret in " +
                         (tls.dir / "secret").string() + " is not the node's");
      throw user_error("--nodes " + n.text() + ": the node did not answer (" + failure + ")");
    }
    if (facts.commit != oversight_commit())
      throw user_error("--nodes " + n.text() + ": the node runs build " + facts.commit + ", this run build " +
                       oversight_commit() + " (a run spreads over one build only)");
    links.gates.push_back(*gate);
    links.facts.push_back(std::move(facts));
  }
  links.anchor = sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](ack_atom) {}}; });
  return links;
}

void host_on_nodes(caf::actor_system& sys, node_links& links, const scenario_spec& spec, placement& plan) {
  caf::scoped_actor self{sys};
  std::vector<uint8_t> gpus;
  for (auto& f : links.facts) gpus.push_back(f.gpu ? 1 : 0);
  plan.node_labels.clear();
  for (auto& a : links.addresses) plan.node_labels.push_back(a.text());
  const std::string toml = resolved_toml(spec);
  const bool share = spec.params.boolean("placement.coordinator");
  for (size_t k = 0; k < links.gates.size(); ++k) {
    host_request rq{links.anchor, spec.scenario, toml, spec.seed, int32_t(k), gpus, share};
    std::string failure;
    self->request(links.gates[k], std::chrono::minutes(10), host_atom::value, std::move(rq))
        .receive(
            [&](hosted_roles& h) {
              if (h.names.size() != h.handles.size()) failure = "a malformed reply";
              for (size_t i = 0; i < h.names.size() && failure.empty(); ++i)
                plan.add_remote(h.names[i], std::move(h.handles[i]), int(k));
            },
            [&](caf::error& e) { failure = render_error(sys, e); });
    if (!failure.empty())
      throw std::runtime_error("node " + links.addresses[k].text() + " cannot host its share of the run: " + failure);
  }
}

}  // namespace oversight
