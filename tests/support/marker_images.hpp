// A small IDX data set for image scenarios' tests (debate): 12 x 12 images, 10 classes,
// in the file names of Debian's fashion-mnist package. The answer lives in a few
// pixels: each class has 4 marker pixels that are bright in its images; every other
// pixel is dim noise. k random pixels rarely hit a marker (a sparse judge alone is
// weak); someone who sees the whole image can point at them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"

namespace oversight::testing {

inline void write_marker_split(const std::filesystem::path& dir, const std::string& prefix, int count, rng& r) {
  constexpr int side = 12, markers = 4;
  // Class c owns pixels perm[c*markers .. c*markers+3] of a fixed permutation.
  rng layout(99, "markers");
  std::vector<int> perm(side * side);
  for (int i = 0; i < side * side; ++i) perm[size_t(i)] = i;
  for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[size_t(layout.below(i))]);
  idx_images im;
  im.count = count;
  im.rows = im.cols = side;
  std::vector<uint8_t> labels;
  for (int n = 0; n < count; ++n) {
    const int c = int(r.below(10));
    labels.push_back(uint8_t(c));
    std::vector<uint8_t> px(side * side);
    for (auto& v : px) v = uint8_t(r.below(80));  // dim noise
    for (int m = 0; m < markers; ++m) px[size_t(perm[size_t(c * markers + m)])] = uint8_t(200 + r.below(56));
    im.pixels.insert(im.pixels.end(), px.begin(), px.end());
  }
  write_idx_images(dir / (prefix + "-images-idx3-ubyte.gz"), im);
  write_idx_labels(dir / (prefix + "-labels-idx1-ubyte.gz"), labels);
}

/// 3,000 training and 300 test images into `dir`.
inline void write_marker_images(const std::filesystem::path& dir) {
  rng r(5, "marker-images");
  write_marker_split(dir, "train", 3000, r);
  write_marker_split(dir, "t10k", 300, r);
}

}  // namespace oversight::testing
