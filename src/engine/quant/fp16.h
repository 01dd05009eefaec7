/* fp16.h — IEEE 754 binary16 (F16) and bfloat16 (BF16) conversions.
 *
 * Float → half rounds to nearest, ties to even (what F16C's vcvtps2ph and ggml's generic code
 * do), overflows to ±inf, keeps subnormals, and turns NaN into a quiet NaN of the same sign.
 * Float → bf16 rounds to nearest even and quiets NaN the way ggml does ((bits >> 16) | 0x40),
 * so the bytes we write equal llama.cpp's. Half/bf16 → float are exact. All functions are pure
 * and allocation-free. */
#ifndef SK_ENGINE_QUANT_FP16_H
#define SK_ENGINE_QUANT_FP16_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t sk_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline float sk_f32_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline float fp16_to_fp32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return sk_f32_from_bits(sign | 0x7f800000u | (mant << 13)); /* inf, NaN */
  if (exp == 0) {
    /* zero or subnormal: mant * 2^-24, exact in binary32 */
    float v = (float)mant * 0x1p-24f;
    return sign ? -v : v;
  }
  return sk_f32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
}

static inline uint16_t fp32_to_fp16(float f) {
  uint32_t u = sk_f32_bits(f);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x1ffu)); /* NaN */
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* ≥ 65520 rounds to inf */
  if (a < 0x38800000u) {
    /* below the smallest normal half (2^-14): the result is a subnormal count of 2^-24 units.
     * |f| * 2^24 is exact; nearbyintf rounds ties to even in the default rounding mode. A
     * result of 1024 is the encoding of 2^-14, the smallest normal: still correct. */
    float units = nearbyintf(sk_f32_from_bits(a) * 0x1p24f);
    return (uint16_t)(sign | (uint16_t)units);
  }
  uint32_t h = (a >> 13) - (112u << 10);
  uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* carries into the exponent */
  return (uint16_t)(sign | h);
}

static inline float bf16_to_fp32(uint16_t b) { return sk_f32_from_bits((uint32_t)b << 16); }

static inline uint16_t fp32_to_bf16(float f) {
  uint32_t u = sk_f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

#endif
