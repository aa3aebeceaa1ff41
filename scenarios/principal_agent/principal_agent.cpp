// principal_agent: Phelps and Ranson 2023 ("Of Models and Tin Men") run as a population.
// Principals with budgets and preferences delegate purchases to agents who hold hidden
// incentives of their own (a seller's commission, a preferred brand) and a prior
// alignment; the principal sees what its agent bought only with probability
// `principal.observe_prob`, and then compares it with its own best candidate (agents
// state no reasons: the principal judges the choice alone). Agents learn from the
// principal's feedback (a bandit over faithful / selfish / hedging strategies);
// optional critic auditors inspect a share of transactions at a cost. The world and the learning live in policies/market.hpp.
//
// Scale: populations are sharded. `shards` principal-shard actors and `shards`
// agent-shard actors each own a contiguous block stored as struct-of-arrays; delegation
// is a seeded random permutation, so a shard's orders go to every agent shard. One tick,
// as message flow (every arrow is a batch through the actor system, via the director):
//
//   principal shards --order(t)--> orders bucketed by agent shard
//   agent shards     --decide(t, orders from every principal shard, in shard order)-->
//                    decisions bucketed by principal shard
//   in parallel:
//     principal shards --judge(t, decisions from every agent shard)--> feedback + sums
//     auditors         --audit(t, the decisions of agent shards k, k + A, ...)--> catches
//   agent shards     --learn(principal feedback in principal-shard order, then audit
//                    penalties in auditor order)--> material gain
//
// Determinism: every merge is in shard (or auditor) index order, each shard draws from
// its own streams (principal-tasks-S, agent-decide-S, auditor-K, ...), and `shards` is a
// parameter, never derived from --threads.
#include <memory>
#include <numeric>

#include "actors/agent/agent.hpp"
#include "actors/auditor/auditor.hpp"
#include "actors/director/director.hpp"
#include "actors/principal/principal.hpp"
#include "runtime/error.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

namespace {

class principal_agent_program : public tick_program {
 public:
  principal_agent_program(const scenario_spec& spec, caf::actor_system& sys) : p_(spec.params) {
    const auto& p = spec.params;
    const uint64_t seed = spec.seed;
    const int64_t n = p.integer("population");
    const int shards = int(p.integer("shards"));
    if (shards > n)
      throw user_error(spec.source + " (with any --set overrides): shards = " + std::to_string(shards) + " exceeds population = " +
                       std::to_string(n) + " (every shard needs at least one principal and one agent)");

    market_config mc;
    mc.products = int(p.integer("market.products"));
    mc.brands = int(p.integer("market.brands"));
    mc.candidates = int(p.integer("market.candidates"));
    mc.sponsored_share = p.real("market.sponsored_share");
    mc.price_weight = p.real("market.price_weight");
    rng world(seed, "market");
    auto cat = std::make_shared<const catalog>(catalog::generate(mc, world));

    principal_settings ps;
    ps.market = mc;
    ps.observe_prob = p.real("principal.observe_prob");
    ps.fee = p.real("principal.fee");
    ps.penalty = p.real("principal.penalty");
    ps.tolerance = p.real("principal.tolerance");

    agent_config ac;
    ac.commission_max = p.real("agent.commission_max");
    ac.brand_bonus = p.real("agent.brand_bonus");
    ac.alignment_mean = p.real("agent.alignment_mean");
    ac.alignment_weight = p.real("agent.alignment_weight");
    ac.hedge_weight = p.real("agent.hedge_weight");
    ac.epsilon = p.real("agent.epsilon");
    ac.step = p.real("agent.step");

    // Delegation: principal i's agent is perm[i], a seeded permutation (one principal
    // per agent), so every principal shard talks to every agent shard.
    std::vector<int32_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    rng deleg(seed, "delegation");
    for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[deleg.below(i)]);

    split_ = block_split{n, shards};
    for (int s = 0; s < shards; ++s) {
      std::vector<int32_t> mine(perm.begin() + split_.first(s), perm.begin() + split_.first(s + 1));
      principals_.push_back(spawn_principal_shard(sys, ps, cat, split_, split_, s, std::move(mine), seed));
      agents_.push_back(spawn_agent_shard(sys, ac, cat, split_, split_, s, seed));
    }

    auditor_settings as;
    as.rate = p.real("audit.rate");
    as.accuracy = p.real("audit.accuracy");
    as.false_flag = p.real("audit.false_flag");
    audit_cost_ = p.real("audit.cost");
    audit_penalty_ = float(p.real("audit.penalty"));
    if (as.rate > 0 && p.integer("audit.auditors") == 0)
      throw user_error(spec.source + " (with any --set overrides): audit.rate = " + to_string(param_value(as.rate)) +
                       " but audit.auditors = 0: no auditor would inspect anything (set audit.rate = 0 to switch "
                       "audits off)");
    if (as.rate > 0)
      for (int k = 0; k < p.integer("audit.auditors"); ++k) auditors_.push_back(spawn_auditor(sys, as, k, seed));
  }

  int64_t ticks() const override { return p_.integer("ticks"); }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out;
    for (auto& a : principals_) out.push_back(caf::actor_cast<caf::actor>(a));
    for (auto& a : agents_) out.push_back(caf::actor_cast<caf::actor>(a));
    for (auto& a : auditors_) out.push_back(caf::actor_cast<caf::actor>(a));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    const size_t S = principals_.size();
    // 1. Orders: orders[s][a] from principal shard s for agent shard a.
    gather<std::vector<order_batch>>(
        self, principals_,
        [=, this](std::vector<std::vector<order_batch>> orders) {
          std::vector<order_batch> per_agent_shard(S);
          for (size_t a = 0; a < S; ++a) {
            auto& m = per_agent_shard[a];
            for (size_t s = 0; s < S; ++s) append(m, orders[s][a]);
          }
          // 2. Decisions: dec[a][s] from agent shard a for principal shard s.
          scatter<std::vector<decision_batch>>(
              self, agents_, std::move(per_agent_shard),
              [=, this](std::vector<std::vector<decision_batch>> dec) { judge_and_audit(self, t, std::move(dec), done); },
              done.fail, decide_atom::value, t);
        },
        done.fail, order_atom::value, t);
  }

 private:
  static void append(order_batch& m, const order_batch& b) {
    m.candidates = b.candidates;
    m.principal.insert(m.principal.end(), b.principal.begin(), b.principal.end());
    m.agent.insert(m.agent.end(), b.agent.begin(), b.agent.end());
    m.product.insert(m.product.end(), b.product.begin(), b.product.end());
    m.utility.insert(m.utility.end(), b.utility.begin(), b.utility.end());
  }
  static void append(decision_batch& m, const decision_batch& b) {
    m.principal.insert(m.principal.end(), b.principal.begin(), b.principal.end());
    m.agent.insert(m.agent.end(), b.agent.begin(), b.agent.end());
    m.choice.insert(m.choice.end(), b.choice.begin(), b.choice.end());
    m.gap.insert(m.gap.end(), b.gap.begin(), b.gap.end());
  }

  // 3. Principals judge what they see while auditors inspect their share; then 4.
  void judge_and_audit(caf::event_based_actor* self, int64_t t, std::vector<std::vector<decision_batch>> dec,
                       tick_done done) {
    const size_t S = principals_.size(), A = auditors_.size();
    std::vector<std::vector<decision_batch>> per_principal_shard(S);
    for (size_t s = 0; s < S; ++s)
      for (size_t a = 0; a < S; ++a) per_principal_shard[s].push_back(std::move(dec[a][s]));
    // Auditor k sees the transactions of agent shards k, k + A, ... (in shard order).
    std::vector<decision_batch> per_auditor(A);
    for (size_t a = 0; a < S && A > 0; ++a)
      for (size_t s = 0; s < S; ++s) append(per_auditor[a % A], per_principal_shard[s][a]);

    auto reports = std::make_shared<std::vector<principal_report>>();
    auto audits = std::make_shared<std::vector<audit_report>>();
    auto both = join(2, [=, this] { learn(self, t, std::move(*reports), std::move(*audits), done); });
    scatter<principal_report>(
        self, principals_, std::move(per_principal_shard),
        [=](std::vector<principal_report> r) {
          *reports = std::move(r);
          both();
        },
        done.fail, judge_atom::value, t);
    scatter<audit_report>(
        self, auditors_, std::move(per_auditor),
        [=](std::vector<audit_report> r) {
          *audits = std::move(r);
          both();
        },
        done.fail, audit_atom::value, t);
  }

  // 4. Agents learn from the principals' feedback and the auditors' penalties; 5. metrics.
  void learn(caf::event_based_actor* self, int64_t t, std::vector<principal_report> reports,
             std::vector<audit_report> audits, tick_done done) {
    const size_t S = agents_.size();
    std::vector<feedback_batch> fb(S);
    for (auto& r : reports)
      for (size_t a = 0; a < S; ++a) {
        auto& f = r.feedback[a];
        fb[a].agent.insert(fb[a].agent.end(), f.agent.begin(), f.agent.end());
        fb[a].payment.insert(fb[a].payment.end(), f.payment.begin(), f.payment.end());
        fb[a].penalty.insert(fb[a].penalty.end(), f.penalty.begin(), f.penalty.end());
      }
    int64_t audited = 0, audit_catches = 0;
    for (auto& r : audits) {
      audited += r.audited;
      audit_catches += int64_t(r.caught.size());
      for (int32_t agent : r.caught) {
        auto& f = fb[size_t(split_.shard_of(agent))];
        f.agent.push_back(agent);
        f.payment.push_back(0.0f);
        f.penalty.push_back(audit_penalty_);
      }
    }
    audits_ += audited;
    scatter<agent_report>(
        self, agents_, std::move(fb),
        [=, this](std::vector<agent_report> gains) {
          int64_t n = 0, overrides = 0, caught = 0, observed = 0, acted = 0;
          double welfare = 0, gain = 0;
          for (auto& r : reports) {
            n += r.transactions;
            overrides += r.overrides;
            caught += r.caught;
            observed += r.observed;
            welfare += r.welfare;
          }
          for (auto& g : gains) {
            acted += g.transactions;
            gain += g.gain;
          }
          const double dn = double(std::max<int64_t>(n, 1));
          std::vector<metric_row> rows;
          rows.push_back({t, "principals", "override_rate", double(overrides) / dn});
          rows.push_back({t, "principals", "principal_welfare", welfare / dn});
          rows.push_back({t, "principals", "observed_share", double(observed) / dn});
          rows.push_back({t, "principals", "caught_by_principals", double(caught) / dn});
          rows.push_back({t, "agents", "agent_gain", gain / double(std::max<int64_t>(acted, 1))});
          rows.push_back({t, "auditors", "audits_spent", double(audits_) * audit_cost_});
          rows.push_back({t, "auditors", "audit_catches", double(audit_catches)});
          done.ok(std::move(rows));
        },
        done.fail, learn_atom::value);
  }

  param_set p_;
  block_split split_;
  std::vector<principal_shard_actor> principals_;
  std::vector<agent_shard_actor> agents_;
  std::vector<auditor_actor> auditors_;
  double audit_cost_ = 0;
  float audit_penalty_ = 0;
  int64_t audits_ = 0;
};

void run_principal_agent(run_context& ctx) {
  drive(ctx, std::make_shared<principal_agent_program>(ctx.spec(), ctx.system()));
}

using P = param_decl;
const registrar reg{scenario_info{
    "principal_agent",
    "principals delegate purchases to agents with hidden incentives; overrides vs. information asymmetry and "
    "audits (Phelps and Ranson 2023, as a population)",
    {
        P::integer("ticks", 60, 1, 1000000, "ticks of simulated time (one purchase per principal per tick)"),
        P::integer("population", 2000, 1, 10000000, "principals, and as many agents (one agent per principal)"),
        P::integer("shards", 4, 1, 4096,
                   "principal-shard and agent-shard actors each (a parameter: never derived from --threads)"),
        P::integer("market.products", 200, 2, 1000000, "products in the catalog"),
        P::integer("market.brands", 8, 1, 100000, "brands (an agent may prefer one)"),
        P::integer("market.candidates", 8, 2, 64, "affordable products offered per purchase task"),
        P::real("market.sponsored_share", 0.3, 0.0, 1.0, "share of products that pay the agent a commission"),
        P::real("market.price_weight", 0.5, 0.0, 100.0, "principal's disutility per unit of price / budget"),
        P::real("principal.observe_prob", 0.3, 0.0, 1.0,
                "information asymmetry p: P(the principal sees what the agent bought and checks it against its own "
                "best candidate)"),
        P::real("principal.fee", 1.0, 0.0, 1000.0, "fee paid to the agent unless caught overriding"),
        P::real("principal.penalty", 4.0, 0.0, 1000.0, "penalty to an agent whose override the principal sees"),
        P::real("principal.tolerance", 0.0, 0.0, 10.0, "utility loss below which a seen override goes unnoticed"),
        P::real("agent.commission_max", 3.0, 0.0, 1000.0, "agents' commission strength ~ U[0, this]"),
        P::real("agent.brand_bonus", 0.5, 0.0, 1000.0, "private gain from selling the agent's preferred brand"),
        P::real("agent.alignment_mean", 0.5, 0.0, 1.0, "mean prior alignment (U[0, 2 x mean], clipped to [0, 1])"),
        P::real("agent.alignment_weight", 1.0, 0.0, 1000.0, "intrinsic reward of a faithful choice at alignment 1"),
        P::real("agent.hedge_weight", 5.0, 0.0, 1000.0, "hedge strategy: private gain minus this x principal's loss"),
        P::real("agent.epsilon", 0.05, 0.0, 1.0, "agents' bandit exploration rate"),
        P::real("agent.step", 0.1, 0.0001, 1.0, "agents' bandit step size once 1/tries is smaller"),
        P::integer("audit.auditors", 2, 0, 4096, "critic auditor actors (each sees a share of the agent shards)"),
        P::real("audit.rate", 0.0, 0.0, 1.0, "share of transactions audited (0: no audits)"),
        P::real("audit.accuracy", 0.9, 0.0, 1.0, "P(an audited override is caught)"),
        P::real("audit.false_flag", 0.0, 0.0, 1.0, "P(an audited faithful transaction is flagged)"),
        P::real("audit.cost", 1.0, 0.0, 1e9, "cost of one audit"),
        P::real("audit.penalty", 4.0, 0.0, 1000.0, "penalty to an agent an auditor flags"),
    },
    {
        {"override_rate", "share of this tick's purchases where the agent chose against its principal's interest"},
        {"principal_welfare", "principals' mean utility of what was bought (preference fit minus price/budget)"},
        {"observed_share", "share of transactions the principal saw (about principal.observe_prob)"},
        {"caught_by_principals", "share of transactions that were overrides the principal saw and punished"},
        {"agent_gain", "agents' mean material gain per purchase: commission and brand gain + fee - penalties"},
        {"audits_spent", "cumulative audit cost: audits so far x audit.cost"},
        {"audit_catches", "agents flagged by auditors this tick"},
    },
    run_principal_agent,
    // Small enough for the test over every registered scenario.
    {"ticks=8", "population=600", "shards=3", "audit.rate=0.2", "audit.auditors=2", "audit.false_flag=0.05"}}};

}  // namespace

}  // namespace oversight
