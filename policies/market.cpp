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
  best_.assign(n, 0.0f);
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
  // What every task reads of the catalog, in the precision the utilities are computed in.
  attr_.assign(cat_->attr.begin(), cat_->attr.end());
  price_cost_.resize(cat_->size());
  for (size_t j = 0; j < cat_->size(); ++j) price_cost_[j] = cfg.price_weight * double(cat_->price[j]);
  // A budget never changes, so neither does the affordable prefix of by_price_.
  affordable_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const auto end = std::upper_bound(by_price_.begin(), by_price_.end(), budget_[i],
                                      [&](float b, int32_t j) { return b < cat_->price[size_t(j)]; });
    // Nothing affordable: the cheapest product is the only offer.
    affordable_[i] = std::max<int32_t>(1, int32_t(end - by_price_.begin()));
  }
}

void principal_block::make_task(size_t i, rng& r, int32_t* products, float* utility) {
  const int c = cfg_.candidates;
  const size_t m = size_t(affordable_[i]);
  // The offers first (distinct when there are enough affordable products), then their
  // utilities: the second loop's iterations are independent, so they overlap.
  for (int k = 0; k < c; ++k) {
    int32_t pick;
    for (;;) {
      pick = by_price_[r.below(m)];
      if (size_t(c) > m || std::find(products, products + k, pick) == products + k) break;
    }
    products[k] = pick;
  }
  const size_t d = size_t(cat_->attributes);
  const float* pref = &pref_[i * d];
  const double budget = double(budget_[i]);
  float* remembered = &task_utility_[i * size_t(c)];
  float best = 0;
  auto finish = [&](int k, double u) {
    u -= price_cost_[size_t(products[k])] / budget;
    const float v = float(u);
    utility[k] = remembered[k] = v;
    best = (k == 0 || v > best) ? v : best;
  };
  if (d == 4) {  // the catalog's shape: an unrolled dot product, the same sums in the same order
    const double p0 = pref[0], p1 = pref[1], p2 = pref[2], p3 = pref[3];
    for (int k = 0; k < c; ++k) {
      const double* a = &attr_[size_t(products[k]) * 4];
      double u = 0;
      u += p0 * a[0];
      u += p1 * a[1];
      u += p2 * a[2];
      u += p3 * a[3];
      finish(k, u);
    }
  } else {
    for (int k = 0; k < c; ++k) {
      const double* a = &attr_[size_t(products[k]) * d];
      double u = 0;
      for (size_t x = 0; x < d; ++x) u += double(pref[x]) * a[x];
      finish(k, u);
    }
  }
  best_[i] = best;
}

agent_block::agent_block(const agent_config& cfg, std::shared_ptr<const catalog> cat, int64_t first, int64_t count,
                         rng& init)
    : cfg_(cfg), cat_(std::move(cat)), first_(first) {
  const size_t n = size_t(count);
  agent_.resize(n);
  reward_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    auto& a = agent_[i];
    std::fill(a.q, a.q + arms, 0.0f);
    std::fill(a.tries, a.tries + arms, uint16_t(0));
    a.commission = float(init.uniform(0.0, cfg.commission_max));
    a.alignment = float(std::clamp(init.uniform(0.0, 2.0 * cfg.alignment_mean), 0.0, 1.0));
    a.brand = int32_t(init.below(uint64_t(std::max(1, cat_->brands))));
  }
}

int agent_block::choose(size_t i, const int32_t* products, const float* utility, int n, rng& r, float& gap) {
  auto& me = agent_[i];
  // Strategy: an untried one first, else explore with probability epsilon, else the best
  // value (lowest index on ties).
  int arm = -1;
  for (int a = 0; a < arms && arm < 0; ++a)
    if (me.tries[a] == 0) arm = a;
  if (arm >= 0) {
    // untried strategy first
  } else if (r.bernoulli(cfg_.epsilon)) {
    arm = int(r.below(arms));
  } else {
    arm = int(std::max_element(me.q, me.q + arms) - me.q);
  }
  const double commission = double(me.commission), bonus = cfg_.brand_bonus;
  const float* rate = cat_->commission.data();
  const int32_t* brand = cat_->brand.data();
  auto private_gain = [&](int k) {
    const size_t j = size_t(products[k]);
    return commission * double(rate[j]) + (brand[j] == me.brand ? bonus : 0.0);
  };
  // The comparisons below depend on random data, so they are written as selects (no
  // branch to mispredict).
  int best = 0;
  float best_u = utility[0];
  for (int k = 1; k < n; ++k) {
    const bool better = utility[k] > best_u;
    best = better ? k : best;
    best_u = better ? utility[k] : best_u;
  }
  int pick = best;
  float pick_u = best_u;
  double gain;
  if (arm == 0) {
    gain = private_gain(pick);
  } else {
    // selfish: the largest private gain; hedge: gain minus weighted principal loss. Ties
    // go to the principal's better candidate, so a gain-free task is served faithfully.
    const bool hedging = arm == 2;
    const double hedge = cfg_.hedge_weight;
    double top = -1e300;
    gain = 0;
    for (int k = 0; k < n; ++k) {
      const double g = private_gain(k);
      const double v = hedging ? g - hedge * double(best_u - utility[k]) : g;
      const bool take = v > top || (v == top && utility[k] > pick_u);
      top = take ? v : top;
      pick = take ? k : pick;
      pick_u = take ? utility[k] : pick_u;
      gain = take ? g : gain;
    }
  }
  gap = best_u - pick_u;
  me.arm = int8_t(arm);
  reward_[i].material = float(gain);
  reward_[i].intrinsic = gap <= 0.0f ? float(cfg_.alignment_weight * me.alignment) : 0.0f;
  return pick;
}

void agent_block::feedback(size_t i, float net) { reward_[i].material += net; }

double agent_block::learn() {
  double total = 0;
  for (size_t i = 0; i < size(); ++i) {
    auto& a = agent_[i];
    if (a.arm < 0) continue;
    const size_t k = size_t(a.arm);
    if (a.tries[k] < 65535) ++a.tries[k];
    const float step = std::max(float(cfg_.step), 1.0f / float(a.tries[k]));
    a.q[k] += step * (reward_[i].material + reward_[i].intrinsic - a.q[k]);
    total += double(reward_[i].material);
    a.arm = -1;
  }
  return total;
}

}  // namespace oversight
