#include "scenarios/abstention/learner.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "runtime/role_checkpoint.hpp"

namespace oversight::abstention {

abstainer::abstainer(const learner_config& c)
    : c_(c), sum_(size_t(c.classes * c.dim)), centroid_(size_t(c.classes * c.dim)), count_(size_t(c.classes)) {}

float abstainer::dist2(const float* a, const float* b) const {
  float d = 0;
  for (int j = 0; j < c_.dim; ++j) d += (a[j] - b[j]) * (a[j] - b[j]);
  return d;
}

void abstainer::teach(const std::vector<item_label>& labels) {
  const size_t dim = size_t(c_.dim);
  for (const auto& l : labels) {
    if (l.x.size() != dim) continue;
    ex_x_.insert(ex_x_.end(), l.x.begin(), l.x.end());
    ex_label_.push_back(l.label);
    if (l.label == kAbstain) continue;
    const size_t k = size_t(l.label);
    count_[k] += 1;
    for (size_t j = 0; j < dim; ++j) sum_[k * dim + j] += l.x[j];
  }
  for (size_t k = 0; k < count_.size(); ++k)
    for (size_t j = 0; j < dim; ++j) centroid_[k * dim + j] = count_[k] ? sum_[k * dim + j] / float(count_[k]) : 0.f;
  // The radius: radius_scale times the median distance of class items to their centroid.
  std::vector<float> d;
  for (size_t i = 0; i < ex_label_.size(); ++i)
    if (ex_label_[i] != kAbstain)
      d.push_back(std::sqrt(dist2(&ex_x_[i * dim], &centroid_[size_t(ex_label_[i]) * dim])));
  if (d.empty()) return;
  std::nth_element(d.begin(), d.begin() + std::ptrdiff_t(d.size() / 2), d.end());
  radius_ = c_.radius_scale * d[d.size() / 2];
}

void abstainer::classify(const std::vector<float>& x, std::vector<int32_t>& choice, std::vector<float>& unsure) const {
  const size_t dim = size_t(c_.dim), n = x.size() / dim;
  choice.assign(n, kAbstain);
  unsure.assign(n, 0.f);
  const size_t k = std::min(ex_label_.size(), size_t(std::max(1, c_.neighbours)));
  std::vector<std::pair<float, int32_t>> near(ex_label_.size());
  for (size_t i = 0; i < n; ++i) {
    const float* xi = &x[i * dim];
    float dc = std::numeric_limits<float>::max();
    int32_t kc = 0;
    for (int32_t c = 0; c < c_.classes; ++c) {
      if (!count_[size_t(c)]) continue;
      const float d = dist2(xi, &centroid_[size_t(c) * dim]);
      if (d < dc) dc = d, kc = c;
    }
    // The vote of the k nearest labelled items (ties by index: the order they came in).
    for (size_t e = 0; e < ex_label_.size(); ++e) near[e] = {dist2(xi, &ex_x_[e * dim]), ex_label_[e]};
    std::partial_sort(near.begin(), near.begin() + std::ptrdiff_t(k), near.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    double none = 0;
    for (size_t e = 0; e < k; ++e) none += near[e].second == kAbstain;
    const double share = k ? none / double(k) : 0;
    const float far = radius_ > 0 ? std::sqrt(dc) / float(radius_) : 2.f;
    choice[i] = far > 1.f || share >= 0.5 ? kAbstain : kc;
    // Unsure: near the edge of what it knows, or its neighbours split.
    const float edge = far > 1.f ? std::max(0.f, 2.f - far) : far;
    unsure[i] = std::max(edge, float(1.0 - std::abs(2 * share - 1)));
  }
}

namespace {

struct learner_state {
  std::unique_ptr<abstainer> model;
  item_batch last;  ///< the items of the last classify
  std::vector<float> last_unsure;
  rng picks;
  double explore = 0;
  /// Everything that changes as the run goes, for checkpoints (runtime/role_checkpoint.hpp
  /// turns it into the save and restore handlers below); `explore` is configuration.
  void state(state_io& io) { io(*model, last, last_unsure, picks); }
};

learner_actor::behavior_type learner(learner_actor::stateful_pointer<learner_state> self, learner_config c,
                                     std::vector<item_label> pretrain, uint64_t seed) {
  auto& st = self->state;
  st.model = std::make_unique<abstainer>(c);
  st.model->teach(pretrain);
  st.picks = rng(seed, "abstention/learner/picks");
  st.explore = c.explore;
  return {
      [self](classify_atom, const item_batch& items) {
        auto& st = self->state;
        choice_batch out;
        st.model->classify(items.x, out.choice, st.last_unsure);
        st.last = items;
        return out;
      },
      [self](unsure_atom, int32_t n) {
        // The n items of the last batch it is least sure about; a share `explore` of
        // them drawn at random instead.
        auto& st = self->state;
        const size_t rows = st.last.rows(), want = std::min(rows, size_t(std::max(0, n)));
        const size_t random = size_t(std::lround(st.explore * double(want)));
        std::vector<size_t> order(rows);
        std::iota(order.begin(), order.end(), size_t(0));
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return st.last_unsure[a] > st.last_unsure[b]; });
        std::vector<size_t> chosen(order.begin(), order.begin() + std::ptrdiff_t(want - random));
        std::vector<size_t> rest(order.begin() + std::ptrdiff_t(want - random), order.end());
        for (size_t i = 0; i < random && !rest.empty(); ++i) {
          const size_t j = size_t(st.picks.below(rest.size()));
          chosen.push_back(rest[j]);
          rest.erase(rest.begin() + std::ptrdiff_t(j));
        }
        std::sort(chosen.begin(), chosen.end());
        item_batch out;
        out.dim = st.last.dim;
        const size_t dim = size_t(st.last.dim);
        for (size_t i : chosen) {
          out.id.push_back(st.last.id[i]);
          out.x.insert(out.x.end(), st.last.x.begin() + std::ptrdiff_t(i * dim),
                       st.last.x.begin() + std::ptrdiff_t((i + 1) * dim));
        }
        return out;
      },
      [self](teach_atom, const label_list& labels) {
        self->state.model->teach(labels.labels);
        return ack_atom::value;
      },
      // Between ticks the director may ask for the state (a checkpoint) or hand one
      // back (a resumed run).
      save_handler(self),
      restore_handler(self, "learner"),
  };
}

}  // namespace

learner_actor spawn_learner(caf::actor_system& sys, const learner_config& c, std::vector<item_label> pretrain,
                            uint64_t seed) {
  return sys.spawn(learner, c, std::move(pretrain), seed);
}

}  // namespace oversight::abstention
