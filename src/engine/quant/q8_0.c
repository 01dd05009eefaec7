/* q8_0.c — Q8_0 (weights and activations) and Q8_1 (activations for Q4_1/Q5_1): blocks of 32
 * signed bytes with an F16 scale.
 *
 * The quantisers are the activation path of the `fast` precision and reproduce ggml's reference
 * quantize_row_q8_0_ref / quantize_row_q8_1_ref exactly: d = amax / 127 rounded to F16, codes =
 * roundf(x * (1/d)) with the unrounded d (ties away from zero). ggml's AVX2 build multiplies by
 * 127/amax and rounds ties to even instead; the two differ only on exact ties, a rare 1-unit
 * difference in one code. */
#include "engine/quant/quant_impl.h"

void q8_0_dequantize(const void *src, float *dst, int64_t n) {
  const block_q8_0 *x = src;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK8_0; j++)
      dst[i * QK8_0 + j] = x[i].qs[j] * d;
  }
}

static float block_amax(const float *x, int n) {
  float amax = 0.0f;
  for (int j = 0; j < n; j++)
    amax = fmaxf(amax, fabsf(x[j]));
  return amax;
}

void q8_0_quantize(const float *src, void *dst, int64_t n) {
  block_q8_0 *y = dst;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    const float *x = src + i * QK8_0;
    const float d = block_amax(x, QK8_0) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < QK8_0; j++)
      y[i].qs[j] = (int8_t)q_clamp_to_int(roundf(x[j] * id), -127, 127);
  }
}

/* ggml's generic ggml_vec_dot_q8_0_q8_0. */
float q8_0_dot_q8_0(const void *w, const void *a, int64_t n) {
  const block_q8_0 *x = w;
  const block_q8_0 *y = a;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    int32_t sumi = 0;
    for (int j = 0; j < QK8_0; j++)
      sumi += x[i].qs[j] * y[i].qs[j];
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * (float)sumi;
  }
  return sumf;
}

void q8_1_dequantize(const void *src, float *dst, int64_t n) {
  const block_q8_1 *x = src;
  for (int64_t i = 0; i < n / QK8_1; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK8_1; j++)
      dst[i * QK8_1 + j] = x[i].qs[j] * d;
  }
}

void q8_1_quantize(const float *src, void *dst, int64_t n) {
  block_q8_1 *y = dst;
  for (int64_t i = 0; i < n / QK8_1; i++) {
    const float *x = src + i * QK8_1;
    const float d = block_amax(x, QK8_1) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    int32_t sum = 0;
    for (int j = 0; j < QK8_1; j++) {
      y[i].qs[j] = (int8_t)q_clamp_to_int(roundf(x[j] * id), -127, 127);
      sum += y[i].qs[j];
    }
    y[i].s = fp32_to_fp16((float)sum * d); /* the unrounded d, as ggml */
  }
}
