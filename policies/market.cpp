#include "policies/market.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace oversight {

catalog catalog::generate(const market_config& cfg, rng& r) {
  catalog c;
  c.attributes = cfg.attributes;
  c.brands = cfg.brands;
  const size_t n = size_t(cfg.products);
  c.price.resize(n);
  c.attr.resize(n * size_t(cfg.attributes));
  c.brand.resize(n);
  c.commission.resize(n);
  for (size_t j = 0; j < n; ++j) {
    c.price[j] = float(r.uniform(cfg.price_min, cfg.price_max));
    for (int k = 0; k < cfg.attributes; ++k) c.attr[j * size_t(cfg.attributes) + size_t(k)] = float(r.uniform());
    c.brand[j] = int32_t(r.below(uint64_t(cfg.brands)));
    c.commission[j] = r.bernoulli(cfg.sponsored_share) ? float(r.uniform(0.5, 1.0)) : 0.0f;
  }
  return c;
}

principal_block::principal_block(const market_config& cfg, std::shared_ptr<const catalog> cat, int64_t first,
                                 int64_t count, rng& init)
    : cfg_(cfg), cat_(std::move(cat)), first_(first) {
  const size_t n = size_t(count), d = size_t(cfg.attributes);
  budget_.resize(n);
  pref_.resize(n * d);
  task_utility_.assign(n * size_t(cfg.candidates), 0.0f);
  for (size_t i = 0; i < n; ++i) {
    budget_[i] = float(init.uniform(cfg.budget_min, cfg.budget_max));
    // Dirichlet(1, ..., 1) preferences: normalized exponentials.
    double sum = 0;
    for (size_t k = 0; k < d; ++k) {
      const double e = -std::log(1.0 - init.uniform());
      pref_[i * d + k] = float(e);
      sum += e;
    }
    for (size_t k = 0; k < d; ++k) pref_[i * d + k] = float(pref_[i * d + k] / sum);
  }
  by_price_.resize(cat_->size());
  std::iota(by_price_.begin(), by_price_.end(), 0);
  std::stable_sort(by_price_.begin(), by_price_.end(),
                   [&](int32_t a, int32_t b) { return cat_->price[size_t(a)] < cat_->price[size_t(b)]; });
}

void principal_block::make_task(size_t i, rng& r, int32_t* products, float* utility) {
  const int c = cfg_.candidates;
  const size_t d = size_t(cat_->attributes);
  // The affordable products are a prefix of by_price_.
  const auto end = std::upper_bound(by_price_.begin(), by_price_.end(), budget_[i],
                                    [&](float b, int32_t j) { return b < cat_->price[size_t(j)]; });
  size_t m = size_t(end - by_price_.begin());
  if (m == 0) m = 1;  // nothing affordable: the cheapest product is the only offer
  for (int k = 0; k < c; ++k) {
    int32_t pick;
    for (;;) {  // distinct when there are enough affordable products
      pick = by_price_[r.below(m)];
      if (size_t(c) > m || std::find(products, products + k, pick) == products + k) break;
    }
    products[k] = pick;
    const size_t j = size_t(pick);
    double u = 0;
    for (size_t a = 0; a < d; ++a) u += double(pref_[i * d + a]) * double(cat_->attr[j * d + a]);
    u -= cfg_.price_weight * double(cat_->price[j]) / double(budget_[i]);
    utility[k] = float(u);
    task_utility_[i * size_t(c) + size_t(k)] = float(u);
  }
}

float principal_block::best_utility(size_t i) const {
  const float* u = &task_utility_[i * size_t(cfg_.candidates)];
  return *std::max_element(u, u + cfg_.candidates);
}

agent_block::agent_block(const agent_config& cfg, std::shared_ptr<const catalog> cat, int64_t first, int64_t count,
                         rng& init)
    : cfg_(cfg), cat_(std::move(cat)), first_(first) {
  const size_t n = size_t(count);
  commission_.resize(n);
  alignment_.resize(n);
  brand_.resize(n);
  q_.assign(n * arms, 0.0f);
  tries_.assign(n * arms, 0);
  arm_.assign(n, -1);
  material_.assign(n, 0.0f);
  intrinsic_.assign(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    commission_[i] = float(init.uniform(0.0, cfg.commission_max));
    alignment_[i] = float(std::clamp(init.uniform(0.0, 2.0 * cfg.alignment_mean), 0.0, 1.0));
    brand_[i] = int32_t(init.below(uint64_t(std::max(1, cat_->brands))));
  }
}

int agent_block::choose(size_t i, const int32_t* products, const float* utility, int n, rng& r, float& gap) {
  // Strategy: explore with probability epsilon, else the best value (lowest index on ties).
  int arm = -1;
  for (int a = 0; a < arms && arm < 0; ++a)
    if (tries_[i * arms + size_t(a)] == 0) arm = a;
  if (arm >= 0) {
    // untried strategy first
  } else if (r.bernoulli(cfg_.epsilon)) {
    arm = int(r.below(arms));
  } else {
    const float* q = &q_[i * arms];
    arm = int(std::max_element(q, q + arms) - q);
  }
  auto private_gain = [&](int k) {
    const size_t j = size_t(products[k]);
    return double(commission_[i]) * double(cat_->commission[j]) +
           (cat_->brand[j] == brand_[i] ? cfg_.brand_bonus : 0.0);
  };
  int best = 0;
  for (int k = 1; k < n; ++k)
    if (utility[k] > utility[best]) best = k;
  int pick = best;
  if (arm != 0) {
    // selfish: the largest private gain; hedge: gain minus weighted principal loss. Ties
    // go to the principal's better candidate, so a gain-free task is served faithfully.
    double top = -1e300;
    for (int k = 0; k < n; ++k) {
      double v = private_gain(k);
      if (arm == 2) v -= cfg_.hedge_weight * double(utility[best] - utility[k]);
      if (v > top || (v == top && utility[k] > utility[pick])) {
        top = v;
        pick = k;
      }
    }
  }
  gap = utility[best] - utility[pick];
  arm_[i] = int8_t(arm);
  material_[i] = float(private_gain(pick));
  intrinsic_[i] = gap <= 0.0f ? float(cfg_.alignment_weight * alignment_[i]) : 0.0f;
  return pick;
}

void agent_block::feedback(size_t i, float payment, float penalty) { material_[i] += payment - penalty; }

double agent_block::learn() {
  double total = 0;
  for (size_t i = 0; i < size(); ++i) {
    if (arm_[i] < 0) continue;
    const size_t k = i * arms + size_t(arm_[i]);
    if (tries_[k] < 65535) ++tries_[k];
    const float step = std::max(float(cfg_.step), 1.0f / float(tries_[k]));
    q_[k] += step * (material_[i] + intrinsic_[i] - q_[k]);
    total += double(material_[i]);
    arm_[i] = -1;
  }
  return total;
}

}  // namespace oversight
