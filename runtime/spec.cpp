#include "runtime/spec.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>
#include <toml++/toml.h>

#include "base/error.hpp"
#include "runtime/report_table.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec_detail.hpp"

namespace oversight {

const char* to_string(param_type t) {
  switch (t) {
    case param_type::integer: return "integer";
    case param_type::real: return "number";
    case param_type::boolean: return "boolean";
    case param_type::text: return "string";
  }
  return "?";
}

std::string to_string(const param_value& v) {
  std::ostringstream os;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) os << (x ? "true" : "false");
        else if constexpr (std::is_same_v<T, std::string>) os << '"' << x << '"';
        else os << x;
      },
      v);
  return os.str();
}

param_decl param_decl::integer(std::string key, int64_t def, int64_t lo, int64_t hi, std::string doc) {
  return {std::move(key), param_type::integer, def, double(lo), double(hi), {}, std::move(doc)};
}
param_decl param_decl::real(std::string key, double def, double lo, double hi, std::string doc) {
  return {std::move(key), param_type::real, def, lo, hi, {}, std::move(doc)};
}
param_decl param_decl::boolean(std::string key, bool def, std::string doc) {
  return {std::move(key), param_type::boolean, def, std::nullopt, std::nullopt, {}, std::move(doc)};
}
param_decl param_decl::text(std::string key, std::string def, std::vector<std::string> choices, std::string doc) {
  return {std::move(key), param_type::text, std::move(def), std::nullopt, std::nullopt, std::move(choices),
          std::move(doc)};
}

const param_value& param_set::at(const std::string& key) const {
  auto i = values_.find(key);
  if (i == values_.end()) {
    std::cerr << "internal error: parameter '" << key << "' was read but never declared" << std::endl;
    std::abort();
  }
  return i->second;
}
int64_t param_set::integer(const std::string& key) const { return std::get<int64_t>(at(key)); }
double param_set::real(const std::string& key) const {
  const auto& v = at(key);
  if (auto* i = std::get_if<int64_t>(&v)) return double(*i);
  return std::get<double>(v);
}
bool param_set::boolean(const std::string& key) const { return std::get<bool>(at(key)); }
const std::string& param_set::text(const std::string& key) const { return std::get<std::string>(at(key)); }

namespace spec_detail {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// Shortest text that reads back as exactly `v` (the default stream precision, 6 digits,
/// would print 1.0000001 as "1" and make "1 is out of range [0, 1]").
std::string format_real(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

/// An integer parameter's bound, stored as a double, back as the integer it was declared
/// as (INT64_MAX is stored as 2^63, which does not fit).
int64_t integer_bound(double b) {
  if (b >= 9223372036854775807.0) return INT64_MAX;
  if (b <= -9223372036854775808.0) return INT64_MIN;
  return int64_t(b);
}

std::string where(const std::string& file, const toml::source_region& r) {
  std::ostringstream os;
  os << file << ":" << r.begin.line << ":" << r.begin.column;
  return os.str();
}

/// A value as echoed in a message: at most 120 characters, line breaks shown as \\n.
std::string clipped(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (out.size() >= 120) return out + "...";
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

/// Converts a TOML node to a value of the declared type, or explains why not.
/// `origin` prefixes every message (file:line:col or "--set k=v").
param_value convert(const toml::node& node, const param_decl& d, const std::string& origin) {
  auto describe = [&]() {
    std::ostringstream os;
    if (auto s = node.value<std::string>()) os << "string \"" << clipped(*s) << '"';
    else if (node.is_boolean()) os << "boolean " << (*node.value<bool>() ? "true" : "false");
    else if (node.is_integer()) os << "integer " << *node.value<int64_t>();
    else if (node.is_floating_point()) {
      // Keep a real recognisable as one: "got number 8.0", not "got number 8".
      auto text = format_real(*node.value<double>());
      os << "number " << text << (text.find_first_of(".eni") == std::string::npos ? ".0" : "");
    }
    else if (node.is_table()) os << "a table";
    else if (node.is_array()) os << "an array";
    else os << "a value of another type";
    return os.str();
  };
  auto wrong_type = [&]() {
    return user_error(origin + ": parameter '" + d.key + "' must be " + (d.type == param_type::integer ? "an " : "a ") +
                      to_string(d.type) + ", got " + describe());
  };
  auto out_of_range = [&](const std::string& v, const std::string& lo, const std::string& hi) {
    std::ostringstream os;
    os << origin << ": parameter '" << d.key << "' = " << v << " is out of range [" << lo << ", " << hi << "]";
    return user_error(os.str());
  };
  switch (d.type) {
    case param_type::integer: {
      if (!node.is_integer()) throw wrong_type();
      auto v = *node.value<int64_t>();
      // Compared as integers: as doubles, large values round and the message would print 2e+12.
      const int64_t lo = d.min ? integer_bound(*d.min) : INT64_MIN, hi = d.max ? integer_bound(*d.max) : INT64_MAX;
      if (v < lo || v > hi) throw out_of_range(std::to_string(v), std::to_string(lo), std::to_string(hi));
      return v;
    }
    case param_type::real: {
      if (!node.is_number()) throw wrong_type();
      auto v = *node.value<double>();
      if (!std::isfinite(v)) throw user_error(origin + ": parameter '" + d.key + "' must be a finite number");
      if ((d.min && v < *d.min) || (d.max && v > *d.max))
        throw out_of_range(format_real(v), d.min ? format_real(*d.min) : "-inf", d.max ? format_real(*d.max) : "inf");
      return v;
    }
    case param_type::boolean: {
      if (!node.is_boolean()) throw wrong_type();
      return *node.value<bool>();
    }
    case param_type::text: {
      if (!node.is_string()) throw wrong_type();
      auto v = *node.value<std::string>();
      if (!d.choices.empty() && std::find(d.choices.begin(), d.choices.end(), v) == d.choices.end()) {
        std::string all;
        for (auto& c : d.choices) all += (all.empty() ? "" : ", ") + c;
        throw user_error(origin + ": parameter '" + d.key + "' = \"" + clipped(v) + "\" is not one of: " + all);
      }
      return v;
    }
  }
  return {};
}

const param_decl* find_decl(const std::vector<param_decl>& decls, const std::string& key) {
  for (auto& d : decls)
    if (d.key == key) return &d;
  return nullptr;
}

user_error duplicate_key(const std::string& file, const std::string& key, const toml::source_region& a,
                         const toml::source_region& b) {
  const bool a_first = a.begin.line < b.begin.line || (a.begin.line == b.begin.line && a.begin.column < b.begin.column);
  const auto& first = a_first ? a : b;
  const auto& second = a_first ? b : a;
  return user_error(where(file, second) + ": parameter '" + key + "' is set twice, here and at " +
                    where(file, first) + " (a dotted or quoted key and a table spell the same parameter); keep one");
}

user_error unknown_key(const std::string& origin, const std::string& key, const scenario_info& info) {
  std::string msg = origin + ": unknown parameter '" + key + "' for scenario '" + info.name + "'";
  auto guess = did_you_mean(key, info.params);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  else msg += " (`oversight list` shows the parameters)";
  return user_error(msg);
}

/// Flattens nested tables into dotted keys and validates each leaf. `seen` holds where
/// each key was set: the same parameter spelled twice (a quoted "a.b" beside [a] b) is
/// an error naming both places, not a silent choice of one.
void walk(const toml::table& tbl, const std::string& prefix, const std::string& file, const scenario_info& info,
          std::map<std::string, param_value>& out, std::map<std::string, toml::source_region>& seen) {
  for (auto&& [k, v] : tbl) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    // [sweep]: load_sweep_table(); [claim]: load_claim() (runtime/claims.hpp); [report]:
    // report_of() (runtime/report_table.hpp).
    if (prefix.empty() && (key == "scenario" || key == "sweep" || key == "claim" || key == "report")) continue;
    if (auto* sub = v.as_table()) {
      walk(*sub, key, file, info, out, seen);
      continue;
    }
    auto* d = find_decl(info.params, key);
    if (!d) throw unknown_key(where(file, k.source()), key, info);
    auto [it, fresh] = seen.emplace(key, k.source());
    if (!fresh) throw duplicate_key(file, key, it->second, k.source());
    out[key] = convert(v, *d, where(file, v.source()));
  }
}

const scenario_info& scenario_of(const toml::table& tbl, const std::string& name) {
  auto* scen = tbl.get("scenario");
  if (!scen) throw user_error(name + ": missing top-level key 'scenario' (e.g. scenario = \"red_team\")");
  if (!scen->is_string()) throw user_error(where(name, scen->source()) + ": 'scenario' must be a string");
  const std::string kind = *scen->value<std::string>();
  const scenario_info* info = ensure_scenario(kind);
  if (!info) {
    std::string all;  // ensure_scenario loaded every scenario there is
    for (auto* s : all_scenarios()) all += (all.empty() ? "" : ", ") + s->name;
    throw user_error(where(name, scen->source()) + ": unknown scenario '" + kind + "' (known: " + all + ")");
  }
  return *info;
}

size_t toml_nesting(std::string_view text, size_t* line_out) {
  // Tables nest through [headers.with.dots], dotted.keys, arrays and inline tables. The
  // scan follows TOML's lexical rules far enough to skip strings and comments; a dotted
  // chain is a run of key characters and dots (a float's "1.5" is a chain of 1, and the
  // commas between array members end it).
  size_t depth = 0, chain = 0, deepest = 0, line = 1;
  auto key_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == ' ' || c == '\t' || c == '+';
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      chain = 0;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool multi = text.substr(i, 3) == std::string(3, c);
      const std::string_view close = multi ? std::string_view(c == '"' ? "\"\"\"" : "\'\'\'")
                                           : std::string_view(c == '"' ? "\"" : "'");
      i += close.size();
      while (i < text.size() && text.substr(i, close.size()) != close) {
        if (text[i] == '\n') ++line;
        if (c == '"' && text[i] == '\\') ++i;  // an escape: skip the escaped character
        ++i;
      }
      i += close.size() - 1;
    } else if (c == '[' || c == '{') {
      ++depth;
      chain = 0;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
      chain = 0;
    } else if (c == '.') {
      ++chain;
    } else if (!key_char(c)) {
      chain = 0;
    }
    if (depth + chain > deepest) {
      deepest = depth + chain;
      if (line_out) *line_out = line;
    }
  }
  return deepest;
}

void check_nesting(std::string_view text, const std::string& origin, bool name_line) {
  size_t line = 0;
  const size_t depth = toml_nesting(text, &line);
  if (depth > max_nesting)
    throw user_error(origin + (name_line ? ":" + std::to_string(line) : std::string()) + ": nests " + std::to_string(depth) + " levels deep (tables, dotted keys, arrays); at most " +
                     std::to_string(max_nesting) + " are read");
}

toml::table parse_scenario_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw user_error(name + ": scenario file not found");
  if (std::filesystem::is_directory(file, ec)) throw user_error(name + ": is a directory, not a scenario file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw user_error(name + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, size_t(in.gcount()));
    if (text.size() > max_file_bytes)
      throw user_error(name + ": larger than " + std::to_string(max_file_bytes >> 20) +
                       " MiB; a scenario file is a page of parameters");
  }
  if (in.bad()) throw user_error(name + ": cannot read: " + std::strerror(errno));
  // toml++ parses nested tables recursively: a file nested thousands deep would
  // overflow the stack before it could report anything.
  check_nesting(text, name, true);
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::string why(e.description());
    // toml++ rejects a float literal beyond the double range (1e400) without saying why.
    if (why.find("parsing floating-point") != std::string::npos &&
        why.find("could not be interpreted") != std::string::npos)
      why += " (too large for a number: the largest is about 1.8e308)";
    throw user_error(where(name, e.source()) + ": invalid TOML: " + why);
  }
}

/// A TOML basic string: "..." with backslash escapes, readable and exact for any bytes.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace spec_detail

using namespace spec_detail;

std::string to_toml(const param_value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return toml_string(*s);
  if (auto* d = std::get_if<double>(&v)) {
    auto text = format_real(*d);
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  }
  return to_string(v);
}

std::string resolved_toml(const scenario_spec& spec) {
  // Group "a.b.c" under [a.b]; keys without a dot come first, at the top level. A key
  // under a name that is itself a value (world = "value_world" beside world.dim) cannot
  // be a table member in TOML: it goes at the top level, quoted whole ("world.dim").
  auto is_value = [&](const std::string& k) { return spec.params.all().count(k) > 0; };
  auto under_a_value = [&](const std::string& table) {
    for (size_t dot = table.find('.'); ; dot = table.find('.', dot + 1)) {
      if (is_value(table.substr(0, dot))) return true;
      if (dot == std::string::npos) return false;
    }
  };
  std::map<std::string, std::vector<std::pair<std::string, const param_value*>>> tables;
  for (auto& [k, v] : spec.params.all()) {
    auto dot = k.rfind('.');
    if (dot == std::string::npos) tables[""].emplace_back(k, &v);
    else if (under_a_value(k.substr(0, dot))) tables[""].emplace_back(toml_string(k), &v);
    else tables[k.substr(0, dot)].emplace_back(k.substr(dot + 1), &v);
  }
  std::ostringstream os;
  os << "# Every parameter of this run, resolved (defaults, file, --set, --seed).\n"
     << "# `oversight run` on this file repeats the run.\n"
     << "scenario = " << toml_string(spec.scenario) << "\n";
  for (auto& [table, members] : tables) {
    if (!table.empty()) os << "\n[" << table << "]\n";
    for (auto& [k, v] : members) os << k << " = " << to_toml(*v) << "\n";
  }
  return os.str();
}

std::vector<int64_t> parse_seed_list(const std::string& text, const std::string& origin) {
  auto bad = [&](const std::string& why) {
    return user_error(origin + ": seeds \"" + text + "\": " + why +
                      " (expected a range A..B or a list A,B,C of whole numbers >= 0)");
  };
  auto number = [&](std::string_view t) {
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec == std::errc::result_out_of_range) throw bad("'" + std::string(t) + "' is not a seed");
    if (ec != std::errc() || ptr != t.data() + t.size() || v < 0)
      throw bad("'" + std::string(t) + "' is not a seed");
    return v;
  };
  std::vector<int64_t> seeds;
  auto range = text.find("..");
  if (range != std::string::npos) {
    const int64_t a = number(std::string_view(text).substr(0, range)),
                  b = number(std::string_view(text).substr(range + 2));
    if (b < a) throw bad("the range is empty");
    if (b - a >= 100000) throw bad("more than 100000 seeds");
    for (int64_t s = a; s <= b; ++s) seeds.push_back(s);
    return seeds;
  }
  size_t begin = 0;
  while (begin <= text.size()) {
    auto comma = text.find(',', begin);
    if (comma == std::string::npos) comma = text.size();
    seeds.push_back(number(std::string_view(text).substr(begin, comma - begin)));
    begin = comma + 1;
  }
  std::vector<int64_t> sorted = seeds;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) throw bad("a seed is listed twice");
  return seeds;
}

sweep_table load_sweep_table(const std::filesystem::path& file) {
  const std::string name = file.string();
  const toml::table tbl = parse_scenario_file(file);
  const scenario_info& info = scenario_of(tbl, name);
  sweep_table out;
  auto* node = tbl.get("sweep");
  if (!node) return out;
  auto* sweep = node->as_table();
  if (!sweep) throw user_error(where(name, node->source()) + ": 'sweep' must be a table ([sweep])");
  for (auto&& [k, v] : *sweep) {
    const std::string key(k.str());
    const std::string at = where(name, v.source());
    if (key == "seeds") {
      if (auto s = v.value<std::string>()) {
        out.seeds = parse_seed_list(*s, at + ": sweep.seeds");
      } else if (auto* arr = v.as_array()) {
        std::vector<int64_t> listed;
        for (auto& e : *arr) {
          if (!e.is_integer() || *e.value<int64_t>() < 0)
            throw user_error(where(name, e.source()) + ": sweep.seeds: every seed must be a whole number >= 0");
          listed.push_back(*e.value<int64_t>());
        }
        if (listed.empty()) throw user_error(at + ": sweep.seeds: the list is empty");
        std::string joined;
        for (auto s : listed) {
          if (!joined.empty()) joined += ',';
          joined += std::to_string(s);
        }
        out.seeds = parse_seed_list(joined, at + ": sweep.seeds");  // rejects duplicates
      } else {
        throw user_error(at + ": sweep.seeds must be a range \"A..B\" or an array of integers");
      }
    } else if (key == "grid") {
      auto* grid = v.as_table();
      if (!grid) throw user_error(at + ": sweep.grid must be a table ([sweep.grid])");
      // Keys may be quoted ("attacker.strategy" = [...]) or dotted (attacker.strategy = [...]),
      // which TOML reads as nested tables: flatten them back to the parameter's key.
      std::function<void(const toml::table&, const std::string&)> axes = [&](const toml::table& t,
                                                                              const std::string& prefix) {
        for (auto&& [gk, gv] : t) {
          const std::string param = prefix + std::string(gk.str());
          const std::string gat = where(name, gk.source());
          if (param == "seed") throw user_error(gat + ": sweep.grid: give seeds with sweep.seeds, not as a grid axis");
          auto* d = find_decl(info.params, param);
          if (!d && gv.is_table()) {
            axes(*gv.as_table(), param + ".");
            continue;
          }
          if (!d) throw unknown_key(gat + ": sweep.grid", param, info);
          auto* arr = gv.as_array();
          if (!arr || arr->empty())
            throw user_error(where(name, gv.source()) + ": sweep.grid: '" + param +
                             "' must be a non-empty array of values, e.g. [1, 2]");
          for (auto& other : out.grid)
            if (other.key == param)
              throw user_error(gat + ": sweep.grid: '" + param + "' is listed twice (a dotted or quoted key and a "
                               "table spell the same parameter); keep one");
          sweep_axis axis{param, {}};
          for (auto& e : *arr) {
            auto value = convert(e, *d, where(name, e.source()) + ": sweep.grid");
            if (std::find(axis.values.begin(), axis.values.end(), value) != axis.values.end())
              throw user_error(where(name, e.source()) + ": sweep.grid: '" + param + "' lists " + to_string(value) +
                               " twice");
            axis.values.push_back(std::move(value));
          }
          out.grid.push_back(std::move(axis));
        }
      };
      axes(*grid, "");
    } else if (key == "points") {
      auto* arr = v.as_array();
      if (!arr || arr->empty())
        throw user_error(at + ": sweep.points must be a non-empty array of inline tables, e.g. [{\"weak.size\" = 0}]");
      for (auto& e : *arr) {
        const std::string eat = where(name, e.source());
        auto* combo = e.as_table();
        if (!combo) throw user_error(eat + ": sweep.points: every entry must be an inline table of parameter values");
        std::map<std::string, param_value> values;
        std::function<void(const toml::table&, const std::string&)> flatten = [&](const toml::table& t,
                                                                                   const std::string& prefix) {
          for (auto&& [pk, pv] : t) {
            const std::string param = prefix + std::string(pk.str());
            auto* d = find_decl(info.params, param);
            if (!d && pv.is_table()) {
              flatten(*pv.as_table(), param + ".");
              continue;
            }
            if (param == "seed") throw user_error(eat + ": sweep.points: give seeds with sweep.seeds");
            if (!d) throw unknown_key(eat + ": sweep.points", param, info);
            if (values.count(param))
              throw user_error(eat + ": sweep.points: '" + param + "' is set twice in one entry; keep one");
            values[param] = convert(pv, *d, where(name, pv.source()) + ": sweep.points");
          }
        };
        flatten(*combo, "");
        std::vector<std::string> keys;
        for (auto& [pk, pv] : values) keys.push_back(pk);
        if (out.points.empty()) out.point_keys = keys;
        if (keys != out.point_keys || keys.empty()) {
          std::string expected;
          for (auto& pk : out.point_keys) expected += (expected.empty() ? "" : ", ") + pk;
          throw user_error(eat + ": sweep.points: every entry must set the same parameters (" + expected + ")");
        }
        std::vector<std::pair<std::string, param_value>> point(values.begin(), values.end());
        for (auto& other : out.points)
          if (other == point) throw user_error(eat + ": sweep.points: this combination is listed twice");
        out.points.push_back(std::move(point));
      }
    } else {
      throw user_error(where(name, k.source()) + ": unknown key 'sweep." + key +
                       "' (a [sweep] table holds seeds, grid and points)");
    }
  }
  for (auto& axis : out.grid)
    if (std::find(out.point_keys.begin(), out.point_keys.end(), axis.key) != out.point_keys.end())
      throw user_error(name + ": '" + axis.key + "' is both a sweep.grid axis and set by sweep.points; keep one");
  return out;
}

std::string did_you_mean(const std::string& key, const std::vector<param_decl>& decls) {
  std::string best;
  size_t best_d = std::max<size_t>(3, key.size() / 3) + 1;
  for (auto& d : decls) {
    // Also compare the last path component, so "strategy" finds "attacker.strategy".
    auto tail = d.key.substr(d.key.rfind('.') == std::string::npos ? 0 : d.key.rfind('.') + 1);
    size_t dist = std::min(edit_distance(key, d.key), edit_distance(key, tail) + 1);
    if (dist < best_d) {
      best_d = dist;
      best = d.key;
    }
  }
  return best;
}

namespace {

/// A --set as it is echoed in messages: line breaks shown as \\n, long ones cut.
std::string shown_set(const std::string& o) { return clipped(o); }

/// Whether `t` is written as a number (TOML's digits, sign, '_', '.', exponent).
bool numeric_text(const std::string& t, bool* integral) {
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  bool digits = false, point = false, exponent = false;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c >= '0' && c <= '9') digits = true;
    else if (c == '_' && digits) continue;
    else if (c == '.' && !point && !exponent) point = true;
    else if ((c == 'e' || c == 'E') && digits && !exponent) {
      exponent = true;
      if (i + 1 < t.size() && (t[i + 1] == '+' || t[i + 1] == '-')) ++i;
    } else return false;
  }
  *integral = !point && !exponent;
  return digits;
}

/// The offset of the first byte of `s` that does not belong to well-formed UTF-8
/// (no overlong forms, surrogates or code points past U+10FFFF); npos when it is all UTF-8.
size_t invalid_utf8_at(const std::string& s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = u[i];
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the range of the byte after the lead byte
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return i;
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      const unsigned b = u[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += len;
  }
  return std::string::npos;
}

/// Applies one `--set key=value`: exactly one key and one TOML value (a bare word that
/// is not TOML is taken as a string), validated like a value in the file.
void values_from_set(const std::string& o, const scenario_info& info, std::map<std::string, param_value>& values) {
  const std::string origin = "--set " + shown_set(o);
  auto eq = o.find('=');
  if (eq == std::string::npos || eq == 0) throw user_error(origin + ": expected key.path=value");
  std::string key = o.substr(0, eq), text = o.substr(eq + 1);
  if (key.size() > 200) throw user_error(origin + ": the key is " + std::to_string(key.size()) + " characters long");
  if (o.find_first_of("\n\r") != std::string::npos)
    throw user_error(origin + ": spans lines; each --set takes one key=value");
  // A scenario file is UTF-8 (TOML), and the run's scenario.toml must read back.
  if (const size_t at = invalid_utf8_at(o); at != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", unsigned(static_cast<unsigned char>(o[at])));
    throw user_error(origin + ": is not UTF-8 text (byte " + byte + " at offset " + std::to_string(at) + ")");
  }
  auto* d = find_decl(info.params, key);
  if (!d) throw unknown_key(origin, key, info);
  check_nesting(text, origin, false);
  toml::table one;
  bool parsed = true;
  try {
    one = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    parsed = false;
  }
  if (parsed && (one.size() != 1 || !one.get("v")))
    throw user_error(origin + ": holds more than one value; each --set takes one key=value");
  if (!parsed) {
    bool integral = false;
    if (numeric_text(text, &integral)) {
      // TOML has no value for it: a number too large for its type.
      if (d->type == param_type::integer && integral) {
        const int64_t lo = d->min ? integer_bound(*d->min) : INT64_MIN, hi = d->max ? integer_bound(*d->max) : INT64_MAX;
        throw user_error(origin + ": parameter '" + key + "' = " + text + " is out of range [" + std::to_string(lo) +
                         ", " + std::to_string(hi) + "] (and of a 64-bit integer)");
      }
      std::string digits;
      for (char c : text)
        if (c != '_') digits += c;
      const double v = std::strtod(digits.c_str(), nullptr);
      if (!std::isfinite(v))
        throw user_error(origin + ": parameter '" + key + "' = " + text +
                         " is too large for a number (the largest is about 1.8e308)");
      one = toml::table{{"v", v}};
    } else {
      one = toml::table{{"v", text}};
    }
  }
  values[key] = convert(*one.get("v"), *d, origin);
}

/// The [report] table of a parsed scenario file, validated against the scenario's
/// declared metrics (see runtime/report_table.hpp).
report_table report_of(const toml::table& tbl, const std::string& name, const scenario_info& info) {
  report_table out;
  auto* node = tbl.get("report");
  if (!node) return out;
  auto* report = node->as_table();
  if (!report) throw user_error(where(name, node->source()) + ": 'report' must be a table ([report])");
  // "actor.metric" with a metric the scenario declares; the closest declared one is named.
  auto metric = [&](const toml::node& n, const std::string& what) {
    const std::string at = where(name, n.source());
    if (!n.is_string())
      throw user_error(at + ": " + what + " must be a metric name \"actor.metric\" (e.g. " +
                       (info.metrics.empty() ? std::string("\"learner.loss\"")
                                             : "\"actor." + info.metrics.front().name + "\"") +
                       ")");
    const std::string m = *n.value<std::string>();
    const auto dot = m.find('.');
    const std::string tail = dot == std::string::npos ? m : m.substr(dot + 1);
    bool declared = false;
    std::string guess;
    size_t best = std::max<size_t>(3, tail.size() / 3) + 1;
    for (auto& d : info.metrics) {
      declared = declared || d.name == tail;
      const size_t dist = edit_distance(tail, d.name);
      if (dist < best) best = dist, guess = d.name;
    }
    if (dot == std::string::npos || dot == 0 || !declared) {
      const std::string actor = dot == std::string::npos || dot == 0 ? "actor" : m.substr(0, dot);
      throw user_error(at + ": " + what + " = \"" + clipped(m) + "\": not actor.metric with a metric scenario '" +
                       info.name + "' declares " +
                       (guess.empty() ? "(`oversight list " + info.name + "` shows them)"
                                      : "(did you mean '" + actor + "." + guess + "'?)"));
    }
    return std::make_pair(m, at);
  };
  for (auto&& [k, v] : *report) {
    const std::string key(k.str());
    if (key != "xy")
      throw user_error(where(name, k.source()) + ": unknown key 'report." + key + "' (a [report] table holds xy)");
    // [[report.xy]] (an array of tables), or one [report.xy] table.
    std::vector<const toml::table*> entries;
    if (auto* one = v.as_table()) {
      entries.push_back(one);
    } else if (auto* arr = v.as_array()) {
      for (auto& e : *arr) {
        if (!e.is_table())
          throw user_error(where(name, e.source()) + ": report.xy: every entry must be a table (x = ..., y = ...)");
        entries.push_back(e.as_table());
      }
    }
    if (entries.empty())
      throw user_error(where(name, v.source()) + ": report.xy must be tables [[report.xy]] with x = \"actor.metric\" "
                       "and y = [\"actor.metric\", ...]");
    for (auto* e : entries) {
      xy_request r;
      bool has_x = false, has_y = false;
      for (auto&& [ek, ev] : *e) {
        const std::string ekey(ek.str());
        if (ekey == "x") {
          std::tie(r.x, r.x_origin) = metric(ev, "report.xy.x");
          has_x = true;
        } else if (ekey == "y") {
          has_y = true;
          if (auto* ys = ev.as_array()) {
            if (ys->empty()) throw user_error(where(name, ev.source()) + ": report.xy.y: the list is empty");
            for (auto& y : *ys) {
              auto [m, at] = metric(y, "report.xy.y");
              r.y.push_back(m);
              r.y_origins.push_back(at);
            }
          } else {
            auto [m, at] = metric(ev, "report.xy.y");
            r.y.push_back(m);
            r.y_origins.push_back(at);
          }
        } else {
          throw user_error(where(name, ek.source()) + ": unknown key 'report.xy." + ekey +
                           "' (an entry holds x and y)");
        }
      }
      const std::string at = where(name, e->source());
      if (!has_x) throw user_error(at + ": report.xy: this entry has no x = \"actor.metric\"");
      if (!has_y) throw user_error(at + ": report.xy: this entry has no y = [\"actor.metric\", ...]");
      for (size_t i = 0; i < r.y.size(); ++i) {
        if (r.y[i] == r.x) throw user_error(r.y_origins[i] + ": report.xy.y: '" + r.y[i] + "' is x too");
        for (size_t j = 0; j < i; ++j)
          if (r.y[j] == r.y[i]) throw user_error(r.y_origins[i] + ": report.xy.y: '" + r.y[i] + "' is listed twice");
      }
      out.xy.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace

report_table load_report_table(const std::filesystem::path& file) {
  const std::string name = file.string();
  const toml::table tbl = parse_scenario_file(file);
  return report_of(tbl, name, scenario_of(tbl, name));
}

scenario_spec load_spec(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                        std::optional<uint64_t> seed) {
  const std::string name = file.string();
  const toml::table tbl = parse_scenario_file(file);
  const scenario_info* info = &scenario_of(tbl, name);
  const std::string kind = info->name;

  std::map<std::string, param_value> values;
  for (auto& d : info->params) values[d.key] = d.default_value;
  std::map<std::string, toml::source_region> seen;
  walk(tbl, "", name, *info, values, seen);
  report_of(tbl, name, *info);  // validated here; the sweep report reads it (load_report_table)

  for (const auto& o : overrides) values_from_set(o, *info, values);

  scenario_spec spec;
  spec.scenario = kind;
  spec.source = name;
  if (seed) {
    if (*seed > uint64_t(INT64_MAX)) throw user_error("--seed " + std::to_string(*seed) + ": too large");
    values["seed"] = int64_t(*seed);
  }
  spec.seed = uint64_t(std::get<int64_t>(values.at("seed")));
  spec.params = param_set(std::move(values));
  if (info->check) {
    try {
      info->check(spec.params);
    } catch (const user_error& e) {
      std::string origin = name;
      for (const auto& o : overrides) origin += (&o == &overrides.front() ? " with --set " : ", --set ") + o;
      throw user_error(origin + ": " + e.what());
    }
  }
  return spec;
}

}  // namespace oversight
