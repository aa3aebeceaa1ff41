// The small-MLP kernels for AVX2 with FMA (built with -mavx2 -mfma, run only where the CPU has both): small_mlp_simd.inc.
#define SMALL_MLP_ENTRY avx2_kernels
#include "policies/small_mlp_simd.inc"
