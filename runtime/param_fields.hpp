// Parameters declared once. A scenario's parameters live in a plain struct whose
// `fields` member lists each field with its key, default, range and one-line doc:
//
//   struct quiz_params {
//     int64_t ticks = 0;
//     double knows = 0;
//     void fields(param_fields& f) {
//       f.integer("ticks", ticks, 20, 1, 1000000, "ticks of simulated time");
//       f.real("model.knows", knows, 0.55, 0.0, 1.0, "P(the model knows a question)");
//     }
//   };
//
// The same list serves twice: declare_params<quiz_params>() turns it into the
// param_decls that `oversight list` shows and load_spec() validates against, and
// read_params<quiz_params>(params) fills a struct from a run's resolved parameters.
// Because one line does both, a key cannot be declared under one name and read under
// another. Groups shared by several scenarios (a world's parameters) are a function
// `void fields(param_fields&, world_config&)` next to the world, called from each
// scenario's list. (The style is CAF's `inspect` and EnvPool's DefaultConfig.)
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "runtime/spec.hpp"

namespace oversight {

class param_fields {
 public:
  /// Declaring: every call records a param_decl; fields keep their values.
  param_fields() = default;
  /// Reading: every call assigns the resolved value of its key (which load_spec has
  /// already validated against the declaration).
  explicit param_fields(const param_set& values) : values_(&values) {}

  bool reading() const { return values_ != nullptr; }
  const std::vector<param_decl>& decls() const { return decls_; }

  void integer(const char* key, int64_t& field, int64_t def, int64_t lo, int64_t hi, const char* doc);
  void integer(const char* key, int& field, int64_t def, int64_t lo, int64_t hi, const char* doc);
  void integer(const char* key, size_t& field, int64_t def, int64_t lo, int64_t hi, const char* doc);
  void real(const char* key, double& field, double def, double lo, double hi, const char* doc);
  void real(const char* key, float& field, double def, double lo, double hi, const char* doc);
  void boolean(const char* key, bool& field, bool def, const char* doc);
  void text(const char* key, std::string& field, std::string def, std::vector<std::string> choices, const char* doc);

  /// A text parameter read into an enum: `names` maps each allowed text to its value
  /// (the choices `oversight list` shows, in this order).
  template <class Enum>
  void choice(const char* key, Enum& field, Enum def, std::initializer_list<std::pair<const char*, Enum>> names,
              const char* doc) {
    std::vector<std::string> choices;
    std::string def_name;
    for (auto& [name, value] : names) {
      choices.emplace_back(name);
      if (value == def) def_name = name;
    }
    std::string text_value;
    text(key, text_value, def_name, choices, doc);
    if (!reading()) return;
    for (auto& [name, value] : names)
      if (text_value == name) field = value;
  }

 private:
  const param_set* values_ = nullptr;
  std::vector<param_decl> decls_;
};

/// The declarations of Params's field list, in list order.
template <class Params>
std::vector<param_decl> declare_params() {
  Params p{};
  param_fields f;
  p.fields(f);
  return f.decls();
}

/// A Params filled from a run's resolved parameters.
template <class Params>
Params read_params(const param_set& values) {
  Params p{};
  param_fields f(values);
  p.fields(f);
  return p;
}

}  // namespace oversight
