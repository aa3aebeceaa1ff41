// agent: the agent-shard actor of principal_agent (its interface in agent.hpp).
#include "scenarios/principal_agent/agent.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
caf::error mismatch(const std::string& what) { return caf::make_error(caf::sec::runtime_error, what); }

struct agent_state {
  /// The shard's agents, kept in the order their rows arrive: principal shard by
  /// principal shard, row by row (the delegation fixes it at spawn), so that a tick walks
  /// them front to back.
  std::unique_ptr<agent_block> block;
  /// start[s]: the slot of row 0 of principal shard s's orders; row r is start[s] + r.
  std::vector<size_t> start;
  rng decide;
  void state(state_io& io) { io(*block, decide); }
};

agent_shard_actor::behavior_type agent_shard(agent_shard_actor::stateful_pointer<agent_state> self,
                                             agent_config cfg, std::shared_ptr<const catalog> cat,
                                             block_split agents, int shard,
                                             std::vector<std::vector<int32_t>> rows_from, uint64_t seed) {
  const std::string tag = std::to_string(shard);
  rng init(seed, "agent-init-" + tag);
  auto& st = self->state;
  std::vector<int32_t> order;
  st.start.push_back(0);
  for (auto& rows : rows_from) {
    order.insert(order.end(), rows.begin(), rows.end());
    st.start.push_back(order.size());
    std::vector<int32_t>().swap(rows);
  }
  st.block =
      std::make_unique<agent_block>(cfg, cat, agents.first(shard), agents.count(shard), init, std::move(order));
  st.decide = rng(seed, "agent-decide-" + tag);
  const size_t sources = rows_from.size();
  return {
      [=](decide_atom, int64_t, const std::vector<order_batch>& orders) -> caf::result<decisions> {
        auto& st = self->state;
        auto& b = *st.block;
        if (orders.size() != sources)
          return mismatch("agent shard " + tag + ": decide got orders from " + std::to_string(orders.size()) +
                          " principal shards, expected " + std::to_string(sources));
        decisions out;
        out.choices.resize(orders.size());
        out.records.gap.resize(b.size());
        for (size_t s = 0; s < orders.size(); ++s) {
          const auto& o = orders[s];
          const size_t first = st.start[s], n = st.start[s + 1] - first, c = size_t(o.candidates);
          const bool none = n == 0 && o.product.empty() && o.utility.empty();
          if (!none && (o.candidates < 1 || c > 255 || o.product.size() != n * c || o.utility.size() != n * c))
            return mismatch("agent shard " + tag + ": malformed orders from principal shard " + std::to_string(s) +
                            " (" + std::to_string(o.product.size()) + " product ids and " +
                            std::to_string(o.utility.size()) + " utilities for " + std::to_string(n) + " rows of " +
                            std::to_string(o.candidates) + " candidates)");
          auto& choice = out.choices[s].choice;
          choice.resize(n);
          for (size_t r = 0; r < n; ++r) {
            const size_t slot = first + r;
            float gap = 0;
            choice[r] = uint8_t(b.choose(slot, &o.product[r * c], &o.utility[r * c], o.candidates, st.decide, gap));
            // The records follow the shard's row order (principal shards in order), which
            // is its slot order.
            out.records.gap[slot] = gap;
          }
        }
        return out;
      },
      [=](learn_atom, const agent_feedback& heard) -> caf::result<agent_report> {
        const auto& feedback = heard.principals;
        const auto& flags = heard.auditors;
        auto& st = self->state;
        auto& b = *st.block;
        if (feedback.size() != sources)
          return mismatch("agent shard " + tag + ": learn got feedback from " + std::to_string(feedback.size()) +
                          " principal shards, expected " + std::to_string(sources));
        agent_report rep;
        // Principals' feedback first (principal-shard order), then the auditors' flags.
        for (size_t s = 0; s < feedback.size(); ++s) {
          const size_t first = st.start[s], n = st.start[s + 1] - first;
          const auto& net = feedback[s].net;
          if (net.size() != n)
            return mismatch("agent shard " + tag + ": feedback for " + std::to_string(net.size()) +
                            " orders from principal shard " + std::to_string(s) + ", which sent " +
                            std::to_string(n));
          for (size_t r = 0; r < n; ++r) b.feedback(first + r, net[r]);
          rep.transactions += int64_t(n);
        }
        for (int32_t row : flags.row) {
          if (row < 0 || size_t(row) >= b.size())
            return mismatch("agent shard " + tag + ": a flag for row " + std::to_string(row) + " of its " +
                            std::to_string(b.size()) + " transactions");
          b.feedback(size_t(row), 0.0f - flags.penalty);
        }
        rep.gain = b.learn();
        return rep;
      },
      save_handler(self),
      restore_handler(self, "agent shard " + tag),
  };
}
}  // namespace

agent_shard_actor spawn_agent_shard(caf::actor_system& sys, const agent_config& cfg,
                                    std::shared_ptr<const catalog> cat, block_split agents, int shard,
                                    std::vector<std::vector<int32_t>> rows_from, uint64_t seed) {
  // Every agent of the block on exactly one route (one principal each).
  const int64_t size = agents.count(shard);
  std::vector<bool> routed(size_t(size), false);
  for (const auto& rows : rows_from)
    for (int32_t i : rows) {
      if (i < 0 || i >= size)
        throw std::invalid_argument("agent shard " + std::to_string(shard) + ": a route names local agent " +
                                    std::to_string(i) + " of " + std::to_string(size));
      if (routed[size_t(i)])
        throw std::invalid_argument("agent shard " + std::to_string(shard) + ": local agent " + std::to_string(i) +
                                    " is on two routes");
      routed[size_t(i)] = true;
    }
  if (auto missing = std::find(routed.begin(), routed.end(), false); missing != routed.end())
    throw std::invalid_argument("agent shard " + std::to_string(shard) + ": local agent " +
                                std::to_string(missing - routed.begin()) + " is on no route");
  return sys.spawn(agent_shard, cfg, std::move(cat), agents, shard, std::move(rows_from), seed);
}

}  // namespace oversight
