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

TEST_CASE("w2s_deception: the deception score is higher with conflict than without, and rises with the gap",
          "[scenario][w2s_deception]") {
  std::vector<double> none_large, conflict_large, conflict_small;
  for (uint64_t seed : {1, 2, 3}) {
    none_large.push_back(deception(seed, 0, 0.0));
    conflict_large.push_back(deception(seed, 0, 0.3));
    conflict_small.push_back(deception(seed, 1, 0.3));
  }
  INFO("mean deception score: large gap without conflict " << mean(none_large) << ", with conflict "
                                                            << mean(conflict_large) << "; small gap with conflict "
                                                            << mean(conflict_small));
  CHECK(mean(conflict_large) > mean(none_large));
  CHECK(mean(conflict_large) > mean(conflict_small));
}
