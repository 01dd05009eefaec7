/* q4_0.c — Q4_0: blocks of 32, one F16 scale, 4-bit codes offset by 8. */
#include <assert.h>

#include "engine/quant/quant_impl.h"

void q4_0_dequantize(const void *src, float *dst, int64_t n) {
  const block_q4_0 *x = src;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK4_0 / 2; j++) {
      const int lo = (x[i].qs[j] & 0x0f) - 8;
      const int hi = (x[i].qs[j] >> 4) - 8;
      dst[i * QK4_0 + j] = lo * d;
      dst[i * QK4_0 + j + QK4_0 / 2] = hi * d;
    }
  }
}

/* The element of largest magnitude maps to code 0 (-8 * d), using the asymmetric extra level
 * on the side where it helps most; the rest round to nearest. */
void q4_0_quantize(const float *src, void *dst, int64_t n) {
  block_q4_0 *y = dst;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    const float *x = src + i * QK4_0;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK4_0; j++) {
      if (fabsf(x[j]) > amax) {
        amax = fabsf(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    y[i].d = fp32_to_fp16(d);
    const float dq = fp16_to_fp32(y[i].d);
    const float id = dq != 0.0f ? 1.0f / dq : 0.0f;
    for (int j = 0; j < QK4_0 / 2; j++) {
      const int lo = q_clamp_to_int(roundf(x[j] * id) + 8.0f, 0, 15);
      const int hi = q_clamp_to_int(roundf(x[j + QK4_0 / 2] * id) + 8.0f, 0, 15);
      y[i].qs[j] = (uint8_t)(lo | (hi << 4));
    }
  }
}

/* ggml's generic ggml_vec_dot_q4_0_q8_0: integer dot per block, then one float multiply-add
 * with the product of the two scales. */
float q4_0_dot_q8_0(const void *w, const void *a, int64_t n) {
  const block_q4_0 *x = w;
  const block_q8_0 *y = a;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    int32_t sumi0 = 0, sumi1 = 0;
    for (int j = 0; j < QK4_0 / 2; j++) {
      const int v0 = (x[i].qs[j] & 0x0f) - 8;
      const int v1 = (x[i].qs[j] >> 4) - 8;
      sumi0 += v0 * y[i].qs[j];
      sumi1 += v1 * y[i].qs[j + QK4_0 / 2];
    }
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * (float)(sumi0 + sumi1);
  }
  return sumf;
}
