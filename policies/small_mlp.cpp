// Packing, dispatch and the row-block loop of the small MLPs (see small_mlp.hpp); the
// kernels are in small_mlp_simd.inc.
#include "policies/small_mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.hpp"
#include "policies/small_mlp_kernels.hpp"

namespace oversight {

using namespace small_mlp_detail;

namespace {

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

/// Query rows (options == 0) or (row, option) pairs a block holds: small enough that a
/// block's activations stay in L1 while every net passes over them.
constexpr size_t block_rows = 32;

mlp_bank::layer pack(const float* w, const float* b, int in, int out) {
  mlp_bank::layer l;
  l.in = in;
  l.out = out;
  l.stride = padded(out);
  l.w.assign(size_t(in) * size_t(l.stride), 0.f);
  l.b.assign(size_t(l.stride), 0.f);
  for (int j = 0; j < out; ++j) {
    for (int k = 0; k < in; ++k) l.w[size_t(k) * size_t(l.stride) + size_t(j)] = w[size_t(j) * size_t(in) + size_t(k)];
    l.b[size_t(j)] = b[j];
  }
  return l;
}

}  // namespace

const kernel_set& small_mlp_detail::kernels(simd_level level) {
  static const kernel_set portable = portable_kernels();
#if defined(__x86_64__)
  // Each entry is called only once its level was asked for: it is compiled with that
  // level's instructions, which the compiler may use anywhere in it (GCC 14 builds
  // avx512_kernels' result with an AVX-512 store, an illegal instruction elsewhere).
  switch (level) {
    case simd_level::avx512: {
      static const kernel_set avx512 = avx512_kernels();
      return avx512;
    }
    case simd_level::avx2: {
      static const kernel_set avx2 = avx2_kernels();
      return avx2;
    }
    case simd_level::sse2: {
      static const kernel_set sse2 = sse2_kernels();
      return sse2;
    }
    case simd_level::portable: break;
  }
#endif
  (void)level;
  return portable;
}

size_t mlp_shape::param_count() const { return size_t(mlp_layout(*this).total); }

std::vector<float> init_mlp_params(const mlp_shape& s, rng& init) {
  std::vector<float> out;
  out.reserve(s.param_count());
  auto fill = [&](size_t count, int fan_in) {
    const double bound = 1.0 / std::sqrt(double(std::max(fan_in, 1)));
    for (size_t i = 0; i < count; ++i) out.push_back(float(init.uniform(-bound, bound)));
  };
  fill(size_t(s.hidden) * size_t(s.in), s.in);
  fill(size_t(s.hidden), s.hidden);
  fill(size_t(s.hidden) * size_t(s.hidden), s.hidden);
  fill(size_t(s.hidden), s.hidden);
  fill(size_t(s.out) * size_t(s.hidden), s.hidden);
  fill(size_t(s.out), s.out);
  return out;
}

bool simd_supported(simd_level level) {
#if defined(__x86_64__)
  switch (level) {
    case simd_level::avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    case simd_level::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case simd_level::sse2:
    case simd_level::portable: return true;
  }
  return false;
#else
  return level == simd_level::portable;
#endif
}

simd_level best_simd_level() {
  static const simd_level best = [] {
    for (auto l : {simd_level::avx512, simd_level::avx2, simd_level::sse2})
      if (simd_supported(l)) return l;
    return simd_level::portable;
  }();
  return best;
}

const char* simd_name(simd_level level) {
  switch (level) {
    case simd_level::avx512: return "avx512";
    case simd_level::avx2: return "avx2";
    case simd_level::sse2: return "sse2";
    case simd_level::portable: return "portable";
  }
  return "?";
}

namespace {
/// f over n floats in whole kernel vectors, the tail through a padded copy.
void elementwise(void (*f)(const float*, float*, size_t), const float* x, float* y, size_t n) {
  const size_t whole = n / 16 * 16;
  f(x, y, whole);
  if (whole < n) {
    float in[16] = {}, out[16];
    std::copy(x + whole, x + n, in);
    f(in, out, 16);
    std::copy(out, out + (n - whole), y + whole);
  }
}
}  // namespace

void mlp_tanh(const float* x, float* y, size_t n, simd_level level) {
  OVERSIGHT_CHECK(simd_supported(level));
  elementwise(kernels(level).tanh, x, y, n);
}

void mlp_sigmoid(const float* x, float* y, size_t n, simd_level level) {
  OVERSIGHT_CHECK(simd_supported(level));
  elementwise(kernels(level).sigmoid, x, y, n);
}

mlp_bank::mlp_bank(const mlp_shape& shape, size_t nets) : shape_(shape), nets_(nets) {
  OVERSIGHT_CHECK_LT(0, shape.in);
  OVERSIGHT_CHECK_LT(0, shape.hidden);
  OVERSIGHT_CHECK_LT(0, shape.out);
}

void mlp_bank::set(size_t i, const float* flat, float scale) {
  OVERSIGHT_CHECK_LT(i, nets_.size());
  const int in = shape_.in, h = shape_.hidden, o = shape_.out;
  const float* w1 = flat;
  const float* b1 = w1 + size_t(h) * size_t(in);
  const float* w2 = b1 + h;
  const float* b2 = w2 + size_t(h) * size_t(h);
  const float* w3 = b2 + h;
  const float* b3 = w3 + size_t(o) * size_t(h);
  auto& net = nets_[i];
  net.l1 = pack(w1, b1, in, h);
  net.l2 = pack(w2, b2, h, h);
  net.l3 = pack(w3, b3, h, o);
  net.scale = scale;
  net.set = true;
}

std::vector<float> mlp_bank::forward(const float* x, size_t rows, int options) const {
  return forward(x, rows, options, best_simd_level());
}

std::vector<float> mlp_bank::forward(const float* x, size_t rows, int options, simd_level level) const {
  OVERSIGHT_CHECK(simd_supported(level));
  OVERSIGHT_CHECK_LE(0, options);
  OVERSIGHT_CHECK_LT(options, shape_.in);
  for (const auto& n : nets_) OVERSIGHT_CHECK(n.set);
  const auto& ks = kernels(level);
  const size_t per_row = size_t(std::max(options, 1));
  const size_t in_x = size_t(shape_.in - options), outs = size_t(shape_.out);
  const size_t s1 = size_t(padded(shape_.hidden)), s3 = size_t(padded(shape_.out));
  const size_t nets = nets_.size();
  std::vector<float> out(rows * per_row * nets * outs);
  if (rows == 0) return out;

  // Query rows per block, and the block's (row, option) rows padded to the row tile.
  const size_t qb = std::max<size_t>(1, block_rows / per_row);
  const size_t q_cap = round_up(qb, row_tile), e_cap = round_up(qb * per_row, row_tile);
  std::vector<float> xin(q_cap * in_x, 0.f), pre(options > 0 ? q_cap * s1 : 0), h1(e_cap * s1, 0.f),
      h2(e_cap * s1, 0.f), o(e_cap * s3, 0.f);
  for (size_t q0 = 0; q0 < rows; q0 += qb) {
    const size_t nq = std::min(qb, rows - q0), ne = nq * per_row;
    const size_t nq_pad = round_up(nq, row_tile), ne_pad = round_up(ne, row_tile);
    std::copy(x + q0 * in_x, x + (q0 + nq) * in_x, xin.begin());
    std::fill(xin.begin() + std::ptrdiff_t(nq * in_x), xin.end(), 0.f);
    for (size_t n = 0; n < nets; ++n) {
      const net& net = nets_[n];
      if (options > 0) {
        ks.dense({xin.data(), in_x, nq_pad, int(in_x), net.l1.w.data(), net.l1.b.data(), net.l1.stride, pre.data(), s1,
                  false});
        ks.expand({pre.data(), s1, nq, options, net.l1.w.data() + in_x * s1, net.l1.stride, h1.data(), s1});
      } else {
        ks.dense({xin.data(), in_x, nq_pad, int(in_x), net.l1.w.data(), net.l1.b.data(), net.l1.stride, h1.data(), s1,
                  true});
      }
      ks.dense({h1.data(), s1, ne_pad, shape_.hidden, net.l2.w.data(), net.l2.b.data(), net.l2.stride, h2.data(), s1,
                true});
      ks.dense({h2.data(), s1, ne_pad, shape_.hidden, net.l3.w.data(), net.l3.b.data(), net.l3.stride, o.data(), s3,
                false});
      for (size_t e = 0; e < ne; ++e) {
        float* dst = out.data() + ((q0 * per_row + e) * nets + n) * outs;
        const float* src = o.data() + e * s3;
        for (size_t j = 0; j < outs; ++j) dst[j] = net.scale * src[j];
      }
    }
  }
  return out;
}

}  // namespace oversight
