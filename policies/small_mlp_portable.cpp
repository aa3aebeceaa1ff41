// The small-MLP kernels for plain C++ loops, for CPUs without one of the x86-64 sets: small_mlp_simd.inc.
#define SMALL_MLP_PORTABLE 1
#define SMALL_MLP_ENTRY portable_kernels
#include "policies/small_mlp_simd.inc"
