// A fresh directory under the system temp dir, removed (with its contents) on scope exit.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace oversight::testing {

class temp_dir {
 public:
  explicit temp_dir(const std::string& tag = "test") {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    for (int attempt = 0;; ++attempt) {
      path_ = std::filesystem::temp_directory_path() /
              ("oversight-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
               std::to_string(rd()));
      std::error_code ec;
      if (std::filesystem::create_directory(path_, ec)) break;  // false: it already existed
      if (attempt > 100) FAIL("cannot create a temp directory: " << path_ << ": " << ec.message());
    }
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  /// Writes `text` to DIR/name and returns the path.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::ofstream f(p, std::ios::binary);
    f << text;
    f.close();
    REQUIRE(f.good());
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// The whole content of a file, as bytes.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace oversight::testing
