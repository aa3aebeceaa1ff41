// libFuzzer target: the reader of a run's event log (events.msgpack), as `oversight
// replay DIR` uses it on a file anyone may have written: the msgpack records, then each
// record's payload decoded with CAF's binary deserializer and the registered types.
//
// Contract checked: read_event_log returns or throws user_error (naming the file and the
// offset), and payload_text never throws; a crash, a sanitizer report, a hang or another
// exception is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/error.hpp"
#include "runtime/event_log.hpp"
#include "runtime/protocol.hpp"

using namespace oversight;

namespace {
/// The decoder's actor system, made once and never destroyed: libFuzzer ends the process
/// with exit(), and an actor system torn down by static destructors after CAF's own
/// globals crashes (seen as a SEGV in ref_counted::deref at exit, with an empty input).
caf::actor_system& payload_system() {
  static caf::actor_system* sys = [] {
    auto* cfg = new caf::actor_system_config;
    register_protocol(*cfg);
    cfg->set("scheduler.max-threads", 1);
    return new caf::actor_system{*cfg};
  }();
  return *sys;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& sys = payload_system();
  try {
    read_event_log(reinterpret_cast<const char*>(data), size, "events.msgpack", nullptr,
                   [&](const event_record& r, size_t) { (void)payload_text(sys, r.payload); });
  } catch (const user_error& e) {
    if (std::string(e.what()).rfind("events.msgpack: bad bytes at offset ", 0) != 0) std::abort();
  }
  return 0;
}
