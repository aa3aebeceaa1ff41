#include "runtime/spec.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <toml++/toml.h>

#include "runtime/error.hpp"
#include "runtime/scenario_registry.hpp"

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

namespace {

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

/// Converts a TOML node to a value of the declared type, or explains why not.
/// `origin` prefixes every message (file:line:col or "--set k=v").
param_value convert(const toml::node& node, const param_decl& d, const std::string& origin) {
  auto describe = [&]() {
    std::ostringstream os;
    if (auto s = node.value<std::string>()) os << "string \"" << *s << '"';
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
        throw user_error(origin + ": parameter '" + d.key + "' = \"" + v + "\" is not one of: " + all);
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

user_error unknown_key(const std::string& origin, const std::string& key, const scenario_info& info) {
  std::string msg = origin + ": unknown parameter '" + key + "' for scenario '" + info.name + "'";
  auto guess = did_you_mean(key, info.params);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  else msg += " (`oversight list` shows the parameters)";
  return user_error(msg);
}

/// Flattens nested tables into dotted keys and validates each leaf.
void walk(const toml::table& tbl, const std::string& prefix, const std::string& file, const scenario_info& info,
          std::map<std::string, param_value>& out) {
  for (auto&& [k, v] : tbl) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (prefix.empty() && key == "scenario") continue;
    if (auto* sub = v.as_table()) {
      walk(*sub, key, file, info, out);
      continue;
    }
    auto* d = find_decl(info.params, key);
    if (!d) throw unknown_key(where(file, k.source()), key, info);
    out[key] = convert(v, *d, where(file, v.source()));
  }
}

}  // namespace

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

scenario_spec load_spec(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                        std::optional<uint64_t> seed) {
  const std::string name = file.string();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw user_error(name + ": scenario file not found");
  if (std::filesystem::is_directory(file, ec)) throw user_error(name + ": is a directory, not a scenario file");

  toml::table tbl;
  try {
    tbl = toml::parse_file(name);
  } catch (const toml::parse_error& e) {
    throw user_error(where(name, e.source()) + ": invalid TOML: " + std::string(e.description()));
  }

  auto* scen = tbl.get("scenario");
  if (!scen) throw user_error(name + ": missing top-level key 'scenario' (e.g. scenario = \"red_team\")");
  if (!scen->is_string()) throw user_error(where(name, scen->source()) + ": 'scenario' must be a string");
  const std::string kind = *scen->value<std::string>();
  const scenario_info* info = find_scenario(kind);
  if (!info) {
    std::string all;
    for (auto* s : all_scenarios()) all += (all.empty() ? "" : ", ") + s->name;
    throw user_error(where(name, scen->source()) + ": unknown scenario '" + kind + "' (known: " + all + ")");
  }

  std::map<std::string, param_value> values;
  for (auto& d : info->params) values[d.key] = d.default_value;
  walk(tbl, "", name, *info, values);

  for (const auto& o : overrides) {
    const std::string origin = "--set " + o;
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw user_error(origin + ": expected key.path=value");
    std::string key = o.substr(0, eq), text = o.substr(eq + 1);
    auto* d = find_decl(info->params, key);
    if (!d) throw unknown_key(origin, key, *info);
    // The value is read as a TOML value; a bare word that is not one is taken as a string.
    toml::table one;
    try {
      one = toml::parse("v = " + text);
    } catch (const toml::parse_error&) {
      one = toml::table{{"v", text}};
    }
    values[key] = convert(*one.get("v"), *d, origin);
  }

  scenario_spec spec;
  spec.scenario = kind;
  spec.source = name;
  if (seed) {
    if (*seed > uint64_t(INT64_MAX)) throw user_error("--seed " + std::to_string(*seed) + ": too large");
    values["seed"] = int64_t(*seed);
  }
  spec.seed = uint64_t(std::get<int64_t>(values.at("seed")));
  spec.params = param_set(std::move(values));
  return spec;
}

}  // namespace oversight
