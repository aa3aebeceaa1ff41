#include "runtime/event_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <ostream>
#include <unistd.h>

#include <msgpack.hpp>

#include "base/error.hpp"
#include "runtime/protocol.hpp"

namespace oversight {

namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

void pack_str(packer& pk, const std::string& s) {
  pk.pack_str(uint32_t(s.size()));
  pk.pack_str_body(s.data(), uint32_t(s.size()));
}

void pack_record(packer& pk, const event_record& r) {
  pk.pack_map(6);
  pack_str(pk, "tick");
  pk.pack_int64(r.tick);
  pack_str(pk, "from");
  pack_str(pk, r.from);
  pack_str(pk, "to");
  pack_str(pk, r.to);
  pack_str(pk, "type");
  pack_str(pk, r.type);
  pack_str(pk, "kind");
  pack_str(pk, r.kind);
  pack_str(pk, "payload");
  pk.pack_bin(uint32_t(r.payload.size()));
  pk.pack_bin_body(r.payload.data(), uint32_t(r.payload.size()));
}

}  // namespace

event_log::event_log(const std::filesystem::path& file, const std::string& scenario, uint64_t seed) : file_(file) {
  // O_EXCL: the run owns the file; one that exists is never overwritten.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    ::close(fd);
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 16);
  msgpack::sbuffer buf;
  packer pk(buf);
  pk.pack_map(4);
  pack_str(pk, "format");
  pack_str(pk, "oversight-events");
  pack_str(pk, "version");
  pk.pack_int64(event_log_version);
  pack_str(pk, "scenario");
  pack_str(pk, scenario);
  pack_str(pk, "seed");
  pk.pack_uint64(seed);
  std::lock_guard<std::mutex> lock(m_);
  if (!write_locked(buf.data(), buf.size()) || std::fflush(f_) != 0) {
    std::fclose(f_);
    f_ = nullptr;
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  }
}

namespace {
const msgpack::object* field(const msgpack::object& map, const char* key);  // below, with the reader
}  // namespace

std::unique_ptr<event_log> event_log::reopen(const std::filesystem::path& file, const std::string& scenario,
                                             uint64_t seed, int64_t from) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::make_unique<event_log>(file, scenario, seed);
  // Where the records of tick `from` (or a damaged tail) begin: everything before stays.
  std::ifstream in(file, std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const msgpack::unpack_limit limit(16, 16, data.size(), data.size(), 0, 4);
  size_t off = 0, keep = 0;
  bool header = true;
  while (off < data.size()) {
    const size_t at = off;
    try {
      auto oh = msgpack::unpack(data.data(), data.size(), off, nullptr, nullptr, limit);
      const msgpack::object& o = oh.get();
      if (o.type != msgpack::type::MAP) break;
      if (!header) {
        auto* t = field(o, "tick");
        if (!t || (t->type != msgpack::type::POSITIVE_INTEGER && t->type != msgpack::type::NEGATIVE_INTEGER) ||
            t->as<int64_t>() >= from)
          break;
      }
      header = false;
      keep = off;
    } catch (const std::exception&) {
      keep = at;
      break;
    }
  }
  if (header) {  // not even a header: start again
    std::filesystem::remove(file, ec);
    return std::make_unique<event_log>(file, scenario, seed);
  }
  std::unique_ptr<event_log> log(new event_log(file));
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, off_t(keep)) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot reopen " + file.string() + ": " + why);
  }
  log->f_ = ::fdopen(fd, "ab");
  if (!log->f_) {
    ::close(fd);
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  std::setvbuf(log->f_, nullptr, _IOFBF, 1 << 16);
  return log;
}

event_log::~event_log() {
  if (f_) std::fclose(f_);
}

void event_log::name(const caf::actor_addr& who, std::string name) {
  std::lock_guard<std::mutex> lock(m_);
  names_[who] = std::move(name);
}

std::string event_log::name_of(const caf::actor_addr& who) const {
  std::lock_guard<std::mutex> lock(m_);
  auto i = names_.find(who);
  if (i != names_.end()) return i->second;
  return "actor-" + std::to_string(who ? who.id() : caf::invalid_actor_id);
}

void event_log::open_tick(int64_t t) {
  std::lock_guard<std::mutex> lock(m_);
  tick_ = t;
}

int64_t event_log::tick() const {
  std::lock_guard<std::mutex> lock(m_);
  return tick_;
}

uint32_t event_log::next_instance(const std::string& source) {
  std::lock_guard<std::mutex> lock(m_);
  return instances_[source]++;
}

void event_log::add(const std::string& source, uint32_t instance, std::vector<uint32_t> path, event_record r) {
  std::lock_guard<std::mutex> lock(m_);
  pending_.push_back(pending{source, instance, std::move(path), std::move(r)});
}

bool event_log::write_locked(const char* data, size_t n) {
  if (!failure_.empty() || !f_) return false;
  if (std::fwrite(data, 1, n, f_) != n) {
    failure_ = "cannot write " + file_.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool event_log::end_tick() {
  std::lock_guard<std::mutex> lock(m_);
  instances_.clear();
  if (!failure_.empty() || !f_) return failure_.empty();
  std::stable_sort(pending_.begin(), pending_.end(), [](const pending& a, const pending& b) {
    bool ad = a.source != "director", bd = b.source != "director";
    return std::tie(a.r.tick, ad, a.source, a.instance, a.path) <
           std::tie(b.r.tick, bd, b.source, b.instance, b.path);
  });
  msgpack::sbuffer buf;
  packer pk(buf);
  for (auto& p : pending_) pack_record(pk, p.r);
  pending_.clear();
  if (!write_locked(buf.data(), buf.size())) return false;
  if (std::fflush(f_) != 0) {
    failure_ = "cannot write " + file_.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool event_log::close() {
  bool ok = end_tick();
  std::lock_guard<std::mutex> lock(m_);
  if (f_) {
    if (std::fclose(f_) != 0 && failure_.empty()) {
      failure_ = "cannot write " + file_.string() + ": " + std::strerror(errno);
      ok = false;
    }
    f_ = nullptr;
  }
  return ok;
}

std::string event_log::failure() const {
  std::lock_guard<std::mutex> lock(m_);
  return failure_;
}

// ---- payloads --------------------------------------------------------------------------

std::vector<char> encode_payload(caf::actor_system& sys, const caf::message& msg) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(const_cast<caf::message&>(msg))) return {};
  return buf;
}

std::string message_type(caf::actor_system& sys, const caf::message& msg) {
  if (msg.empty()) return "()";
  if (msg.match_element<caf::atom_value>(0)) return caf::to_string(msg.get_as<caf::atom_value>(0));
  return sys.types().portable_name(msg.type(0));
}

namespace {
/// CAF's binary deserializer, with every sequence length checked against the bytes left
/// (so bad bytes cannot ask for a huge allocation before the read runs out).
class checked_deserializer final : public caf::deserializer {
 public:
  checked_deserializer(caf::actor_system& sys, const std::vector<char>& buf)
      : caf::deserializer(sys), in_(sys, buf) {}

  caf::error begin_object(uint16_t& nr, std::string& name) override { return in_.begin_object(nr, name); }
  caf::error end_object() override { return in_.end_object(); }
  caf::error begin_sequence(size_t& n) override {
    if (auto e = in_.begin_sequence(n)) return e;
    if (n > in_.remaining()) return caf::make_error(caf::sec::end_of_stream);
    return caf::none;
  }
  caf::error end_sequence() override { return in_.end_sequence(); }
  caf::error apply_raw(size_t n, void* data) override { return in_.apply_raw(n, data); }

 protected:
  caf::error apply_impl(int8_t& x) override { return in_.apply(x); }
  caf::error apply_impl(uint8_t& x) override { return in_.apply(x); }
  caf::error apply_impl(int16_t& x) override { return in_.apply(x); }
  caf::error apply_impl(uint16_t& x) override { return in_.apply(x); }
  caf::error apply_impl(int32_t& x) override { return in_.apply(x); }
  caf::error apply_impl(uint32_t& x) override { return in_.apply(x); }
  caf::error apply_impl(int64_t& x) override { return in_.apply(x); }
  caf::error apply_impl(uint64_t& x) override { return in_.apply(x); }
  caf::error apply_impl(float& x) override { return in_.apply(x); }
  caf::error apply_impl(double& x) override { return in_.apply(x); }
  caf::error apply_impl(long double& x) override { return in_.apply(x); }
  caf::error apply_impl(std::string& x) override { return in_.apply(x); }
  caf::error apply_impl(std::u16string& x) override { return in_.apply(x); }
  caf::error apply_impl(std::u32string& x) override { return in_.apply(x); }

 public:
  size_t remaining() const { return in_.remaining(); }

 private:
  caf::binary_deserializer in_;
};
}  // namespace

std::string payload_text(caf::actor_system& sys, const std::vector<char>& payload) {
  auto undecodable = [&](const std::string& why) {
    std::string out = "<";
    out += std::to_string(payload.size());
    out += " bytes, undecodable: ";
    out += why;
    out += '>';
    return out;
  };
  try {
    checked_deserializer src{sys, payload};
    caf::message msg;
    if (auto err = src(msg)) return undecodable(sys.render(err));
    if (src.remaining() != 0) return undecodable(std::to_string(src.remaining()) + " bytes left over");
    return caf::to_string(msg);
  } catch (const std::exception& e) {
    return undecodable(e.what());
  }
}

// ---- reading ---------------------------------------------------------------------------

namespace {

[[noreturn]] void bad(const std::string& file, size_t offset, const std::string& why) {
  throw user_error(file + ": bad bytes at offset " + std::to_string(offset) + ": " + why);
}

const msgpack::object* field(const msgpack::object& map, const char* key) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && kv.key.via.str.size == std::strlen(key) &&
        std::memcmp(kv.key.via.str.ptr, key, kv.key.via.str.size) == 0)
      return &kv.val;
  }
  return nullptr;
}

std::string str_field(const msgpack::object& map, const char* key, const std::string& file, size_t offset) {
  auto* v = field(map, key);
  if (!v) bad(file, offset, std::string("record without \"") + key + "\"");
  if (v->type != msgpack::type::STR) bad(file, offset, std::string("\"") + key + "\" is not a string");
  return std::string(v->via.str.ptr, v->via.str.size);
}

int64_t int_field(const msgpack::object& map, const char* key, const std::string& file, size_t offset) {
  auto* v = field(map, key);
  if (!v) bad(file, offset, std::string("record without \"") + key + "\"");
  if (v->type == msgpack::type::POSITIVE_INTEGER) {
    if (v->via.u64 > uint64_t(INT64_MAX)) bad(file, offset, std::string("\"") + key + "\" out of range");
    return int64_t(v->via.u64);
  }
  if (v->type == msgpack::type::NEGATIVE_INTEGER) return v->via.i64;
  bad(file, offset, std::string("\"") + key + "\" is not an integer");
}

}  // namespace

void read_event_log(const char* data, size_t size, const std::string& file,
                    const std::function<void(const event_log_header&)>& on_header,
                    const std::function<void(const event_record&, size_t offset)>& on_record) {
  size_t off = 0;
  bool header = true;
  // A record is a flat map of six entries (the header four): tight limits on containers
  // keep bad bytes from asking for a large allocation; strings and bins are only
  // allocated once their bytes are at hand.
  const msgpack::unpack_limit limit(/*array*/ 16, /*map*/ 16, /*str*/ size, /*bin*/ size, /*ext*/ 0, /*depth*/ 4);
  while (off < size || header) {
    const size_t at = off;
    if (at >= size) bad(file, at, "no header record");
    msgpack::object_handle oh;
    try {
      oh = msgpack::unpack(data, size, off, nullptr, nullptr, limit);
    } catch (const msgpack::insufficient_bytes&) {
      bad(file, at, "record cut short (" + std::to_string(size - at) + " bytes left)");
    } catch (const std::exception& e) {
      bad(file, at, std::string("not msgpack (") + e.what() + ")");
    }
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::MAP) bad(file, at, "a record is not a map");
    if (header) {
      header = false;
      if (str_field(o, "format", file, at) != "oversight-events") bad(file, at, "not an oversight event log");
      event_log_header h;
      h.version = int_field(o, "version", file, at);
      if (h.version != event_log_version)
        bad(file, at, "format version " + std::to_string(h.version) + ", this oversight reads " +
                          std::to_string(event_log_version));
      h.scenario = str_field(o, "scenario", file, at);
      h.seed = uint64_t(int_field(o, "seed", file, at));
      if (on_header) on_header(h);
      continue;
    }
    event_record r;
    r.tick = int_field(o, "tick", file, at);
    r.from = str_field(o, "from", file, at);
    r.to = str_field(o, "to", file, at);
    r.type = str_field(o, "type", file, at);
    r.kind = str_field(o, "kind", file, at);
    if (r.kind != "request" && r.kind != "reply") bad(file, at, "\"kind\" is \"" + r.kind + "\"");
    auto* p = field(o, "payload");
    if (!p) bad(file, at, "record without \"payload\"");
    if (p->type != msgpack::type::BIN) bad(file, at, "\"payload\" is not bin");
    r.payload.assign(p->via.bin.ptr, p->via.bin.ptr + p->via.bin.size);
    if (on_record) on_record(r, at);
  }
}

void parse_tick_range(const std::string& text, replay_filter& f) {
  auto bad_range = [&](const std::string& why) {
    return user_error("--ticks " + text + ": " + why + " (A:B, A:, :B or A; ticks from 0)");
  };
  auto number = [&](const std::string& t, int64_t& v) {
    const char* end = t.data() + t.size();
    auto [ptr, ec] = std::from_chars(t.data(), end, v);
    if (t.empty() || ec != std::errc() || ptr != end) throw bad_range("'" + t + "' is not a whole number");
    if (v < 0) throw bad_range("a tick cannot be negative");
  };
  auto colon = text.find(':');
  if (text.empty() || text == ":") throw bad_range("empty range");
  if (colon == std::string::npos) {
    number(text, f.first);
    f.last = f.first;
    return;
  }
  if (text.find(':', colon + 1) != std::string::npos) throw bad_range("more than one ':'");
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  f.first = 0;
  f.last = INT64_MAX;
  if (!a.empty()) number(a, f.first);
  if (!b.empty()) number(b, f.last);
  if (f.first > f.last) throw bad_range("the first tick is after the last");
}

size_t replay_events(const std::filesystem::path& dir, const replay_filter& f, std::ostream& out,
                     size_t max_payload) {
  const auto file = dir / "events.msgpack";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) throw user_error(dir.string() + ": no such directory");
    throw user_error(file.string() + ": no event log here (the run had events.log = false, or is not a run)");
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw user_error(file.string() + ": cannot read");
  // Payloads decode with every registered message type; the system runs no actor.
  caf::actor_system_config cfg;
  register_protocol(cfg);
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  size_t printed = 0;
  read_event_log(
      bytes.data(), bytes.size(), file.string(),
      [&](const event_log_header& h) {
        out << "# " << h.scenario << " seed " << h.seed << " (event log format " << h.version << ")\n";
      },
      [&](const event_record& r, size_t) {
        if (r.tick < f.first || r.tick > f.last) return;
        if (!f.actor.empty() && r.from != f.actor && r.to != f.actor) return;
        if (!f.type.empty() && r.type != f.type) return;
        std::string text = payload_text(sys, r.payload);
        if (text.size() > max_payload)
          text = text.substr(0, max_payload) + "... (" + std::to_string(text.size() - max_payload) + " more chars)";
        out << r.tick << " " << r.from << " -> " << r.to << " " << r.type << " " << r.kind << ": " << text << "\n";
        ++printed;
      });
  out.flush();
  return printed;
}

}  // namespace oversight
