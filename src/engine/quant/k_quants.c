/* k_quants.c — Q4_K, Q5_K, Q6_K and Q8_K: dequantisation, the Q8_K activation quantiser and the
 * scalar reference dot products. The weight quantisers are in k_quantize.c.
 *
 * The dot products follow the structure of ggml's generic ggml_vec_dot_qN_K_q8_K exactly: the
 * integer products of each super-block accumulate in 8 int32 lanes (element j into lane j % 8),
 * each lane is scaled by d_w * d_a into 8 float lane sums that run across super-blocks, the
 * Q4_K/Q5_K minimum term uses the Q8_K bsums, and the 8 lanes are added in order at the end. */
#include "engine/quant/quant_impl.h"

#define K_LANES 8 /* ggml's generic K-quant dot keeps 8 accumulator lanes */

/* 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block. Sub-blocks 0..3 keep
 * both in the low 6 bits of bytes j and j+4; 4..7 keep their low 4 bits in byte j+4 and their
 * top 2 bits in the spare top bits of bytes j-4 (scale) and j (min). */
static inline void k_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (uint8_t)((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void q4_K_dequantize(const void *src, float *dst, int64_t n) {
  const block_q4_K *x = src;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    const uint8_t *q = x[i].qs;
    float *y = dst + i * QK_K;
    for (int g = 0; g < QK_K / 64; g++) { /* pairs of 32-element sub-blocks share 32 bytes */
      uint8_t sc, m;
      k_scale_min(2 * g, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      k_scale_min(2 * g + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++)
        y[l] = d1 * (q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; l++)
        y[32 + l] = d2 * (q[l] >> 4) - m2;
      y += 64;
      q += 32;
    }
  }
}

void q5_K_dequantize(const void *src, float *dst, int64_t n) {
  const block_q5_K *x = src;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    const uint8_t *ql = x[i].qs;
    const uint8_t *qh = x[i].qh;
    float *y = dst + i * QK_K;
    for (int g = 0; g < QK_K / 64; g++) {
      const uint8_t u1 = (uint8_t)(1u << (2 * g)), u2 = (uint8_t)(2u << (2 * g));
      uint8_t sc, m;
      k_scale_min(2 * g, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      k_scale_min(2 * g + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++)
        y[l] = d1 * ((ql[l] & 0x0f) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; l++)
        y[32 + l] = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      y += 64;
      ql += 32;
    }
  }
}

/* Signed 6-bit code (−32..31) of element e (0..255) of a Q6_K super-block. Each 128-element
 * half uses 64 ql bytes and 32 qh bytes: element l + 32k (k = 0..3) of a half takes the low
 * (k even) or high (k odd) nibble of ql[l + 32 * (k & 1)] and bits 2k..2k+1 of qh[l]. */
static inline int q6_code(const block_q6_K *b, int e) {
  const int half = e / 128, r = e % 128, k = r / 32, l = r % 32;
  const uint8_t qlb = b->ql[64 * half + l + 32 * (k & 1)];
  const int low = (k < 2) ? (qlb & 0x0f) : (qlb >> 4);
  const int high = (b->qh[32 * half + l] >> (2 * k)) & 3;
  return (low | (high << 4)) - 32;
}

void q6_K_dequantize(const void *src, float *dst, int64_t n) {
  const block_q6_K *x = src;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d);
    float *y = dst + i * QK_K;
    /* ggml computes (d * scale) * q in this order; keep it for bit-identical F32 weights. */
    for (int e = 0; e < QK_K; e++)
      y[e] = d * x[i].scales[e / 16] * q6_code(&x[i], e);
  }
}

void q8_K_dequantize(const void *src, float *dst, int64_t n) {
  const block_q8_K *x = src;
  for (int64_t i = 0; i < n / QK_K; i++)
    for (int j = 0; j < QK_K; j++)
      dst[i * QK_K + j] = x[i].d * x[i].qs[j];
}

/* ggml's quantize_row_q8_K_ref: scale from the signed element of largest magnitude, iscale =
 * -127 / max, codes nearest(iscale * x) capped at 127, d = 1 / iscale (an F32), and sums of each
 * 16 codes for the minimum terms of the dot products. An all-zero block gets d = 0. */
void q8_K_quantize(const float *src, void *dst, int64_t n) {
  block_q8_K *y = dst;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float *x = src + i * QK_K;
    float max = 0.0f, amax = 0.0f;
    for (int j = 0; j < QK_K; j++) {
      const float ax = fabsf(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f || !isfinite(amax)) {
      memset(&y[i], 0, sizeof y[i]);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < QK_K; j++) {
      const int v = q_nearest_int(iscale * x[j]);
      y[i].qs[j] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
    }
    for (int j = 0; j < QK_K / 16; j++) {
      int sum = 0;
      for (int l = 0; l < 16; l++)
        sum += y[i].qs[16 * j + l];
      y[i].bsums[j] = (int16_t)sum;
    }
    y[i].d = 1.0f / iscale;
  }
}

/* Adds scale * (a[l] * q8[l]) over 32 elements into the 8 lanes, as ggml's generic loop. */
static inline void lanes_add(int32_t lanes[K_LANES], int scale, const int8_t *a, const int8_t *q8,
                             int count) {
  for (int b = 0; b < count; b += K_LANES)
    for (int l = 0; l < K_LANES; l++)
      lanes[l] += scale * (int16_t)(q8[b + l] * a[b + l]);
}

/* Q4_K and Q5_K share everything but the code unpacking. */
static float k45_dot(const uint8_t *scales_packed, float dw, float dminw, const int8_t codes[QK_K],
                     const block_q8_K *y, float lane_sums[K_LANES]) {
  uint8_t sc[8], mn[8];
  for (int j = 0; j < 8; j++)
    k_scale_min(j, scales_packed, &sc[j], &mn[j]);
  int32_t sumi_min = 0;
  for (int j = 0; j < QK_K / 16; j++)
    sumi_min += y->bsums[j] * mn[j / 2];
  int32_t lanes[K_LANES] = {0};
  for (int j = 0; j < QK_K / 32; j++)
    lanes_add(lanes, sc[j], codes + 32 * j, y->qs + 32 * j, 32);
  const float d = dw * y->d;
  for (int l = 0; l < K_LANES; l++)
    lane_sums[l] += d * (float)lanes[l];
  return dminw * y->d * (float)sumi_min; /* subtracted by the caller */
}

float q4_K_dot_q8_K(const void *w, const void *a, int64_t n) {
  const block_q4_K *x = w;
  const block_q8_K *y = a;
  float lane_sums[K_LANES] = {0};
  float sumf = 0.0f;
  int8_t codes[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++) {
    for (int g = 0; g < QK_K / 64; g++)
      for (int l = 0; l < 32; l++) {
        codes[64 * g + l] = (int8_t)(x[i].qs[32 * g + l] & 0x0f);
        codes[64 * g + 32 + l] = (int8_t)(x[i].qs[32 * g + l] >> 4);
      }
    sumf -= k45_dot(x[i].scales, fp16_to_fp32(x[i].d), fp16_to_fp32(x[i].dmin), codes, &y[i],
                    lane_sums);
  }
  for (int l = 0; l < K_LANES; l++)
    sumf += lane_sums[l];
  return sumf;
}

float q5_K_dot_q8_K(const void *w, const void *a, int64_t n) {
  const block_q5_K *x = w;
  const block_q8_K *y = a;
  float lane_sums[K_LANES] = {0};
  float sumf = 0.0f;
  int8_t codes[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++) {
    for (int g = 0; g < QK_K / 64; g++) {
      const uint8_t u1 = (uint8_t)(1u << (2 * g)), u2 = (uint8_t)(2u << (2 * g));
      for (int l = 0; l < 32; l++) {
        const uint8_t q = x[i].qs[32 * g + l], h = x[i].qh[l];
        codes[64 * g + l] = (int8_t)((q & 0x0f) + (h & u1 ? 16 : 0));
        codes[64 * g + 32 + l] = (int8_t)((q >> 4) + (h & u2 ? 16 : 0));
      }
    }
    sumf -= k45_dot(x[i].scales, fp16_to_fp32(x[i].d), fp16_to_fp32(x[i].dmin), codes, &y[i],
                    lane_sums);
  }
  for (int l = 0; l < K_LANES; l++)
    sumf += lane_sums[l];
  return sumf;
}

float q6_K_dot_q8_K(const void *w, const void *a, int64_t n) {
  const block_q6_K *x = w;
  const block_q8_K *y = a;
  float lane_sums[K_LANES] = {0};
  int8_t codes[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++) {
    for (int e = 0; e < QK_K; e++)
      codes[e] = (int8_t)q6_code(&x[i], e);
    int32_t lanes[K_LANES] = {0};
    for (int j = 0; j < QK_K / 16; j++)
      lanes_add(lanes, x[i].scales[j], codes + 16 * j, y[i].qs + 16 * j, 16);
    const float d = fp16_to_fp32(x[i].d) * y[i].d;
    for (int l = 0; l < K_LANES; l++)
      lane_sums[l] += d * (float)lanes[l];
  }
  float sumf = 0.0f;
  for (int l = 0; l < K_LANES; l++)
    sumf += lane_sums[l];
  return sumf;
}
