// The small-MLP kernels for SSE2 (every x86-64 CPU), no FMA: small_mlp_simd.inc.
#define SMALL_MLP_ENTRY sse2_kernels
#include "policies/small_mlp_simd.inc"
