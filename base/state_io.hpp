// state_io: one function describes an object's state for both writing and reading it
// back, so what a checkpoint saves and what a resume restores cannot drift apart.
//
//   struct learner_state {
//     rng draw; std::vector<float> weights; int64_t seen = 0;
//     void state(state_io& io) { io(draw, weights, seen); }
//   };
//
//   state_io out = state_io::writer();  st.state(out);  bytes = out.bytes();
//   state_io in = state_io::reader(bytes, "checkpoint of learner");  st.state(in);  in.finish();
//
// Supported: arithmetic types, enums and other trivially copyable structs without
// pointers (rng), std::string, std::vector / std::array / std::deque / std::pair /
// std::map / std::optional of supported types, and any class with a member
// `void state(state_io&)`. Opaque blobs (a libtorch archive) go in as std::string.
//
// The byte layout is this machine's (no endianness conversion): a checkpoint is read back
// by the same build that wrote it, which resume checks. A reader that runs out of bytes
// or has bytes left over throws std::runtime_error naming what it was reading.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace oversight {

class state_io;

template <class T, class = void>
struct has_state_member : std::false_type {};
template <class T>
struct has_state_member<T, std::void_t<decltype(std::declval<T&>().state(std::declval<state_io&>()))>>
    : std::true_type {};

class state_io {
 public:
  static state_io writer() { return state_io(false, {}, ""); }
  /// A writer whose buffer holds `capacity` bytes before it grows (a large state written
  /// in one go is then never copied while growing).
  static state_io writer(size_t capacity) {
    state_io w(false, {}, "");
    w.buf_.reserve(capacity);
    return w;
  }
  /// Counts the bytes a writer would write, storing none (size()): a large state
  /// measured first goes into writer(size()) without the buffer ever growing, so it is
  /// held once, not up to three times while a growing buffer is copied.
  static state_io sizer() {
    state_io s(false, {}, "");
    s.sizing_ = true;
    return s;
  }
  /// Reads `bytes`; `what` names them in errors ("checkpoint of role learner").
  static state_io reader(std::vector<char> bytes, std::string what) {
    return state_io(true, std::move(bytes), std::move(what));
  }

  bool loading() const { return loading_; }

  /// Writes (or reads into) each argument in order.
  template <class... Ts>
  void operator()(Ts&... xs) {
    (field(xs), ...);
  }

  /// The bytes written so far (a sizer: how many it counted).
  const std::vector<char>& bytes() const { return buf_; }
  size_t size() const { return sizing_ ? sized_ : buf_.size(); }
  std::vector<char> take() { return std::move(buf_); }
  /// A reader's check that every byte was read: a state that reads fewer fields than
  /// were written is a mismatch between the two builds, not a state to continue from.
  void finish() const {
    if (loading_ && pos_ != buf_.size())
      throw std::runtime_error(what_ + ": " + std::to_string(buf_.size() - pos_) +
                               " bytes left over (written by a different build?)");
  }

  /// `n` bytes of state laid out by the caller, in place: a writer appends them and
  /// returns where to write them, a reader returns where they are (and moves past them),
  /// a sizer counts them and returns null. For a large state kept in a layout of its
  /// own (strided fields of records), written without a temporary copy.
  char* span(size_t n) {
    if (sizing_) {
      sized_ += n;
      return nullptr;
    }
    if (!loading_) {
      buf_.resize(buf_.size() + n);
      return buf_.data() + buf_.size() - n;
    }
    if (n > buf_.size() - pos_) raw(nullptr, n);  // throws: truncated
    char* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }

 private:
  state_io(bool loading, std::vector<char> bytes, std::string what)
      : loading_(loading), buf_(std::move(bytes)), what_(std::move(what)) {}

  void raw(void* p, size_t n) {
    if (sizing_) {
      sized_ += n;
      return;
    }
    if (!loading_) {
      const char* c = static_cast<const char*>(p);
      buf_.insert(buf_.end(), c, c + n);
      return;
    }
    if (n > buf_.size() - pos_)
      throw std::runtime_error(what_ + ": truncated (wanted " + std::to_string(n) + " bytes at offset " +
                               std::to_string(pos_) + " of " + std::to_string(buf_.size()) + ")");
    if (n > 0) std::memcpy(p, buf_.data() + pos_, n);
    pos_ += n;
  }
  uint64_t count(size_t n) {
    uint64_t c = n;
    raw(&c, sizeof c);
    // Every element of every supported type takes at least one byte: a longer count is
    // corrupt, refused before anything is allocated for it.
    if (loading_ && c > buf_.size() - pos_)
      throw std::runtime_error(what_ + ": truncated or damaged: a length of " + std::to_string(c) + " at offset " + std::to_string(pos_) +
                               " exceeds the " + std::to_string(buf_.size() - pos_) + " bytes left");
    return c;
  }

  template <class T>
  void field(T& x) {
    if constexpr (has_state_member<T>::value) {
      x.state(*this);
    } else if constexpr (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>) {
      raw(&x, sizeof x);
    } else {
      container(x);
    }
  }
  void container(std::string& s) {
    const uint64_t n = count(s.size());
    if (loading_) {
      if (n > buf_.size() - pos_) raw(nullptr, n);  // throws: truncated
      s.assign(buf_.data() + pos_, size_t(n));
      pos_ += size_t(n);
    } else {
      raw(s.data(), s.size());
    }
  }
  template <class T, class A>
  void container(std::vector<T, A>& v) {
    const uint64_t n = count(v.size());
    if constexpr (std::is_trivially_copyable_v<T> && !has_state_member<T>::value && !std::is_same_v<T, bool>) {
      if (loading_) {
        if (n > (buf_.size() - pos_) / sizeof(T)) raw(nullptr, size_t(n) * sizeof(T));  // throws: truncated
        v.resize(size_t(n));
      }
      raw(v.data(), size_t(n) * sizeof(T));
    } else {
      if (loading_) v.resize(size_t(n));
      for (size_t i = 0; i < size_t(n); ++i) {
        if constexpr (std::is_same_v<T, bool>) {
          bool b = v[i];
          raw(&b, sizeof b);
          v[i] = b;
        } else {
          field(v[i]);
        }
      }
    }
  }
  template <class T>
  void container(std::deque<T>& v) {
    const uint64_t n = count(v.size());
    if (loading_) v.resize(size_t(n));
    for (auto& x : v) field(x);
  }
  template <class T, size_t N>
  void container(std::array<T, N>& a) {
    for (auto& x : a) field(x);
  }
  template <class A, class B>
  void container(std::pair<A, B>& p) {
    field(p.first);
    field(p.second);
  }
  template <class T>
  void container(std::optional<T>& o) {
    bool has = o.has_value();
    raw(&has, sizeof has);
    if (loading_) {
      if (has) o.emplace();
      else o.reset();
    }
    if (has) field(*o);
  }
  template <class K, class V, class C, class A>
  void container(std::map<K, V, C, A>& m) {
    const uint64_t n = count(m.size());
    if (!loading_) {
      for (auto& [k, v] : m) {
        K key = k;
        field(key);
        field(v);
      }
      return;
    }
    m.clear();
    for (uint64_t i = 0; i < n; ++i) {
      K key{};
      V value{};
      field(key);
      field(value);
      m.emplace(std::move(key), std::move(value));
    }
  }

  bool loading_;
  bool sizing_ = false;
  size_t sized_ = 0;
  std::vector<char> buf_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace oversight
