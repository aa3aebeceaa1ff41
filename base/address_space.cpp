#include "base/address_space.hpp"

#include <fstream>
#include <string>

namespace oversight {

double address_space_bytes() {
  std::ifstream st("/proc/self/status");
  for (std::string key; st >> key;) {
    if (key == "VmSize:") {
      double kb = 0;
      st >> kb;
      return kb * 1024;
    }
    st.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace oversight
