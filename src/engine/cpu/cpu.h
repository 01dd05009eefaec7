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
  /* A tile of a matrix product (prefill): out[t * out_stride + r] = vec_dot(row r, act row t)
   * for r < n_rows, t < n_tok; rows are w_stride bytes apart, activation rows act_stride.
   * SIMD versions reuse each weight block for several tokens; results equal vec_dot's. */
  void (*gemm)(uint32_t wtype, const void *w, size_t w_stride, int n_rows, const void *act,
               size_t act_stride, int n_tok, float *out, size_t out_stride, int64_t n);
} cpu_kernels;

/* 1 when weights of this type can be used by both paths. */
int cpu_type_supported(uint32_t wtype);
/* The type activations are rounded to before a product with weights of wtype. */
uint32_t cpu_act_type(uint32_t wtype);
/* Instruction-set levels, best last. */
typedef enum cpu_level { CPU_SCALAR = 0, CPU_AVX2 = 1, CPU_AVX512 = 2, CPU_AMX = 3 } cpu_level;
#define CPU_LEVEL_BEST_KNOWN CPU_AMX /* the last level, for loops over all of them */

/* The kernels to use on this machine (never NULL): the best level the CPU (and OS) supports,
 * capped by the environment variable SEKISHO_CPU=scalar|avx2|avx512|amx when set (for benchmarks
 * and for tests of the lower levels). Detected once; thread-safe after the first call. */
const cpu_kernels *cpu_kernels_get(void);
/* The scalar reference kernels. */
const cpu_kernels *cpu_kernels_scalar(void);
/* The kernels of one level, or NULL when this CPU cannot run them (or the build lacks them). */
const cpu_kernels *cpu_kernels_level(cpu_level level);
/* The best level this CPU supports (ignores SEKISHO_CPU). */
cpu_level cpu_best_level(void);
/* Level name: "scalar", "avx2", "avx512", "amx". */
const char *cpu_level_name(cpu_level level);

/* Per-ISA tables (avx2.c, avx512.c): only call when cpu_best_level() allows. */
const cpu_kernels *cpu_kernels_avx2(void);
const cpu_kernels *cpu_kernels_avx512(void);
/* AVX-512 kernels with the prefill gemm on AMX tiles (gemm_amx.c); NULL when the CPU or the OS
 * does not offer AMX-INT8. cpu_amx_usable() asks once per process (Linux must be asked to enable
 * the tile state: arch_prctl ARCH_REQ_XCOMP_PERM). */
const cpu_kernels *cpu_kernels_amx(void);
int cpu_amx_usable(void);

#endif
