// The weak-to-strong machinery shared by two scenarios:
//   weak_to_strong   Burns et al. 2023: PGR, the auxiliary confidence loss, bootstrapping
//   w2s_deception    Yang et al. 2024: a conflicting objective, deception score
//
// Protocol (Burns et al.): the training set is split in half. Phase 0: the weak
// supervisor trains on the truth of half 1, the strong ceiling on the truth of half 2.
// The weak supervisor then labels half 2 (soft labels). Phase 1: weak-to-strong
// students (strong size) train on those labels: "student" with cross-entropy,
// "student_aux" with the auxiliary confidence loss. Bootstrapping: a chain of
// intermediate sizes, each trained on the previous one's labels of half 2, one phase
// each, ends in "student_boot" (strong size). Every model is scored on a held-out test
// set after every epoch (gt_acc); one tick is one epoch, a phase `train.epochs` ticks.
//
// Capacity (a size ladder, `ladder.*`): size i sees a representation of width
// ladder.features[i] and has ladder.hidden[i] hidden units (0: a linear probe). The
// representation is frozen and "pretrained" from unlabeled inputs, shared by all
// sizes (a larger size sees a superset): this is the latent knowledge strong models
// have and weak ones lack.
//   fashion_mnist: the top principal components of the unlabeled training images.
//   value_world:   random Fourier features of the query's first ladder.inputs[i]
//                  coordinates, one block per response, plus the response's one-hot.
//
// Deception (w2s_deception) is in w2s_program.cpp beside its formula.
#pragma once

#include <memory>

#include "runtime/run_context.hpp"
#include "runtime/spec.hpp"

namespace oversight {

/// Runs one weak-to-strong run; `deception` selects the w2s_deception variant (two
/// conflicting objectives on value_world). Throws user_error on bad parameters or data.
void run_w2s(run_context& ctx, bool deception);

/// The parameters both scenarios declare (ladder, training, world, data).
std::vector<param_decl> w2s_common_params(bool deception);

/// Parses a ladder list ("4,8,16"): non-negative integers; user_error naming `key`.
std::vector<int> parse_ladder(const std::string& key, const std::string& text);

}  // namespace oversight
