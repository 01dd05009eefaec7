/* q4_1.c — Q4_1: blocks of 32, F16 scale and minimum, 4-bit unsigned codes. */
#include <float.h>

#include "engine/quant/quant_impl.h"

void q4_1_dequantize(const void *src, float *dst, int64_t n) {
  const block_q4_1 *x = src;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    for (int j = 0; j < QK4_1 / 2; j++) {
      const int lo = x[i].qs[j] & 0x0f;
      const int hi = x[i].qs[j] >> 4;
      dst[i * QK4_1 + j] = lo * d + m;
      dst[i * QK4_1 + j + QK4_1 / 2] = hi * d + m;
    }
  }
}

/* Min-max fit: codes 0..15 span [min, max]. */
void q4_1_quantize(const float *src, void *dst, int64_t n) {
  block_q4_1 *y = dst;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    const float *x = src + i * QK4_1;
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < QK4_1; j++) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    y[i].d = fp32_to_fp16((max - min) / 15.0f);
    y[i].m = fp32_to_fp16(min);
    const float dq = fp16_to_fp32(y[i].d), mq = fp16_to_fp32(y[i].m);
    const float id = dq != 0.0f ? 1.0f / dq : 0.0f;
    for (int j = 0; j < QK4_1 / 2; j++) {
      const int lo = q_clamp_to_int(roundf((x[j] - mq) * id), 0, 15);
      const int hi = q_clamp_to_int(roundf((x[j + QK4_1 / 2] - mq) * id), 0, 15);
      y[i].qs[j] = (uint8_t)(lo | (hi << 4));
    }
  }
}

/* ggml's generic ggml_vec_dot_q4_1_q8_1: the minimum contributes m * s, where the Q8_1 block
 * carries s = d * sum(q). */
float q4_1_dot_q8_1(const void *w, const void *a, int64_t n) {
  const block_q4_1 *x = w;
  const block_q8_1 *y = a;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    int32_t sumi0 = 0, sumi1 = 0;
    for (int j = 0; j < QK4_1 / 2; j++) {
      sumi0 += (x[i].qs[j] & 0x0f) * y[i].qs[j];
      sumi1 += (x[i].qs[j] >> 4) * y[i].qs[j + QK4_1 / 2];
    }
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * (float)(sumi0 + sumi1) +
            fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sumf;
}
