// agent: the agent-shard actor of principal_agent (its interface in agent.hpp).
#include "scenarios/principal_agent/agent.hpp"

#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct agent_state {
  std::unique_ptr<agent_block> block;
  rng decide;
  int64_t acted = 0;
  void state(state_io& io) { io(*block, decide, acted); }
};

agent_shard_actor::behavior_type agent_shard(agent_shard_actor::stateful_pointer<agent_state> self,
                                             agent_config cfg, std::shared_ptr<const catalog> cat,
                                             block_split agents, block_split principals, int shard, uint64_t seed) {
  const std::string tag = std::to_string(shard);
  rng init(seed, "agent-init-" + tag);
  self->state.block = std::make_unique<agent_block>(cfg, cat, agents.first(shard), agents.count(shard), init);
  self->state.decide = rng(seed, "agent-decide-" + tag);
  return {
      [=](decide_atom, int64_t, const order_batch& orders) {
        auto& st = self->state;
        auto& b = *st.block;
        std::vector<decision_batch> out(size_t(principals.shards));
        const size_t c = size_t(orders.candidates);
        for (size_t r = 0; r < orders.rows(); ++r) {
          float gap = 0;
          const int pick = b.choose(size_t(orders.agent[r] - b.first()), &orders.product[r * c],
                                    &orders.utility[r * c], orders.candidates, st.decide, gap);
          auto& d = out[size_t(principals.shard_of(orders.principal[r]))];
          d.principal.push_back(orders.principal[r]);
          d.agent.push_back(orders.agent[r]);
          d.choice.push_back(pick);
          d.gap.push_back(gap);
        }
        st.acted = int64_t(orders.rows());
        return out;
      },
      [=](learn_atom, const feedback_batch& fb) {
        auto& st = self->state;
        auto& b = *st.block;
        for (size_t r = 0; r < fb.rows(); ++r) b.feedback(size_t(fb.agent[r] - b.first()), fb.payment[r], fb.penalty[r]);
        agent_report rep;
        rep.transactions = st.acted;
        rep.gain = b.learn();
        st.acted = 0;
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
