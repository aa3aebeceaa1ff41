#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"

using namespace oversight;
namespace fs = std::filesystem;

namespace {
struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("oversight-idx-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

idx_images tiny(int n) {
  idx_images im;
  im.count = n;
  im.rows = 28;
  im.cols = 28;
  for (int i = 0; i < n * 28 * 28; ++i) im.pixels.push_back(uint8_t(i * 7 % 256));
  return im;
}

void write_split(const fs::path& dir, const std::string& prefix, int n) {
  write_idx_images(dir / (prefix + "-images-idx3-ubyte.gz"), tiny(n));
  std::vector<uint8_t> labels;
  for (int i = 0; i < n; ++i) labels.push_back(uint8_t(i % 10));
  write_idx_labels(dir / (prefix + "-labels-idx1-ubyte.gz"), labels);
}
}  // namespace

TEST_CASE("fashion_mnist: a generated IDX data set round-trips through the loader", "[unit][fashion_mnist]") {
  temp_dir t;
  write_split(t.path, "train", 12);
  write_split(t.path, "t10k", 5);
  auto fm = load_fashion_mnist(t.path);
  REQUIRE(fm.train.size() == 12);
  REQUIRE(fm.test.size() == 5);
  CHECK(fm.train.images.rows == 28);
  CHECK(fm.train.labels[3] == 3);
  CHECK(fm.train.images.pixels == tiny(12).pixels);
  CHECK(fm.train.pixel(0, 1) == Approx(7.f / 255.f));
  auto limited = load_fashion_mnist(t.path, 4);
  CHECK(limited.train.size() == 4);
  CHECK(limited.train.images.pixels.size() == 4u * 784u);
}

TEST_CASE("fashion_mnist: bad files give errors that name the file and the value", "[unit][fashion_mnist]") {
  temp_dir t;
  // Missing: names the Debian package.
  try {
    load_fashion_mnist(t.path / "nowhere");
    FAIL("no error");
  } catch (const user_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("dataset-fashion-mnist"));
    CHECK_THAT(e.what(), Catch::Contains("train-images-idx3-ubyte.gz"));
  }
  // Wrong magic number.
  write_idx_labels(t.path / "labels-as-images.gz", std::vector<uint8_t>(20, 1));
  try {
    read_idx_images(t.path / "labels-as-images.gz");
    FAIL("no error");
  } catch (const user_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("magic number 2049"));
  }
  // Truncated: the header promises more than the file holds.
  auto im = tiny(3);
  im.pixels.resize(100);
  write_idx_images(t.path / "short.gz", im);
  try {
    read_idx_images(t.path / "short.gz");
    FAIL("no error");
  } catch (const user_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("short.gz"));
    CHECK_THAT(e.what(), Catch::Contains("3 images"));
  }
  // Label out of range, and counts that disagree.
  write_split(t.path, "train", 4);
  write_split(t.path, "t10k", 4);
  write_idx_labels(t.path / "t10k-labels-idx1-ubyte.gz", {0, 1, 12, 3});
  try {
    load_fashion_mnist(t.path);
    FAIL("no error");
  } catch (const user_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("label 12 at index 2"));
  }
  write_idx_labels(t.path / "t10k-labels-idx1-ubyte.gz", {0, 1});
  try {
    load_fashion_mnist(t.path);
    FAIL("no error");
  } catch (const user_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("2 labels for 4 images"));
  }
  // Not gzip at all but garbage of the right shape is still read as plain IDX bytes;
  // corrupt gzip is reported.
  {
    std::ofstream f(t.path / "corrupt.gz", std::ios::binary);
    f << "\x1f\x8b\x08\x00garbage-that-is-not-deflate";
  }
  CHECK_THROWS_AS(read_idx_images(t.path / "corrupt.gz"), user_error);
}

// tools/setup installs Debian's dataset-fashion-mnist: a machine without it cannot run
// weak_to_strong_fashion.toml or its claims, so its absence is a failure, not a skip.
TEST_CASE("fashion_mnist: Debian's package is installed and loads", "[unit][fashion_mnist]") {
  INFO("the real data set is missing from " << default_fashion_mnist_dir()
                                            << ": run tools/setup (apt package dataset-fashion-mnist)");
  REQUIRE(fs::exists(default_fashion_mnist_dir() / "t10k-labels-idx1-ubyte.gz"));
  auto fm = load_fashion_mnist(default_fashion_mnist_dir(), 1000);
  CHECK(fm.train.size() == 1000);
  CHECK(fm.test.size() == 1000);
  CHECK(fm.train.images.rows == 28);
}

TEST_CASE("fashion_mnist: OVERSIGHT_FASHION_MNIST_DIR names another directory for the data", "[unit][fashion_mnist]") {
  const char* before = std::getenv("OVERSIGHT_FASHION_MNIST_DIR");
  const std::string kept = before ? before : "";
  ::setenv("OVERSIGHT_FASHION_MNIST_DIR", "/data/fm", 1);
  CHECK(default_fashion_mnist_dir() == fs::path("/data/fm"));
  ::setenv("OVERSIGHT_FASHION_MNIST_DIR", "", 1);  // empty: Debian's place
  CHECK(default_fashion_mnist_dir() == fs::path("/usr/share/datasets/fashion-mnist"));
  if (before) ::setenv("OVERSIGHT_FASHION_MNIST_DIR", kept.c_str(), 1);
  else ::unsetenv("OVERSIGHT_FASHION_MNIST_DIR");
}
