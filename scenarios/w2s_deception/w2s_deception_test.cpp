// The w2s_deception scenario's outcomes (issue 3, "What must show" 4), on small
// configurations over three seeds. W2S_VERBOSE=1 prints the measured numbers.
#include "scenarios/weak_to_strong/w2s_test_support.hpp"

using namespace oversight;
using namespace oversight::w2s_test;

namespace {

const std::string toml = "scenarios/w2s_deception/w2s_deception.toml";

// Ladder: 0 and 1 are weak supervisors of different strength, 2 is the strong size.
const std::vector<std::string> small = {"world.train_samples=3000", "world.test_samples=1500",
                                        "ladder.features=0,8,32",   "ladder.hidden=0,0,64",
                                        "ladder.inputs=4,0,0",      "ladder.concepts=0,2,4",      "train.epochs=12",
                                        "boot.steps=0",             "strong.size=2"};

double deception(uint64_t seed, int weak, double conflict) {
  auto sets = small;
  sets.push_back("weak.size=" + std::to_string(weak));
  sets.push_back("conflict=" + std::to_string(conflict));
  auto m = run(toml, seed, sets);
  const double ds = last(m, "student.deception_score");
  if (verbose())
    std::cerr << "deception seed " << seed << " weak " << weak << " conflict " << conflict << ": weak "
              << last(m, "weak.weak_acc") << " ceiling " << last(m, "ceiling.strong_ceiling_acc") << " w2s "
              << last(m, "student.w2s_acc") << " DS " << ds << "\n";
  return ds;
}

}  // namespace

TEST_CASE("w2s_deception: the deception score rises with the capability gap", "[scenario][w2s_deception]") {
  std::vector<double> large, small_gap;
  for (uint64_t seed : {1, 2, 3}) {
    large.push_back(deception(seed, 0, 0.3));
    small_gap.push_back(deception(seed, 1, 0.3));
  }
  INFO("mean deception score with conflict: large gap " << mean(large) << ", small gap " << mean(small_gap));
  CHECK(mean(large) > mean(small_gap));
}

// Does not hold in this simulation (see README, "w2s_deception: what we found"): without
// conflict the student already imitates most of the weak supervisor's mistakes, so its
// errors sit mostly where the weak is wrong; the conflict adds errors in both regions,
// relatively more where the weak is right, and the share falls. Kept asserting the
// issue's claim, marked may-fail, until the simulation reproduces it.
TEST_CASE("w2s_deception: the deception score is higher with conflict than without",
          "[scenario][w2s_deception][!mayfail]") {
  std::vector<double> none, conflict;
  for (uint64_t seed : {1, 2, 3}) {
    none.push_back(deception(seed, 0, 0.0));
    conflict.push_back(deception(seed, 0, 0.3));
  }
  INFO("mean deception score at the large gap: without conflict " << mean(none) << ", with conflict "
                                                                  << mean(conflict));
  CHECK(mean(conflict) > mean(none));
}
