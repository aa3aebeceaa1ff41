// Runs a scenario file in-process (as `oversight run FILE --seed N --set ...` would,
// into a temporary run directory removed afterwards) and returns its metrics, for the
// scenario tests.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "actors/director/run.hpp"
#include "runtime/spec.hpp"
#include "tests/support/temp_dir.hpp"

namespace oversight::testing {

/// Metric key -> values in tick order. The key is the metric's name, or
/// "actor.name" when the scenario records the same name for several actors.
using metric_series = std::map<std::string, std::vector<double>>;

enum class metric_key { name, actor_and_name };

/// `toml` is relative to the source tree; 2 scheduler threads.
inline metric_series run_scenario_file(const std::string& toml, uint64_t seed, const std::vector<std::string>& sets,
                                       metric_key key = metric_key::name) {
  auto spec = load_spec(std::filesystem::path(OVERSIGHT_SOURCE_DIR) / toml, sets, seed);
  temp_dir dir("scenario");
  run_options opt;
  opt.threads = 2;
  opt.out = (dir / "run").string();
  auto res = run_scenario(spec, opt);
  metric_series out;
  for (auto& r : res.rows) out[key == metric_key::name ? r.name : r.actor + "." + r.name].push_back(r.value);
  return out;
}

/// Each metric's last value (running values: the last tick's are the run's).
inline std::map<std::string, double> last_values(const metric_series& m) {
  std::map<std::string, double> out;
  for (auto& [k, v] : m)
    if (!v.empty()) out[k] = v.back();
  return out;
}

/// The mean of the last `n` values.
inline double mean_of_last(const std::vector<double>& v, size_t n) {
  REQUIRE(v.size() >= n);
  return std::accumulate(v.end() - std::ptrdiff_t(n), v.end(), 0.0) / double(n);
}

}  // namespace oversight::testing
