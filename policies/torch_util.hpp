// Helpers shared by the libtorch units of policies/ (nets_torch.cpp, population_torch.cpp, classifier.cpp, ...).
// Includes libtorch: include it from policies/*.cpp only, never from a header others see.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "base/state_io.hpp"

namespace oversight::torch_util {

/// PyTorch-style uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) initialization, drawn from our
/// own stream (never libtorch's global generator), so weights depend only on the seed.
inline void init_params(torch::nn::Module& m, rng& r) {
  torch::NoGradGuard ng;
  for (auto& p : m.parameters()) {
    const int64_t fan_in = p.dim() == 2 ? p.size(1) : p.size(0);
    const double bound = 1.0 / std::sqrt(double(std::max<int64_t>(fan_in, 1)));
    auto acc = p.data_ptr<float>();
    for (int64_t i = 0; i < p.numel(); ++i) acc[i] = float(r.uniform(-bound, bound));
  }
}

/// Where trainers run: the first CUDA device when libtorch sees one, else the CPU.
/// (Debian's libtorch is CPU-only; a CUDA build need not be bit-identical to the CPU one.)
/// The first call decides, once per process. On CUDA it also makes runs reproducible
/// there: the same scenario file and seed give the same metrics on the same GPU. cuBLAS
/// gets a fixed workspace (CUBLAS_WORKSPACE_CONFIG, read when its first handle is made,
/// so this must run before any CUDA work; a value already in the environment is kept)
/// and libtorch's deterministic algorithms are on: ops that would accumulate with
/// atomics take their slower deterministic kernels, ops with none throw.
/// OVERSIGHT_CUDA_DETERMINISTIC=0 leaves both off (to measure what they cost: on an
/// H100 the workspace setting is what slows red_team's default run, 6.4 -> 10.4 s;
/// docs/gpu.md).
inline torch::Device training_device() {
  static const bool cuda = [] {
    if (!torch::cuda::is_available()) return false;
    const char* off = std::getenv("OVERSIGHT_CUDA_DETERMINISTIC");
    if (!(off && std::strcmp(off, "0") == 0)) {
      ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
      at::globalContext().setDeterministicAlgorithms(true, false);
      at::globalContext().setDeterministicCuDNN(true);
      at::globalContext().setBenchmarkCuDNN(false);
    }
    return true;
  }();
  return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

/// A module's parameters, concatenated in registration order (copied to the CPU).
inline std::vector<float> flatten(torch::nn::Module& m) {
  std::vector<float> out;
  for (auto& p : m.parameters()) {
    auto c = p.detach().to(torch::kCPU).contiguous();
    out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

/// The inverse of flatten, onto whatever device the module is on; sizes must match.
inline void unflatten(torch::nn::Module& m, const std::vector<float>& v) {
  torch::NoGradGuard ng;
  size_t off = 0;
  for (auto& p : m.parameters()) {
    OVERSIGHT_CHECK_LE(off + size_t(p.numel()), v.size());
    p.copy_(torch::from_blob(const_cast<float*>(v.data() + off), p.sizes(), torch::kFloat32));
    off += size_t(p.numel());
  }
  OVERSIGHT_CHECK_EQ(off, v.size());
}

/// A float tensor's values into or out of a checkpoint: restored in place (same shape and
/// device), so a tensor an optimizer or autograd holds stays the same object.
inline void tensor_state(state_io& io, torch::Tensor& t) {
  std::vector<float> v;
  if (!io.loading()) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    v.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  io(v);
  if (io.loading()) {
    OVERSIGHT_CHECK_EQ(v.size(), size_t(t.numel()));
    torch::NoGradGuard ng;
    t.detach().copy_(torch::from_blob(v.data(), t.sizes(), torch::kFloat32));
  }
}

/// A tensor a trainer owns and replaces (its stored training data) into or out of a
/// checkpoint: undefined or defined, its shape, and its values (float or int64), on the CPU.
inline void owned_tensor_state(state_io& io, torch::Tensor& t) {
  bool defined = t.defined();
  io(defined);
  if (!defined) {
    if (io.loading()) t = torch::Tensor();
    return;
  }
  std::vector<int64_t> sizes;
  bool is_long = false;
  if (!io.loading()) {
    sizes = t.sizes().vec();
    is_long = t.scalar_type() == torch::kLong;
  }
  io(sizes, is_long);
  auto values = [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> v;
    if (!io.loading()) {
      auto c = t.detach().to(torch::kCPU).contiguous();
      v.assign(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
    }
    io(v);
    if (io.loading()) t = torch::from_blob(v.data(), sizes, is_long ? torch::kLong : torch::kFloat32).clone();
  };
  if (is_long) values(int64_t{});
  else values(float{});
}

/// A trainer's model parameters and optimizer state (Adam's moments and step counts)
/// into or out of a checkpoint: parameters as floats, the optimizer as a libtorch
/// archive, loaded back onto `dev`.
inline void optimizer_state(state_io& io, torch::nn::Module& m, torch::optim::Optimizer& opt, torch::Device dev) {
  std::vector<float> params;
  std::string archive;
  if (!io.loading()) {
    params = flatten(m);
    torch::serialize::OutputArchive out;
    opt.save(out);
    std::ostringstream os;
    out.save_to(os);
    archive = os.str();
  }
  io(params, archive);
  if (io.loading()) {
    unflatten(m, params);
    std::istringstream is(archive);
    torch::serialize::InputArchive in;
    in.load_from(is, dev);
    opt.load(in);
  }
}

/// `rows x cols` tensor holding a copy of x: training graphs keep their inputs past the
/// caller's vectors (a from_blob view once left the critic training on freed memory).
inline torch::Tensor as_tensor(const std::vector<float>& x, int64_t cols) {
  OVERSIGHT_CHECK_EQ(x.size() % size_t(cols), size_t(0));
  return torch::from_blob(const_cast<float*>(x.data()), {int64_t(x.size()) / cols, cols}, torch::kFloat32).clone();
}

}  // namespace oversight::torch_util
