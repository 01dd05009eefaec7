/* cpu.h — the table of compute kernels the forward pass calls for its matrix products.
 *
 * ops.c never calls a kernel directly: it asks cpu_kernels_get() once per context and calls
 * through the table, so SIMD versions (avx2.c, avx512.c, neon.c) can replace the scalar ones
 * after runtime detection without touching the forward pass. Every SIMD kernel must agree with
 * the scalar reference in scalar.c (a test compares them).
 *
 * Two paths, as in engine.h:
 *   exact: dequantize_row a weight row to F32, then dot_f32 with F32 activations;
 *   fast:  quantize_act the activations once per matrix product to act_type(wtype), then
 *          vec_dot each weight row against them (llama.cpp's arithmetic). */
#ifndef SK_ENGINE_CPU_CPU_H
#define SK_ENGINE_CPU_CPU_H

#include <stddef.h>
#include <stdint.h>

typedef struct cpu_kernels {
  const char *name; /* "scalar", "avx2", ... */
  float (*dot_f32)(const float *a, const float *b, int64_t n);
  /* n elements of a row of wtype → F32. n is a multiple of the block size. */
  void (*dequantize_row)(uint32_t wtype, const void *src, float *dst, int64_t n);
  /* n activations → a row of act_type (cpu_act_type of the weight type). */
  void (*quantize_act)(uint32_t act_type, const float *src, void *dst, int64_t n);
  /* Dot product of a weight row of wtype with activations already in cpu_act_type(wtype). */
  float (*vec_dot)(uint32_t wtype, const void *w, const void *act, int64_t n);
} cpu_kernels;

/* 1 when weights of this type can be used by both paths. */
int cpu_type_supported(uint32_t wtype);
/* The type activations are rounded to before a product with weights of wtype. */
uint32_t cpu_act_type(uint32_t wtype);
/* The kernels to use on this machine (never NULL). */
const cpu_kernels *cpu_kernels_get(void);
/* The scalar reference kernels. */
const cpu_kernels *cpu_kernels_scalar(void);

#endif
