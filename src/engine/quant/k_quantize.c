/* k_quantize.c — reference weight quantisers for Q4_K, Q5_K and Q6_K.
 *
 * These are simple fits, not llama.cpp's search-based make_qkx2_quants/make_qx_quants: a
 * min-max range per 32-element sub-block (Q4_K/Q5_K) or a signed max-abs scale per 16-element
 * sub-block (Q6_K), 6/8-bit sub-block scales quantised against one F16 super-block scale, then
 * codes rounded to nearest against the scales actually stored. The bytes differ from
 * llama-quantize's; the dequantised error is comparable (tests bound it). Used by the synthetic
 * model writer, never on a hot path. */
#include <float.h>

#include "engine/quant/quant_impl.h"

/* Smallest F16 whose value times levels is ≥ target (target ≥ 0, finite): rounding the super-block
 * scale up keeps the largest sub-block scale representable, so no code has to clip. */
static uint16_t fp16_ceil_scale(float target, float levels) {
  uint16_t h = fp32_to_fp16(target / levels);
  while (fp16_to_fp32(h) * levels < target && h < 0x7bffu)
    h++;
  return h;
}

/* Packs eight 6-bit scales and mins the way k_scale_min in k_quants.c unpacks them. */
static void k_pack_scales(const uint8_t sc[8], const uint8_t mn[8], uint8_t out[K_SCALE_SIZE]) {
  memset(out, 0, K_SCALE_SIZE);
  for (int j = 0; j < 8; j++) {
    if (j < 4) {
      out[j] |= sc[j] & 63;
      out[j + 4] |= mn[j] & 63;
    } else {
      out[j + 4] = (uint8_t)((sc[j] & 0x0f) | ((mn[j] & 0x0f) << 4));
      out[j - 4] |= (uint8_t)((sc[j] >> 4) << 6);
      out[j] |= (uint8_t)((mn[j] >> 4) << 6);
    }
  }
}

/* Fits one Q4_K/Q5_K super-block with codes 0..qmax: writes d, dmin, packed scales and the
 * integer codes (one per element) for the caller to pack. */
static void k45_fit(const float *x, int qmax, uint16_t *d_out, uint16_t *dmin_out,
                    uint8_t scales[K_SCALE_SIZE], uint8_t codes[QK_K]) {
  float sub_scale[8], sub_min[8], max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; j++) {
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (int l = 0; l < 32; l++) {
      const float v = x[32 * j + l];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo > 0.0f) lo = 0.0f; /* the format subtracts a non-negative minimum */
    if (hi < lo) hi = lo;
    sub_scale[j] = (hi - lo) / (float)qmax;
    sub_min[j] = -lo;
    if (!isfinite(sub_scale[j]) || !isfinite(sub_min[j])) sub_scale[j] = sub_min[j] = 0.0f;
    if (sub_scale[j] > max_scale) max_scale = sub_scale[j];
    if (sub_min[j] > max_min) max_min = sub_min[j];
  }
  *d_out = fp16_ceil_scale(max_scale, 63.0f);
  *dmin_out = fp16_ceil_scale(max_min, 63.0f);
  const float d = fp16_to_fp32(*d_out), dmin = fp16_to_fp32(*dmin_out);
  uint8_t sc[8], mn[8];
  for (int j = 0; j < 8; j++) {
    /* round both up so [−min, −min + scale·qmax] still covers the sub-block's range */
    sc[j] = (uint8_t)(d > 0.0f ? q_clamp_to_int(ceilf(sub_scale[j] / d), 0, 63) : 0);
    mn[j] = (uint8_t)(dmin > 0.0f ? q_clamp_to_int(ceilf(sub_min[j] / dmin), 0, 63) : 0);
    const float es = d * sc[j], em = dmin * mn[j];
    const float inv = es > 0.0f ? 1.0f / es : 0.0f;
    for (int l = 0; l < 32; l++)
      codes[32 * j + l] = (uint8_t)q_clamp_to_int(roundf((x[32 * j + l] + em) * inv), 0, qmax);
  }
  k_pack_scales(sc, mn, scales);
}

void q4_K_quantize(const float *src, void *dst, int64_t n) {
  block_q4_K *y = dst;
  uint8_t codes[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint16_t d, dmin;
    k45_fit(src + i * QK_K, 15, &d, &dmin, y[i].scales, codes);
    y[i].d = d;
    y[i].dmin = dmin;
    for (int g = 0; g < QK_K / 64; g++)
      for (int l = 0; l < 32; l++)
        y[i].qs[32 * g + l] = (uint8_t)(codes[64 * g + l] | (codes[64 * g + 32 + l] << 4));
  }
}

void q5_K_quantize(const float *src, void *dst, int64_t n) {
  block_q5_K *y = dst;
  uint8_t codes[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint16_t d, dmin;
    k45_fit(src + i * QK_K, 31, &d, &dmin, y[i].scales, codes);
    y[i].d = d;
    y[i].dmin = dmin;
    memset(y[i].qh, 0, sizeof y[i].qh);
    for (int g = 0; g < QK_K / 64; g++)
      for (int l = 0; l < 32; l++) {
        const uint8_t c0 = codes[64 * g + l], c1 = codes[64 * g + 32 + l];
        y[i].qs[32 * g + l] = (uint8_t)((c0 & 0x0f) | ((c1 & 0x0f) << 4));
        y[i].qh[l] |= (uint8_t)(((c0 >> 4) << (2 * g)) | ((c1 >> 4) << (2 * g + 1)));
      }
  }
}

void q6_K_quantize(const float *src, void *dst, int64_t n) {
  block_q6_K *y = dst;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float *x = src + i * QK_K;
    float sub_scale[16], max_scale = 0.0f, amax_scale = 0.0f;
    for (int j = 0; j < 16; j++) {
      float amax = 0.0f, max = 0.0f;
      for (int l = 0; l < 16; l++) {
        const float v = x[16 * j + l];
        if (fabsf(v) > amax) {
          amax = fabsf(v);
          max = v;
        }
      }
      /* the extreme element takes code −32, using the extra negative level */
      sub_scale[j] = isfinite(max) ? max / -32.0f : 0.0f;
      if (fabsf(sub_scale[j]) > amax_scale) {
        amax_scale = fabsf(sub_scale[j]);
        max_scale = sub_scale[j];
      }
    }
    int8_t sc[16] = {0};
    float d = 0.0f;
    if (amax_scale > 0.0f) {
      /* the largest sub-block scale takes the 8-bit code −128 */
      y[i].d = fp32_to_fp16(max_scale / -128.0f);
      d = fp16_to_fp32(y[i].d);
      for (int j = 0; j < 16; j++)
        sc[j] = (int8_t)(d != 0.0f ? q_clamp_to_int(roundf(sub_scale[j] / d), -128, 127) : 0);
    } else {
      y[i].d = 0;
    }
    memset(y[i].ql, 0, sizeof y[i].ql);
    memset(y[i].qh, 0, sizeof y[i].qh);
    for (int e = 0; e < QK_K; e++) {
      const float es = d * sc[e / 16];
      const int q = es != 0.0f ? q_clamp_to_int(roundf(x[e] / es), -32, 31) + 32 : 32;
      const int half = e / 128, r = e % 128, k = r / 32, l = r % 32;
      uint8_t *qlb = &y[i].ql[64 * half + l + 32 * (k & 1)];
      *qlb |= (uint8_t)(k < 2 ? (q & 0x0f) : ((q & 0x0f) << 4));
      y[i].qh[32 * half + l] |= (uint8_t)((q >> 4) << (2 * k));
    }
    memcpy(y[i].scales, sc, sizeof sc);
  }
}
