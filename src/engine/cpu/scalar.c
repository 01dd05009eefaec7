/* scalar.c — reference kernels: plain C, one element at a time, accumulating in double where
 * llama.cpp's generic code does (ggml_float), so the fast path reproduces its rounding. */
#include <string.h>

#include "engine/cpu/cpu.h"
#include "engine/gtype.h"

/* Local half/bfloat conversions until quant/fp16.h is merged (exact in the to-F32 direction). */
static inline float h2f(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t u;
  if (exp == 0x1f) u = sign | 0x7f800000u | (mant << 13);
  else if (exp == 0) {
    float v = (float)mant * 0x1p-24f;
    return sign ? -v : v;
  } else u = sign | ((exp + 112u) << 23) | (mant << 13);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint16_t f2h(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
  if (a < 0x38800000u) {
    float af;
    memcpy(&af, &a, sizeof af);
    float units = __builtin_nearbyintf(af * 0x1p24f);
    return (uint16_t)(sign | (uint16_t)units);
  }
  uint32_t r = a + 0xfffu + ((a >> 13) & 1u); /* round to nearest even on bit 13 */
  return (uint16_t)(sign | (uint16_t)((r - 0x38000000u) >> 13));
}

static inline float bf2f(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

int cpu_type_supported(uint32_t wtype) {
  return wtype == GTYPE_F32 || wtype == GTYPE_F16 || wtype == GTYPE_BF16;
}

uint32_t cpu_act_type(uint32_t wtype) {
  switch (wtype) {
  case GTYPE_F16: return GTYPE_F16;
  case GTYPE_BF16: return GTYPE_BF16;
  default: return GTYPE_F32;
  }
}

static float dot_f32(const float *a, const float *b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
  return (float)s;
}

static void dequantize_row(uint32_t wtype, const void *src, float *dst, int64_t n) {
  const uint16_t *h = src;
  switch (wtype) {
  case GTYPE_F32: memcpy(dst, src, (size_t)n * sizeof *dst); break;
  case GTYPE_F16:
    for (int64_t i = 0; i < n; i++) dst[i] = h2f(h[i]);
    break;
  case GTYPE_BF16:
    for (int64_t i = 0; i < n; i++) dst[i] = bf2f(h[i]);
    break;
  default: memset(dst, 0, (size_t)n * sizeof *dst); break; /* unreachable: types are validated */
  }
}

static void quantize_act(uint32_t act_type, const float *src, void *dst, int64_t n) {
  uint16_t *h = dst;
  switch (act_type) {
  case GTYPE_F32: memcpy(dst, src, (size_t)n * sizeof *src); break;
  case GTYPE_F16:
    for (int64_t i = 0; i < n; i++) h[i] = f2h(src[i]);
    break;
  case GTYPE_BF16:
    for (int64_t i = 0; i < n; i++) {
      uint32_t u;
      memcpy(&u, &src[i], sizeof u);
      h[i] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    break;
  default: break;
  }
}

static float vec_dot(uint32_t wtype, const void *w, const void *act, int64_t n) {
  const uint16_t *wh = w, *ah = act;
  double s = 0;
  switch (wtype) {
  case GTYPE_F32: return dot_f32(w, act, n);
  case GTYPE_F16:
    for (int64_t i = 0; i < n; i++) s += (double)h2f(wh[i]) * (double)h2f(ah[i]);
    return (float)s;
  case GTYPE_BF16:
    for (int64_t i = 0; i < n; i++) s += (double)bf2f(wh[i]) * (double)bf2f(ah[i]);
    return (float)s;
  default: return 0.0f;
  }
}

static const cpu_kernels k_scalar = {
    .name = "scalar",
    .dot_f32 = dot_f32,
    .dequantize_row = dequantize_row,
    .quantize_act = quantize_act,
    .vec_dot = vec_dot,
};

const cpu_kernels *cpu_kernels_scalar(void) { return &k_scalar; }
const cpu_kernels *cpu_kernels_get(void) { return &k_scalar; }
