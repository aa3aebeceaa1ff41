// mlp_tape and mlp_adam (small_mlp.hpp): training a small MLP on the forward kernel of
// small_mlp_simd.inc.
//
// Every matrix product is the kernel's out[r][j] = b[j] + sum_k in[r][k] w[k][j]:
//   forward        H = tanh(X W1^T + b1), ...       w: the weights transposed, [in][out]
//   data gradient  dH = dA W                         w: the weights as they are, [out][in]
//   weight grad.   dW = dA^T H                       in: dA read transposed in place
//                                                    (k_stride), k over the batch's rows,
//                                                    w: the activations H, [rows][in]
// so only the forward pass transposes (the weights, into the kernel's layout), and every
// sum runs in a fixed order (k ascending), whatever the batch around a row.
#include <algorithm>
#include <cmath>

#include "base/error.hpp"
#include "policies/small_mlp.hpp"
#include "policies/small_mlp_kernels.hpp"

namespace oversight {

using namespace small_mlp_detail;

namespace {

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

/// src [rows][cols] (row stride src_stride) transposed into dst [cols][rows] (stride dst_stride).
void transpose(const float* src, size_t src_stride, size_t rows, size_t cols, float* dst, size_t dst_stride) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) dst[c * dst_stride + r] = src[r * src_stride + c];
}

}  // namespace

mlp_tape::mlp_tape(const mlp_shape& shape) : shape_(shape) {
  OVERSIGHT_CHECK_LT(0, shape.in);
  OVERSIGHT_CHECK_LT(0, shape.hidden);
  OVERSIGHT_CHECK_LT(0, shape.out);
  in_pad_ = padded(shape.in);
  s1_ = padded(shape.hidden);
  s3_ = padded(shape.out);
  const size_t in = size_t(shape.in), h = size_t(shape.hidden), o = size_t(shape.out);
  const size_t s1 = size_t(s1_), s3 = size_t(s3_);
  w1t_.assign(in * s1, 0.f);
  b1_.assign(s1, 0.f);
  w2t_.assign(h * s1, 0.f);
  b2_.assign(s1, 0.f);
  w3t_.assign(h * s3, 0.f);
  b3_.assign(s3, 0.f);
  w2p_.assign(h * s1, 0.f);
  w3p_.assign(o * s1, 0.f);
  zero_.assign(std::max(s1, size_t(in_pad_)), 0.f);
}

const float* mlp_tape::forward(const float* flat, const float* x, size_t rows) {
  const mlp_layout l(shape_);
  const size_t in = size_t(l.in), h = size_t(l.hidden), o = size_t(l.out);
  const size_t s1 = size_t(s1_), s3 = size_t(s3_), ip = size_t(in_pad_);
  flat_.assign(flat, flat + l.total);
  rows_ = rows;
  rows_pad_ = round_up(std::max<size_t>(rows, 1), size_t(row_tile));
  // Weights into the kernel's layout: transposed for the forward pass; w2 and w3 also
  // as they are (rows padded) for the data gradients.
  transpose(flat + l.w1, in, h, in, w1t_.data(), s1);
  transpose(flat + l.w2, h, h, h, w2t_.data(), s1);
  transpose(flat + l.w3, h, o, h, w3t_.data(), s3);
  std::copy_n(flat + l.b1, h, b1_.begin());
  std::copy_n(flat + l.b2, h, b2_.begin());
  std::copy_n(flat + l.b3, o, b3_.begin());
  // At a hidden width the kernels take as it is (a multiple of 16), backward() reads w2
  // and w3 in place in flat_.
  if (h != s1) {
    for (size_t j = 0; j < h; ++j) std::copy_n(flat + l.w2 + j * h, h, w2p_.begin() + std::ptrdiff_t(j * s1));
    for (size_t j = 0; j < o; ++j) std::copy_n(flat + l.w3 + j * h, h, w3p_.begin() + std::ptrdiff_t(j * s1));
  }

  const size_t rp = rows_pad_;
  x_.assign(rp * ip, 0.f);
  for (size_t r = 0; r < rows; ++r) std::copy_n(x + r * in, in, x_.begin() + std::ptrdiff_t(r * ip));
  h1_.resize(rp * s1);
  h2_.resize(rp * s1);
  z_.resize(rp * s3);
  const auto& ks = kernels(best_simd_level());
  ks.dense({x_.data(), ip, rp, int(in), w1t_.data(), b1_.data(), s1_, h1_.data(), s1, true});
  ks.dense({h1_.data(), s1, rp, int(h), w2t_.data(), b2_.data(), s1_, h2_.data(), s1, true});
  ks.dense({h2_.data(), s1, rp, int(h), w3t_.data(), b3_.data(), s3_, z_.data(), s3, false});
  out_.resize(rows * o);
  for (size_t r = 0; r < rows; ++r) std::copy_n(z_.begin() + std::ptrdiff_t(r * s3), o, out_.begin() + std::ptrdiff_t(r * o));
  return out_.data();
}

void mlp_tape::backward(const float* dout, float* grad) {
  OVERSIGHT_CHECK_EQ(flat_.size(), shape_.param_count());  // forward() ran
  const mlp_layout l(shape_);
  const size_t in = size_t(l.in), h = size_t(l.hidden), o = size_t(l.out);
  const size_t s1 = size_t(s1_), s3 = size_t(s3_), ip = size_t(in_pad_);
  const size_t rows = rows_, rp = rows_pad_;
  const auto& ks = kernels(best_simd_level());
  // A weight gradient has one row per unit, padded to the row tile; k runs over the
  // batch's rows, so a padded row of the batch never enters a sum.
  const size_t h4 = round_up(h, size_t(row_tile)), o4 = round_up(o, size_t(row_tile));
  g_.resize(std::max(h4 * std::max(s1, ip), o4 * s1));
  auto bias_grad = [&](const float* d, size_t stride, size_t units, float* out) {
    for (size_t j = 0; j < units; ++j) {
      float sum = 0.f;  // rows in ascending order, as ever
      for (size_t r = 0; r < rows; ++r) sum += d[r * stride + j];
      out[j] = sum;
    }
  };
  auto weight_grad = [&](const float* d, size_t d_stride, size_t units, const float* act, int act_cols,
                         int act_kernel_stride, float* out) {
    // out [units][act_cols] = d^T act, d read transposed in place (in_stride 1, k_stride
    // d_stride). Its unit rows padded to the row tile read d's padding columns (zero).
    const size_t u4 = round_up(units, size_t(row_tile));
    OVERSIGHT_CHECK_LE(u4, d_stride);
    if (u4 == units && act_kernel_stride == act_cols) {  // the kernel's layout is the gradient's
      ks.dense({d, 1, u4, int(rows), act, zero_.data(), act_kernel_stride, out, size_t(act_cols), false, d_stride});
      return;
    }
    ks.dense({d, 1, u4, int(rows), act, zero_.data(), act_kernel_stride, g_.data(), size_t(act_kernel_stride), false,
              d_stride});
    for (size_t j = 0; j < units; ++j)
      std::copy_n(g_.begin() + std::ptrdiff_t(j * size_t(act_kernel_stride)), act_cols, out + j * size_t(act_cols));
  };

  // Layer 3: dz (rows x out), padded to the kernel's layout.
  dz_.assign(rp * s3, 0.f);
  for (size_t r = 0; r < rows; ++r) std::copy_n(dout + r * o, o, dz_.begin() + std::ptrdiff_t(r * s3));
  if (rows > 0) weight_grad(dz_.data(), s3, o, h2_.data(), int(h), s1_, grad + l.w3);
  else std::fill_n(grad + l.w3, o * h, 0.f);
  bias_grad(dz_.data(), s3, o, grad + l.b3);
  // dh2 = dz W3, then through tanh: da2 = dh2 (1 - h2^2).
  d_.resize(rp * s1);
  const float* w2 = h == s1 ? flat_.data() + l.w2 : w2p_.data();
  const float* w3 = h == s1 ? flat_.data() + l.w3 : w3p_.data();
  ks.dense({dz_.data(), s3, rp, int(o), w3, zero_.data(), s1_, d_.data(), s1, false});
  for (size_t i = 0; i < rp * s1; ++i) d_[i] *= 1.f - h2_[i] * h2_[i];
  // Layer 2.
  if (rows > 0) weight_grad(d_.data(), s1, h, h1_.data(), int(h), s1_, grad + l.w2);
  else std::fill_n(grad + l.w2, h * h, 0.f);
  bias_grad(d_.data(), s1, h, grad + l.b2);
  // dh1 = da2 W2 (into dz_'s storage, resized), then through tanh.
  dz_.resize(rp * s1);
  ks.dense({d_.data(), s1, rp, int(h), w2, zero_.data(), s1_, dz_.data(), s1, false});
  for (size_t i = 0; i < rp * s1; ++i) dz_[i] *= 1.f - h1_[i] * h1_[i];
  // Layer 1: the inputs stand in for the activations.
  if (rows > 0) weight_grad(dz_.data(), s1, h, x_.data(), int(in), in_pad_, grad + l.w1);
  else std::fill_n(grad + l.w1, h * in, 0.f);
  bias_grad(dz_.data(), s1, h, grad + l.b1);
}

void mlp_adam::update(float* params, const float* grad) {
  OVERSIGHT_CHECK_EQ(m.size(), v.size());
  ++steps;
  // As torch::optim::Adam::step (libtorch 1.13 and 2.x, CPU, float): the scalars are
  // computed in double and enter each float kernel rounded to float.
  const double bias1 = 1.0 - std::pow(0.9, double(steps)), bias2 = 1.0 - std::pow(0.999, double(steps));
  adam_args a{params, m.data(), v.data(), grad, 0, 0.9f, float(1.0 - 0.9), 0.999f, float(1.0 - 0.999),
              float(std::sqrt(bias2)), 1e-8f, float(-(lr / bias1))};
  const size_t n = m.size(), whole = n / 16 * 16;
  const auto& ks = kernels(best_simd_level());
  a.n = whole;
  ks.adam(a);
  if (whole < n) {  // the tail through padded copies (zero gradients leave the padding at 0)
    float p[16] = {}, mm[16] = {}, vv[16] = {}, g[16] = {};
    const size_t t = n - whole;
    std::copy_n(params + whole, t, p);
    std::copy_n(m.data() + whole, t, mm);
    std::copy_n(v.data() + whole, t, vv);
    std::copy_n(grad + whole, t, g);
    a.p = p, a.m = mm, a.v = vv, a.g = g, a.n = 16;
    ks.adam(a);
    std::copy_n(p, t, params + whole);
    std::copy_n(mm, t, m.data() + whole);
    std::copy_n(vv, t, v.data() + whole);
  }
}

}  // namespace oversight
