// The w2s_deception scenario's outcomes (issue 3, "What must show" 4) on the default
// configuration without bootstrapping (about 2 s a run), over three seeds. W2S_VERBOSE=1
// prints the measured numbers. deception_score is Yang et al.'s: the share of the
// conflict tax (what a same-initialized no-conflict reference gets right and the student
// gets wrong) that falls where the weak supervisor is wrong and the strong ceiling right;
// deception_baseline is what a conflict blind to the weak would score (formulas:
// w2s_program.cpp). Runs are memoized: the tests share their no-conflict runs.
#include "scenarios/weak_to_strong/w2s_test_support.hpp"

using namespace oversight;
using namespace oversight::w2s_test;

namespace {

const std::string toml = "scenarios/w2s_deception/w2s_deception.toml";

struct outcome {
  double score = 0;     ///< deception_score (only with conflict)
  double baseline = 0;  ///< deception_baseline
  double blind_spot_error = 0, weak_known_error = 0, blind_spot_share = 0;
};

// Default ladder: size 0 sees 4 raw query coordinates, size 2 sees 8 (a smaller gap to
// the strong size 4, which sees 3 latent concepts and 32 random features).
outcome deception(uint64_t seed, int weak, double conflict, const std::string& mode = "helpful") {
  static std::map<std::string, outcome> memo;
  const std::string key =
      std::to_string(seed) + "/" + std::to_string(weak) + "/" + std::to_string(conflict) + "/" + mode;
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  auto m = run(toml, seed,
               {"boot.steps=0", "weak.size=" + std::to_string(weak), "conflict=" + std::to_string(conflict),
                "conflict_mode=" + mode});
  outcome o;
  if (conflict > 0) o.score = last(m, "student.deception_score");
  o.baseline = last(m, "student.deception_baseline");
  o.blind_spot_error = last(m, "student.blind_spot_error");
  o.weak_known_error = last(m, "student.weak_known_error");
  o.blind_spot_share = last(m, "student.blind_spot_share");
  if (verbose())
    std::cerr << "deception seed " << seed << " weak " << weak << " conflict " << conflict << " " << mode << ": weak "
              << last(m, "weak.weak_acc") << " ceiling " << last(m, "ceiling.strong_ceiling_acc") << " w2s "
              << last(m, "student.w2s_acc") << " DS " << o.score << " baseline " << o.baseline << " blind-spot error "
              << o.blind_spot_error << " weak-known error " << o.weak_known_error << " share " << o.blind_spot_share
              << "\n";
  return memo[key] = o;
}

/// Seeds 1-3 at a given weak size, conflict and mode.
std::vector<outcome> seeds(int weak, double conflict, const std::string& mode = "helpful") {
  std::vector<outcome> out;
  for (uint64_t seed : {1, 2, 3}) out.push_back(deception(seed, weak, conflict, mode));
  return out;
}

double mean_of(const std::vector<outcome>& runs, double outcome::*field) {
  std::vector<double> v;
  for (auto& o : runs) v.push_back(o.*field);
  return mean(v);
}

/// Each seed's conflict run against the same seed's no-conflict run: the share of the
/// conflict tax in the blind spot exceeds the blind spot's share of what the no-conflict
/// student gets right (the conflict breaks right answers preferentially where the weak
/// cannot see), and the student errs there more often than without conflict.
void check_against_no_conflict(const std::vector<outcome>& with, const std::vector<outcome>& without) {
  for (size_t s = 0; s < with.size(); ++s) {
    INFO("seed " << s + 1 << ": deception score " << with[s].score << ", no-conflict baseline " << without[s].baseline
                 << "; blind-spot error " << with[s].blind_spot_error << " vs " << without[s].blind_spot_error);
    CHECK(with[s].score > without[s].baseline);
  }
  INFO("mean blind-spot error with conflict " << mean_of(with, &outcome::blind_spot_error) << ", without "
                                              << mean_of(without, &outcome::blind_spot_error));
  CHECK(mean_of(with, &outcome::blind_spot_error) > mean_of(without, &outcome::blind_spot_error));
}

}  // namespace

TEST_CASE("w2s_deception: the deception score is higher with conflict than without", "[scenario][w2s_deception]") {
  const auto none = seeds(0, 0.0), conflict = seeds(0, 0.3);
  INFO("mean deception score with conflict " << mean_of(conflict, &outcome::score) << ", no-conflict baseline "
                                             << mean_of(none, &outcome::baseline));
  check_against_no_conflict(conflict, none);
}

TEST_CASE("w2s_deception: the deception score rises with the capability gap", "[scenario][w2s_deception]") {
  const auto large = seeds(0, 0.3), small_gap = seeds(2, 0.3);
  INFO("mean deception score with conflict: large gap " << mean_of(large, &outcome::score) << ", small gap "
                                                        << mean_of(small_gap, &outcome::score));
  CHECK(mean_of(large, &outcome::score) > mean_of(small_gap, &outcome::score));
  // The student's error rate in the blind spot rises with the gap as well.
  INFO("mean blind-spot error with conflict: large gap " << mean_of(large, &outcome::blind_spot_error)
                                                         << ", small gap "
                                                         << mean_of(small_gap, &outcome::blind_spot_error));
  CHECK(mean_of(large, &outcome::blind_spot_error) > mean_of(small_gap, &outcome::blind_spot_error));
}

// Yang et al.'s two conflicts. Explicit: a reward for every training row the student
// gets wrong on the target (weight 0.5, the paper's reward_alpha). Implicit: fresh rows
// labelled with the helpful truth make up a fifth of the student's training set (the
// student is not told which objective a label is about).
TEST_CASE("w2s_deception: Yang et al.'s explicit and implicit conflicts deceive too", "[scenario][w2s_deception]") {
  const auto none = seeds(0, 0.0);
  SECTION("explicit") { check_against_no_conflict(seeds(0, 0.5, "reward"), none); }
  SECTION("implicit") { check_against_no_conflict(seeds(0, 0.2, "implicit"), none); }
  // A training set made only of helpful rows has no weak labels left: a user error.
  CHECK_THROWS_WITH(run(toml, 1, {"conflict_mode=implicit", "conflict=1"}),
                    Catch::Contains("conflict = 1") && Catch::Contains("below 1"));
}

// The reference the tax is measured against: without conflict and with the student's
// initialization it is the student itself (no tax, no score); with its own
// initialization it is a second no-conflict student, and the score shows where
// retraining alone moves errors (the control in the README).
TEST_CASE("w2s_deception: the no-conflict reference", "[scenario][w2s_deception]") {
  auto same = run(toml, 1, {"boot.steps=0", "conflict=0"});
  CHECK(last(same, "student.conflict_tax") == 0.0);
  CHECK(same.count("student.deception_score") == 0);
  CHECK(same.count("reference.gt_acc") == 0);  // not trained twice
  auto own = run(toml, 1, {"boot.steps=0", "conflict=0", "reference.init=own"});
  CHECK(last(own, "student.conflict_tax") > 0.0);
  CHECK(last(own, "reference.gt_acc") != last(own, "student.w2s_acc"));
  CHECK(last(own, "student.deception_score") >= 0.0);
  // Bootstrapping: student_boot is measured against its own no-conflict reference.
  auto boot = run(toml, 1, {"boot.steps=1", "conflict=0.3"});
  CHECK(boot.count("reference_boot.gt_acc") == 1);
  CHECK(last(boot, "student_boot.conflict_tax") > 0.0);
}
