// The scenario spec: what a run is asked to do, resolved and validated.
//
//   scenario.toml + --set overrides + --seed  ->  load_spec()  ->  scenario_spec
//
// A scenario declares its parameters (param_decl: dotted key, type, default, range or
// choices, one-line doc). load_spec() reads the TOML file, applies `--set key=value`
// overrides, and validates every value against those declarations. Any problem is a
// user_error whose message starts with where it came from:
//   file:line:column: ...            for a value in the file
//   --set key=value: ...             for an override
// Unknown keys are rejected with a did-you-mean suggestion. Nothing else reads TOML.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace oversight {

enum class param_type { integer, real, boolean, text };
const char* to_string(param_type t);

using param_value = std::variant<int64_t, double, bool, std::string>;
std::string to_string(const param_value& v);

/// One documented parameter of a scenario.
struct param_decl {
  std::string key;                   ///< dotted path, e.g. "attacker.strategy"
  param_type type;
  param_value default_value;
  std::optional<double> min;         ///< inclusive, numbers only
  std::optional<double> max;         ///< inclusive, numbers only
  std::vector<std::string> choices;  ///< allowed values, text only (empty: any)
  std::string doc;                   ///< one line

  // Builders keep scenario declarations one line each.
  static param_decl integer(std::string key, int64_t def, int64_t lo, int64_t hi, std::string doc);
  static param_decl real(std::string key, double def, double lo, double hi, std::string doc);
  static param_decl boolean(std::string key, bool def, std::string doc);
  static param_decl text(std::string key, std::string def, std::vector<std::string> choices, std::string doc);
};

/// The resolved parameters of one run: every declared key has a value.
class param_set {
 public:
  param_set() = default;
  explicit param_set(std::map<std::string, param_value> values) : values_(std::move(values)) {}

  int64_t integer(const std::string& key) const;
  double real(const std::string& key) const;  ///< also reads integers
  bool boolean(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  const std::map<std::string, param_value>& all() const { return values_; }
  void set(const std::string& key, param_value v) { values_[key] = std::move(v); }

 private:
  const param_value& at(const std::string& key) const;
  std::map<std::string, param_value> values_;
};

struct scenario_spec {
  std::string scenario;     ///< registered scenario name
  std::string source;       ///< the file it came from
  uint64_t seed = 1;
  param_set params;         ///< includes "seed"
};

/// Reads, overrides and validates a scenario file. Throws user_error.
scenario_spec load_spec(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                        std::optional<uint64_t> seed);

/// A value as TOML text that reads back as exactly this value: strings quoted and
/// escaped, reals in shortest round-trip form with a '.' or exponent (8.0, not 8).
std::string to_toml(const param_value& v);

/// Every resolved parameter of `spec` as a scenario file (`scenario = ...`, then the
/// parameters grouped into tables by their dotted prefix). Running it with no --set or
/// --seed repeats the run bit for bit.
std::string resolved_toml(const scenario_spec& spec);

/// One axis of a sweep's grid: a parameter and the values it takes, each validated
/// against the parameter's declaration.
struct sweep_axis {
  std::string key;
  std::vector<param_value> values;
};

/// A scenario file's `[sweep]` table: `seeds = "1..10"` (a range A..B, or a TOML array
/// of integers); `[sweep.grid]`, parameter key -> TOML array of values; and optionally
/// `points = [{...}, ...]`, a list of parameter combinations (each an inline table with
/// the same keys) for sweeps that are not a full product, e.g. only the (weak, strong)
/// pairs with weak < strong. The points of the sweep are the listed combinations (one
/// empty one when there is no list) times the Cartesian product of the grid's axes, in
/// file order (the last axis varies fastest). `oversight run` ignores this table.
struct sweep_table {
  std::vector<int64_t> seeds;  ///< empty when the file gives none
  std::vector<sweep_axis> grid;
  std::vector<std::string> point_keys;                                  ///< the keys of each listed combination
  std::vector<std::vector<std::pair<std::string, param_value>>> points;  ///< in point_keys order
};

/// Reads and validates FILE's [sweep] table (an absent table gives an empty one). Every
/// grid value is checked against the scenario's declaration; a bad one is a user_error
/// naming file:line:column, the key and the value. Call after load_spec() succeeded.
sweep_table load_sweep_table(const std::filesystem::path& file);

/// Parses a seed list: "A..B" (inclusive, A <= B) or "A,B,C". `origin` prefixes errors.
std::vector<int64_t> parse_seed_list(const std::string& text, const std::string& origin);

/// The declared key closest to `key` by edit distance, or "" when none is close.
std::string did_you_mean(const std::string& key, const std::vector<param_decl>& decls);

}  // namespace oversight
