// The event log: events.msgpack in a run directory, every request and reply between
// actors, streamed as the run goes, and its reader (`oversight replay`).
//
// File: a stream of msgpack maps, keys in this order, nothing else between them.
//   header, once:  {"format": "oversight-events", "version": 2, "scenario": str, "seed": int}
//   then one map per message:
//                  {"tick": int, "from": str, "to": str, "type": str,
//                   "kind": "request" | "reply", "payload": bin}
// `from` and `to` are role names (the names a program's keep() gives, "director", and
// "<owner>/trainer" for a role's trainer); `type` is the request's leading atom
// ("deliver") or the first element's registered type name ("label_batch"), the atom's
// text for an atom reply ("ack"); `payload` is CAF's binary serialization of the whole
// message content (caf::message), decoded by payload_text() with the registered types
// (a vector of numbers inside a message type is a packed field: runtime/protocol.hpp).
//
// Order: the log of a run is byte-identical whatever the thread count. A tick's records
// are buffered and written when the tick ends, sorted by source (the director first,
// then the other roles that ask by name), then by each source's own deterministic order:
// its conversations in the order it opened them, in each a request's record, then its
// reply, then what the reply's continuation asked; phases in order. So the file is a
// causal trace, not a time line. Detached requests (ask_detached) log the request only:
// the tick their reply lands in depends on timing. Checkpoint traffic (save/restore) is
// not logged; a resumed run keeps the records of the ticks before its checkpoint and
// writes the rest again (event_log::reopen), so its log equals an uninterrupted run's.
//
// Written at each tick's end and flushed: a killed run keeps every tick that ended. A
// write error is remembered (failure()) and fails the run, as a metrics write error does.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/all.hpp>

namespace oversight {

inline constexpr int event_log_version = 2;

/// One message as logged, with its sort key within the tick.
struct event_record {
  int64_t tick = 0;
  std::string from, to, type, kind;  ///< kind: "request" or "reply"
  std::vector<char> payload;
};

/// The sink a run's actors write to (thread-safe). Owned by the run; actors reach it
/// through the actor system's config (event_log_of).
class event_log {
 public:
  /// Creates `file` (refusing an existing one) and writes the header. Throws
  /// std::runtime_error naming the file when it cannot.
  event_log(const std::filesystem::path& file, const std::string& scenario, uint64_t seed);
  /// For a resumed run that starts at tick `from`: keeps the records of the ticks before
  /// it in `file` and cuts the rest (and a record cut short by a kill), then appends;
  /// starts a new file when there is none or its header is unreadable.
  static std::unique_ptr<event_log> reopen(const std::filesystem::path& file, const std::string& scenario,
                                           uint64_t seed, int64_t from);
  ~event_log();
  event_log(const event_log&) = delete;
  event_log& operator=(const event_log&) = delete;

  /// Names an actor: records from and to it carry `name`. Keyed by address (node and
  /// id), since a run spread over nodes talks to actors of several processes.
  void name(const caf::actor_addr& who, std::string name);
  /// The name of `who`; "actor-<id>" for an actor never named.
  std::string name_of(const caf::actor_addr& who) const;

  /// Tick t is open: records of roles that ask on their own (not the director) carry it.
  void open_tick(int64_t t);
  int64_t tick() const;
  /// The next conversation number of `source` in the open tick (0, 1, ...): one source
  /// asks from one actor, so its numbers follow that actor's mailbox order.
  uint32_t next_instance(const std::string& source);

  /// Buffers a record; `source`, `instance` and `path` order it within its tick.
  void add(const std::string& source, uint32_t instance, std::vector<uint32_t> path, event_record r);
  /// Writes the buffered records (sorted) and flushes. False on a write error (then
  /// failure() says why, and nothing more is written).
  bool end_tick();
  /// end_tick(), then closes the file. False on a write error.
  bool close();
  /// The first write error ("cannot write DIR/events.msgpack: No space left on device"), or empty.
  std::string failure() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  struct pending {
    std::string source;
    uint32_t instance;
    std::vector<uint32_t> path;
    event_record r;
  };
  explicit event_log(std::filesystem::path file) : file_(std::move(file)) {}
  bool write_locked(const char* data, size_t n);
  std::filesystem::path file_;
  mutable std::mutex m_;
  std::FILE* f_ = nullptr;
  std::map<caf::actor_addr, std::string> names_;
  std::map<std::string, uint32_t> instances_;
  std::vector<pending> pending_;
  int64_t tick_ = 0;
  std::string failure_;
};

/// The actor system config of a run: carries the run's event log (nullptr: off).
struct event_log_config : caf::actor_system_config {
  event_log* events = nullptr;
};

/// The event log of the run `sys` belongs to; nullptr when off (or not a run's system).
inline event_log* event_log_of(caf::actor_system& sys) {
  auto* c = dynamic_cast<const event_log_config*>(&sys.config());
  return c ? c->events : nullptr;
}

/// The message's CAF binary serialization; empty when a type cannot be serialized.
std::vector<char> encode_payload(caf::actor_system& sys, const caf::message& msg);
/// `type` of a record: the leading atom's text, else the first element's type name.
std::string message_type(caf::actor_system& sys, const caf::message& msg);
/// The payload as CAF prints the message ("('deliver', 3)"); "<N bytes, undecodable: WHY>"
/// when it does not decode (bad bytes or an unregistered type). Never throws on bad bytes.
std::string payload_text(caf::actor_system& sys, const std::vector<char>& payload);

/// A conversation's place in the log: its source name and number, and the key path of
/// the context its next request is asked in. Held by one actor: not thread-safe.
struct event_trace {
  event_log* log;
  caf::actor_system* sys;
  int64_t tick;
  std::string source;
  uint32_t instance;
  std::vector<uint32_t> ctx{0};
  uint32_t child = 0;
  uint32_t phase = 0;

  /// A trace for a conversation of `self`, or nullptr when the log is off. tick < 0:
  /// the log's open tick.
  static std::shared_ptr<event_trace> make(caf::actor_system& sys, const caf::actor_addr& self, int64_t tick = -1) {
    event_log* log = event_log_of(sys);
    if (!log) return nullptr;
    auto name = log->name_of(self);
    auto n = log->next_instance(name);
    return std::make_shared<event_trace>(event_trace{log, &sys, tick < 0 ? log->tick() : tick, name, n});
  }
  /// The key of the next group of requests in the current context.
  std::vector<uint32_t> next_group() {
    auto k = ctx;
    k.push_back(child++);
    return k;
  }
  /// Logs a message with key group+[part, index] (part 0: requests, 1: replies).
  void log_message(const std::vector<uint32_t>& group, uint32_t part, uint32_t index, const std::string& to,
                   const char* kind, const caf::message& msg, bool reply_of_to) {
    auto path = group;
    path.push_back(part);
    path.push_back(index);
    event_record r;
    r.tick = tick;
    r.from = reply_of_to ? to : source;
    r.to = reply_of_to ? source : to;
    r.type = message_type(*sys, msg);
    r.kind = kind;
    r.payload = encode_payload(*sys, msg);
    log->add(source, instance, std::move(path), std::move(r));
  }
  /// Runs k in context `c`, then restores the current one.
  template <class F>
  void within(std::vector<uint32_t> c, F&& k) {
    auto saved = std::move(ctx);
    auto saved_child = child;
    ctx = std::move(c);
    child = 0;
    k();
    ctx = std::move(saved);
    child = saved_child;
  }
};

/// The name of an actor handle's target for the log.
template <class Handle>
std::string event_name(const event_trace& tr, const Handle& h) {
  return tr.log->name_of(caf::actor_cast<caf::actor_addr>(h));
}

// ---- reading ---------------------------------------------------------------------------

struct event_log_header {
  int64_t version = 0;
  std::string scenario;
  uint64_t seed = 0;
};

/// Reads an event log from memory: the header, then each record in file order, with the
/// offset it starts at. Throws user_error "FILE: bad bytes at offset N: WHY" on anything
/// but a well-formed log (a log cut short after a whole record reads as complete).
void read_event_log(const char* data, size_t size, const std::string& file,
                    const std::function<void(const event_log_header&)>& on_header,
                    const std::function<void(const event_record&, size_t offset)>& on_record);

/// What `oversight replay` prints: records touching `actor` (from or to; empty: all), in
/// ticks [first, last], of type `type` (empty: all).
struct replay_filter {
  std::string actor;
  int64_t first = 0;
  int64_t last = INT64_MAX;
  std::string type;
};

/// Parses --ticks: "A:B" (A to B inclusive), "A:", ":B" or "A". Throws user_error
/// naming --ticks for anything else, a negative tick or A > B.
void parse_tick_range(const std::string& text, replay_filter& f);

/// Prints DIR/events.msgpack one line per record that passes `f`:
///   TICK FROM -> TO TYPE KIND: PAYLOAD
/// with payloads longer than `max_payload` characters cut, saying how many were left
/// out. Returns the records printed. Throws user_error for a missing file or bad bytes
/// (naming the file and the offset).
size_t replay_events(const std::filesystem::path& dir, const replay_filter& f, std::ostream& out,
                     size_t max_payload = 200);

}  // namespace oversight
