/* quant_impl.h — internal to quant/: per-family kernels behind the dispatch in quant.c, and the
 * rounding helpers shared by them. Not part of the engine's public API (use quant.h).
 *
 * Conventions for every kernel below: n is a positive multiple of the family's block size
 * (checked by quant.c before the call); src/dst do not overlap; nothing allocates. */
#ifndef SK_ENGINE_QUANT_IMPL_H
#define SK_ENGINE_QUANT_IMPL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"

/* Round to nearest, ties to even, for |f| ≤ 2^22 (ggml's nearest_int: adding 1.5 * 2^23 moves the
 * integer into the mantissa bits). Quantisers only call it on values bounded by their scale. NaN
 * comes out as some int in range and is clamped by the caller: no undefined conversion. */
static inline int q_nearest_int(float f) {
  float v = f + 12582912.f;
  int32_t i;
  memcpy(&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

/* Clamps v to [lo, hi] and converts; NaN → lo. Keeps float→int conversions defined for any input.
 */
static inline int q_clamp_to_int(float v, int lo, int hi) {
  if (!(v >= (float)lo)) return lo;
  if (v > (float)hi) return hi;
  return (int)v;
}

/* Legacy 32-element families. */
void q4_0_dequantize(const void *src, float *dst, int64_t n);
void q4_0_quantize(const float *src, void *dst, int64_t n);
float q4_0_dot_q8_0(const void *w, const void *a, int64_t n);

void q4_1_dequantize(const void *src, float *dst, int64_t n);
void q4_1_quantize(const float *src, void *dst, int64_t n);
float q4_1_dot_q8_1(const void *w, const void *a, int64_t n);

void q5_0_dequantize(const void *src, float *dst, int64_t n);
void q5_0_quantize(const float *src, void *dst, int64_t n);
float q5_0_dot_q8_0(const void *w, const void *a, int64_t n);

void q5_1_dequantize(const void *src, float *dst, int64_t n);
void q5_1_quantize(const float *src, void *dst, int64_t n);
float q5_1_dot_q8_1(const void *w, const void *a, int64_t n);

void q8_0_dequantize(const void *src, float *dst, int64_t n);
void q8_0_quantize(const float *src, void *dst, int64_t n);
float q8_0_dot_q8_0(const void *w, const void *a, int64_t n);

void q8_1_dequantize(const void *src, float *dst, int64_t n);
void q8_1_quantize(const float *src, void *dst, int64_t n);

/* K-quants (256-element super-blocks). */
void q4_K_dequantize(const void *src, float *dst, int64_t n);
void q4_K_quantize(const float *src, void *dst, int64_t n);
float q4_K_dot_q8_K(const void *w, const void *a, int64_t n);

void q5_K_dequantize(const void *src, float *dst, int64_t n);
void q5_K_quantize(const float *src, void *dst, int64_t n);
float q5_K_dot_q8_K(const void *w, const void *a, int64_t n);

void q6_K_dequantize(const void *src, float *dst, int64_t n);
void q6_K_quantize(const float *src, void *dst, int64_t n);
float q6_K_dot_q8_K(const void *w, const void *a, int64_t n);

void q8_K_dequantize(const void *src, float *dst, int64_t n);
void q8_K_quantize(const float *src, void *dst, int64_t n);

#endif
