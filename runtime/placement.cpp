#include "runtime/placement.hpp"

#include <charconv>
#include <set>
#include <stdexcept>

#include "base/error.hpp"

namespace oversight {

node_address parse_node_address(const std::string& text, const std::string& what) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw user_error(what + " " + text + ": expected HOST:PORT (e.g. 127.0.0.1:4100)");
  node_address a;
  a.host = text.substr(0, colon);
  unsigned port = 0;
  const char* b = text.data() + colon + 1;
  const char* e = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(b, e, port);
  if (ec != std::errc() || ptr != e || port > 65535)
    throw user_error(what + " " + text + ": the port must be a whole number in [0, 65535]");
  a.port = uint16_t(port);
  return a;
}

std::vector<node_address> parse_node_list(const std::string& text, const std::string& what) {
  std::vector<node_address> out;
  std::set<std::string> seen;
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find(',', b);
    if (e == std::string::npos) e = text.size();
    auto a = parse_node_address(text.substr(b, e - b), what);
    if (a.port == 0) throw user_error(what + " " + a.text() + ": a node's port cannot be 0");
    if (!seen.insert(a.text()).second) throw user_error(what + " " + a.text() + ": listed twice");
    out.push_back(std::move(a));
    b = e + 1;
  }
  return out;
}

int placement::next(placement_hint hint) {
  const size_t k = gpus_.size();
  if (hint == placement_hint::accelerator) {
    std::vector<int> with_gpu;
    for (size_t i = 0; i < k; ++i)
      if (gpus_[i]) with_gpu.push_back(int(i));
    if (!with_gpu.empty()) return with_gpu[accel_next_++ % with_gpu.size()];
  }
  const size_t slots = k + (coordinator_share_ ? 1 : 0);
  if (slots == 0) return -1;
  const size_t i = spread_next_++ % slots;
  if (coordinator_share_) return i == 0 ? -1 : int(i - 1);
  return int(i);
}

caf::actor placement::remote(const std::string& name, int node) const {
  auto it = remote_.find(name);
  if (it == remote_.end() || it->second.second != node)
    throw std::runtime_error("node " + std::to_string(node) + " did not report role " + name +
                             " (it built a different program: another build or other parameters)");
  return it->second.first;
}

int placement::node_of(const std::string& name) const {
  auto it = remote_.find(name);
  return it == remote_.end() ? -1 : it->second.second;
}

}  // namespace oversight
