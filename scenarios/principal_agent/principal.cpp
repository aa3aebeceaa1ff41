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
  /// rows_to[a]: how many principals of this shard delegate to agent shard a (their
  /// rows in a's orders, in principal order).
  std::vector<size_t> rows_to;
  rng tasks, seen;
  /// settle's working row flags (kept between ticks to spare an allocation a tick).
  std::vector<uint8_t> scratch_seen;
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
    ++st.rows_to[size_t(a)];
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
          const size_t n = st.rows_to[a];
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
        // Rows are settled in principal order, so that the principals' tasks are read
        // front to back (at a million principals they come from far caches; in route
        // order every row is a miss). What depends on the route order keeps it: the
        // observation draws come first, route by route, and welfare is summed in route
        // order at the end (each row's utility waits in its feedback slot until then).
        const size_t n = b.size();
        std::vector<size_t> start(choices.size() + 1, 0);
        for (size_t a = 0; a < choices.size(); ++a) {
          if (choices[a].rows() != st.rows_to[a])
            return mismatch("principal shard " + tag + ": agent shard " + std::to_string(a) + " chose for " +
                            std::to_string(choices[a].rows()) + " orders, it was sent " +
                            std::to_string(st.rows_to[a]));
          start[a + 1] = start[a] + st.rows_to[a];
        }
        auto& seen = st.scratch_seen;  // per row: observed, then caught
        seen.resize(n);
        {
          rng draws = st.seen;  // a local copy: the stores below cannot touch it
          for (size_t k = 0; k < n; ++k) seen[k] = draws.bernoulli(cfg.observe_prob);
          st.seen = draws;
        }
        principal_report rep;
        rep.feedback.resize(choices.size());
        for (size_t a = 0; a < choices.size(); ++a) rep.feedback[a].net.resize(st.rows_to[a]);
        std::vector<size_t> next(start.begin(), start.end() - 1);  // per route: its next row, as a position in seen
        const float paid = float(cfg.fee), punished = 0.0f - float(cfg.penalty);
        const int candidates = b.candidates();
        int64_t overrides = 0, observed_n = 0, caught_n = 0;
        for (size_t i = 0; i < n; ++i) {
          const size_t a = st.route[i];
          const size_t k = next[a]++, r = k - start[a];
          const uint8_t pick = choices[a].choice[r];
          if (pick >= candidates)
            return mismatch("principal shard " + tag + ": agent shard " + std::to_string(a) + " chose candidate " +
                            std::to_string(int(pick)) + " of " + std::to_string(candidates));
          const float u = b.utility(i, pick);
          const float loss = b.best_utility(i) - u;
          const bool overridden = loss > 0.0f;
          const bool observed = seen[k] != 0;
          // & rather than &&: random outcomes, so no branches to mispredict.
          const bool caught = observed & overridden & (double(loss) > cfg.tolerance);
          overrides += overridden;
          observed_n += observed;
          caught_n += caught;
          seen[k] = caught;
          rep.feedback[a].net[r] = u;
        }
        double sum = 0;
        for (size_t a = 0, k = 0; a < choices.size(); ++a)
          for (auto& net : rep.feedback[a].net) {
            sum += double(net);
            net = seen[k++] ? punished : paid;
          }
        rep.transactions = int64_t(n);
        rep.overrides = overrides;
        rep.observed = observed_n;
        rep.caught = caught_n;
        rep.welfare = sum;
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
