#include "scenarios/worlds/fashion_mnist.hpp"

#include <cstdlib>
#include <zlib.h>

#include "base/error.hpp"

namespace oversight {

namespace {

/// The whole file, decompressed when it is gzip (gzread passes plain files through).
std::vector<uint8_t> read_all(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw user_error(file.string() +
                     ": not found (the fashion_mnist world reads Debian's dataset-fashion-mnist package: "
                     "apt-get install dataset-fashion-mnist, or run tools/setup)");
  }
  gzFile f = gzopen(file.c_str(), "rb");
  if (!f) throw user_error(file.string() + ": cannot open");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  int err = 0;
  // gzerror's message lives in the gzFile: copy it before gzclose frees it.
  const char* msg = gzerror(f, &err);
  const std::string why = msg && *msg ? msg : "?";
  const int closed = gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw user_error(file.string() + ": corrupt gzip data (" + why + ")");
  // A truncated stream is reported only at close (Z_BUF_ERROR: the data ended early).
  if (closed != Z_OK) throw user_error(file.string() + ": corrupt gzip data (truncated or bad checksum)");
  return out;
}

uint32_t be32(const std::vector<uint8_t>& d, size_t off) {
  return (uint32_t(d[off]) << 24) | (uint32_t(d[off + 1]) << 16) | (uint32_t(d[off + 2]) << 8) | uint32_t(d[off + 3]);
}

void put_be32(std::vector<uint8_t>& d, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) d.push_back(uint8_t(v >> s));
}

void write_all(const std::filesystem::path& file, const std::vector<uint8_t>& data) {
  const bool gz = file.extension() == ".gz";
  gzFile f = gzopen(file.c_str(), gz ? "wb" : "wbT");
  if (!f) throw std::runtime_error("cannot write " + file.string());
  if (gzwrite(f, data.data(), unsigned(data.size())) != int(data.size())) {
    gzclose(f);
    throw std::runtime_error("short write to " + file.string());
  }
  gzclose(f);
}

}  // namespace

idx_images read_idx_images(const std::filesystem::path& file) {
  auto d = read_all(file);
  if (d.size() < 16) throw user_error(file.string() + ": too short for an IDX image header (" + std::to_string(d.size()) + " bytes)");
  const uint32_t magic = be32(d, 0);
  if (magic != 0x00000803)
    throw user_error(file.string() + ": bad IDX magic number " + std::to_string(magic) + " (expected 2051, unsigned bytes x 3 dimensions)");
  idx_images out;
  const uint32_t count = be32(d, 4), rows = be32(d, 8), cols = be32(d, 12);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    throw user_error(file.string() + ": implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
  const uint64_t need = 16 + uint64_t(count) * rows * cols;
  if (d.size() != need)
    throw user_error(file.string() + ": holds " + std::to_string(d.size()) + " bytes, but its header promises " +
                     std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                     " (" + std::to_string(need) + " bytes)");
  out.count = int32_t(count);
  out.rows = int32_t(rows);
  out.cols = int32_t(cols);
  out.pixels.assign(d.begin() + 16, d.end());
  return out;
}

size_t idx_image_pixels(const std::filesystem::path& file) {
  gzFile f = gzopen(file.c_str(), "rb");
  if (!f) return 0;
  std::vector<uint8_t> d(16);
  const int n = gzread(f, d.data(), 16);
  gzclose(f);
  if (n != 16 || be32(d, 0) != 0x00000803) return 0;
  return size_t(be32(d, 8)) * size_t(be32(d, 12));
}

std::filesystem::path fashion_mnist_train_images(const std::filesystem::path& dir) {
  return dir / "train-images-idx3-ubyte.gz";
}

std::vector<uint8_t> read_idx_labels(const std::filesystem::path& file) {
  auto d = read_all(file);
  if (d.size() < 8) throw user_error(file.string() + ": too short for an IDX label header (" + std::to_string(d.size()) + " bytes)");
  const uint32_t magic = be32(d, 0);
  if (magic != 0x00000801)
    throw user_error(file.string() + ": bad IDX magic number " + std::to_string(magic) + " (expected 2049, unsigned bytes x 1 dimension)");
  const uint32_t count = be32(d, 4);
  if (d.size() != 8 + uint64_t(count))
    throw user_error(file.string() + ": holds " + std::to_string(d.size() - 8) + " labels, header says " + std::to_string(count));
  return {d.begin() + 8, d.end()};
}

void write_idx_images(const std::filesystem::path& file, const idx_images& im) {
  std::vector<uint8_t> d;
  put_be32(d, 0x00000803);
  put_be32(d, uint32_t(im.count));
  put_be32(d, uint32_t(im.rows));
  put_be32(d, uint32_t(im.cols));
  d.insert(d.end(), im.pixels.begin(), im.pixels.end());
  write_all(file, d);
}

void write_idx_labels(const std::filesystem::path& file, const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> d;
  put_be32(d, 0x00000801);
  put_be32(d, uint32_t(labels.size()));
  d.insert(d.end(), labels.begin(), labels.end());
  write_all(file, d);
}

const char* fashion_mnist::class_name(int c) {
  static const char* names[] = {"t-shirt", "trouser", "pullover", "dress", "coat",
                                "sandal",  "shirt",   "sneaker",  "bag",   "ankle-boot"};
  return c >= 0 && c < 10 ? names[c] : "?";
}

std::filesystem::path default_fashion_mnist_dir() {
  if (const char* dir = std::getenv("OVERSIGHT_FASHION_MNIST_DIR"); dir && *dir) return dir;
  return "/usr/share/datasets/fashion-mnist";
}

fashion_mnist load_fashion_mnist(const std::filesystem::path& dir, size_t limit) {
  auto load = [&](const std::string& prefix) {
    fashion_mnist_split s;
    const auto img_file = dir / (prefix + "-images-idx3-ubyte.gz");
    const auto lbl_file = dir / (prefix + "-labels-idx1-ubyte.gz");
    s.images = read_idx_images(img_file);
    s.labels = read_idx_labels(lbl_file);
    if (s.labels.size() != size_t(s.images.count))
      throw user_error(lbl_file.string() + ": " + std::to_string(s.labels.size()) + " labels for " +
                       std::to_string(s.images.count) + " images in " + img_file.string());
    for (size_t i = 0; i < s.labels.size(); ++i)
      if (s.labels[i] >= fashion_mnist::classes)
        throw user_error(lbl_file.string() + ": label " + std::to_string(int(s.labels[i])) + " at index " +
                         std::to_string(i) + " is not a class 0..9");
    if (limit > 0 && limit < s.labels.size()) {
      s.labels.resize(limit);
      s.images.count = int32_t(limit);
      s.images.pixels.resize(limit * s.images.size());
    }
    return s;
  };
  fashion_mnist out;
  out.train = load("train");
  out.test = load("t10k");
  return out;
}

}  // namespace oversight
