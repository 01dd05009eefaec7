/* quant.c — dispatch from gtype ids to the per-family kernels, and the plain float types. */
#include "engine/quant/quant.h"

#include <assert.h>

#include "base/err.h"
#include "engine/quant/quant_impl.h"

typedef void (*dequant_fn)(const void *src, float *dst, int64_t n);
typedef void (*quant_fn)(const float *src, void *dst, int64_t n);
typedef float (*dot_fn)(const void *w, const void *a, int64_t n);

typedef struct quant_traits {
  dequant_fn dequantize;
  quant_fn quantize;
  dot_fn dot;        /* NULL: not a weight type */
  uint32_t dot_type; /* activation type of dot */
} quant_traits;

static void f32_dequantize(const void *src, float *dst, int64_t n) {
  memcpy(dst, src, (size_t)n * sizeof(float));
}
static void f32_quantize(const float *src, void *dst, int64_t n) {
  memcpy(dst, src, (size_t)n * sizeof(float));
}
/* Element loads and stores go through memcpy: tensor data may be unaligned (see blocks.h). */
static inline uint16_t ld16(const void *p, int64_t i) {
  uint16_t v;
  memcpy(&v, (const uint8_t *)p + 2 * i, sizeof v);
  return v;
}
static inline float ldf(const void *p, int64_t i) {
  float v;
  memcpy(&v, (const uint8_t *)p + 4 * i, sizeof v);
  return v;
}
static inline void st16(void *p, int64_t i, uint16_t v) { memcpy((uint8_t *)p + 2 * i, &v, 2); }

static void f16_dequantize(const void *src, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = fp16_to_fp32(ld16(src, i));
}
static void f16_quantize(const float *src, void *dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) st16(dst, i, fp32_to_fp16(src[i]));
}
static void bf16_dequantize(const void *src, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = bf16_to_fp32(ld16(src, i));
}
static void bf16_quantize(const float *src, void *dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) st16(dst, i, fp32_to_bf16(src[i]));
}

/* ggml_vec_dot_f32/f16/bf16 (generic): products in float, accumulated in double. */
static float f32_dot(const void *w, const void *a, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) sum += (double)(ldf(w, i) * ldf(a, i));
  return (float)sum;
}
static float f16_dot(const void *w, const void *a, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++)
    sum += (double)(fp16_to_fp32(ld16(w, i)) * fp16_to_fp32(ld16(a, i)));
  return (float)sum;
}
static float bf16_dot(const void *w, const void *a, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++)
    sum += (double)(bf16_to_fp32(ld16(w, i)) * bf16_to_fp32(ld16(a, i)));
  return (float)sum;
}

static const quant_traits k_traits[GTYPE_COUNT] = {
    [GTYPE_F32] = {f32_dequantize, f32_quantize, f32_dot, GTYPE_F32},
    [GTYPE_F16] = {f16_dequantize, f16_quantize, f16_dot, GTYPE_F16},
    [GTYPE_BF16] = {bf16_dequantize, bf16_quantize, bf16_dot, GTYPE_BF16},
    [GTYPE_Q4_0] = {q4_0_dequantize, q4_0_quantize, q4_0_dot_q8_0, GTYPE_Q8_0},
    [GTYPE_Q4_1] = {q4_1_dequantize, q4_1_quantize, q4_1_dot_q8_1, GTYPE_Q8_1},
    [GTYPE_Q5_0] = {q5_0_dequantize, q5_0_quantize, q5_0_dot_q8_0, GTYPE_Q8_0},
    [GTYPE_Q5_1] = {q5_1_dequantize, q5_1_quantize, q5_1_dot_q8_1, GTYPE_Q8_1},
    [GTYPE_Q8_0] = {q8_0_dequantize, q8_0_quantize, q8_0_dot_q8_0, GTYPE_Q8_0},
    [GTYPE_Q8_1] = {q8_1_dequantize, q8_1_quantize, NULL, QUANT_NO_TYPE},
    [GTYPE_Q4_K] = {q4_K_dequantize, q4_K_quantize, q4_K_dot_q8_K, GTYPE_Q8_K},
    [GTYPE_Q5_K] = {q5_K_dequantize, q5_K_quantize, q5_K_dot_q8_K, GTYPE_Q8_K},
    [GTYPE_Q6_K] = {q6_K_dequantize, q6_K_quantize, q6_K_dot_q8_K, GTYPE_Q8_K},
    [GTYPE_Q8_K] = {q8_K_dequantize, q8_K_quantize, NULL, QUANT_NO_TYPE},
};

static const quant_traits *traits(uint32_t type) {
  return type < GTYPE_COUNT && k_traits[type].dequantize ? &k_traits[type] : NULL;
}

static int row_ok(uint32_t type, int64_t n) {
  const size_t be = gtype_block_elems(type);
  return be > 0 && n > 0 && n % (int64_t)be == 0;
}

int quant_type_supported(uint32_t type) { return traits(type) != NULL; }

void quant_dequantize_row(uint32_t type, const void *src, float *dst, int64_t n) {
  const quant_traits *t = traits(type);
  assert(t && row_ok(type, n));
  if (!t || !row_ok(type, n)) return;
  t->dequantize(src, dst, n);
}

int quant_quantize_row(uint32_t type, const float *src, void *dst, int64_t n) {
  const quant_traits *t = traits(type);
  if (!t || !row_ok(type, n)) return SK_EINVAL;
  t->quantize(src, dst, n);
  return SK_OK;
}

uint32_t quant_vec_dot_type(uint32_t wtype) {
  const quant_traits *t = traits(wtype);
  return t && t->dot ? t->dot_type : QUANT_NO_TYPE;
}

float quant_vec_dot(uint32_t wtype, const void *w_row, const void *act_row, int64_t n) {
  const quant_traits *t = traits(wtype);
  assert(t && t->dot && row_ok(wtype, n) && row_ok(t->dot_type, n));
  if (!t || !t->dot || !row_ok(wtype, n) || !row_ok(t->dot_type, n)) return 0.0f;
  return t->dot(w_row, act_row, n);
}
