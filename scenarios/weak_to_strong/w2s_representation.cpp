// The weak-to-strong feature pipeline: principal components of pooled Fashion-MNIST
// images, and value_world's per-response blocks of raw coordinates, random Fourier
// features and latent concepts, each seen through the size's own noise.
#include "scenarios/weak_to_strong/w2s_representation.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/rng.hpp"

namespace oversight {
namespace {

/// Average-pools 28x28 images (rows x 784) to side x side (side divides 28).
std::vector<float> pool(const std::vector<float>& x, int side) {
  if (side == 28) return x;
  const size_t rows = x.size() / 784, f = size_t(28 / side);
  std::vector<float> out(rows * size_t(side * side), 0.f);
  for (size_t n = 0; n < rows; ++n)
    for (size_t y = 0; y < 28; ++y)
      for (size_t c = 0; c < 28; ++c)
        out[n * size_t(side * side) + (y / f) * size_t(side) + c / f] += x[n * 784 + y * 28 + c] / float(f * f);
  return out;
}

}  // namespace

const rep& w2s_representations::of(int size) {
  if (auto it = reps_.find(size); it != reps_.end()) return it->second;
  rep r = world_ == w2s_world::fashion_mnist ? principal_components(size_t(size)) : value_world_features(size);
  return reps_.emplace(size, std::move(r)).first->second;
}

rep w2s_representations::principal_components(size_t i) {
  // Principal components of the unlabeled training inputs (both halves), at the
  // resolution this size perceives; one basis per resolution, shared by all sizes.
  rep r;
  const int side = ladder_.inputs[i];
  auto& basis = pca_[side];
  if (!basis.dim) {
    int k = 0;
    for (size_t j = 0; j < ladder_.sizes(); ++j)
      if (ladder_.inputs[j] == side) k = std::max(k, ladder_.features[j]);
    std::vector<float> unlabeled = pool(data_.half[0].x, side);
    const auto more = pool(data_.half[1].x, side);
    unlabeled.insert(unlabeled.end(), more.begin(), more.end());
    basis = pca_basis(unlabeled, side * side, std::min(k, side * side), 10000);
  }
  const int use = std::min(ladder_.features[i], basis.k);
  r.width = use;
  for (int s = 0; s < split_count; ++s)
    r.split[s] = {use, pca_project(basis, pool(data_.split(split_id(s)).x, side), use)};
  return r;
}

rep w2s_representations::value_world_features(int size) {
  // Per response, a block of: the visible raw coordinates, random Fourier features
  // of the whole query, the latent concepts, and a bias.
  rep r;
  const size_t i = size_t(size);
  const int dim = data_.half[0].dim, in = std::min(ladder_.inputs[i], dim), m = ladder_.features[i],
            c = std::min(ladder_.concepts[i], concept_count);
  // Each size draws its own random features (stream per size): a strong student
  // cannot copy a weak supervisor's features, only what the concepts let it see.
  std::vector<float> w, b;
  {
    rng init(seed_, "w2s/representation/" + std::to_string(size));
    for (int j = 0; j < m * dim; ++j) w.push_back(float(init.normal() / bandwidth_));
    for (int j = 0; j < m; ++j) b.push_back(float(init.uniform(0, 2 * M_PI)));
  }
  const int block = in + m + c + 1;
  // Each size perceives the raw coordinates and the concepts through its own noise
  // (in hundredths; both are of order 1; its own stream): a student cannot reproduce
  // a supervisor's misreadings, only what they have in common.
  const double noise = ladder_.concept_noise[i] / 100.0, sensor = ladder_.input_noise[i] / 100.0;
  r.width = 4 * block;
  for (int s = 0; s < split_count; ++s) {
    const auto& raw = data_.split(split_id(s));
    auto& q = r.split[s];
    q.dim = r.width;
    q.x.assign(raw.rows() * size_t(r.width), 0.f);
    rng misread(seed_, "w2s/concept_noise/" + std::to_string(size) + "/" + std::to_string(s));
    for (size_t n = 0; n < raw.rows(); ++n) {
      float* out = q.x.data() + n * size_t(r.width) + size_t(raw.action[n]) * size_t(block);
      const float* x = raw.x.data() + n * size_t(dim);
      for (int k = 0; k < in; ++k)  // queries spread over about +-6
        out[k] = x[k] / 3.f + float(sensor > 0 ? sensor * misread.normal() : 0.0);
      for (int j = 0; j < m; ++j) {
        double z = b[size_t(j)];
        for (int k = 0; k < dim; ++k) z += double(w[size_t(j * dim + k)]) * x[k];
        out[in + j] = float(std::cos(z));
      }
      for (int k = 0; k < c; ++k)
        out[in + m + k] =
            raw.latent[n * size_t(concept_count) + size_t(k)] + float(noise > 0 ? noise * misread.normal() : 0.0);
      out[block - 1] = 1.f;  // the response's own bias
    }
  }
  return r;
}

}  // namespace oversight
