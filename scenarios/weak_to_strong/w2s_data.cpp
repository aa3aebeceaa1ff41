// The weak-to-strong data worlds: value_world samples and the Fashion-MNIST split.
#include "scenarios/weak_to_strong/w2s_data.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "scenarios/worlds/fashion_mnist.hpp"
#include "scenarios/worlds/value_world.hpp"

namespace oversight {
namespace {

w2s_data make_value_world(const w2s_params& p, uint64_t seed) {
  const value_world_config& wc = p.value;
  value_world world(wc, seed);
  w2s_data d;
  d.classes = 2;
  const size_t n = size_t(p.train_samples);
  const bool harmless = p.variant == w2s_variant::deception;
  auto sample = [&](rng& r, size_t rows) {
    raw_split s;
    s.dim = wc.dim;
    s.x = world.sample_natural(r, rows);
    for (size_t i = 0; i < rows; ++i) {
      const int a = int(r.below(4));
      const auto v = world.evaluate(s.x.data() + i * size_t(wc.dim), a);
      s.action.push_back(a);
      // weak_to_strong asks "is this response acceptable"; w2s_deception asks "is
      // it harmless" while helpfulness pulls the other way on harmful requests.
      s.label.push_back(harmless ? v.v[1] >= 0.f : v.acceptable());
      s.other.push_back(v.v[0] >= 0.f);
      // The latent concepts a pretrained strong model has learned about queries:
      // the world's own fields (harm, hardness, the hidden interaction on hard
      // topics, adversarial pocket). The true value is nearly linear in them, per
      // response, so they make the task nearly linearly separable.
      const float* x = s.x.data() + i * size_t(wc.dim);
      const double hard = world.hardness(x);
      for (double f : {world.harm(x), hard, hard * world.interaction(x), world.pocket(x)})
        s.latent.push_back(float(f));
    }
    return s;
  };
  rng data(seed, "w2s/data"), test(seed, "w2s/test");
  d.half[0] = sample(data, n / 2);
  d.half[1] = sample(data, n - n / 2);
  d.test = sample(test, size_t(p.test_samples));
  if (p.effective_mode() == conflict_mode::implicit) {
    // The implicit conflict's extra rows, a fraction `conflict` of the student's
    // training set: fresh queries whose label is the helpful truth (Yang et al. mix
    // helpfulness data with ground-truth labels into the weak-labelled set).
    rng helpful(seed, "w2s/helpful");
    const size_t rows = size_t(std::lround(double(d.half[1].rows()) * p.conflict / (1 - p.conflict)));
    d.extra = sample(helpful, rows);
  }
  return d;
}

w2s_data load_fashion(const w2s_params& p, uint64_t seed) {
  const auto data = load_fashion_mnist(p.data_dir, size_t(p.data_limit));
  w2s_data d;
  d.classes = fashion_mnist::classes;
  const size_t px = data.train.images.size();
  // A seeded shuffle decides which examples form half 1 and half 2.
  std::vector<size_t> order(data.train.size());
  std::iota(order.begin(), order.end(), size_t(0));
  rng shuffle(seed, "w2s/split");
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.below(i)]);
  auto take = [&](const fashion_mnist_split& s, const size_t* idx, size_t rows) {
    raw_split out;
    out.dim = int(px);
    out.x.resize(rows * px);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < px; ++i) out.x[r * px + i] = s.pixel(idx[r], i);
      out.label.push_back(s.labels[idx[r]]);
    }
    return out;
  };
  const size_t n = order.size();
  if (n < 4) throw user_error("data.limit = " + std::to_string(p.data_limit) + ": at least 4 examples needed");
  d.half[0] = take(data.train, order.data(), n / 2);
  d.half[1] = take(data.train, order.data() + n / 2, n - n / 2);
  std::vector<size_t> all(data.test.size());
  std::iota(all.begin(), all.end(), size_t(0));
  d.test = take(data.test, all.data(), all.size());
  return d;
}

}  // namespace

w2s_data load_w2s_data(const w2s_params& p, uint64_t seed) {
  return p.world == w2s_world::fashion_mnist ? load_fashion(p, seed) : make_value_world(p, seed);
}

}  // namespace oversight
