// Helpers for the weak-to-strong scenario tests: run a scenario in-process and read its
// metrics back by (actor, name).
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/scenario_run.hpp"

namespace oversight::w2s_test {

/// "actor.name" -> values in tick order.
using metrics = oversight::testing::metric_series;

inline metrics run(const std::string& toml, uint64_t seed, const std::vector<std::string>& sets) {
  return oversight::testing::run_scenario_file(toml, seed, sets, oversight::testing::metric_key::actor_and_name);
}

inline double last(const metrics& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) FAIL("no metric " << key);
  return it->second.back();
}

}  // namespace oversight::w2s_test
