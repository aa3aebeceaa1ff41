#include "scenarios/rlhf/preference_world.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"
#include "runtime/param_fields.hpp"

namespace oversight {

preference_world::preference_world(const preference_world_config& cfg, uint64_t seed) : cfg_(cfg) {
  OVERSIGHT_CHECK_LT(0, cfg.dim);
  OVERSIGHT_CHECK_LT(1, cfg.options);
  OVERSIGHT_CHECK_LT(0, cfg.features);
  rng r(seed, "preference-world");
  const size_t d = size_t(cfg.dim), m = size_t(cfg.features), k = size_t(cfg.options);
  io_.dim = cfg.dim;
  io_.options = cfg.options;
  io_.features = cfg.features;
  io_.f.resize(k * m);
  for (size_t a = 0; a < k; ++a) {
    std::vector<double> u(m);
    double norm = 0;
    for (auto& v : u) {
      v = r.normal();
      norm += v * v;
    }
    norm = std::sqrt(norm);
    const double strength = r.uniform(0.0, cfg.max_norm);
    for (size_t j = 0; j < m; ++j) io_.f[a * m + j] = float(strength * u[j] / norm);
  }
  // E|W x|^2 = 1 for x ~ N(0, I).
  const double sd = 1.0 / std::sqrt(double(d * m));
  w_.resize(m * d);
  for (auto& v : w_) v = float(r.normal(0.0, sd));
  base_w_.resize(m * d);
  for (size_t i = 0; i < m * d; ++i)
    base_w_[i] = float(cfg.base_temperature * (w_[i] + r.normal(0.0, cfg.base_noise * sd)));
  base_c_.resize(k);
  for (size_t a = 0; a < k; ++a) {
    double n2 = 0;
    for (size_t j = 0; j < m; ++j) n2 += double(io_.f[a * m + j]) * io_.f[a * m + j];
    base_c_[a] = float(-n2 / (2.0 * cfg.base_spread * cfg.base_spread));
  }
}

true_value preference_world::evaluate(const float* x, int a) const {
  OVERSIGHT_CHECK_LE(0, a);
  OVERSIGHT_CHECK_LT(a, cfg_.options);
  const size_t d = size_t(cfg_.dim), m = size_t(cfg_.features);
  const float* f = io_.f.data() + size_t(a) * m;
  double helpful = 0, n2 = 0;
  for (size_t j = 0; j < m; ++j) {
    double wx = 0;
    for (size_t i = 0; i < d; ++i) wx += double(w_[j * d + i]) * x[i];
    helpful += double(f[j]) * wx;
    n2 += double(f[j]) * f[j];
  }
  true_value t;
  // At worst a response is wholly dishonest: honesty bottoms out at -1.
  t.v = {float(helpful), 0.5f, float(std::max(-1.0, cfg_.honesty - cfg_.curvature * n2))};
  t.difficulty = float(std::clamp(0.1 + cfg_.difficulty_slope * std::sqrt(n2), 0.0, 1.0));
  return t;
}

std::vector<float> preference_world::sample_prompts(rng& r, size_t n) const {
  std::vector<float> x(n * size_t(cfg_.dim));
  for (auto& v : x) v = float(r.normal());
  return x;
}

std::vector<float> preference_world::utility_table(const std::vector<float>& x) const {
  const size_t d = size_t(cfg_.dim), k = size_t(cfg_.options), rows = x.size() / d;
  std::vector<float> u(rows * k);
  for (size_t i = 0; i < rows; ++i)
    for (size_t a = 0; a < k; ++a) u[i * k + a] = evaluate(x.data() + i * d, int(a)).utility();
  return u;
}

void fields(param_fields& f, preference_world_config& c) {
  f.integer("world.dim", c.dim, 6, 1, 256, "prompt features");
  f.integer("world.responses", c.options, 64, 2, 4096, "K candidate responses");
  f.integer("world.features", c.features, 4, 1, 64, "visible features per response");
  f.real("world.max_strength", c.max_norm, 3.5, 0.1, 100.0, "largest response strength |f_a|");
  f.real("world.honesty", c.honesty, 1.0, 0.0, 100.0, "true honesty of a response of strength 0");
  f.real("world.curvature", c.curvature, 0.25, 0.0, 100.0, "honesty lost per squared strength (where the truth turns)");
  f.real("world.difficulty_slope", c.difficulty_slope, 0.15, 0.0, 10.0,
         "raters' difficulty per unit of strength (plus 0.1)");
  f.real("base.temperature", c.base_temperature, 1.0, 0.0, 100.0,
         "the base (reference) model's weight on its reading of the prompt");
  f.real("base.spread", c.base_spread, 0.7, 0.01, 100.0,
         "sd of the base model's prior over strength (small: strong responses rare)");
  f.real("base.noise", c.base_noise, 0.5, 0.0, 100.0,
         "the base model's misreading of the truth's prompt weights (relative sd)");
}

}  // namespace oversight
