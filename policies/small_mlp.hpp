// The small MLPs of policies/nets.hpp without libtorch: plain C++ loops over a batch of
// rows, float32, vectorized by hand. Inference (mlp_bank), and training at small sizes
// on the CPU (mlp_tape, mlp_adam: nets.cpp chooses between them and libtorch).
//
// Why: the networks are tiny (hidden 64) and run every tick on a few thousand rows.
// Through libtorch each layer is an operator dispatch, an allocation and a separate pass
// over memory, which at this size cost more than the arithmetic.
//
// Shape: make_mlp(in, hidden, out) of nets_torch.cpp, Linear(in, hidden), Tanh,
// Linear(hidden, hidden), Tanh, Linear(hidden, out). A net's flat parameters are in
// libtorch's flatten() order (policies/torch_util.hpp): w1 [hidden x in] row-major, b1
// [hidden], w2 [hidden x hidden], b2 [hidden], w3 [out x hidden], b3 [out].
//
// Numerics: every output of a layer is its bias plus the products summed in input order,
// one (fused, where the CPU has FMA) multiply-add at a time; tanh is computed from a
// polynomial expm1 (|error| < 2e-7 relative to tanh, tests/unit/small_mlp_test.cpp). The
// results equal libtorch's forward to float rounding, not bit for bit.
//
// Determinism: no threads and no sums split across vector lanes, so a row's outputs
// depend only on the weights and that row (not on the batch around it). The kernels are
// chosen once per process from the CPU: on x86-64 AVX-512, AVX2 with FMA, or SSE2;
// elsewhere portable loops. AVX-512 and AVX2 give bit-identical results; SSE2 and the
// portable loops have no FMA and round differently.
#pragma once

#include <cstddef>
#include <vector>

#include "base/rng.hpp"
#include "base/state_io.hpp"

namespace oversight {

struct mlp_shape {
  int in = 0, hidden = 0, out = 0;
  /// Floats in one net's flat parameters.
  size_t param_count() const;
};

/// Where each tensor of one net sits in its flat parameters (flatten() order), for code
/// that views or slices them (the stacked trainers).
struct mlp_layout {
  int64_t in, hidden, out;
  int64_t w1, b1, w2, b2, w3, b3, total;  ///< offsets, then the size
  explicit mlp_layout(const mlp_shape& s)
      : in(s.in), hidden(s.hidden), out(s.out), w1(0), b1(w1 + hidden * in), w2(b1 + hidden),
        b2(w2 + hidden * hidden), w3(b2 + hidden), b3(w3 + out * hidden), total(b3 + out) {}
};

/// A net's initial parameters as torch_util::init_params draws them for make_mlp(in,
/// hidden, out): uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) in flatten() order, fan_in
/// being a weight's input size and, for a bias, its own size.
std::vector<float> init_mlp_params(const mlp_shape& shape, rng& init);

enum class simd_level { portable, sse2, avx2, avx512 };
/// The best level this CPU (and this build) runs: what mlp_bank::forward uses by default.
simd_level best_simd_level();
bool simd_supported(simd_level level);
const char* simd_name(simd_level level);

/// y[i] = tanh(x[i]), as the kernels of `level` compute it (for tests).
void mlp_tanh(const float* x, float* y, size_t n, simd_level level);
/// y[i] = 1 / (1 + exp(-x[i])) (|error| < 3e-7 relative), vectorized; y may be x.
void mlp_sigmoid(const float* x, float* y, size_t n, simd_level level = best_simd_level());

/// Nets of one shape (an ensemble's members, or their priors), evaluated together on the
/// same rows: a block of rows passes through every net while it is in cache. Every net
/// must be set before forward().
class mlp_bank {
 public:
  mlp_bank(const mlp_shape& shape, size_t nets);
  const mlp_shape& shape() const { return shape_; }
  size_t size() const { return nets_.size(); }

  /// Net i from its flat parameters (param_count() floats); `scale` multiplies its outputs.
  void set(size_t i, const float* flat, float scale = 1.f);

  /// Outputs for `rows` rows of x. With options == 0, a row of x has shape().in values;
  /// with options > 0 it has shape().in - options, and each row is paired with every
  /// option as a one-hot appended to it (row r, option a is output row r * options + a).
  /// Returns (output rows) x size() x shape().out floats: scale * net(row).
  std::vector<float> forward(const float* x, size_t rows, int options) const;
  /// The same on the kernels of `level` (simd_supported(level) must hold): for tests.
  std::vector<float> forward(const float* x, size_t rows, int options, simd_level level) const;

  /// How the kernels see the weights (policies/small_mlp_kernels.hpp).
  struct layer {
    int in = 0, out = 0, stride = 0;  ///< stride: out padded to the kernels' tile width
    std::vector<float> w;             ///< [in][stride], transposed from libtorch's [out][in]
    std::vector<float> b;             ///< [stride], zero past out
  };
  struct net {
    layer l1, l2, l3;
    float scale = 1.f;
    bool set = false;
  };

 private:
  mlp_shape shape_;
  std::vector<net> nets_;
};

/// Training one net of the shape above without libtorch: a forward pass that keeps its
/// activations, and the backward pass from the gradient of a loss with respect to the
/// outputs to its gradient with respect to the flat parameters (flatten() order). On the
/// kernels of best_simd_level(): every product a dense layer or a weight gradient needs
/// is one pass of the forward kernel (the weight gradient dW = dA^T H as a layer whose
/// "weights" are the activations H), so the sums run in row order, one fused
/// multiply-add at a time. Results equal libtorch's autograd to float rounding
/// (tests/unit/small_mlp_train_test.cpp), and depend only on the inputs: no threads.
class mlp_tape {
 public:
  explicit mlp_tape(const mlp_shape& shape);
  const mlp_shape& shape() const { return shape_; }

  /// The outputs (rows x shape().out, row-major) of the net `flat` on the rows x
  /// shape().in inputs x; valid until the next call. Keeps flat's values (copied) and
  /// the activations for backward().
  const float* forward(const float* flat, const float* x, size_t rows);

  /// grad (param_count() floats, overwritten) = d loss / d flat at the last forward(),
  /// given dout = d loss / d outputs (rows x shape().out).
  void backward(const float* dout, float* grad);

 private:
  mlp_shape shape_;
  size_t rows_ = 0, rows_pad_ = 0;
  int in_pad_ = 0, s1_ = 0, s3_ = 0;
  std::vector<float> flat_;
  std::vector<float> w1t_, b1_, w2t_, b2_, w3t_, b3_;  // transposed, padded (the forward kernel's layout)
  std::vector<float> w2p_, w3p_;                       // w2, w3 in libtorch's [out][in], rows padded to s1_
  std::vector<float> x_, h1_, h2_, z_, out_;           // activations, rows padded to the row tile
  std::vector<float> dz_, d_, g_, zero_;               // backward scratch
};

/// torch::optim::Adam (betas 0.9 and 0.999, eps 1e-8, no weight decay, no amsgrad) over
/// one flat parameter vector, each element updated as libtorch's CPU kernels do:
/// m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g g; p -= lr / (1 - 0.9^t) * m /
/// (sqrt(v) / sqrt(1 - 0.999^t) + eps), t the number of steps so far.
struct mlp_adam {
  double lr = 1e-3;
  std::vector<float> m, v;
  int64_t steps = 0;
  mlp_adam() = default;
  mlp_adam(size_t n, double learning_rate) : lr(learning_rate), m(n, 0.f), v(n, 0.f) {}
  void update(float* params, const float* grad);
  /// Checkpoints: moments and step count.
  void state(state_io& io) { io(m, v, steps); }
};

}  // namespace oversight
