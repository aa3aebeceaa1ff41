// The population of policies (population.hpp) without libtorch: the inference copy on
// the hand-written forward pass, and the trainer that steps each member with the
// hand-written policy trainer; the libtorch trainer is in population_torch.cpp.
#include "policies/population.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "base/error.hpp"
#include "policies/small_mlp.hpp"
#include "policies/trainer_backends.hpp"

namespace oversight {

grouping group_rows(const std::vector<int32_t>& who, size_t members, const char* what) {
  grouping g;
  g.count.assign(members, 0);
  g.pos.resize(who.size());
  for (size_t i = 0; i < who.size(); ++i) {
    const int32_t m = who[i];
    if (m < 0 || size_t(m) >= members)
      throw std::invalid_argument(std::string(what) + ": row " + std::to_string(i) + " names member " +
                                  std::to_string(m) + ", but the population has " + std::to_string(members) +
                                  " (0.." + std::to_string(int64_t(members) - 1) + ")");
    g.pos[i] = g.count[size_t(m)]++;
    g.max_count = std::max(g.max_count, g.count[size_t(m)]);
  }
  return g;
}

grouping group_population_batch(const train_batch& b, const policy_config& cfg, size_t members) {
  const size_t rows = b.rows();
  OVERSIGHT_CHECK_EQ(b.dim, cfg.dim);
  OVERSIGHT_CHECK_EQ(b.width, cfg.options);
  OVERSIGHT_CHECK_EQ(b.a.size(), rows);
  OVERSIGHT_CHECK_EQ(b.target.size(), rows * size_t(cfg.options));
  return group_rows(b.a, members, "population trainer");
}

member_rows rows_by_member(const grouping& g, const std::vector<int32_t>& who) {
  member_rows out;
  out.start.assign(g.count.size() + 1, 0);
  out.order.resize(who.size());
  for (size_t m = 0; m < g.count.size(); ++m) out.start[m + 1] = out.start[m] + size_t(g.count[m]);
  for (size_t i = 0; i < who.size(); ++i) out.order[out.start[size_t(who[i])] + size_t(g.pos[i])] = i;
  return out;
}

namespace {

/// Each member stepped by the hand-written policy trainer on its own rows, in member
/// order. Batching buys nothing here: those trainers have no per-operation overhead to
/// share, and a member's step is arithmetic on its own weights.
class population_trainer_hand : public trainable {
 public:
  population_trainer_hand(const policy_config& cfg, size_t members, const std::vector<float>& init)
      : cfg_(cfg), per_(member_param_count(cfg)), flat_(init) {
    OVERSIGHT_CHECK_LT(size_t(0), members);
    OVERSIGHT_CHECK_EQ(init.size(), members * per_);
    for (size_t m = 0; m < members; ++m)
      members_.push_back(make_hand_policy_trainer(
          cfg, std::vector<float>(init.begin() + std::ptrdiff_t(m * per_), init.begin() + std::ptrdiff_t((m + 1) * per_))));
    rows_.dim = cfg.dim;
    rows_.width = cfg.options;
  }

  std::vector<float> step(const train_batch& b) override {
    const size_t rows = b.rows();
    if (rows > 0) {
      const auto [start, order] = rows_by_member(group_population_batch(b, cfg_, members_.size()), b.a);
      const size_t d = size_t(cfg_.dim), k = size_t(cfg_.options);
      for (size_t m = 0; m < members_.size(); ++m) {
        const size_t n = start[m + 1] - start[m];
        if (n == 0) continue;  // not stepped: its weights, moments and step count stay
        rows_.x.resize(n * d);
        rows_.target.resize(n * k);
        for (size_t j = 0; j < n; ++j) {
          const size_t i = order[start[m] + j];
          std::copy_n(b.x.data() + i * d, d, rows_.x.data() + j * d);
          std::copy_n(b.target.data() + i * k, k, rows_.target.data() + j * k);
        }
        const auto p = members_[m]->step(rows_);
        std::copy(p.begin(), p.end(), flat_.begin() + std::ptrdiff_t(m * per_));
      }
    }
    return flat_;
  }

  void state(state_io& io) override {
    for (auto& m : members_) m->state(io);
    if (io.loading()) {
      train_batch none;  // a step on no rows returns the weights and takes no step
      none.dim = cfg_.dim;
      none.width = cfg_.options;
      for (size_t m = 0; m < members_.size(); ++m) {
        const auto p = members_[m]->step(none);
        std::copy(p.begin(), p.end(), flat_.begin() + std::ptrdiff_t(m * per_));
      }
    }
  }

 private:
  policy_config cfg_;
  size_t per_;
  std::vector<float> flat_;  ///< every member's parameters (the population layout)
  std::vector<std::unique_ptr<policy_trainer_base>> members_;
  train_batch rows_;  ///< one member's rows (scratch)
};

}  // namespace

size_t member_param_count(const policy_config& cfg) { return size_t(member_layout(cfg).total); }

std::vector<float> init_member(const policy_config& cfg, rng& init) {
  const member_layout l(cfg);
  std::vector<float> out(size_t(l.total));
  // torch_util::init_params over policy_module's parameters: fan_in is a weight's
  // second size and, for a bias, its only one.
  auto fill = [&](int64_t offset, int64_t numel, int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(double(std::max<int64_t>(fan_in, 1)));
    for (int64_t i = 0; i < numel; ++i) out[size_t(offset + i)] = float(init.uniform(-bound, bound));
  };
  fill(l.w1, l.hidden * l.dim, l.dim);
  fill(l.b1, l.hidden, l.hidden);
  fill(l.w2, l.hidden * l.hidden, l.hidden);
  fill(l.b2, l.hidden, l.hidden);
  fill(l.w3, l.options * l.hidden, l.hidden);
  fill(l.b3, l.options, l.options);
  return out;
}

struct population_net::impl {
  policy_config cfg;
  size_t total;
  std::vector<float> flat;     ///< [members][total]: each member's flat parameters
  std::vector<mlp_bank> nets;  ///< one per member: its weights as the forward kernel reads them
  impl(const policy_config& c, size_t n) : cfg(c), total(member_param_count(c)), flat(n * total, 0.f) {
    nets.reserve(n);
    for (size_t m = 0; m < n; ++m) {
      nets.emplace_back(policy_shape(c), 1);
      nets.back().set(0, flat.data() + m * total);
    }
  }
};

population_net::population_net(const policy_config& cfg, size_t members)
    : impl_(std::make_unique<impl>(cfg, members)) {}
population_net::~population_net() = default;
population_net::population_net(population_net&&) noexcept = default;

size_t population_net::size() const { return impl_->nets.size(); }
const policy_config& population_net::config() const { return impl_->cfg; }

void population_net::set_members(size_t first, const std::vector<float>& flat) {
  const size_t total = impl_->total;
  OVERSIGHT_CHECK_EQ(flat.size() % total, size_t(0));
  const size_t count = flat.size() / total;
  OVERSIGHT_CHECK_LE(first + count, size());
  std::copy(flat.begin(), flat.end(), impl_->flat.begin() + std::ptrdiff_t(first * total));
  for (size_t m = first; m < first + count; ++m) impl_->nets[m].set(0, impl_->flat.data() + m * total);
}

std::vector<float> population_net::member(size_t i) const {
  OVERSIGHT_CHECK_LT(i, size());
  const float* p = impl_->flat.data() + i * impl_->total;
  return {p, p + impl_->total};
}

void population_net::copy_member(size_t from, size_t to) {
  OVERSIGHT_CHECK_LT(from, size());
  OVERSIGHT_CHECK_LT(to, size());
  const size_t total = impl_->total;
  std::copy_n(impl_->flat.data() + from * total, total, impl_->flat.data() + to * total);
  impl_->nets[to].set(0, impl_->flat.data() + to * total);
}

std::vector<float> population_net::probs(const std::vector<float>& x, const std::vector<int32_t>& who) const {
  const auto& c = impl_->cfg;
  const size_t d = size_t(c.dim), k = size_t(c.options), rows = who.size();
  if (x.size() != rows * d)
    throw std::invalid_argument("population_net::probs: " + std::to_string(x.size()) + " input floats for " +
                                std::to_string(rows) + " rows of dim " + std::to_string(d));
  if (rows == 0) return {};
  // Each member's rows, gathered in batch order, through its net: the answers a lone
  // policy_net with its weights gives (the same kernels, the same softmax).
  const auto [start, order] = rows_by_member(group_rows(who, size(), "population_net::probs"), who);
  std::vector<float> out(rows * k), xs;
  for (size_t m = 0; m < size(); ++m) {
    const size_t n = start[m + 1] - start[m];
    if (n == 0) continue;
    xs.resize(n * d);
    for (size_t j = 0; j < n; ++j) std::copy_n(x.data() + order[start[m] + j] * d, d, xs.data() + j * d);
    const auto z = impl_->nets[m].forward(xs.data(), n, 0);  // n x 1 x options logits
    for (size_t j = 0; j < n; ++j) {
      const float* zi = z.data() + j * k;
      float* row = out.data() + order[start[m] + j] * k;
      // Softmax per row, as policy_net::probs (and torch::softmax): shifted by the
      // row's largest logit.
      float top = zi[0];
      for (size_t a = 1; a < k; ++a) top = std::max(top, zi[a]);
      float sum = 0.f;
      for (size_t a = 0; a < k; ++a) sum += row[a] = std::exp(zi[a] - top);
      for (size_t a = 0; a < k; ++a) row[a] /= sum;
    }
  }
  return out;
}

trainer_backend population_trainer_backend(const policy_config& cfg, size_t members) {
  if (policy_trainer_backend(cfg) == trainer_backend::libtorch) return trainer_backend::libtorch;
  return members >= gpu_min_population && trainers_on_gpu() ? trainer_backend::libtorch : trainer_backend::hand_written;
}

std::unique_ptr<trainable> make_population_trainer(const policy_config& cfg, size_t members,
                                                   const std::vector<float>& init, trainer_backend backend) {
  if (backend == trainer_backend::automatic) backend = population_trainer_backend(cfg, members);
  if (backend == trainer_backend::hand_written) return std::make_unique<population_trainer_hand>(cfg, members, init);
  const auto what = "a population trainer of " + std::to_string(members) + " members";
  return libtorch_backend(trainer_needing_libtorch(what.c_str(), cfg.hidden)).population(cfg, members, init);
}

}  // namespace oversight
