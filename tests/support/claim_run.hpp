// Runs a claim file the way `oversight claim` does (the same sweep runner, statistics and
// verdict) in a temporary directory, for the scenario tests. `sets` shrink the
// configuration for CI; the seeds stay at least the claim's min_seeds.
#pragma once

#include <sstream>

#include <catch2/catch.hpp>

#include "runtime/claims.hpp"
#include "tests/support/temp_dir.hpp"

namespace oversight::testing {

inline claim_verdict run_claim_file(const std::filesystem::path& file, const std::vector<std::string>& sets,
                                    const std::optional<std::string>& seeds = std::nullopt) {
  temp_dir tmp("claim");
  sweep_options opt;
  opt.oversight_bin = OVERSIGHT_BIN;
  opt.out = tmp / "sweep";
  opt.jobs = 2;
  return run_claim(file, sets, seeds, opt);
}

/// The verdict as `oversight claim` prints it, for INFO().
inline std::string describe(const claim_verdict& v) {
  std::ostringstream os;
  print_verdict(os, v);
  return os.str();
}

}  // namespace oversight::testing
