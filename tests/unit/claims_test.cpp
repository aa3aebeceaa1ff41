// Claims: the [claim] table is validated like every other value, and a verdict follows
// the 95% CI of the paired difference against every control, its margin and its seed
// count. Experiments are built in memory with known differences.
#include <catch2/catch.hpp>

#include "runtime/claims.hpp"
#include "base/error.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const char* sweep_part =
    "scenario = \"red_team\"\nticks = 2\n"
    "[sweep]\nseeds = \"1..8\"\n[sweep.grid]\n\"attacker.strategy\" = [\"none\", \"random\", \"evolutionary\"]\n";

const char* good_claim =
    "[claim]\n"
    "statement = \"the attacker lowers adversarial failure\"\n"
    "metric = \"learner.adv_failure_rate_true\"\n"
    "at = \"mean_last:5\"\n"
    "direction = \"less\"\n"
    "treatment = {\"attacker.strategy\" = \"evolutionary\"}\n"
    "controls = [{\"attacker.strategy\" = \"none\"}, {attacker.strategy = \"random\"}]\n"
    "paper = \"none to compare\"\n";

std::string error_of(const std::filesystem::path& file) {
  try {
    load_claim(file);
  } catch (const user_error& e) {
    return e.what();
  }
  FAIL("load_claim accepted " << file);
  return {};
}

/// An experiment with one run per (strategy, seed) whose metric is `base(strategy) +
/// noise(seed)`: paired differences are exactly the base differences.
experiment fake(const std::map<std::string, double>& base, int seeds) {
  experiment ex;
  ex.arm_keys = {"attacker.strategy"};
  for (auto& [strategy, b] : base)
    for (int s = 1; s <= seeds; ++s) {
      run_entry r;
      r.seed = s;
      r.status = "done";
      r.params = {{"attacker.strategy", "\"" + strategy + "\""}};
      // Differences between arms vary a little by seed, so their CI has a width.
      const double noise = 0.01 * s + (strategy == "evolutionary" ? 0.005 * (s % 3) : 0.0);
      r.rows.push_back({0, "learner", "adv_failure_rate_true", b + noise});
      ex.runs.push_back(r);
    }
  return ex;
}

}  // namespace

TEST_CASE("claims: a claim file loads, every arm it names is a point of its sweep", "[claims]") {
  temp_dir tmp("claims");
  auto file = tmp.write("c.toml", std::string(sweep_part) + good_claim);
  const claim c = load_claim(file);
  CHECK(c.metric == "learner.adv_failure_rate_true");
  CHECK(c.at.last_k == 5);
  CHECK_FALSE(c.greater);
  CHECK(c.margin == 0);
  CHECK(c.min_seeds == 8);
  CHECK(c.treatment == arm_params{{"attacker.strategy", "\"evolutionary\""}});
  REQUIRE(c.controls.size() == 2);
  CHECK(c.controls[1] == arm_params{{"attacker.strategy", "\"random\""}});
  CHECK(c.paper == "none to compare");
}

TEST_CASE("claims: bad [claim] tables are user errors naming the place", "[claims]") {
  temp_dir tmp("claims");
  struct bad {
    std::string from, to;
    std::string message;
  };
  const bad cases[] = {
      {"learner.adv_failure_rate_true", "learner.adv_failure", "is not actor.metric with a metric red_team declares"},
      {"direction = \"less\"", "direction = \"lower\"", "is not one of: greater, less"},
      {"at = \"mean_last:5\"", "at = \"first\"", "claim.at"},
      {"{\"attacker.strategy\" = \"evolutionary\"}", "{\"attacker.strategy\" = \"bandit\"}",
       "claim.treatment attacker.strategy=bandit is not a point of the file's sweep"},
      {"{\"attacker.strategy\" = \"evolutionary\"}", "{\"attacker.stratgy\" = \"bandit\"}", "did you mean"},
      {"paper = ", "papers = ", "unknown key 'claim.papers'"},
      {"controls = [{\"attacker.strategy\" = \"none\"}, {attacker.strategy = \"random\"}]", "controls = []",
       "claim.controls must be a non-empty array"},
  };
  for (auto& c : cases) {
    INFO(c.to);
    std::string text = std::string(sweep_part) + good_claim;
    const auto at = text.find(c.from);
    REQUIRE(at != std::string::npos);
    text.replace(at, c.from.size(), c.to);
    auto file = tmp.write("bad.toml", text);
    auto msg = error_of(file);
    CHECK_THAT(msg, StartsWith(file.string()));
    CHECK_THAT(msg, Contains(c.message));
  }
  auto none = tmp.write("none.toml", sweep_part);
  CHECK_THAT(error_of(none), Contains("no [claim] table"));
}

TEST_CASE("claims: the verdict follows the paired CI, the margin, the direction and the seed count", "[claims]") {
  temp_dir tmp("claims");
  claim c = load_claim(tmp.write("c.toml", std::string(sweep_part) + good_claim));
  c.at = value_at{};  // the fake runs have one tick

  // evolutionary 0.2 below none and 0.1 below random: holds at margin 0.
  auto ex = fake({{"none", 0.8}, {"random", 0.7}, {"evolutionary", 0.6}}, 8);
  auto v = check_claim(c, ex);
  CHECK(v.holds);
  REQUIRE(v.checks.size() == 2);
  CHECK(v.checks[0].diff.n == 8);
  CHECK(v.checks[0].diff.mean_diff == Approx(-0.2 + 0.005 * (1 + 2 + 0 + 1 + 2 + 0 + 1 + 2) / 8.0));
  CHECK(v.checks[0].diff.ci_hi < 0);
  CHECK(v.treatment.n == 8);
  CHECK(v.control_stats[1].mean == Approx(0.7 + 0.01 * 4.5));

  SECTION("a margin the difference does not clear") {
    c.margin = 0.15;  // the random control is only ~0.1 apart
    auto m = check_claim(c, ex);
    CHECK_FALSE(m.holds);
    CHECK(m.checks[0].holds);
    CHECK_FALSE(m.checks[1].holds);
    CHECK_THAT(m.why_not, Contains("attacker.strategy=random") && Contains("is not below -0.15"));
  }
  SECTION("the other direction") {
    c.greater = true;
    CHECK_FALSE(check_claim(c, ex).holds);
  }
  SECTION("no difference against one control") {
    auto flat = fake({{"none", 0.8}, {"random", 0.6}, {"evolutionary", 0.6}}, 8);
    auto f = check_claim(c, flat);
    CHECK_FALSE(f.holds);
    CHECK(f.checks[0].holds);
  }
  SECTION("fewer seeds than the claim needs") {
    auto few = fake({{"none", 0.8}, {"random", 0.7}, {"evolutionary", 0.6}}, 7);
    auto f = check_claim(c, few);
    CHECK_FALSE(f.holds);
    CHECK_THAT(f.why_not, Contains("only 7 paired seeds"));
  }
  SECTION("a missing arm") {
    auto missing = fake({{"none", 0.8}, {"evolutionary", 0.6}}, 8);
    auto f = check_claim(c, missing);
    CHECK_FALSE(f.holds);
    CHECK_THAT(f.why_not, Contains("no runs of the control arm attacker.strategy=random"));
  }
}

TEST_CASE("claims: versus other metrics of the same runs, and one metric against the margin", "[claims]") {
  temp_dir tmp("claims");
  // red_team's critic records critic_agreement and critic_agreement_adv in the same runs.
  const std::string base = std::string(sweep_part) +
                           "[claim]\nstatement = \"s\"\nmetric = \"critic.critic_agreement\"\ndirection = \"greater\"\n"
                           "treatment = {\"attacker.strategy\" = \"none\"}\n";
  experiment ex;
  ex.arm_keys = {"attacker.strategy"};
  for (int s = 1; s <= 8; ++s) {
    run_entry r;
    r.seed = s;
    r.status = "done";
    r.params = {{"attacker.strategy", "\"none\""}};
    r.rows.push_back({0, "critic", "critic_agreement", 0.9 + 0.01 * s});
    r.rows.push_back({0, "critic", "critic_agreement_adv", 0.8 + 0.01 * s + 0.002 * (s % 2)});
    ex.runs.push_back(r);
  }
  SECTION("versus: paired within each run") {
    claim c = load_claim(tmp.write("v.toml", base + "versus = [\"critic.critic_agreement_adv\"]\n"));
    REQUIRE(c.versus == std::vector<std::string>{"critic.critic_agreement_adv"});
    auto v = check_claim(c, ex);
    CHECK(v.holds);
    REQUIRE(v.checks.size() == 1);
    CHECK(v.checks[0].diff.n == 8);
    CHECK(v.checks[0].diff.mean_diff == Approx(0.1 - 0.001));  // 0.002 on the 4 odd seeds
    CHECK(v.control_stats[0].mean == Approx(0.8 + 0.045 + 0.001));
    c.margin = 0.2;
    CHECK_FALSE(check_claim(c, ex).holds);
  }
  SECTION("one sample: the metric's CI against the margin") {
    claim c = load_claim(tmp.write("o.toml", base + "margin = 0.9\n"));
    auto v = check_claim(c, ex);
    CHECK(v.holds);  // mean 0.945, CI well above 0.9
    CHECK(v.checks[0].diff.mean_diff == Approx(0.945));
    c.margin = 0.95;
    CHECK_FALSE(check_claim(c, ex).holds);
    c.margin = 0.99;
    c.greater = false;  // the CI [0.93, 0.96] is below 0.99
    CHECK(check_claim(c, ex).holds);
  }
  SECTION("controls and versus together are refused; versus must be declared metrics") {
    auto both = tmp.write("b.toml", base + "versus = [\"critic.critic_agreement_adv\"]\n"
                                           "controls = [{\"attacker.strategy\" = \"random\"}]\n");
    CHECK_THAT(error_of(both), Contains("both 'controls' and 'versus'"));
    auto undeclared = tmp.write("u.toml", base + "versus = [\"critic.nonsense\"]\n");
    CHECK_THAT(error_of(undeclared), Contains("claim.versus 'critic.nonsense'"));
  }
}
