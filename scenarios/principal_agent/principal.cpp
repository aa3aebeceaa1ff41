// principal: the principal-shard actor of principal_agent (its interface in principal.hpp).
#include "scenarios/principal_agent/principal.hpp"

#include <string>

#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {
caf::error mismatch(const std::string& what) { return caf::make_error(caf::sec::runtime_error, what); }

struct principal_state {
  std::unique_ptr<principal_block> block;
  /// route[i]: the agent shard of principal i's agent, fixed at spawn like the delegation.
  std::vector<uint16_t> route;
  /// rows_to[a]: the principals of this shard that delegate to agent shard a, in order.
  std::vector<std::vector<int32_t>> rows_to;
  rng tasks, seen;
  /// Checkpoints: the streams (the block and the routes are fixed at spawn).
  void state(state_io& io) { io(tasks, seen); }
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
  st.rows_to.resize(size_t(agents.shards));
  for (size_t i = 0; i < delegate.size(); ++i) {
    const int a = agents.shard_of(delegate[i]);
    st.route.push_back(uint16_t(a));
    st.rows_to[size_t(a)].push_back(int32_t(i));
  }
  st.tasks = rng(seed, "principal-tasks-" + tag);
  st.seen = rng(seed, "principal-seen-" + tag);
  return {
      [=](order_atom, int64_t) {
        auto& st = self->state;
        auto& b = *st.block;
        const size_t c = size_t(b.candidates());
        // Every batch is sized once; each principal's task is drawn in principal order (one
        // stream) straight into its agent's batch, where it lands in row order.
        std::vector<order_batch> out(size_t(agents.shards));
        std::vector<size_t> filled(out.size(), 0);
        for (size_t a = 0; a < out.size(); ++a) {
          const size_t n = st.rows_to[a].size();
          out[a].candidates = int32_t(c);
          out[a].product.resize(n * c);
          out[a].utility.resize(n * c);
        }
        for (size_t i = 0; i < b.size(); ++i) {
          const size_t a = st.route[i];
          const size_t row = filled[a]++;
          b.make_task(i, st.tasks, &out[a].product[row * c], &out[a].utility[row * c]);
        }
        return out;
      },
      [=](settle_atom, int64_t, const std::vector<choice_batch>& choices) -> caf::result<principal_report> {
        auto& st = self->state;
        auto& b = *st.block;
        if (choices.size() != st.rows_to.size())
          return mismatch("principal shard " + tag + ": settle got choices from " +
                                    std::to_string(choices.size()) + " agent shards, expected " +
                                    std::to_string(st.rows_to.size()));
        principal_report rep;
        rep.feedback.resize(choices.size());
        const float paid = float(cfg.fee), punished = 0.0f - float(cfg.penalty);
        for (size_t a = 0; a < choices.size(); ++a) {
          const auto& mine = st.rows_to[a];
          const auto& ch = choices[a].choice;
          if (ch.size() != mine.size())
            return mismatch("principal shard " + tag + ": agent shard " + std::to_string(a) + " chose for " +
                                      std::to_string(ch.size()) + " orders, it was sent " +
                                      std::to_string(mine.size()));
          auto& net = rep.feedback[a].net;
          net.resize(mine.size());
          for (size_t r = 0; r < mine.size(); ++r) {
            if (r + 8 < mine.size()) b.prefetch(size_t(mine[r + 8]));
            if (ch[r] >= b.candidates())
              return mismatch("principal shard " + tag + ": agent shard " + std::to_string(a) + " chose candidate " +
                              std::to_string(int(ch[r])) + " of " + std::to_string(b.candidates()));
            const size_t i = size_t(mine[r]);
            const float u = b.utility(i, ch[r]);
            const float loss = b.best_utility(i) - u;
            const bool overridden = loss > 0.0f;
            const bool observed = st.seen.bernoulli(cfg.observe_prob);
            // & rather than &&: random outcomes, so no branches to mispredict.
            const bool caught = observed & overridden & (double(loss) > cfg.tolerance);
            rep.overrides += overridden;
            rep.observed += observed;
            rep.caught += caught;
            rep.welfare += double(u);
            net[r] = caught ? punished : paid;
          }
          rep.transactions += int64_t(mine.size());
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
