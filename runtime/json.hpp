// Just enough JSON for oversight's own files: the flat parameter objects of a sweep
// index (`{"attacker.strategy": "none", "conflict": 0.3}`) and the figures `summary
// --json` writes. Values are kept as their JSON text, so "0.30" and 0.3 differ only if
// they were written differently; compare through json_scalar_equal().
#pragma once

#include <map>
#include <string>

namespace oversight {

/// "text" with quotes, backslashes and control characters escaped.
std::string json_quote(const std::string& s);
/// Shortest round-trip text of a finite number; "null" for NaN and infinities.
std::string json_number(double v);
/// {"k": v, ...} from keys and JSON value texts, keys in map order.
std::string json_object(const std::map<std::string, std::string>& members);
/// Parses a flat object whose values are strings, numbers, booleans or null into key ->
/// JSON value text (strings keep their quotes). Throws std::invalid_argument naming the
/// offset of the first character it cannot read.
std::map<std::string, std::string> parse_json_object(const std::string& text);
/// A JSON scalar text unquoted for display: "\"none\"" -> none, "0.3" -> 0.3.
std::string json_display(const std::string& value_text);
/// Whether two scalar texts denote the same value (numbers compared as numbers).
bool json_scalar_equal(const std::string& a, const std::string& b);

}  // namespace oversight
