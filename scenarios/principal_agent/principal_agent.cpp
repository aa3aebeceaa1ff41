// principal_agent: Phelps and Ranson 2023 ("Of Models and Tin Men") run as a population.
// Principals with budgets and preferences delegate purchases to agents who hold hidden
// incentives of their own (a seller's commission, a preferred brand) and a prior
// alignment; the principal sees what its agent bought only with probability
// `principal.observe_prob`, and then compares it with its own best candidate (agents
// state no reasons: the principal judges the choice alone). Agents learn from the
// principal's feedback (a bandit over faithful / selfish / hedging strategies);
// optional critic auditors inspect a share of transactions at a cost. The world and the
// learning live in policies/market.hpp.
//
// Scale: populations are sharded. `shards` principal-shard actors and `shards`
// agent-shard actors each own a contiguous block stored as struct-of-arrays; delegation
// is a seeded random permutation, so a shard's orders go to every agent shard. One tick,
// as message flow (every arrow is a batch through the actor system, via the director,
// which moves batches between phases and never copies a row):
//
//   principal shards --order(t)--> orders, one batch per agent shard
//   agent shards     --decide(t, orders from every principal shard, in shard order)-->
//                    choices, one batch per principal shard (row for row with its
//                    orders), and the shard's transaction records for the auditors
//   in parallel:
//     principal shards --settle(t, choices from every agent shard)--> feedback + sums
//     auditors         --audit(t, the records of agent shards k, k + A, ...)--> flags
//   agent shards     --learn(principal feedback in principal-shard order, then the
//                    auditors' flags in auditor order)--> material gain
//
// One message per shard per phase; a shard fills each batch in place, sized once. Rows
// carry no ids: the delegation is fixed, so both ends of a route know from spawn which
// principal and which agent row r is (an order row is 8 product ids of 16 bits and 8
// utilities, 48 bytes).
// Determinism: every merge is in shard (or auditor) index order, each shard draws from
// its own streams (principal-tasks-S, agent-decide-S, auditor-K, ...), and `shards` is a
// parameter, never derived from --threads.
#include <algorithm>
#include <memory>
#include <numeric>

#include "actors/director/director.hpp"
#include "base/error.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/principal_agent/agent.hpp"
#include "scenarios/principal_agent/auditor.hpp"
#include "scenarios/principal_agent/principal.hpp"

namespace oversight {

namespace {

/// Every parameter, declared and read by one list.
struct principal_agent_params {
  int64_t ticks = 0;
  int64_t population = 0;
  int shards = 0;
  market_config market;
  principal_settings principal;
  agent_config agent;
  int64_t auditors = 0;
  auditor_settings audit;
  double audit_cost = 0;
  double audit_penalty = 0;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 60, 1, 1000000, "ticks of simulated time (one purchase per principal per tick)");
    f.integer("population", population, 2000, 1, 10000000,
              "principals, and as many agents (one agent per principal)");
    f.integer("shards", shards, 4, 1, 4096,
              "principal-shard and agent-shard actors each (a parameter: never derived from --threads)");
    f.integer("market.products", market.products, 200, 2, max_products,
              "products in the catalog (ids travel as 16 bits)");
    f.integer("market.brands", market.brands, 8, 1, 100000, "brands (an agent may prefer one)");
    f.integer("market.candidates", market.candidates, 8, 2, 64, "affordable products offered per purchase task");
    f.real("market.sponsored_share", market.sponsored_share, 0.3, 0.0, 1.0,
           "share of products that pay the agent a commission");
    f.real("market.price_weight", market.price_weight, 0.5, 0.0, 100.0,
           "principal's disutility per unit of price / budget");
    f.real("principal.observe_prob", principal.observe_prob, 0.3, 0.0, 1.0,
           "information asymmetry p: P(the principal sees what the agent bought and checks it against its own "
           "best candidate)");
    f.real("principal.fee", principal.fee, 1.0, 0.0, 1000.0, "fee paid to the agent unless caught overriding");
    f.real("principal.penalty", principal.penalty, 4.0, 0.0, 1000.0,
           "penalty to an agent whose override the principal sees");
    f.real("principal.tolerance", principal.tolerance, 0.0, 0.0, 10.0,
           "utility loss below which a seen override goes unnoticed");
    f.real("agent.commission_max", agent.commission_max, 3.0, 0.0, 1000.0, "agents' commission strength ~ U[0, this]");
    f.real("agent.brand_bonus", agent.brand_bonus, 0.5, 0.0, 1000.0,
           "private gain from selling the agent's preferred brand");
    f.real("agent.alignment_mean", agent.alignment_mean, 0.5, 0.0, 1.0,
           "mean prior alignment (U[0, 2 x mean], clipped to [0, 1])");
    f.real("agent.alignment_weight", agent.alignment_weight, 1.0, 0.0, 1000.0,
           "intrinsic reward of a faithful choice at alignment 1");
    f.real("agent.hedge_weight", agent.hedge_weight, 5.0, 0.0, 1000.0,
           "hedge strategy: private gain minus this x principal's loss");
    f.real("agent.epsilon", agent.epsilon, 0.05, 0.0, 1.0, "agents' bandit exploration rate");
    f.real("agent.step", agent.step, 0.1, 0.0001, 1.0, "agents' bandit step size once 1/tries is smaller");
    f.integer("audit.auditors", auditors, 2, 0, 4096,
              "critic auditor actors (each sees a share of the agent shards)");
    f.real("audit.rate", audit.rate, 0.0, 0.0, 1.0, "share of transactions audited (0: no audits)");
    f.real("audit.accuracy", audit.accuracy, 0.9, 0.0, 1.0, "P(an audited override is caught)");
    f.real("audit.false_flag", audit.false_flag, 0.0, 0.0, 1.0, "P(an audited faithful transaction is flagged)");
    f.real("audit.cost", audit_cost, 1.0, 0.0, 1e9, "cost of one audit");
    f.real("audit.penalty", audit_penalty, 4.0, 0.0, 1000.0, "penalty to an agent an auditor flags");
  }

  /// Combinations the ranges alone cannot rule out (scenario_info::check). Throws user_error.
  void check() const {
    if (shards > population)
      throw user_error("shards = " + std::to_string(shards) +
                       " exceeds population = " + std::to_string(population) +
                       " (every shard needs at least one principal and one agent)");
    if (audit.rate > 0 && auditors == 0)
      throw user_error("audit.rate = " + to_string(param_value(audit.rate)) +
                       " but audit.auditors = 0: no auditor would inspect anything (set audit.rate = 0 to switch "
                       "audits off)");
  }
};

class principal_agent_program : public scenario_program {
 public:
  principal_agent_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<principal_agent_params>(params)) {
    // The principals judge by the same market the catalog is drawn from.
    p_.principal.market = p_.market;
    rng world(seed, "market");
    auto cat = std::make_shared<const catalog>(catalog::generate(p_.market, world));

    // Delegation: principal i's agent is perm[i], a seeded permutation (one principal
    // per agent), so every principal shard talks to every agent shard.
    std::vector<int32_t> perm(static_cast<size_t>(p_.population));
    std::iota(perm.begin(), perm.end(), 0);
    rng deleg(seed, "delegation");
    for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[deleg.below(i)]);

    split_ = block_split{p_.population, p_.shards};
    // Each side of a route: rows_from[a][s] lists, in principal order, the local agents of
    // agent shard a whose principals are in principal shard s (row r of s's orders for a).
    std::vector<std::vector<std::vector<int32_t>>> rows_from(size_t(p_.shards),
                                                             std::vector<std::vector<int32_t>>(size_t(p_.shards)));
    for (int s = 0; s < p_.shards; ++s)
      for (int64_t i = split_.first(s); i < split_.first(s + 1); ++i) {
        const int32_t agent = perm[size_t(i)];
        const int a = split_.shard_of(agent);
        rows_from[size_t(a)][size_t(s)].push_back(int32_t(agent - split_.first(a)));
      }
    for (int s = 0; s < p_.shards; ++s) {
      std::vector<int32_t> mine(perm.begin() + split_.first(s), perm.begin() + split_.first(s + 1));
      // Shards and auditors may run on other nodes (`oversight run --nodes`): each is
      // built from the parameters, the seed and the catalog and delegation the
      // constructor derives from them.
      principals_.push_back(place("principal/" + std::to_string(s), [&] {
        return spawn_principal_shard(sys, p_.principal, cat, split_, split_, s, std::move(mine), seed);
      }));
      agents_.push_back(place("agent/" + std::to_string(s), [&] {
        return spawn_agent_shard(sys, p_.agent, cat, split_, s, std::move(rows_from[size_t(s)]), seed);
      }));
    }
    if (p_.audit.rate > 0)
      for (int k = 0; k < p_.auditors; ++k)
        auditors_.push_back(
            place("auditor-" + std::to_string(k), [&] { return spawn_auditor(sys, p_.audit, k, seed); }));
  }

  int64_t ticks() const override { return p_.ticks; }
  /// Checkpoints: the program keeps the audit count from tick to tick; the shards and
  /// auditors save their own state.
  bool saves_state() const override { return true; }
  void state(state_io& io) override { io(audits_); }

  void run_tick(tick_handle tick) override {
    // 1. Orders: orders[s][a] from principal shard s for agent shard a.
    auto orders = tick.gather<std::vector<order_batch>>(principals_, order_atom::value, tick.t());
    tick.then([=, this] { decide(tick, *orders); });
  }

 private:
  // Between phases the director only regroups: every batch is moved to its reader, no
  // row is copied.

  // 2. Decisions: agent shard a gets orders[s][a] for every principal shard s, in order.
  void decide(tick_handle tick, std::vector<std::vector<order_batch>>& orders) {
    const size_t S = principals_.size();
    std::vector<std::vector<order_batch>> per_agent_shard(S);
    for (size_t a = 0; a < S; ++a)
      for (size_t s = 0; s < S; ++s) per_agent_shard[a].push_back(std::move(orders[s][a]));
    auto dec = tick.scatter<decisions>(agents_, std::move(per_agent_shard), decide_atom::value, tick.t());
    tick.then([=, this] { settle_and_audit(tick, *dec); });
  }

  // 3. Principals settle what they see while auditors inspect their share; then 4.
  void settle_and_audit(tick_handle tick, std::vector<decisions>& dec) {
    const size_t S = principals_.size(), A = auditors_.size();
    std::vector<std::vector<choice_batch>> per_principal_shard(S);
    for (size_t s = 0; s < S; ++s)
      for (size_t a = 0; a < S; ++a) per_principal_shard[s].push_back(std::move(dec[a].choices[s]));
    // Auditor k sees the transactions of agent shards k, k + A, ... (in shard order).
    std::vector<std::vector<audit_batch>> per_auditor(A);
    for (size_t a = 0; a < S && A > 0; ++a) per_auditor[a % A].push_back(std::move(dec[a].records));

    auto reports =
        tick.scatter<principal_report>(principals_, std::move(per_principal_shard), settle_atom::value, tick.t());
    auto audits = tick.scatter<audit_report>(auditors_, std::move(per_auditor), audit_atom::value, tick.t());
    tick.then([=, this] { learn(tick, *reports, *audits); });
  }

  // 4. Agents learn from the principals' feedback and the auditors' flags; 5. metrics.
  void learn(tick_handle tick, std::vector<principal_report>& reports, std::vector<audit_report>& audits) {
    const size_t S = agents_.size();
    std::vector<agent_feedback> fb(S);
    for (size_t a = 0; a < S; ++a) {
      for (auto& r : reports) fb[a].principals.push_back(std::move(r.feedback[a]));
      fb[a].auditors.penalty = float(p_.audit_penalty);
    }
    // Auditor k was given the records of agent shards k, k + A, ...: its b-th list of
    // flagged rows is agent shard k + b x A's.
    int64_t audited = 0, audit_catches = 0;
    const size_t A = audits.size();
    for (size_t k = 0; k < A; ++k) {
      auto& r = audits[k];
      audited += r.audited;
      if (r.caught.size() != (S - k + A - 1) / A) {
        tick.fail(caf::make_error(caf::sec::runtime_error,
                                  "auditor-" + std::to_string(k) + " flagged rows of " +
                                      std::to_string(r.caught.size()) + " agent shards, it was shown " +
                                      std::to_string((S - k + A - 1) / A)));
        return;
      }
      for (size_t b = 0; b < r.caught.size(); ++b) {
        audit_catches += int64_t(r.caught[b].size());
        fb[k + b * A].auditors.row = std::move(r.caught[b]);
      }
    }
    audits_ += audited;
    int64_t n = 0, overrides = 0, caught = 0, observed = 0;
    double welfare = 0;
    for (auto& r : reports) {
      n += r.transactions;
      overrides += r.overrides;
      caught += r.caught;
      observed += r.observed;
      welfare += r.welfare;
    }
    auto gains = tick.scatter<agent_report>(agents_, std::move(fb), learn_atom::value);
    tick.then([=, this] {
      int64_t acted = 0;
      double gain = 0;
      for (auto& g : *gains) {
        acted += g.transactions;
        gain += g.gain;
      }
      const double dn = double(std::max<int64_t>(n, 1));
      tick.record("principals", "override_rate", double(overrides) / dn);
      tick.record("principals", "principal_welfare", welfare / dn);
      tick.record("principals", "observed_share", double(observed) / dn);
      tick.record("principals", "caught_by_principals", double(caught) / dn);
      tick.record("agents", "agent_gain", gain / double(std::max<int64_t>(acted, 1)));
      tick.record("auditors", "audits_spent", double(audits_) * p_.audit_cost);
      tick.record("auditors", "audit_catches", double(audit_catches));
      tick.finish();
    });
  }

  principal_agent_params p_;
  block_split split_;
  std::vector<principal_shard_actor> principals_;
  std::vector<agent_shard_actor> agents_;
  std::vector<auditor_actor> auditors_;
  int64_t audits_ = 0;
};

/// The program, once the parameters pass the checks that name the scenario file (which
/// only the run's spec knows, not the program).
const registrar reg{scenario_info{
    .name = "principal_agent",
    .doc = "principals delegate purchases to agents with hidden incentives; overrides vs. information asymmetry and "
           "audits (Phelps and Ranson 2023, as a population)",
    .params = declare_params<principal_agent_params>(),
    .metrics = {
        {"override_rate", "share of this tick's purchases where the agent chose against its principal's interest"},
        {"principal_welfare", "principals' mean utility of what was bought (preference fit minus price/budget)"},
        {"observed_share", "share of transactions the principal saw (about principal.observe_prob)"},
        {"caught_by_principals", "share of transactions that were overrides the principal saw and punished"},
        {"agent_gain", "agents' mean material gain per purchase: commission and brand gain + fee - penalties"},
        {"audits_spent", "cumulative audit cost: audits so far x audit.cost"},
        {"audit_catches", "agents flagged by auditors this tick"},
    },
    .run = run_program<principal_agent_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"ticks=8", "population=600", "shards=3", "audit.rate=0.2", "audit.auditors=2", "audit.false_flag=0.05"},
    .messages = register_principal_agent_messages,
    .check = [](const param_set& p) { read_params<principal_agent_params>(p).check(); }}};

}  // namespace

}  // namespace oversight
