#include "policies/attack.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace oversight {

namespace {

/// The seed corpus's bounding box, widened by `margin` of its width on each side.
class query_box {
 public:
  query_box(const attack_config& c, const seed_sampler& seeds) : lo_(size_t(c.dim), 1e30f), hi_(size_t(c.dim), -1e30f) {
    rng r(0, "attack-box");  // fixed: the box is a property of the corpus, not of the run
    std::vector<float> x(size_t(c.dim));
    for (int i = 0; i < 4096; ++i) {
      seeds(r, x.data());
      for (size_t k = 0; k < x.size(); ++k) lo_[k] = std::min(lo_[k], x[k]), hi_[k] = std::max(hi_[k], x[k]);
    }
    for (size_t k = 0; k < x.size(); ++k) {
      const float w = (hi_[k] - lo_[k]) * float(c.margin);
      lo_[k] -= w;
      hi_[k] += w;
    }
  }
  void clip(float* x) const {
    for (size_t k = 0; k < lo_.size(); ++k) x[k] = std::clamp(x[k], lo_[k], hi_[k]);
  }

 private:
  std::vector<float> lo_, hi_;
};

class no_attack : public attack_strategy {
 public:
  std::vector<float> propose(size_t, rng&) override { return {}; }
  void observe(const std::vector<float>&, const std::vector<float>&) override {}
};

class random_attack : public attack_strategy {
 public:
  random_attack(attack_config c, seed_sampler s) : cfg_(std::move(c)), seeds_(std::move(s)), box_(cfg_, seeds_) {}
  std::vector<float> propose(size_t n, rng& r) override {
    std::vector<float> out(n * size_t(cfg_.dim));
    for (size_t i = 0; i < n; ++i) {
      float* row = out.data() + i * size_t(cfg_.dim);
      seeds_(r, row);
      for (int d = 0; d < cfg_.dim; ++d) row[d] += float(r.normal(0.0, cfg_.mutation));
      box_.clip(row);
    }
    return out;
  }
  void observe(const std::vector<float>&, const std::vector<float>&) override {}

 private:
  attack_config cfg_;
  seed_sampler seeds_;
  query_box box_;
};

class evolutionary_attack : public attack_strategy {
 public:
  evolutionary_attack(attack_config c, seed_sampler s) : cfg_(std::move(c)), seeds_(std::move(s)), box_(cfg_, seeds_) {}

  std::vector<float> propose(size_t n, rng& r) override {
    const size_t d = size_t(cfg_.dim);
    std::vector<float> out(n * d);
    for (size_t i = 0; i < n; ++i) {
      float* row = out.data() + i * d;
      if (pop_.empty() || r.bernoulli(cfg_.restart)) {
        seeds_(r, row);
        continue;
      }
      // Binary tournament, then Gaussian mutation.
      const auto& p1 = pop_[r.below(pop_.size())];
      const auto& p2 = pop_[r.below(pop_.size())];
      const auto& parent = p1.fitness >= p2.fitness ? p1 : p2;
      for (size_t k = 0; k < d; ++k) row[k] = parent.x[k] + float(r.normal(0.0, cfg_.mutation));
      box_.clip(row);
    }
    return out;
  }

  void observe(const std::vector<float>& x, const std::vector<float>& fitness) override {
    const size_t d = size_t(cfg_.dim);
    for (auto& m : pop_) m.fitness *= float(cfg_.decay);
    const double r2 = cfg_.niche_radius * cfg_.niche_radius;
    for (size_t i = 0; i < fitness.size(); ++i) {
      const float* child = x.data() + i * d;
      // Deterministic crowding: a child competes with its nearest survivor when that one
      // is within the niche radius, so one rich region cannot take the whole population
      // and several failure modes are hunted at once.
      size_t nearest = pop_.size();
      double best = r2;
      for (size_t m = 0; m < pop_.size() && r2 > 0; ++m) {
        double dist = 0;
        for (size_t k = 0; k < d; ++k) dist += double(child[k] - pop_[m].x[k]) * double(child[k] - pop_[m].x[k]);
        if (dist < best) best = dist, nearest = m;
      }
      if (nearest < pop_.size()) {
        if (fitness[i] > pop_[nearest].fitness) pop_[nearest] = {std::vector<float>(child, child + d), fitness[i]};
      } else {
        pop_.push_back({std::vector<float>(child, child + d), fitness[i]});
      }
    }
    // Keep the fittest; ties keep the older member first (stable), so the order is exact.
    std::stable_sort(pop_.begin(), pop_.end(), [](auto& a, auto& b) { return a.fitness > b.fitness; });
    if (pop_.size() > size_t(cfg_.population)) pop_.resize(size_t(cfg_.population));
  }

  void state(state_io& io) override { io(pop_); }

 private:
  struct member {
    std::vector<float> x;
    float fitness;
    void state(state_io& io) { io(x, fitness); }
  };
  attack_config cfg_;
  seed_sampler seeds_;
  query_box box_;
  std::vector<member> pop_;
};

class bandit_attack : public attack_strategy {
 public:
  bandit_attack(attack_config c, seed_sampler s) : cfg_(std::move(c)), seeds_(std::move(s)), box_(cfg_, seeds_) {}

  std::vector<float> propose(size_t n, rng& r) override {
    const size_t d = size_t(cfg_.dim);
    if (arms_.empty()) {
      arms_.resize(size_t(cfg_.arms));
      for (auto& a : arms_) {
        a.x.resize(d);
        seeds_(r, a.x.data());
      }
    }
    last_arm_.assign(n, 0);
    std::vector<float> out(n * d);
    for (size_t i = 0; i < n; ++i) {
      size_t best = 0;
      double best_v = -1e300;
      for (size_t k = 0; k < arms_.size(); ++k) {
        const auto& a = arms_[k];
        double v = a.pulls == 0 ? 1e9 + double(arms_.size() - k)
                                : a.sum / a.pulls + std::sqrt(2.0 * std::log(double(total_ + 1)) / a.pulls);
        if (v > best_v) {
          best_v = v;
          best = k;
        }
      }
      arms_[best].pulls += 1;  // optimistic count, so one batch spreads over arms
      ++total_;
      last_arm_[i] = best;
      for (size_t k = 0; k < d; ++k) out[i * d + k] = arms_[best].x[k] + float(r.normal(0.0, cfg_.mutation));
      box_.clip(out.data() + i * d);
    }
    return out;
  }

  void observe(const std::vector<float>& x, const std::vector<float>& fitness) override {
    const size_t d = size_t(cfg_.dim);
    for (size_t i = 0; i < fitness.size() && i < last_arm_.size(); ++i) {
      auto& a = arms_[last_arm_[i]];
      a.sum += fitness[i];
      if (fitness[i] > a.best) {  // drift toward the best child
        a.best = fitness[i];
        a.x.assign(x.begin() + i * d, x.begin() + (i + 1) * d);
      }
    }
    for (auto& a : arms_) a.best *= cfg_.decay;
  }

  void state(state_io& io) override { io(arms_, last_arm_, total_); }

 private:
  struct arm {
    std::vector<float> x;
    double sum = 0.0;
    double pulls = 0.0;
    double best = 0.0;
    void state(state_io& io) { io(x, sum, pulls, best); }
  };
  attack_config cfg_;
  seed_sampler seeds_;
  query_box box_;
  std::vector<arm> arms_;
  std::vector<size_t> last_arm_;
  uint64_t total_ = 0;
};

}  // namespace

std::unique_ptr<attack_strategy> make_attack_strategy(const attack_config& cfg, seed_sampler seeds) {
  switch (cfg.strategy) {
    case attack_kind::none: return std::make_unique<no_attack>();
    case attack_kind::random: return std::make_unique<random_attack>(cfg, std::move(seeds));
    case attack_kind::evolutionary: return std::make_unique<evolutionary_attack>(cfg, std::move(seeds));
    case attack_kind::bandit: return std::make_unique<bandit_attack>(cfg, std::move(seeds));
  }
  throw std::logic_error("make_attack_strategy: unknown attack_kind");
}

}  // namespace oversight
