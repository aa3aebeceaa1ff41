// agent: the agent-shard actor of principal_agent (its interface in agent.hpp).
#include "scenarios/principal_agent/agent.hpp"

#include <stdexcept>
#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
/// Rows ahead whose agent is prefetched: orders and feedback visit agents in random order.
constexpr size_t ahead = 8;

caf::error mismatch(const std::string& what) { return caf::make_error(caf::sec::runtime_error, what); }

struct agent_state {
  std::unique_ptr<agent_block> block;
  rng decide;
  /// rows_from[s][r]: the local agent that row r of principal shard s's orders (and
  /// choices, and feedback) is for; fixed at spawn like the delegation.
  std::vector<std::vector<int32_t>> rows_from;
  void state(state_io& io) { io(*block, decide); }
};

agent_shard_actor::behavior_type agent_shard(agent_shard_actor::stateful_pointer<agent_state> self,
                                             agent_config cfg, std::shared_ptr<const catalog> cat,
                                             block_split agents, int shard,
                                             std::vector<std::vector<int32_t>> rows_from, uint64_t seed) {
  const std::string tag = std::to_string(shard);
  rng init(seed, "agent-init-" + tag);
  auto& st = self->state;
  st.block = std::make_unique<agent_block>(cfg, cat, agents.first(shard), agents.count(shard), init);
  st.decide = rng(seed, "agent-decide-" + tag);
  st.rows_from = std::move(rows_from);
  return {
      [=](decide_atom, int64_t, const std::vector<order_batch>& orders) -> caf::result<decisions> {
        auto& st = self->state;
        auto& b = *st.block;
        if (orders.size() != st.rows_from.size())
          return mismatch("agent shard " + tag + ": decide got orders from " + std::to_string(orders.size()) +
                          " principal shards, expected " + std::to_string(st.rows_from.size()));
        size_t total = 0;
        for (const auto& rows : st.rows_from) total += rows.size();
        decisions out;
        out.choices.resize(orders.size());
        out.records.agent.resize(total);
        out.records.gap.resize(total);
        size_t record = 0;
        for (size_t s = 0; s < orders.size(); ++s) {
          const auto& o = orders[s];
          const auto& rows = st.rows_from[s];
          const size_t n = rows.size(), c = size_t(o.candidates);
          const bool none = n == 0 && o.product.empty() && o.utility.empty();
          if (!none && (o.candidates < 1 || c > 255 || o.product.size() != n * c || o.utility.size() != n * c))
            return mismatch("agent shard " + tag + ": malformed orders from principal shard " + std::to_string(s) +
                            " (" + std::to_string(o.product.size()) + " product ids and " +
                            std::to_string(o.utility.size()) + " utilities for " + std::to_string(n) + " rows of " +
                            std::to_string(o.candidates) + " candidates)");
          auto& choice = out.choices[s].choice;
          choice.resize(n);
          for (size_t r = 0; r < n; ++r, ++record) {
            if (r + ahead < n) b.prefetch(size_t(rows[r + ahead]));
            const size_t i = size_t(rows[r]);
            float gap = 0;
            choice[r] = uint8_t(b.choose(i, &o.product[r * c], &o.utility[r * c], o.candidates, st.decide, gap));
            // The records follow the shard's row order: principal shards in order.
            out.records.agent[record] = int32_t(b.first() + int64_t(i));
            out.records.gap[record] = gap;
          }
        }
        return out;
      },
      [=](learn_atom, const agent_feedback& heard) -> caf::result<agent_report> {
        const auto& feedback = heard.principals;
        const auto& flags = heard.auditors;
        auto& st = self->state;
        auto& b = *st.block;
        if (feedback.size() != st.rows_from.size())
          return mismatch("agent shard " + tag + ": learn got feedback from " + std::to_string(feedback.size()) +
                          " principal shards, expected " + std::to_string(st.rows_from.size()));
        agent_report rep;
        // Principals' feedback first (principal-shard order), then the auditors' flags.
        for (size_t s = 0; s < feedback.size(); ++s) {
          const auto& rows = st.rows_from[s];
          const auto& net = feedback[s].net;
          if (net.size() != rows.size())
            return mismatch("agent shard " + tag + ": feedback for " + std::to_string(net.size()) +
                            " orders from principal shard " + std::to_string(s) + ", which sent " +
                            std::to_string(rows.size()));
          for (size_t r = 0; r < net.size(); ++r) {
            if (r + ahead < net.size()) b.prefetch(size_t(rows[r + ahead]));
            b.feedback(size_t(rows[r]), net[r]);
          }
          rep.transactions += int64_t(rows.size());
        }
        for (int32_t agent : flags.agent) {
          const int64_t i = agent - b.first();
          if (i < 0 || i >= int64_t(b.size()))
            return mismatch("agent shard " + tag + ": flag for agent " + std::to_string(agent) +
                            ", not one of this shard's");
          b.feedback(size_t(i), 0.0f - flags.penalty);
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
  const int64_t size = agents.count(shard);
  for (const auto& rows : rows_from)
    for (int32_t i : rows)
      if (i < 0 || i >= size)
        throw std::invalid_argument("agent shard " + std::to_string(shard) + ": a route names local agent " +
                                    std::to_string(i) + " of " + std::to_string(size));
  return sys.spawn(agent_shard, cfg, std::move(cat), agents, shard, std::move(rows_from), seed);
}

}  // namespace oversight
