/* avx512.c — kernels for x86-64 with AVX-512 F/BW/VL and VNNI (Ice Lake, Sapphire Rapids,
 * Zen 4 and later). Same bodies as avx2.c (simd_impl.h) on 256-bit registers, but the byte dot
 * product is one vpdpbusd instead of vpmaddubsw + vpmaddwd + vpaddd: the integer kernels of
 * prefill issue about a third fewer instructions. (On Zen 4, 512-bit operations are split into
 * two 256-bit halves anyway, so wider registers would not add throughput.) */
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")
#endif

#include "engine/cpu/cpu.h"

#define SIMD_VNNI 1
/* 32 ymm registers: the generic tile passes 8 tokens over each weight block (16 accumulators). */
#define SIMD_NT 8
#define SIMD_DOT_US(acc, u, s) _mm256_dpbusd_epi32((acc), (u), (s))
/* Scaled sub-block products (K-quants): vpmaddubsw to s16 pairs (the codes are ≤ 63, so no
 * saturation), then vpdpwssd multiplies by the scale and accumulates: two instructions. */
#define SIMD_DOT_US2(acc, u, s, a, b)                                                            \
  _mm256_dpwssd_epi32((acc), _mm256_maddubs_epi16((u), (s)),                                     \
                      _mm256_setr_m128i(_mm_set1_epi16((short)(a)), _mm_set1_epi16((short)(b))))

#include "engine/cpu/simd_impl.h"
#include "engine/cpu/simd_gemv.h"

static const cpu_kernels k_avx512 = {
    .name = "avx512",
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

const cpu_kernels *cpu_kernels_avx512(void) { return &k_avx512; }

#else /* not x86 */
#include <stddef.h>

#include "engine/cpu/cpu.h"
const cpu_kernels *cpu_kernels_avx512(void) { return NULL; }
#endif
