/* q5_1.c — Q5_1: blocks of 32, F16 scale and minimum, 5-bit unsigned codes. */
#include <float.h>

#include "engine/quant/quant_impl.h"

static inline uint32_t load_qh(const uint8_t qh[4]) {
  return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

void q5_1_dequantize(const void *src, float *dst, int64_t n) {
  const block_q5_1 *x = src;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    const uint32_t qh = load_qh(x[i].qh);
    for (int j = 0; j < QK5_1 / 2; j++) {
      const int h0 = (int)((qh >> j) & 1u) << 4;
      const int h1 = (int)((qh >> (j + 16)) & 1u) << 4;
      const int lo = (x[i].qs[j] & 0x0f) | h0;
      const int hi = (x[i].qs[j] >> 4) | h1;
      dst[i * QK5_1 + j] = lo * d + m;
      dst[i * QK5_1 + j + QK5_1 / 2] = hi * d + m;
    }
  }
}

void q5_1_quantize(const float *src, void *dst, int64_t n) {
  block_q5_1 *y = dst;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    const float *x = src + i * QK5_1;
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < QK5_1; j++) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    y[i].d = fp32_to_fp16((max - min) / 31.0f);
    y[i].m = fp32_to_fp16(min);
    const float dq = fp16_to_fp32(y[i].d), mq = fp16_to_fp32(y[i].m);
    const float id = dq != 0.0f ? 1.0f / dq : 0.0f;
    uint32_t qh = 0;
    for (int j = 0; j < QK5_1 / 2; j++) {
      const int lo = q_clamp_to_int(roundf((x[j] - mq) * id), 0, 31);
      const int hi = q_clamp_to_int(roundf((x[j + QK5_1 / 2] - mq) * id), 0, 31);
      y[i].qs[j] = (uint8_t)((lo & 0x0f) | ((hi & 0x0f) << 4));
      qh |= (uint32_t)(lo >> 4) << j;
      qh |= (uint32_t)(hi >> 4) << (j + 16);
    }
    for (int b = 0; b < 4; b++)
      y[i].qh[b] = (uint8_t)(qh >> (8 * b));
  }
}

/* ggml's generic ggml_vec_dot_q5_1_q8_1. */
float q5_1_dot_q8_1(const void *w, const void *a, int64_t n) {
  const block_q5_1 *x = w;
  const block_q8_1 *y = a;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    const uint32_t qh = load_qh(x[i].qh);
    int32_t sumi0 = 0, sumi1 = 0;
    for (int j = 0; j < QK5_1 / 2; j++) {
      const int h0 = (int)((qh >> j) & 1u) << 4;
      const int h1 = (int)((qh >> (j + 16)) & 1u) << 4;
      sumi0 += ((x[i].qs[j] & 0x0f) | h0) * y[i].qs[j];
      sumi1 += ((x[i].qs[j] >> 4) | h1) * y[i].qs[j + QK5_1 / 2];
    }
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * (float)(sumi0 + sumi1) +
            fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sumf;
}
