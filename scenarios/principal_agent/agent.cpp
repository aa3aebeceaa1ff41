// agent: the agent-shard actor of principal_agent (its interface in agent.hpp).
#include "scenarios/principal_agent/agent.hpp"

#include <algorithm>
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
  /// This tick's orders, per principal shard: the local agent of each row, so that the
  /// feedback (row for row) finds its agent. Empty between ticks.
  std::vector<std::vector<int32_t>> acting;
  void state(state_io& io) { io(*block, decide); }
};

agent_shard_actor::behavior_type agent_shard(agent_shard_actor::stateful_pointer<agent_state> self,
                                             agent_config cfg, std::shared_ptr<const catalog> cat,
                                             block_split agents, block_split principals, int shard, uint64_t seed) {
  const std::string tag = std::to_string(shard);
  rng init(seed, "agent-init-" + tag);
  self->state.block = std::make_unique<agent_block>(cfg, cat, agents.first(shard), agents.count(shard), init);
  self->state.decide = rng(seed, "agent-decide-" + tag);
  self->state.acting.resize(size_t(principals.shards));
  return {
      [=](decide_atom, int64_t, const std::vector<order_batch>& orders) -> caf::result<decisions> {
        auto& st = self->state;
        auto& b = *st.block;
        if (orders.size() != st.acting.size())
          return mismatch("agent shard " + tag + ": decide got orders from " + std::to_string(orders.size()) +
                          " principal shards, expected " + std::to_string(st.acting.size()));
        size_t total = 0;
        for (auto& o : orders) total += o.rows();
        decisions out;
        out.choices.resize(orders.size());
        out.records.agent.reserve(total);
        out.records.gap.reserve(total);
        const int64_t last = int64_t(b.size()) - 1;
        for (size_t s = 0; s < orders.size(); ++s) {
          const auto& o = orders[s];
          const size_t n = o.rows(), c = size_t(o.candidates);
          if (o.product.size() != n * c || o.utility.size() != n * c || c > 255)
            return mismatch("agent shard " + tag + ": malformed orders from principal shard " + std::to_string(s));
          auto& local = st.acting[s];
          local.resize(n);
          auto& choice = out.choices[s].choice;
          choice.reserve(n);
          for (size_t r = 0; r < n; ++r) {
            if (r + ahead < n) b.prefetch(size_t(std::clamp<int64_t>(o.agent[r + ahead] - b.first(), 0, last)));
            const int64_t i = o.agent[r] - b.first();
            if (i < 0 || i >= int64_t(b.size()))
              return mismatch("agent shard " + tag + ": order for agent " + std::to_string(o.agent[r]) +
                              ", not one of this shard's");
            local[r] = int32_t(i);
            float gap = 0;
            choice.push_back(
                uint8_t(b.choose(size_t(i), &o.product[r * c], &o.utility[r * c], o.candidates, st.decide, gap)));
            // The records follow the shard's row order: principal shards in order.
            out.records.agent.push_back(o.agent[r]);
            out.records.gap.push_back(gap);
          }
        }
        return out;
      },
      [=](learn_atom, const agent_feedback& heard) -> caf::result<agent_report> {
        const auto& feedback = heard.principals;
        const auto& flags = heard.auditors;
        auto& st = self->state;
        auto& b = *st.block;
        if (feedback.size() != st.acting.size())
          return mismatch("agent shard " + tag + ": learn got feedback from " + std::to_string(feedback.size()) +
                          " principal shards, expected " + std::to_string(st.acting.size()));
        agent_report rep;
        // Principals' feedback first (principal-shard order), then the auditors' flags.
        for (size_t s = 0; s < feedback.size(); ++s) {
          auto& local = st.acting[s];
          const auto& net = feedback[s].net;
          if (net.size() != local.size())
            return mismatch("agent shard " + tag + ": feedback for " + std::to_string(net.size()) +
                            " orders from principal shard " + std::to_string(s) + ", which sent " +
                            std::to_string(local.size()));
          for (size_t r = 0; r < net.size(); ++r) {
            if (r + ahead < net.size()) b.prefetch(size_t(local[r + ahead]));
            b.feedback(size_t(local[r]), net[r]);
          }
          rep.transactions += int64_t(local.size());
          local.clear();
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
                                    std::shared_ptr<const catalog> cat, block_split agents, block_split principals,
                                    int shard, uint64_t seed) {
  return sys.spawn(agent_shard, cfg, std::move(cat), agents, principals, shard, seed);
}

}  // namespace oversight
