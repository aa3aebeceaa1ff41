// The training batch: a plain value type the brains (policies/) step on and the
// message protocol (runtime/protocol.hpp, which adds its serialization) carries, defined
// once here so that neither of the two layers depends on the other. No libtorch, no CAF.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "base/state_io.hpp"

namespace oversight {

/// Training data for a trainable policy: `rows x dim` inputs, per-row actions (a, b;
/// -1 when unused) and `rows x width` targets. What they mean is the policy's business.
struct train_batch {
  int32_t dim = 0;
  std::vector<float> x;
  std::vector<int32_t> a;
  std::vector<int32_t> b;
  int32_t width = 0;
  std::vector<float> target;
  size_t rows() const { return dim == 0 ? 0 : x.size() / size_t(dim); }
  friend bool operator==(const train_batch&, const train_batch&) = default;
};

/// Something a trainer actor can step: it owns its own copy of a model and optimizer,
/// takes a batch, and returns the new flattened parameters. Implementations run on the
/// trainer's thread only; nothing else touches them.
class trainable {
 public:
  virtual ~trainable() = default;
  virtual std::vector<float> step(const train_batch& batch) = 0;
  /// Everything a step depends on besides the batch (model, optimizer moments, replay
  /// buffers, random streams), for checkpoints. Trainers of scenarios that do not
  /// checkpoint keep this default, which refuses.
  virtual void state(state_io&) { throw std::logic_error("this trainer does not save its state"); }
};

}  // namespace oversight
