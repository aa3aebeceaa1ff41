#include "runtime/param_fields.hpp"

namespace oversight {

void param_fields::integer(const char* key, int64_t& field, int64_t def, int64_t lo, int64_t hi, const char* doc) {
  if (reading()) field = values_->integer(key);
  else decls_.push_back(param_decl::integer(key, def, lo, hi, doc));
}

void param_fields::integer(const char* key, int& field, int64_t def, int64_t lo, int64_t hi, const char* doc) {
  int64_t v = 0;
  integer(key, v, def, lo, hi, doc);
  if (reading()) field = int(v);
}

void param_fields::integer(const char* key, size_t& field, int64_t def, int64_t lo, int64_t hi, const char* doc) {
  int64_t v = 0;
  integer(key, v, def, lo, hi, doc);
  if (reading()) field = size_t(v);
}

void param_fields::real(const char* key, double& field, double def, double lo, double hi, const char* doc) {
  if (reading()) field = values_->real(key);
  else decls_.push_back(param_decl::real(key, def, lo, hi, doc));
}

void param_fields::real(const char* key, float& field, double def, double lo, double hi, const char* doc) {
  double v = 0;
  real(key, v, def, lo, hi, doc);
  if (reading()) field = float(v);
}

void param_fields::boolean(const char* key, bool& field, bool def, const char* doc) {
  if (reading()) field = values_->boolean(key);
  else decls_.push_back(param_decl::boolean(key, def, doc));
}

void param_fields::text(const char* key, std::string& field, std::string def, std::vector<std::string> choices,
                        const char* doc) {
  if (reading()) field = values_->text(key);
  else decls_.push_back(param_decl::text(key, std::move(def), std::move(choices), doc));
}

}  // namespace oversight
