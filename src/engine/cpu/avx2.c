/* avx2.c — kernels for x86-64 with AVX2, FMA and F16C (Haswell and later, Zen 1 and later).
 * The bodies are in simd_impl.h; this file picks the instruction set and the byte dot product
 * (vpmaddubsw + vpmaddwd). Only dispatch.c decides whether these may run. */
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

#include "engine/cpu/cpu.h"

/* u8 × s8 pairs summed to s16 (no saturation in the ranges the kernels use), then pairs to s32. */
#define SIMD_DOT_US(acc, u, s)                                                                   \
  _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1)))
/* The scale rides in the s16 → s32 step for free. */
#define SIMD_DOT_US2(acc, u, s, a, b)                                                            \
  _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)),                    \
                                            _mm256_setr_m128i(_mm_set1_epi16((short)(a)),      \
                                                              _mm_set1_epi16((short)(b)))))

#include "engine/cpu/simd_impl.h"
#include "engine/cpu/simd_gemv.h"

static const cpu_kernels k_avx2 = {
    .name = "avx2",
    .dot_f32 = simd_dot_f32,
    .dequantize_row = simd_dequantize_row,
    .quantize_act = simd_quantize_act,
    .vec_dot = simd_vec_dot,
    .gemm = simd_gemm,
    .gemv = simd_gemv,
    .dot_f16_f32 = simd_dot_f16_f32,
    .f16_axpy = simd_f16_axpy,
};

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const cpu_kernels *cpu_kernels_avx2(void) { return &k_avx2; }

#else /* not x86 */
#include <stddef.h>

#include "engine/cpu/cpu.h"
const cpu_kernels *cpu_kernels_avx2(void) { return NULL; }
#endif
