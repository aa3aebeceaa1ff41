#include "base/address_space.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>

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

double address_space_limit_bytes() {
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) != 0 || as.rlim_cur == RLIM_INFINITY) return 0;
  return double(as.rlim_cur);
}

std::string address_space_limit_clause() {
  const double limit = address_space_limit_bytes();
  if (limit <= 0) return {};
  char text[96];
  std::snprintf(text, sizeof text, " under the address-space limit of %.1f GB (ulimit -v)", limit / 1e9);
  return text;
}

}  // namespace oversight
