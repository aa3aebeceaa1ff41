// red_team: what the attackers are given (no draw from the held-out adversarial
// distribution; the random control spends the same budget), and the scenario's claims
// (scenarios/red_team/claims/*.toml) at a smaller configuration over ten seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "policies/attack.hpp"
#include "runtime/claims.hpp"
#include "scenarios/worlds/value_world.hpp"
#include "tests/support/claim_run.hpp"
#include "tests/support/scenario_run.hpp"

using namespace oversight;

namespace {

/// Share of `x` (rows of the world's dim) whose pocket field is at least `level`.
double share_at_least(const value_world& w, const std::vector<float>& x, double level) {
  const size_t d = size_t(w.dim()), n = x.size() / d;
  double k = 0;
  for (size_t i = 0; i < n; ++i) k += w.pocket(x.data() + i * d) >= level ? 1 : 0;
  return k / double(n);
}

template <class Sample>
std::vector<float> draw(const value_world& w, size_t n, Sample&& sample) {
  std::vector<float> x(n * size_t(w.dim()));
  rng r(7, "test-corpus");
  for (size_t i = 0; i < n; ++i) sample(r, x.data() + i * size_t(w.dim()));
  return x;
}

}  // namespace

TEST_CASE("red_team: the attackers' seed corpus is not drawn from the held-out adversarial distribution",
          "[red_team][unit]") {
  for (uint64_t seed : {1, 2, 3, 4}) {
    value_world w(value_world_config{}, seed);
    // The held-out adversarial set: pocket samples. 95% of them have a pocket field of
    // at least `core`.
    rng held(seed, "test-held-out");
    auto adv = w.sample_pockets(held, 2000);
    std::vector<double> field;
    for (size_t i = 0; i < 2000; ++i) field.push_back(w.pocket(adv.data() + i * size_t(w.dim())));
    std::sort(field.begin(), field.end());
    const double core = field[100];
    // The corpus's two sources. Topic traffic never reaches the held-out core (natural
    // traffic does, pocket_share of the time); last year's jailbreaks, 1.0 away, reach
    // it only partly; with no drift they would be the held-out distribution itself.
    auto topics = draw(w, 4000, [&](rng& r, float* o) { w.sample_topic(r, o); });
    auto natural = draw(w, 4000, [&](rng& r, float* o) { w.sample_natural(r, o); });
    const auto moved = w.past_jailbreaks(1.0, seed), unmoved = w.past_jailbreaks(0.0, seed);
    auto old_jb = draw(w, 4000, [&](rng& r, float* o) { moved.sample(r, o); });
    auto same = draw(w, 4000, [&](rng& r, float* o) { unmoved.sample(r, o); });
    const double s_topics = share_at_least(w, topics, core), s_natural = share_at_least(w, natural, core),
                 s_old = share_at_least(w, old_jb, core), s_same = share_at_least(w, same, core);
    INFO("seed " << seed << ": core field " << core << "; share of samples in the held-out core: topic traffic "
                 << s_topics << ", natural traffic " << s_natural << ", last year's jailbreaks " << s_old
                 << ", undrifted " << s_same);
    CHECK(s_topics < 0.002);
    CHECK(s_natural > 0.01);
    CHECK(s_old < 0.25);
    CHECK(s_old > 0.02);
    CHECK(s_same > 0.9);
    // Each old center lies `drift` from its pocket's center, whose field there is
    // min(1, 1.5 exp(-drift^2 / (2 dim sd^2))).
    const double sd = 0.3 * w.config().pocket_radius, dim = double(w.dim());
    for (auto& c : moved.centers)
      CHECK(w.pocket(c.data()) == Approx(std::min(1.0, 1.5 * std::exp(-1.0 / (2 * dim * sd * sd)))).epsilon(1e-3));
  }
}

TEST_CASE("red_team: the random attacker spends the same query budget as the evolutionary one",
          "[scenario][red_team]") {
  // Strategy level: n queries asked, n proposed, with feedback in between.
  attack_config c;
  auto seeds = [](rng& r, float* out) {
    for (int k = 0; k < 8; ++k) out[k] = float(r.normal());
  };
  for (auto s : {attack_kind::random, attack_kind::evolutionary}) {
    c.strategy = s;
    auto a = make_attack_strategy(c, seeds);
    rng r(1, "test");
    for (int round = 0; round < 5; ++round) {
      auto x = a->propose(32, r);
      REQUIRE(x.size() == 32u * 8u);
      a->observe(x, std::vector<float>(32, float(round)));
    }
  }
  // Scenario level: every tick the learner answers count x queries_per_tick attack
  // queries from either strategy (the critic judges them all and each attacker hears
  // back about its own, whether it uses the judgments or not).
  for (const char* s : {"random", "evolutionary"}) {
    auto m = oversight::testing::run_scenario_file(
        "scenarios/red_team/red_team.toml", 1,
        {std::string("attacker.strategy=") + s, "ticks=4", "eval.queries=64", "eval.adversarial_queries=32"});
    INFO(s);
    REQUIRE(m.at("attack_queries").size() == 4u);
    for (double q : m.at("attack_queries")) CHECK(q == 64.0);
  }
}

namespace {

const std::filesystem::path claims_dir = std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/claims";

/// The test configuration: 40 ticks instead of 60 (the expert budget scaled with them)
/// and smaller held-out sets.
const std::vector<std::string> small = {"ticks=40", "expert.budget=270", "eval.queries=256",
                                        "eval.adversarial_queries=128"};

}  // namespace

// attack_success breaks when the search is switched off: with attacker.restart=1 every
// child is drawn fresh from the corpus, the evolutionary attacker becomes a random one
// and the difference's CI straddles 0 (checked by hand). adversarial_failure does not
// hold (README, red_team) and is not asserted; it is checked here only to keep the file
// valid. Both claims share one sweep (the files' [sweep] tables are the same).
TEST_CASE("red_team: evolutionary search finds more true failures than random, held-out adversarial failure",
          "[scenario][red_team]") {
  oversight::testing::temp_dir tmp("claim");
  sweep_options opt;
  opt.oversight_bin = OVERSIGHT_BIN;
  opt.out = tmp / "sweep";
  opt.jobs = 2;
  const auto res = run_sweep(make_sweep_plan(claims_dir / "attack_success.toml", small, std::nullopt), opt);
  const auto ex = load_experiment({res.dir});
  const auto success = check_claim(load_claim(claims_dir / "attack_success.toml"), ex);
  const auto adversarial = check_claim(load_claim(claims_dir / "adversarial_failure.toml"), ex);
  {
    INFO(oversight::testing::describe(success));
    REQUIRE(success.holds);
  }
  INFO(oversight::testing::describe(adversarial));
  CHECK(adversarial.checks.size() == 2);
}

// critic_labels breaks when no label reaches the critic: with expert.budget=0 both arms
// keep the untrained critic and the difference is 0 (checked by hand).
TEST_CASE("red_team: expert labels raise the critic's agreement with the truth", "[scenario][red_team]") {
  const auto v = oversight::testing::run_claim_file(claims_dir / "critic_labels.toml", small);
  INFO(oversight::testing::describe(v));
  REQUIRE(v.holds);
}
