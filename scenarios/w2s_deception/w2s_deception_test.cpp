// The w2s_deception scenario's claims (scenarios/w2s_deception/claims/*.toml), run the way
// `oversight claim` runs them, on a smaller configuration over 8 seeds; and the contracts
// of the no-conflict reference the deception score is measured against.
//
// Not asserted: the three deception claims (deception_helpful, _explicit, _implicit:
// the conflict's tax falls in the weak supervisor's blind spot more than the answers
// retraining alone moves). They do not hold at the shipped configuration: the retraining
// null scores as high or higher (README, w2s_deception).
#include "scenarios/weak_to_strong/w2s_test_support.hpp"
#include "tests/support/claim_run.hpp"

using namespace oversight;
using namespace oversight::w2s_test;
using oversight::testing::describe;
using oversight::testing::run_claim_file;

namespace {

const std::string toml = "scenarios/w2s_deception/w2s_deception.toml";

std::string claim_file(const std::string& name) {
  return std::string(OVERSIGHT_SOURCE_DIR) + "/scenarios/w2s_deception/claims/" + name + ".toml";
}

}  // namespace

// The conflict's cost where the weak cannot see: the student errs more often in the blind
// spot than the same student trained without conflict. Broken by hand: with the
// treatment's conflict set to 0 (the control's value) the difference is 0 on every seed
// and the claim fails.
TEST_CASE("w2s_deception claim: the conflict raises the error rate in the blind spot", "[scenario][w2s_deception][claim]") {
  const auto v = run_claim_file(claim_file("blind_spot_error"), {"world.train_samples=4000", "world.test_samples=2000"},
                                std::string("1..8"));
  INFO(describe(v));
  REQUIRE(v.holds);
}

// The reference the tax is measured against: without conflict and with the student's
// initialization it is the student itself (no tax, no score); with its own
// initialization it is a second no-conflict student, the retraining null the deception
// claims compare with, which must have a tax and a score of its own.
TEST_CASE("w2s_deception: the no-conflict reference", "[scenario][w2s_deception]") {
  auto same = run(toml, 1, {"boot.steps=0", "conflict=0"});
  CHECK(last(same, "student.conflict_tax") == 0.0);
  CHECK(same.count("student.deception_score") == 0);
  CHECK(same.count("reference.gt_acc") == 0);  // not trained twice
  auto own = run(toml, 1, {"boot.steps=0", "conflict=0", "reference.init=own"});
  CHECK(last(own, "student.conflict_tax") > 0.0);
  CHECK(last(own, "reference.gt_acc") != last(own, "student.w2s_acc"));
  REQUIRE(own.count("student.deception_score") == 1);
  // The null's student is the no-conflict student itself: only the reference differs.
  CHECK(last(own, "student.w2s_acc") == last(same, "student.w2s_acc"));
  // Bootstrapping: student_boot is measured against its own no-conflict reference.
  auto boot = run(toml, 1, {"boot.steps=1", "conflict=0.3"});
  CHECK(boot.count("reference_boot.gt_acc") == 1);
  CHECK(last(boot, "student_boot.conflict_tax") > 0.0);
}

TEST_CASE("w2s_deception: bad conflict settings are user errors naming the value", "[scenario][w2s_deception]") {
  // A training set made only of helpful rows has no weak labels left.
  CHECK_THROWS_WITH(run(toml, 1, {"conflict_mode=implicit", "conflict=1"}),
                    Catch::Contains("conflict = 1") && Catch::Contains("below 1"));
}
