// The pieces of load_spec() that other readers of scenario files reuse (the [claim]
// table in runtime/claims.cpp), so that every value in a file is validated, located and
// reported the same way. Includes toml++: keep it out of headers other layers see.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "base/error.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"

namespace oversight::spec_detail {

/// "file:line:column" of a node or key.
std::string where(const std::string& file, const toml::source_region& r);
/// A node as a value of the declared type, or a user_error prefixed with `origin`.
param_value convert(const toml::node& node, const param_decl& d, const std::string& origin);
/// nullptr when `key` is not declared.
const param_decl* find_decl(const std::vector<param_decl>& decls, const std::string& key);
/// "origin: unknown parameter 'key' for scenario 'name' (did you mean ...)".
user_error unknown_key(const std::string& origin, const std::string& key, const scenario_info& info);
/// Parses a scenario file; a missing file, bad TOML, a file over max_file_bytes or one
/// nested deeper than max_nesting is a user_error naming it.
toml::table parse_scenario_file(const std::filesystem::path& file);
/// "file:line:col: parameter 'key' is set twice, here and at file:line:col", the later
/// place first.
user_error duplicate_key(const std::string& file, const std::string& key, const toml::source_region& a,
                         const toml::source_region& b);

/// toml++ parses nested tables, dotted keys, arrays and inline tables recursively: text
/// nested thousands deep overflows the stack. Scenario files nest a few levels; text
/// nested deeper than this is refused before toml++ sees it.
inline constexpr size_t max_nesting = 64;
inline constexpr size_t max_file_bytes = size_t(16) << 20;
/// The deepest nesting in TOML text (table depth plus dotted-key depth), and its line.
size_t toml_nesting(std::string_view text, size_t* line = nullptr);
/// A user_error "origin[:line]: nests N levels deep ..." when `text` nests deeper than
/// max_nesting.
void check_nesting(std::string_view text, const std::string& origin, bool name_line);
/// The registered scenario the file's `scenario` key names, or a user_error.
const scenario_info& scenario_of(const toml::table& tbl, const std::string& name);

}  // namespace oversight::spec_detail
