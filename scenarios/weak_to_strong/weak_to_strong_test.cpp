// The weak_to_strong scenario's claims (scenarios/weak_to_strong/claims/*.toml), each run
// the way `oversight claim` runs it (the same sweep, statistics and verdict) over seeds
// 1-8; the README has every claim's verdict at the shipped configuration. Tested: claims
// that hold there, on a configuration small enough for the test budget where they hold
// too (the comment beside each says how much smaller, and how it was broken by hand).
#include "scenarios/weak_to_strong/w2s_test_support.hpp"
#include "tests/support/claim_run.hpp"

using namespace oversight;
using namespace oversight::w2s_test;
using oversight::testing::describe;
using oversight::testing::run_claim_file;

namespace {

const std::string toml = "scenarios/weak_to_strong/weak_to_strong.toml";

std::string claim_file(const std::string& name) {
  return std::string(OVERSIGHT_SOURCE_DIR) + "/scenarios/weak_to_strong/claims/" + name + ".toml";
}

// value_world at half the data and 12 epochs (the shipped claims: 8000 + 4000 pairs, 20).
const std::vector<std::string> small_value_world = {"world.train_samples=4000", "world.test_samples=2000",
                                                    "train.epochs=12"};

// A three-size ladder for the checks below that are not claims.
const std::vector<std::string> three_sizes = {
    "world.train_samples=3000", "world.test_samples=1500", "ladder.features=0,8,32", "ladder.hidden=0,0,64",
    "ladder.inputs=4,0,0",     "ladder.concepts=0,2,4",      "train.epochs=12",         "boot.steps=0",
    "ladder.input_noise=",     "ladder.concept_noise="};  // exact perception (the file's lists are for 6 sizes)

std::vector<std::string> with(std::vector<std::string> base, std::initializer_list<std::string> more) {
  base.insert(base.end(), more);
  return base;
}

}  // namespace

// PGR > 0 (student.w2s_acc above weak.weak_acc in the same run) for a raw -> concept pair
// (0 -> 4: 4 noisy raw coordinates -> 3 concepts + 32 features) and a concept -> concept
// pair (3 -> 4), at 4,000 training pairs, 2,000 test pairs and 12 epochs (the shipped
// claims: 8,000, 4,000, 20). Broken by hand: when the strong size perceives exactly what
// the weak size does (no perception noise; for 0 -> 4 size 4 a linear probe on the same
// 4 raw coordinates, for 3 -> 4 both 2 exact concepts and no random features) the student
// copies its supervisor, the difference is -0.003 and -0.001, and both claims fail.
TEST_CASE("weak_to_strong claim: PGR > 0 on value_world", "[scenario][weak_to_strong][claim]") {
  for (const char* name : {"pgr_0_4", "pgr_3_4"}) {
    const auto v = run_claim_file(claim_file(name), small_value_world, std::string("1..8"));
    INFO(describe(v));
    REQUIRE(v.holds);
  }
}

// PGR > 0 on the real Fashion-MNIST (tools/setup installs it; without it the runs fail)
// from the weakest supervisor (an 8-unit MLP on 4 components of a 7x7 image) to the
// linear probe on 64 components of the full image, at 3,000 + 3,000 training and 6,000
// test images (data.limit; the shipped claim uses 30,000 + 30,000 and 10,000). Broken by
// hand: giving size 4 size 0's perception (ladder.features=4,8,16,32,4
// ladder.inputs=7,7,14,28,7 ladder.hidden=8,16,32,0,8) turns the difference negative
// (-0.028) and the claim fails. At this size the pairs from weak sizes 1 and 3 reverse
// (README), so they are not tested.
TEST_CASE("weak_to_strong claim: PGR > 0 on Fashion-MNIST", "[scenario][weak_to_strong][claim]") {
  const auto v = run_claim_file(claim_file("fashion_pgr_0_4"), {"data.limit=6000"}, std::string("1..8"));
  INFO(describe(v));
  REQUIRE(v.holds);
}

// The auxiliary confidence loss raises PGR at the largest gap, at the shipped
// configuration: the effect is small next to the seed-to-seed spread, and shrinking the
// run loses it (at 4,000 training pairs and 12 epochs it reverses, -0.06 [-0.13, 0.01];
// with 2,000 test pairs instead of 4,000 its CI reaches below 0). Broken by hand:
// aux.weight=0 makes student_aux a second cross-entropy student, -0.003 [-0.05, 0.04].
TEST_CASE("weak_to_strong claim: the auxiliary confidence loss raises PGR at the largest gap",
          "[scenario][weak_to_strong][claim]") {
  const auto v = run_claim_file(claim_file("aux_largest_gap"), {}, std::string("1..8"));
  INFO(describe(v));
  REQUIRE(v.holds);
}

TEST_CASE("weak_to_strong: bad ladders and missing data are user errors naming the value", "[scenario][weak_to_strong]") {
  CHECK_THROWS_WITH(run(toml, 1, {"ladder.features=2,x,8"}), Catch::Contains("ladder.features") && Catch::Contains("'x'"));
  CHECK_THROWS_WITH(run(toml, 1, {"strong.size=9"}), Catch::Contains("strong.size = 9"));
  // Topic shares that leave no benign topic (each share is in range on its own).
  CHECK_THROWS_WITH(run(toml, 1, {"world.hard_share=0.9"}),
                    Catch::Contains("world.hard_share = 0.9") && Catch::Contains("no benign topic"));
  CHECK_THROWS_WITH(run(toml, 1, {"ladder.concept_noise=10,20"}),
                    Catch::Contains("ladder.concept_noise") && Catch::Contains("got 6, 6, 6, 2 and 6") &&
                        Catch::Contains("may be empty"));
  CHECK_THROWS_WITH(run(toml, 1, {"ladder.input_noise=0,0,0,-5,0,0"}),
                    Catch::Contains("ladder.input_noise") && Catch::Contains("'-5'"));
  CHECK_THROWS_WITH(run(toml, 1, {"ladder.concept_noise=0,0,0,-5,0,0"}),
                    Catch::Contains("ladder.concept_noise") && Catch::Contains("'-5'"));
  // More latent concepts or raw coordinates than value_world has: an error, not a clamp.
  CHECK_THROWS_WITH(run(toml, 1, {"ladder.concepts=0,0,0,2,3,5"}),
                    Catch::Contains("ladder.concepts = \"0,0,0,2,3,5\"") && Catch::Contains("size 5") &&
                        Catch::Contains("value_world has 4"));
  CHECK_THROWS_WITH(run(toml, 1, {"ladder.inputs=4,5,9,0,0,0"}),
                    Catch::Contains("ladder.inputs = \"4,5,9,0,0,0\"") && Catch::Contains("world.dim is 8"));
  CHECK_THROWS_WITH(run(toml, 1, {"world=fashion_mnist", "data.dir=/nonexistent/w2s", "ladder.inputs=7,7,7,28,28,28", "ladder.features=4,4,8,16,32,64"}),
                    Catch::Contains("dataset-fashion-mnist"));
}

TEST_CASE("weak_to_strong: a size that misreads the latent concepts knows less", "[scenario][weak_to_strong]") {
  for (uint64_t seed : {1, 2}) {
    auto sets = with(three_sizes, {"weak.size=0", "strong.size=2", "aux.enabled=false"});
    const double exact = last(run(toml, seed, sets), "ceiling.strong_ceiling_acc");
    sets.push_back("ladder.concept_noise=0,0,100");
    const double misread = last(run(toml, seed, sets), "ceiling.strong_ceiling_acc");
    INFO("seed " << seed << ": ceiling with exact concepts " << exact << ", with concept noise 1.0 " << misread);
    CHECK(misread < exact - 0.03);
  }
}
