// The small-MLP kernels for AVX-512 (built with -mavx512f -mfma, run only where the CPU has both): small_mlp_simd.inc.
#define SMALL_MLP_ENTRY avx512_kernels
#include "policies/small_mlp_simd.inc"
