/* q5_0.c — Q5_0: blocks of 32, one F16 scale, 5-bit codes offset by 16 (fifth bits in qh). */
#include "engine/quant/quant_impl.h"

static inline uint32_t load_qh(const uint8_t qh[4]) {
  return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

void q5_0_dequantize(const void *src, float *dst, int64_t n) {
  const block_q5_0 *x = src;
  for (int64_t i = 0; i < n / QK5_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    const uint32_t qh = load_qh(x[i].qh);
    for (int j = 0; j < QK5_0 / 2; j++) {
      const int h0 = (int)((qh >> j) & 1u) << 4;
      const int h1 = (int)((qh >> (j + 16)) & 1u) << 4;
      const int lo = ((x[i].qs[j] & 0x0f) | h0) - 16;
      const int hi = ((x[i].qs[j] >> 4) | h1) - 16;
      dst[i * QK5_0 + j] = lo * d;
      dst[i * QK5_0 + j + QK5_0 / 2] = hi * d;
    }
  }
}

void q5_0_quantize(const float *src, void *dst, int64_t n) {
  block_q5_0 *y = dst;
  for (int64_t i = 0; i < n / QK5_0; i++) {
    const float *x = src + i * QK5_0;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK5_0; j++) {
      if (fabsf(x[j]) > amax) {
        amax = fabsf(x[j]);
        max = x[j];
      }
    }
    y[i].d = fp32_to_fp16(max / -16.0f);
    const float dq = fp16_to_fp32(y[i].d);
    const float id = dq != 0.0f ? 1.0f / dq : 0.0f;
    uint32_t qh = 0;
    for (int j = 0; j < QK5_0 / 2; j++) {
      const int lo = q_clamp_to_int(roundf(x[j] * id) + 16.0f, 0, 31);
      const int hi = q_clamp_to_int(roundf(x[j + QK5_0 / 2] * id) + 16.0f, 0, 31);
      y[i].qs[j] = (uint8_t)((lo & 0x0f) | ((hi & 0x0f) << 4));
      qh |= (uint32_t)(lo >> 4) << j;
      qh |= (uint32_t)(hi >> 4) << (j + 16);
    }
    for (int b = 0; b < 4; b++)
      y[i].qh[b] = (uint8_t)(qh >> (8 * b));
  }
}

/* ggml's generic ggml_vec_dot_q5_0_q8_0. */
float q5_0_dot_q8_0(const void *w, const void *a, int64_t n) {
  const block_q5_0 *x = w;
  const block_q8_0 *y = a;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK5_0; i++) {
    const uint32_t qh = load_qh(x[i].qh);
    int32_t sumi0 = 0, sumi1 = 0;
    for (int j = 0; j < QK5_0 / 2; j++) {
      const int h0 = (int)((qh >> j) & 1u) << 4;
      const int h1 = (int)((qh >> (j + 16)) & 1u) << 4;
      sumi0 += (((x[i].qs[j] & 0x0f) | h0) - 16) * y[i].qs[j];
      sumi1 += (((x[i].qs[j] >> 4) | h1) - 16) * y[i].qs[j + QK5_0 / 2];
    }
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * (float)(sumi0 + sumi1);
  }
  return sumf;
}
