// libFuzzer target: the bytes a node or a coordinator receives from the network, decoded
// as CAF's BASP decodes a message's payload: the forwarding stack (actor handles), then
// the message, every element by its registered type's inspect (the project's protocol,
// node messages included: host_request, hosted_roles, node_facts).
//
// Contract checked: decoding returns an error or a message, for any bytes; a crash, a
// sanitizer report, a hang or an exception is a finding. (TLS and BASP framing are
// caf_openssl's and caf_io's; a peer that sends bytes that do not decode is disconnected
// and the node keeps serving: tests/cli/nodes_test.cpp.)
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <caf/io/middleman.hpp>

#include "runtime/protocol.hpp"

using namespace oversight;

namespace {
/// Made once and never destroyed (see event_log_fuzz.cpp: CAF's globals at exit).
caf::actor_system& decoder_system() {
  static caf::actor_system* sys = [] {
    auto* cfg = new caf::actor_system_config;
    register_protocol(*cfg);
    cfg->load<caf::io::middleman>();
    cfg->set("scheduler.max-threads", 1);
    return new caf::actor_system{*cfg};
  }();
  return *sys;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& sys = decoder_system();
  try {
    caf::binary_deserializer source{sys, reinterpret_cast<const char*>(data), size};
    std::vector<caf::strong_actor_ptr> stages;
    caf::message msg;
    if (auto err = source(stages, msg); !err) (void)to_string(msg);
  } catch (const std::exception&) {
    std::abort();  // a decoder must report bad bytes as an error, not throw
  }
  return 0;
}
