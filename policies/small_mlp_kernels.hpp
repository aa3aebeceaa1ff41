// Internal to policies/small_mlp.cpp: the interface of its kernels, one set per
// instruction set (small_mlp_simd.inc, compiled once per set: small_mlp_<set>.cpp).
#pragma once

#include <cstddef>

#include "policies/small_mlp.hpp"

namespace oversight::small_mlp_detail {

/// Rows are processed in tiles of this many: callers pad row counts to a multiple.
constexpr int row_tile = 4;

/// Outputs padded to the kernels' tile width: 4 for the narrow output layers, else a
/// multiple of 16 (one AVX-512 vector, two AVX2 ones).
inline int padded(int n) { return n <= 4 ? 4 : (n + 15) / 16 * 16; }

/// out[r][j] = act(b[j] + sum_k in[r][k] * w[k][j]) for r < rows, j < stride, the sum in
/// k order; act is tanh or the identity. w is [k][stride], stride a multiple of 16 or
/// exactly 4; rows a multiple of row_tile. in[r][k] is in[r * in_stride + k * k_stride]:
/// k_stride 1 for rows of inputs, or in_stride 1 to read a matrix transposed (a weight
/// gradient's dA^T).
struct dense_args {
  const float* in;
  size_t in_stride;
  size_t rows;
  int k;
  const float* w;
  const float* b;
  int stride;
  float* out;
  size_t out_stride;
  bool tanh;
  size_t k_stride = 1;
};

/// out[q * options + a][j] = tanh(pre[q][j] + w[a][j]) for q < rows, a < options,
/// j < stride: the first layer's pre-activation of a row plus its one-hot option's
/// column. w is [options][stride].
struct expand_args {
  const float* pre;
  size_t pre_stride;
  size_t rows;
  int options;
  const float* w;
  int stride;
  float* out;
  size_t out_stride;
};

/// One Adam update (mlp_adam::update) of n elements, n a multiple of 16: m, v and p
/// updated in place from g, with the step's scalars already rounded to float.
struct adam_args {
  float* p;
  float* m;
  float* v;
  const float* g;
  size_t n;
  float beta1, one_minus_beta1, beta2, one_minus_beta2, bias2_sqrt, eps, step;
};

struct kernel_set {
  void (*dense)(const dense_args&);
  void (*expand)(const expand_args&);
  /// y[i] = tanh(x[i]) and 1 / (1 + exp(-x[i])) for i < n, n a multiple of 16.
  void (*tanh)(const float* x, float* y, size_t n);
  void (*sigmoid)(const float* x, float* y, size_t n);
  void (*adam)(const adam_args&);
};

kernel_set portable_kernels();
/// The set of `level` (simd_supported(level) must hold), built once.
const kernel_set& kernels(simd_level level);
#if defined(__x86_64__)
kernel_set sse2_kernels();
kernel_set avx2_kernels();
kernel_set avx512_kernels();
#endif

}  // namespace oversight::small_mlp_detail
