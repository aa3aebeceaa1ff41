// libtorch's computations of what policies/nets.cpp and policies/small_mlp.cpp compute by
// other means, for tests to compare against. Plain vectors in and out: libtorch stays in
// torch_reference.cpp (its headers redefine Catch's CHECK).
#pragma once

#include <cstdint>
#include <vector>

#include "base/batch.hpp"
#include "base/rng.hpp"
#include "policies/nets.hpp"
#include "policies/small_mlp.hpp"

namespace oversight::testing {

/// nets.cpp's make_mlp initialized by torch_util::init_params from `init`: its flat
/// parameters.
std::vector<float> torch_init_mlp(const mlp_shape& s, rng& init);

/// libtorch's forward of make_mlp holding `flat` on the rows of x; with options > 0 each
/// row is paired with every option as a one-hot (row r, option a is output row
/// r * options + a). Outputs: rows x s.out, flat.
std::vector<float> torch_mlp_forward(const mlp_shape& s, const std::vector<float>& flat, const std::vector<float>& x,
                                     int options);

/// libtorch autograd's gradient of sum(outputs * dout) with respect to the flat
/// parameters of make_mlp holding `flat`, on the rows of x (rows x s.in); dout is rows x
/// s.out. What mlp_tape::backward computes.
std::vector<float> torch_mlp_gradient(const mlp_shape& s, const std::vector<float>& flat, const std::vector<float>& x,
                                      const std::vector<float>& dout);

/// torch::optim::Adam (learning rate lr, defaults otherwise) on one flat parameter tensor
/// starting at `params`, one step per gradient in `grads`: the parameters after them.
std::vector<float> torch_adam_steps(const std::vector<float>& params, const std::vector<std::vector<float>>& grads,
                                    double lr);

/// policy_net's probabilities as libtorch computes them: softmax of the MLP's outputs.
std::vector<float> torch_policy_probs(const policy_config& c, const std::vector<float>& params,
                                      const std::vector<float>& x);

/// reward_model's judgment as libtorch computes it: each member's logits plus its scaled
/// prior, sigmoid, then the ensemble's mean, population standard deviation and
/// per-dimension mean.
critic_view torch_judge(const critic_config& c, const std::vector<float>& params, const std::vector<float>& x);

/// The critic trainer's objective (see critic_trainer_objective) as a trainer holding one
/// libtorch module per member computes it: for each member its own bootstrap minibatch
/// (its stream, point-wise rows first, then pairs), point-wise BCE plus pair-wise
/// Bradley-Terry, each a mean, summed over members; the gradient in params' layout.
critic_objective torch_critic_objective_by_member(const critic_config& c, const std::vector<float>& params,
                                                 const train_batch& b, uint64_t seed);

}  // namespace oversight::testing
