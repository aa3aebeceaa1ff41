// fashion_mnist: the real-data world. Reads the gzipped IDX files that Debian's
// dataset-fashion-mnist package installs under /usr/share/datasets/fashion-mnist/
// (train/t10k images and labels), with a real IDX parser over zlib.
//
// Ground truth is the label; images are 28x28 bytes, kept as uint8 (47 MB for the
// 60,000 training images) and scaled to [0, 1] floats on demand.
//
// Errors are user errors naming the file: a missing file names the Debian package to
// install; a bad magic number, truncated data or a label/image count mismatch names
// the file and the offending value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace oversight {

struct idx_images {
  int32_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  ///< count x rows x cols
  size_t size() const { return size_t(rows) * size_t(cols); }
};

/// Reads an IDX3 image file (gzipped or not). Throws user_error.
idx_images read_idx_images(const std::filesystem::path& file);
/// The pixels per image an IDX3 image file holds (rows x cols), read from its 16-byte
/// header alone; 0 when the file is missing or is not an IDX3 image file. For estimates
/// made before any data is loaded.
size_t idx_image_pixels(const std::filesystem::path& file);
/// The training image file of a Fashion-MNIST directory (as the package names it).
std::filesystem::path fashion_mnist_train_images(const std::filesystem::path& dir);
/// Reads an IDX1 label file (gzipped or not). Throws user_error.
std::vector<uint8_t> read_idx_labels(const std::filesystem::path& file);

/// Writes an IDX file, gzipped when the name ends in .gz (tests make small data sets
/// with it).
void write_idx_images(const std::filesystem::path& file, const idx_images& images);
void write_idx_labels(const std::filesystem::path& file, const std::vector<uint8_t>& labels);

struct fashion_mnist_split {
  idx_images images;
  std::vector<uint8_t> labels;
  size_t size() const { return labels.size(); }
  /// Pixel i of image n scaled to [0, 1].
  float pixel(size_t n, size_t i) const { return float(images.pixels[n * images.size() + i]) / 255.f; }
};

struct fashion_mnist {
  fashion_mnist_split train, test;
  static constexpr int classes = 10;
  static const char* class_name(int c);
};

/// The directory Debian's package installs into, or $OVERSIGHT_FASHION_MNIST_DIR where
/// the data lie elsewhere (a machine without Debian's package; tools/gpu-check unpacks
/// it into a prefix).
std::filesystem::path default_fashion_mnist_dir();

/// Loads train and t10k from `dir` (file names as in the package). `limit` > 0 keeps
/// only the first `limit` examples of each split. Throws user_error; a missing file
/// names the package dataset-fashion-mnist.
fashion_mnist load_fashion_mnist(const std::filesystem::path& dir, size_t limit = 0);

}  // namespace oversight
