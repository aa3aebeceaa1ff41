#include "base/device.hpp"

namespace oversight {

bool& accelerator_present() {
  static bool present = false;
  return present;
}

}  // namespace oversight
