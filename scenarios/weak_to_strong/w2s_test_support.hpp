// Helpers for the weak-to-strong scenario tests: run a scenario in-process and read its
// metrics back by (actor, name); write a small synthetic Fashion-MNIST-shaped IDX data
// set whose classes a classifier can learn.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/rng.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"
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

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
inline double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

/// Prints measured numbers when W2S_VERBOSE is set (for tuning and the README).
inline bool verbose() { return std::getenv("W2S_VERBOSE") != nullptr; }

/// A 10-class, 28x28 data set in Fashion-MNIST's file layout: each class is a template
/// of a few random bright blobs; an image is its class's template blended with another
/// class's (a random share up to `blend`), scaled, plus pixel noise. The blend makes some
/// images truly ambiguous, so no model reaches 100%, and most class structure lives in
/// a few principal directions while the finer distinctions need more.
inline void write_synthetic_fashion(const std::filesystem::path& dir, int train, int test, uint64_t seed,
                                    double noise = 0.35, double blend = 0.6) {
  rng r(seed, "synthetic-fashion");
  std::vector<std::vector<float>> templates(10, std::vector<float>(784, 0.f));
  for (auto& t : templates)
    for (int b = 0; b < 6; ++b) {
      const double cy = r.uniform(4, 24), cx = r.uniform(4, 24), s = r.uniform(2, 5);
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
          const double d2 = ((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (2 * s * s);
          t[size_t(y * 28 + x)] += float(std::exp(-d2));
        }
    }
  auto make = [&](const std::string& prefix, int n) {
    idx_images im;
    im.count = n;
    im.rows = im.cols = 28;
    std::vector<uint8_t> labels;
    for (int i = 0; i < n; ++i) {
      const int c = int(r.below(10)), o = int(r.below(10));
      const double w = r.uniform(0, blend), scale = r.uniform(0.6, 1.0);
      labels.push_back(uint8_t(c));
      for (size_t p = 0; p < 784; ++p) {
        const double v = scale * ((1 - w) * templates[size_t(c)][p] + w * templates[size_t(o)][p]) + r.normal(0, noise);
        im.pixels.push_back(uint8_t(std::clamp(v, 0.0, 1.0) * 255.0));
      }
    }
    write_idx_images(dir / (prefix + "-images-idx3-ubyte.gz"), im);
    write_idx_labels(dir / (prefix + "-labels-idx1-ubyte.gz"), labels);
  };
  make("train", train);
  make("t10k", test);
}

}  // namespace oversight::w2s_test
