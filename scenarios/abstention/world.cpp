#include "scenarios/abstention/world.hpp"

#include <cmath>

#include "runtime/param_fields.hpp"

namespace oversight::abstention {

void fields(param_fields& f, world_config& c) {
  f.integer("world.dim", c.dim, 6, 1, 256, "item features");
  f.integer("world.classes", c.classes, 4, 2, 256, "known classes");
  f.integer("world.novel", c.novel, 3, 1, 256, "novel clusters: items that belong to no class");
  f.real("world.separation", c.separation, 2.5, 0.0, 100.0, "sd of the cluster prototypes around the origin");
  f.real("world.novel_offset", c.novel_offset, 3.0, 0.0, 100.0,
         "distance of a novel cluster's prototype from the prototype of the class it sits beside");
  f.real("world.spread", c.spread, 1.0, 0.0, 100.0, "sd of an item around its cluster's prototype");
  f.real("world.abstain_share", c.abstain_share, 0.25, 0.0, 1.0, "share of traffic from the novel clusters");
}

world::world(const world_config& c, uint64_t seed) : c_(c), seed_(seed) {
  rng r(seed, "abstention/world");
  auto prototype = [&] {
    std::vector<float> p(size_t(c_.dim));
    for (auto& v : p) v = float(r.normal(0, c_.separation));
    return p;
  };
  for (int k = 0; k < c_.classes; ++k) classes_.push_back(prototype());
  for (int j = 0; j < c_.novel; ++j) {
    // A random direction (a normalised Gaussian vector), novel_offset long.
    std::vector<float> u(size_t(c_.dim));
    double norm = 0;
    for (auto& v : u) v = float(r.normal()), norm += double(v) * v;
    norm = std::sqrt(norm);
    auto p = classes_[size_t(j % c_.classes)];
    for (size_t i = 0; i < p.size(); ++i) p[i] += float(c_.novel_offset * (norm > 0 ? u[i] / norm : 0));
    novel_.push_back(std::move(p));
  }
}

void world::draw(rng& r, const std::vector<float>& center, std::vector<float>& x) const {
  for (float m : center) x.push_back(float(r.normal(m, c_.spread)));
}

int32_t world::item(int64_t id, std::vector<float>& x) const {
  rng r(seed_ ^ (uint64_t(id) * 0xD1B54A32D192ED03ull), "abstention/item");
  if (r.bernoulli(c_.abstain_share)) {
    draw(r, novel_[r.below(novel_.size())], x);
    return -1;
  }
  const auto k = int32_t(r.below(classes_.size()));
  draw(r, classes_[size_t(k)], x);
  return k;
}

void world::known_item(rng& r, int32_t k, std::vector<float>& x) const { draw(r, classes_.at(size_t(k)), x); }

}  // namespace oversight::abstention
