#include "runtime/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace oversight {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

[[noreturn]] void fail_at(size_t offset, const std::string& what) {
  throw std::invalid_argument("JSON: " + what + " at offset " + std::to_string(offset));
}

/// A cursor over JSON text. Offsets in errors are byte offsets from the start.
struct reader {
  const std::string& text;
  size_t pos = 0;

  bool at_end() const { return pos >= text.size(); }
  char peek() const { return at_end() ? '\0' : text[pos]; }
  void skip_space() {
    while (!at_end() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) ++pos;
  }
  void expect(char c) {
    if (peek() != c) fail_at(pos, std::string("expected '") + c + "'");
    ++pos;
  }

  unsigned hex4() {
    if (pos + 4 > text.size()) fail_at(pos, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail_at(pos, "bad hex digit in \\u escape");
      ++pos;
    }
    return v;
  }

  /// Reads a string starting at its opening quote and returns it decoded.
  std::string string_value() {
    expect('"');
    std::string out;
    for (;;) {
      if (at_end()) fail_at(pos, "unterminated string");
      char c = text[pos];
      if (c == '"') {
        ++pos;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail_at(pos, "control character in string");
      if (c != '\\') {
        out += c;
        ++pos;
        continue;
      }
      ++pos;
      if (at_end()) fail_at(pos, "unterminated escape");
      char e = text[pos++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          size_t start = pos - 2;
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by an escaped low surrogate.
            if (pos + 2 > text.size() || text[pos] != '\\' || text[pos + 1] != 'u')
              fail_at(start, "unpaired surrogate in \\u escape");
            pos += 2;
            uint32_t lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail_at(start, "unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail_at(start, "unpaired surrogate in \\u escape");
          }
          append_utf8(out, cp);
          break;
        }
        default: fail_at(pos - 1, std::string("bad escape '\\") + e + "'");
      }
    }
  }

  /// Reads a number per the JSON grammar and returns its text unchanged.
  std::string number_text() {
    size_t start = pos;
    auto digits = [&] {
      size_t d = pos;
      while (!at_end() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      return pos - d;
    };
    if (peek() == '-') ++pos;
    if (peek() == '0') {
      ++pos;
    } else if (digits() == 0) {
      fail_at(start, "bad number");
    }
    if (peek() == '.') {
      ++pos;
      if (digits() == 0) fail_at(pos, "bad number: no digits after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos;
      if (peek() == '+' || peek() == '-') ++pos;
      if (digits() == 0) fail_at(pos, "bad number: no digits in exponent");
    }
    return text.substr(start, pos - start);
  }

  /// Reads one scalar value and returns its JSON text (strings re-quoted canonically).
  std::string scalar_text() {
    char c = peek();
    if (c == '"') return json_quote(string_value());
    if (c == '-' || (c >= '0' && c <= '9')) return number_text();
    for (const char* word : {"true", "false", "null"}) {
      std::string w(word);
      if (text.compare(pos, w.size(), w) == 0) {
        pos += w.size();
        return w;
      }
    }
    if (c == '{' || c == '[') fail_at(pos, "nested objects and arrays are not supported");
    if (at_end()) fail_at(pos, "unexpected end of text");
    fail_at(pos, std::string("unexpected character '") + c + "'");
  }
};

bool is_json_number(const std::string& s) {
  if (s.empty()) return false;
  char c = s[0];
  if (c != '-' && (c < '0' || c > '9')) return false;
  try {
    reader r{s};
    r.number_text();
    return r.at_end();
  } catch (const std::invalid_argument&) {
    return false;
  }
}

bool is_json_string(const std::string& s) { return s.size() >= 2 && s.front() == '"'; }

/// The decoded content of a quoted JSON string text.
std::string unquote(const std::string& s) {
  reader r{s};
  return r.string_value();
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r"), e = s.find_last_not_of(" \t\n\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;  // UTF-8 bytes pass through: JSON text is UTF-8
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  // to_chars without a precision gives the shortest text that reads back as v.
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string json_object(const std::map<std::string, std::string>& members) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : members) {
    if (!first) out += ", ";
    first = false;
    out += json_quote(k) + ": " + v;
  }
  return out + "}";
}

std::map<std::string, std::string> parse_json_object(const std::string& text) {
  reader r{text};
  std::map<std::string, std::string> out;
  r.skip_space();
  r.expect('{');
  r.skip_space();
  if (r.peek() == '}') {
    ++r.pos;
  } else {
    for (;;) {
      r.skip_space();
      size_t key_pos = r.pos;
      if (r.peek() != '"') fail_at(r.pos, "expected a key string");
      std::string key = r.string_value();
      r.skip_space();
      r.expect(':');
      r.skip_space();
      std::string value = r.scalar_text();
      if (!out.emplace(key, value).second) fail_at(key_pos, "duplicate key " + json_quote(key));
      r.skip_space();
      if (r.peek() == ',') {
        ++r.pos;
        continue;
      }
      r.expect('}');
      break;
    }
  }
  r.skip_space();
  if (!r.at_end()) fail_at(r.pos, "trailing characters after the object");
  return out;
}

std::string json_display(const std::string& value_text) {
  if (is_json_string(value_text)) {
    try {
      return unquote(value_text);
    } catch (const std::invalid_argument&) {
      return value_text;  // not a valid string after all: show it as it is
    }
  }
  return value_text;
}

bool json_scalar_equal(const std::string& a_text, const std::string& b_text) {
  std::string a = trim(a_text), b = trim(b_text);
  if (is_json_number(a) && is_json_number(b)) return std::strtod(a.c_str(), nullptr) == std::strtod(b.c_str(), nullptr);
  if (is_json_string(a) && is_json_string(b)) {
    try {
      return unquote(a) == unquote(b);  // "\u0041" and "A" are the same string
    } catch (const std::invalid_argument&) {
      return a == b;
    }
  }
  return a == b;
}

}  // namespace oversight
