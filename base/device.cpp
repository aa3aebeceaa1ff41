#include "base/device.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace oversight {

namespace {
void (*libtorch_loader)() = nullptr;
std::mutex loading;
bool loaded = false;
}  // namespace

void set_libtorch_loader(void (*load)()) {
  std::lock_guard<std::mutex> lock(loading);
  libtorch_loader = load;
}

void load_libtorch() {
  std::lock_guard<std::mutex> lock(loading);
  if (loaded || !libtorch_loader) return;
  libtorch_loader();
  loaded = true;
}

bool gpu_may_be_present() {
  std::error_code ec;
  if (!std::filesystem::exists("/proc/driver/nvidia/version", ec) && !std::filesystem::exists("/dev/nvidiactl", ec))
    return false;
  // "" and "-1" (any negative index, as the first entry) hide every device from CUDA.
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return !(visible && (visible[0] == '\0' || visible[0] == '-'));
}

}  // namespace oversight
