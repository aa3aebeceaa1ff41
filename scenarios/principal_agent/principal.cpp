// principal: the principal-shard actor of principal_agent (its interface in principal.hpp).
#include "scenarios/principal_agent/principal.hpp"

#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
struct principal_state {
  std::unique_ptr<principal_block> block;
  std::vector<int32_t> delegate;
  rng tasks, seen;
  void state(state_io& io) { io(*block, tasks, seen); }
};

principal_shard_actor::behavior_type principal_shard(principal_shard_actor::stateful_pointer<principal_state> self,
                                                     principal_settings cfg, std::shared_ptr<const catalog> cat,
                                                     block_split principals, block_split agents, int shard,
                                                     std::vector<int32_t> delegate, uint64_t seed) {
  const std::string tag = std::to_string(shard);
  rng init(seed, "principal-init-" + tag);
  auto& st = self->state;
  st.block = std::make_unique<principal_block>(cfg.market, cat, principals.first(shard), principals.count(shard),
                                               init);
  st.delegate = std::move(delegate);
  st.tasks = rng(seed, "principal-tasks-" + tag);
  st.seen = rng(seed, "principal-seen-" + tag);
  return {
      [=](order_atom, int64_t) {
        auto& st = self->state;
        auto& b = *st.block;
        const int c = b.candidates();
        std::vector<order_batch> out(size_t(agents.shards));
        for (auto& o : out) o.candidates = c;
        std::vector<int32_t> products(static_cast<size_t>(c));
        std::vector<float> utility(static_cast<size_t>(c));
        for (size_t i = 0; i < b.size(); ++i) {
          b.make_task(i, st.tasks, products.data(), utility.data());
          auto& o = out[size_t(agents.shard_of(st.delegate[i]))];
          o.principal.push_back(int32_t(b.first() + int64_t(i)));
          o.agent.push_back(st.delegate[i]);
          o.product.insert(o.product.end(), products.begin(), products.end());
          o.utility.insert(o.utility.end(), utility.begin(), utility.end());
        }
        return out;
      },
      [=](settle_atom, int64_t, const std::vector<decision_batch>& decisions) {
        auto& st = self->state;
        auto& b = *st.block;
        principal_report rep;
        rep.feedback.resize(size_t(agents.shards));
        for (auto& d : decisions)
          for (size_t r = 0; r < d.rows(); ++r) {
            const size_t i = size_t(d.principal[r] - b.first());
            const float u = b.utility(i, d.choice[r]);
            const float loss = b.best_utility(i) - u;
            const bool overridden = loss > 0.0f;
            const bool observed = st.seen.bernoulli(cfg.observe_prob);
            const bool caught = observed && overridden && double(loss) > cfg.tolerance;
            ++rep.transactions;
            rep.overrides += overridden;
            rep.observed += observed;
            rep.caught += caught;
            rep.welfare += double(u);
            auto& f = rep.feedback[size_t(agents.shard_of(d.agent[r]))];
            f.agent.push_back(d.agent[r]);
            f.payment.push_back(caught ? 0.0f : float(cfg.fee));
            f.penalty.push_back(caught ? float(cfg.penalty) : 0.0f);
          }
        return rep;
      },
      save_handler(self),
      restore_handler(self, "principal shard " + tag),
  };
}
}  // namespace

principal_shard_actor spawn_principal_shard(caf::actor_system& sys, const principal_settings& cfg,
                                            std::shared_ptr<const catalog> cat, block_split principals,
                                            block_split agents, int shard, std::vector<int32_t> delegate,
                                            uint64_t seed) {
  return sys.spawn(principal_shard, cfg, std::move(cat), principals, agents, shard, std::move(delegate), seed);
}

}  // namespace oversight
