#include "policies/market.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace oversight {

catalog catalog::generate(const market_config& cfg, rng& r) {
  if (cfg.products < 1 || cfg.products > max_products)
    throw std::invalid_argument("market.products = " + std::to_string(cfg.products) + ": a catalog holds 1 to " +
                                std::to_string(max_products) + " products (ids travel as 16 bits)");
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
  task_product_.assign(n * size_t(cfg.candidates), 0);
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
                   [&](product_id a, product_id b) { return cat_->price[size_t(a)] < cat_->price[size_t(b)]; });
  // What every task reads of the catalog, in the precision the utilities are computed in.
  attr_.assign(cat_->attr.begin(), cat_->attr.end());
  price_cost_.resize(cat_->size());
  for (size_t j = 0; j < cat_->size(); ++j) price_cost_[j] = cfg.price_weight * double(cat_->price[j]);
  // A budget never changes, so neither does the affordable prefix of by_price_.
  affordable_less_one_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const auto end = std::upper_bound(by_price_.begin(), by_price_.end(), budget_[i],
                                      [&](float b, product_id j) { return b < cat_->price[size_t(j)]; });
    // Nothing affordable: the cheapest product is the only offer.
    affordable_less_one_[i] = uint16_t(std::max<ptrdiff_t>(1, end - by_price_.begin()) - 1);
  }
}

void principal_block::make_task(size_t i, rng& r, product_id* products, float* utility) {
  const int c = cfg_.candidates;
  const size_t m = size_t(affordable_less_one_[i]) + 1;
  product_id* remembered = &task_product_[i * size_t(c)];
  // The offers first (distinct when there are enough affordable products: a draw already
  // taken is drawn again), then their utilities: the second loop's iterations are
  // independent, so they overlap.
  if (m <= 256 && size_t(c) <= m) {
    // The catalog's usual size: positions taken as bits of four words, one test a draw.
    uint64_t taken[4] = {0, 0, 0, 0};
    for (int k = 0; k < c; ++k) {
      uint64_t x;
      do x = r.below(m);
      while (__builtin_expect((taken[x >> 6] >> (x & 63)) & 1, 0));
      taken[x >> 6] |= uint64_t(1) << (x & 63);
      products[k] = remembered[k] = by_price_[x];
    }
  } else {
    for (int k = 0; k < c; ++k) {
      product_id pick;
      for (;;) {
        pick = by_price_[r.below(m)];
        if (size_t(c) > m || std::find(products, products + k, pick) == products + k) break;
      }
      products[k] = remembered[k] = pick;
    }
  }
  const size_t d = size_t(cat_->attributes);
  const float* pref = &pref_[i * d];
  const double budget = double(budget_[i]);
  float best = -HUGE_VALF;
  int done = 0;
#if defined(__SSE2__)
  if (d == 4) {
    // The catalog's shape: four candidates at a time, two per double-precision register;
    // the same operations in the same order as the loop below (so the same bits).
    const __m128d p0 = _mm_set1_pd(double(pref[0])), p1 = _mm_set1_pd(double(pref[1]));
    const __m128d p2 = _mm_set1_pd(double(pref[2])), p3 = _mm_set1_pd(double(pref[3]));
    const __m128d b = _mm_set1_pd(budget);
    const double* attr = attr_.data();
    auto two = [&](int k) {  // candidates k and k + 1, as the low half of a float register
      const size_t j0 = size_t(products[k]), j1 = size_t(products[k + 1]);
      const __m128d x01 = _mm_loadu_pd(attr + j0 * 4), x23 = _mm_loadu_pd(attr + j0 * 4 + 2);
      const __m128d y01 = _mm_loadu_pd(attr + j1 * 4), y23 = _mm_loadu_pd(attr + j1 * 4 + 2);
      __m128d u = _mm_mul_pd(p0, _mm_unpacklo_pd(x01, y01));
      u = _mm_add_pd(u, _mm_mul_pd(p1, _mm_unpackhi_pd(x01, y01)));
      u = _mm_add_pd(u, _mm_mul_pd(p2, _mm_unpacklo_pd(x23, y23)));
      u = _mm_add_pd(u, _mm_mul_pd(p3, _mm_unpackhi_pd(x23, y23)));
      u = _mm_sub_pd(u, _mm_div_pd(_mm_set_pd(price_cost_[j1], price_cost_[j0]), b));
      return _mm_cvtpd_ps(u);
    };
    __m128 top = _mm_set1_ps(-HUGE_VALF);
    for (; done + 4 <= c; done += 4) {
      const __m128 u = _mm_movelh_ps(two(done), two(done + 2));
      _mm_storeu_ps(utility + done, u);
      top = _mm_max_ps(top, u);
    }
    top = _mm_max_ps(top, _mm_movehl_ps(top, top));
    top = _mm_max_ss(top, _mm_shuffle_ps(top, top, 1));
    best = _mm_cvtss_f32(top);
  }
#endif
  for (int k = done; k < c; ++k) {
    const float v = utility_of(i, size_t(products[k]));
    utility[k] = v;
    best = v > best ? v : best;
  }
  best_[i] = best;
}

agent_block::agent_block(const agent_config& cfg, std::shared_ptr<const catalog> cat, int64_t first, int64_t count,
                         rng& init, std::vector<int32_t> order)
    : cfg_(cfg), cat_(std::move(cat)), first_(first) {
  const size_t n = size_t(count);
  agent_.resize(n);
  material_.assign(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    auto& a = agent_[i];
    std::fill(a.q, a.q + arms, 0.0f);
    std::fill(a.tries, a.tries + arms, uint16_t(0));
    a.commission = float(init.uniform(0.0, cfg.commission_max));
    a.alignment = float(std::clamp(init.uniform(0.0, 2.0 * cfg.alignment_mean), 0.0, 1.0));
    a.brand = int32_t(init.below(uint64_t(std::max(1, cat_->brands))));
  }
  if (order.empty()) return;
  if (order.size() != n)
    throw std::invalid_argument("agent block of " + std::to_string(n) + " agents: an order of " +
                                std::to_string(order.size()));
  slot_of_.assign(n, -1);
  for (size_t slot = 0; slot < n; ++slot) {
    const int32_t local = order[slot];
    if (local < 0 || size_t(local) >= n || slot_of_[size_t(local)] >= 0)
      throw std::invalid_argument("agent block of " + std::to_string(n) + " agents: local agent " +
                                  std::to_string(local) + " in its order " +
                                  (local < 0 || size_t(local) >= n ? "is out of range" : "twice"));
    slot_of_[size_t(local)] = int32_t(slot);
  }
  std::vector<record> arranged(n);
  for (size_t slot = 0; slot < n; ++slot) arranged[slot] = agent_[size_t(order[slot])];
  agent_ = std::move(arranged);
}

int agent_block::choose(size_t i, const product_id* products, const float* utility, int n, rng& r, float& gap) {
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
    // The first best value, as selects: values differ from agent to agent, so a branch
    // here would be mispredicted half the time.
    const float q0 = me.q[0], q1 = me.q[1], q2 = me.q[2];
    const float q01 = q1 > q0 ? q1 : q0;
    arm = q2 > q01 ? 2 : (q1 > q0 ? 1 : 0);
  }
  const double commission = double(me.commission), bonus = cfg_.brand_bonus;
  const float* rate = cat_->commission.data();
  const int32_t* brand = cat_->brand.data();
  double gain[64];  // market.candidates is at most 64
  for (int k = 0; k < n; ++k) {
    const size_t j = size_t(products[k]);
    gain[k] = commission * double(rate[j]) + (brand[j] == me.brand ? bonus : 0.0);
  }
  float best_u = utility[0];
  for (int k = 1; k < n; ++k) best_u = utility[k] > best_u ? utility[k] : best_u;
  const int pick = n == 8 ? pick_of_8(arm, cfg_.hedge_weight, gain, utility, best_u)
                          : pick_of(arm, cfg_.hedge_weight, gain, utility, n, best_u);
  gap = best_u - utility[pick];
  me.played = int8_t(arm | (gap <= 0.0f ? faithful : 0));
  material_[i] = float(gain[pick]);
  return pick;
}

int agent_block::pick_of(int arm, double hedge_weight, const double* gain, const float* utility, int n,
                         float best_u) {
  int best = 0;
  while (best + 1 < n && utility[best] != best_u) ++best;  // the first best candidate
  if (arm == 0) return best;
  // selfish: the largest private gain; hedge: gain minus weighted principal loss. Ties
  // go to the principal's better candidate (then the earlier one), so a gain-free task
  // is served faithfully.
  int pick = best;
  float pick_u = best_u;
  double top = -1e300;
  for (int k = 0; k < n; ++k) {
    const double v = arm == 2 ? gain[k] - hedge_weight * double(best_u - utility[k]) : gain[k];
    const bool take = v > top || (v == top && utility[k] > pick_u);
    top = take ? v : top;
    pick = take ? k : pick;
    pick_u = take ? utility[k] : pick_u;
  }
  return pick;
}

int agent_block::pick_of_8(int arm, double hedge_weight, const double* gain, const float* utility, float best_u) {
#if defined(__SSE2__)
  // pick_of for 8 candidates without a data-dependent branch: every candidate's value v
  // (the principal's utility for the faithful strategy), the largest v, the largest
  // utility among the candidates that reach it, and the first candidate with both. The
  // same operations on the same numbers as pick_of, so the same pick.
  const __m128 ua = _mm_loadu_ps(utility), ub = _mm_loadu_ps(utility + 4);
  const __m128d u[4] = {_mm_cvtps_pd(ua), _mm_cvtps_pd(_mm_movehl_ps(ua, ua)), _mm_cvtps_pd(ub),
                        _mm_cvtps_pd(_mm_movehl_ps(ub, ub))};
  __m128d v[4];
  if (arm == 0) {
    for (int h = 0; h < 4; ++h) v[h] = u[h];
  } else if (arm == 1) {
    for (int h = 0; h < 4; ++h) v[h] = _mm_loadu_pd(gain + 2 * h);
  } else {
    const __m128 bu = _mm_set1_ps(best_u);
    const __m128 la = _mm_sub_ps(bu, ua), lb = _mm_sub_ps(bu, ub);
    const __m128d loss[4] = {_mm_cvtps_pd(la), _mm_cvtps_pd(_mm_movehl_ps(la, la)), _mm_cvtps_pd(lb),
                             _mm_cvtps_pd(_mm_movehl_ps(lb, lb))};
    const __m128d w = _mm_set1_pd(hedge_weight);
    for (int h = 0; h < 4; ++h) v[h] = _mm_sub_pd(_mm_loadu_pd(gain + 2 * h), _mm_mul_pd(w, loss[h]));
  }
  __m128d top = _mm_max_pd(_mm_max_pd(v[0], v[1]), _mm_max_pd(v[2], v[3]));
  top = _mm_max_pd(top, _mm_unpackhi_pd(top, top));
  top = _mm_unpacklo_pd(top, top);
  const __m128d lowest = _mm_set1_pd(-HUGE_VAL);
  __m128d at_top[4], u_at_top[4];
  for (int h = 0; h < 4; ++h) {
    at_top[h] = _mm_cmpeq_pd(v[h], top);
    u_at_top[h] = _mm_or_pd(_mm_and_pd(at_top[h], u[h]), _mm_andnot_pd(at_top[h], lowest));
  }
  __m128d pick_u = _mm_max_pd(_mm_max_pd(u_at_top[0], u_at_top[1]), _mm_max_pd(u_at_top[2], u_at_top[3]));
  pick_u = _mm_max_pd(pick_u, _mm_unpackhi_pd(pick_u, pick_u));
  pick_u = _mm_unpacklo_pd(pick_u, pick_u);
  int hits = 0;
  for (int h = 0; h < 4; ++h)
    hits |= _mm_movemask_pd(_mm_and_pd(at_top[h], _mm_cmpeq_pd(u[h], pick_u))) << (2 * h);
  return __builtin_ctz(unsigned(hits));
#else
  return pick_of(arm, hedge_weight, gain, utility, 8, best_u);
#endif
}

void agent_block::feedback(size_t i, float net) { material_[i] += net; }

double agent_block::learn() {
  // The sum first, in id order (so that how the block is arranged changes no bit of it);
  // an agent that did not act adds its zero reward.
  double total = 0;
  if (slot_of_.empty())
    for (float m : material_) total += double(m);
  else
    for (int32_t slot : slot_of_) total += double(material_[size_t(slot)]);
  for (size_t i = 0; i < size(); ++i) {
    auto& a = agent_[i];
    if (a.played != idle) {
      const size_t k = size_t(a.played & 3);
      const float intrinsic = (a.played & faithful) ? float(cfg_.alignment_weight * a.alignment) : 0.0f;
      if (a.tries[k] < 65535) ++a.tries[k];
      const float step = std::max(float(cfg_.step), 1.0f / float(a.tries[k]));
      a.q[k] += step * (material_[i] + intrinsic - a.q[k]);
      a.played = idle;
    }
    material_[i] = 0.0f;
  }
  return total;
}

}  // namespace oversight
