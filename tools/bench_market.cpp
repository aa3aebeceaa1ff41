#include "tools/bench_market.hpp"

#include <chrono>
#include <memory>
#include <numeric>
#include <vector>

#include "base/rng.hpp"
#include "policies/market.hpp"

namespace oversight::bench {

double market_bare_loop_seconds(int64_t population, int ticks, uint64_t seed, double& override_rate) {
  // principal_agent's defaults (scenarios/principal_agent/principal_agent.cpp).
  const market_config mc;
  const agent_config ac;
  const double observe_prob = 0.3, fee = 1.0, penalty = 4.0, tolerance = 0.0;
  const double audit_rate = 0.1, accuracy = 0.9, audit_penalty = 4.0;

  rng world(seed, "market"), deleg(seed, "delegation"), init_p(seed, "principal-init"), init_a(seed, "agent-init");
  auto cat = std::make_shared<const catalog>(catalog::generate(mc, world));
  std::vector<int32_t> perm(static_cast<size_t>(population));
  std::iota(perm.begin(), perm.end(), 0);
  for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[deleg.below(i)]);
  principal_block principals(mc, cat, 0, population, init_p);
  // Agents kept in the order their principals visit them (slot i: principal i's agent),
  // as the agent shards keep theirs.
  agent_block agents(ac, cat, 0, population, init_a, perm);
  rng tasks(seed, "tasks"), decide(seed, "decide"), seen(seed, "seen"), audit(seed, "audit");

  const size_t n = size_t(population), c = size_t(mc.candidates);
  std::vector<product_id> product(n * c);
  std::vector<float> utility(n * c), gap(n), net(n);
  std::vector<uint8_t> choice(n);
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < ticks; ++t) {
    for (size_t i = 0; i < n; ++i) principals.make_task(i, tasks, &product[i * c], &utility[i * c]);
    for (size_t i = 0; i < n; ++i)
      choice[i] = uint8_t(agents.choose(i, &product[i * c], &utility[i * c], int(c), decide, gap[i]));
    int64_t overrides = 0;
    double welfare = 0;
    for (size_t i = 0; i < n; ++i) {
      const float u = principals.utility(i, choice[i]);
      const float loss = principals.best_utility(i) - u;
      const bool overridden = loss > 0.0f;
      const bool caught = seen.bernoulli(observe_prob) && overridden && double(loss) > tolerance;
      overrides += overridden;
      welfare += double(u);
      net[i] = caught ? 0.0f - float(penalty) : float(fee);
    }
    for (size_t i = 0; i < n; ++i) agents.feedback(i, net[i]);
    for (size_t i = 0; i < n; ++i)
      if (audit.bernoulli(audit_rate) && audit.bernoulli(gap[i] > 0.0f ? accuracy : 0.0))
        agents.feedback(i, 0.0f - float(audit_penalty));
    agents.learn();
    override_rate = double(overrides) / double(n);
    (void)welfare;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace oversight::bench
