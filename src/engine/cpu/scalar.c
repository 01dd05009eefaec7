/* scalar.c — reference kernels: the quant module's scalar conversions and dot products
 * (llama.cpp's generic arithmetic), and an F32 dot product accumulating in double. */
#include "engine/cpu/cpu.h"
#include "engine/quant/fp16.h"
#include "engine/quant/quant.h"

int cpu_type_supported(uint32_t wtype) {
  return quant_type_supported(wtype) && quant_vec_dot_type(wtype) != QUANT_NO_TYPE;
}

uint32_t cpu_act_type(uint32_t wtype) { return quant_vec_dot_type(wtype); }

/* The exact path spends most of its time here; keep it optimised in -O0 (Debug/ASan) builds so
 * the oracle tests stay fast. GCC only: clang has no per-function optimisation level. */
#if defined(__GNUC__) && !defined(__clang__)
#define SK_HOT __attribute__((optimize("O2")))
#else
#define SK_HOT
#endif

SK_HOT static float dot_f32(const float *a, const float *b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
  return (float)s;
}

static void quantize_act(uint32_t act_type, const float *src, void *dst, int64_t n) {
  (void)quant_quantize_row(act_type, src, dst, n); /* types and sizes validated at load */
}

/* The reference tile: one vec_dot per (row, token). */
static void gemm(uint32_t wtype, const void *w, size_t w_stride, int n_rows, const void *act,
                 size_t act_stride, int n_tok, float *out, size_t out_stride, int64_t n) {
  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tok; t++)
      out[(size_t)t * out_stride + (size_t)r] =
          quant_vec_dot(wtype, (const uint8_t *)w + (size_t)r * w_stride,
                        (const uint8_t *)act + (size_t)t * act_stride, n);
}

static void gemv(uint32_t wtype, const void *w, size_t w_stride, int n_rows, const void *act,
                 float *out, int64_t n) {
  for (int r = 0; r < n_rows; r++)
    out[r] = quant_vec_dot(wtype, (const uint8_t *)w + (size_t)r * w_stride, act, n);
}

SK_HOT static float dot_f16_f32(const uint16_t *x, const float *y, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)fp16_to_fp32(x[i]) * (double)y[i];
  return (float)s;
}

SK_HOT static void f16_axpy(float *y, float a, const uint16_t *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * fp16_to_fp32(x[i]);
}

static const cpu_kernels k_scalar = {
    .name = "scalar",
    .dot_f32 = dot_f32,
    .dequantize_row = quant_dequantize_row,
    .quantize_act = quantize_act,
    .vec_dot = quant_vec_dot,
    .gemm = gemm,
    .gemv = gemv,
    .dot_f16_f32 = dot_f16_f32,
    .f16_axpy = f16_axpy,
};

const cpu_kernels *cpu_kernels_scalar(void) { return &k_scalar; }
