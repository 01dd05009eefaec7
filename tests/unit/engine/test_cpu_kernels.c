/* SIMD kernels against the scalar reference, at every instruction-set level this machine can
 * run (each level explicitly, not only the best one; levels the CPU lacks are reported as
 * skipped):
 *   - activation quantisers (Q8_0, Q8_1, Q8_K, F16): byte-identical, including rounding ties;
 *   - dequantisation of every weight type: bit-identical floats;
 *   - integer dot products with unit scales and small activations, where every partial sum is an
 *     integer below 2^24, so any summation order gives the same float: must be equal exactly
 *     (this catches a single wrong code, which a tolerance would hide);
 *   - dot products on realistic quantised random data: within float rounding of the reference;
 *   - the prefill tile (gemm) with odd row and token counts: equal to the level's own vec_dot. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/cpu/cpu.h"
#include "engine/gtype.h"
#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"
#include "engine/quant/quant.h"

#define NMAX 1536 /* six K-quant super-blocks, 48 legacy blocks */
#define ROWS 37   /* odd: the tile loop has a partial row group */
#define TOKS 11   /* odd: full groups of 4 and 8 tokens and remainders */

static const uint32_t k_wtypes[] = {GTYPE_F32,  GTYPE_F16,  GTYPE_BF16, GTYPE_Q4_0,
                                    GTYPE_Q4_1, GTYPE_Q5_0, GTYPE_Q5_1, GTYPE_Q8_0,
                                    GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K};
#define N_WTYPES (sizeof k_wtypes / sizeof k_wtypes[0])

static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1p-53; }
static float rng_gauss(void) {
  double u = rng_unit(), v = rng_unit();
  return (float)(sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v));
}

/* Row lengths to try for a type: multiples of its block size, some odd block counts. */
static int lengths(uint32_t t, int64_t out[4]) {
  if (gtype_block_elems(t) == 256) {
    out[0] = 256, out[1] = 768, out[2] = 1536;
    return 3;
  }
  out[0] = 32, out[1] = 96, out[2] = 224, out[3] = 1536;
  return 4;
}

static int n_levels_tested;

static const cpu_kernels *level_or_skip(cpu_level l) {
  const cpu_kernels *k = cpu_kernels_level(l);
  if (!k) printf("[ SKIP ] level %s: not supported by this CPU\n", cpu_level_name(l));
  else n_levels_tested++;
  return k;
}

static void quantisers_are_byte_identical(void **state) {
  (void)state;
  static float x[NMAX];
  static uint8_t ref[NMAX * 4], got[NMAX * 4];
  const uint32_t acts[] = {GTYPE_Q8_0, GTYPE_Q8_1, GTYPE_Q8_K, GTYPE_F16};
  for (int l = CPU_SCALAR; l <= CPU_AVX512; l++) {
    const cpu_kernels *k = level_or_skip((cpu_level)l);
    if (!k) continue;
    for (int trial = 0; trial < 6; trial++) {
      rng_state = 100u + (uint64_t)trial;
      for (int i = 0; i < NMAX; i++) {
        x[i] = rng_gauss() * (trial == 1 ? 1e-3f : 3.0f);
        if (trial == 2) x[i] = (float)((i % 64) - 32) + 0.5f; /* ties: x·id lands on .5 */
        if (trial == 3 && i % 32 == 0) x[i] = 127.0f;         /* id = 1 exactly */
        if (trial == 3) x[i] = i % 32 ? (float)(i % 7) - 3.5f : 127.0f;
        if (trial == 4) x[i] = i % 256 == 17 ? -127.0f : (float)(i % 9) - 4.5f; /* Q8_K ties */
        if (trial == 5 && (i / 256) % 2) x[i] = 0.0f; /* all-zero blocks */
      }
      x[5] = trial == 4 ? 127.0f : x[5]; /* +amax and −amax: the first one sets the sign */
      for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        size_t bytes = gtype_row_bytes(acts[a], NMAX);
        memset(ref, 0xaa, bytes);
        memset(got, 0x55, bytes);
        assert_int_equal(quant_quantize_row(acts[a], x, ref, NMAX), 0);
        k->quantize_act(acts[a], x, got, NMAX);
        if (memcmp(ref, got, bytes) != 0) {
          size_t i = 0;
          while (ref[i] == got[i]) i++;
          fail_msg("%s quantize %s trial %d: byte %zu differs (%u vs %u)", k->name,
                   gtype_name(acts[a]), trial, i, ref[i], got[i]);
        }
      }
    }
  }
  assert_true(n_levels_tested > 0);
}

static void fill_quantised(uint32_t t, void *dst, int64_t n, float scale) {
  static float x[NMAX];
  for (int64_t i = 0; i < n; i++) x[i] = scale * rng_gauss();
  assert_int_equal(quant_quantize_row(t, x, dst, n), 0);
}

static void dequantise_is_bit_identical(void **state) {
  (void)state;
  static uint8_t w[NMAX * 4];
  static float ref[NMAX], got[NMAX];
  for (int l = CPU_SCALAR; l <= CPU_AVX512; l++) {
    const cpu_kernels *k = level_or_skip((cpu_level)l);
    if (!k) continue;
    for (size_t ti = 0; ti < N_WTYPES; ti++) {
      int64_t ns[4];
      int nn = lengths(k_wtypes[ti], ns);
      for (int li = 0; li < nn; li++) {
        rng_state = 7u + ti;
        fill_quantised(k_wtypes[ti], w, ns[li], 0.7f);
        quant_dequantize_row(k_wtypes[ti], w, ref, ns[li]);
        k->dequantize_row(k_wtypes[ti], w, got, ns[li]);
        if (memcmp(ref, got, (size_t)ns[li] * sizeof(float)) != 0)
          fail_msg("%s dequantize %s n=%lld differs", k->name, gtype_name(k_wtypes[ti]),
                   (long long)ns[li]);
      }
    }
  }
}

/* A weight row of random codes (the whole code range, e.g. −128 for Q8_0) with unit scales. */
static void fill_unit_weights(uint32_t t, uint8_t *w, int64_t n) {
  size_t bytes = gtype_row_bytes(t, (uint64_t)n), bb = gtype_block_bytes(t);
  for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rng_next();
  const uint16_t one = 0x3c00; /* 1.0 in binary16 */
  for (size_t b = 0; b < bytes / bb; b++) {
    uint8_t *blk = w + b * bb;
    switch (t) {
    case GTYPE_Q4_0:
    case GTYPE_Q5_0:
    case GTYPE_Q8_0: memcpy(blk, &one, 2); break;
    case GTYPE_Q4_1:
    case GTYPE_Q5_1:
    case GTYPE_Q4_K:
    case GTYPE_Q5_K: /* d and m / dmin */
      memcpy(blk, &one, 2);
      memcpy(blk + 2, &one, 2);
      break;
    case GTYPE_Q6_K: memcpy(blk + offsetof(block_q6_K, d), &one, 2); break;
    default: break;
    }
  }
}

/* Activations with unit scales and codes in −8..8 (sums stay exact integers in float). */
static void fill_unit_acts(uint32_t at, uint8_t *a, int64_t n) {
  if (at == GTYPE_Q8_K) {
    block_q8_K *y = (block_q8_K *)a;
    for (int64_t b = 0; b < n / QK_K; b++) {
      y[b].d = 1.0f;
      for (int j = 0; j < QK_K; j++) y[b].qs[j] = (int8_t)((int)(rng_next() % 17) - 8);
      for (int j = 0; j < QK_K / 16; j++) {
        int s = 0;
        for (int i = 0; i < 16; i++) s += y[b].qs[16 * j + i];
        y[b].bsums[j] = (int16_t)s;
      }
    }
  } else if (at == GTYPE_Q8_0) {
    block_q8_0 *y = (block_q8_0 *)a;
    for (int64_t b = 0; b < n / 32; b++) {
      y[b].d = 0x3c00;
      for (int j = 0; j < 32; j++) y[b].qs[j] = (int8_t)((int)(rng_next() % 17) - 8);
    }
  } else if (at == GTYPE_Q8_1) {
    block_q8_1 *y = (block_q8_1 *)a;
    for (int64_t b = 0; b < n / 32; b++) {
      int s = 0;
      y[b].d = 0x3c00;
      for (int j = 0; j < 32; j++) {
        y[b].qs[j] = (int8_t)((int)(rng_next() % 17) - 8);
        s += y[b].qs[j];
      }
      y[b].s = fp32_to_fp16((float)s);
    }
  }
}

static void integer_dots_are_exact(void **state) {
  (void)state;
  static uint8_t w[NMAX * 2], a[NMAX * 2];
  for (int l = CPU_SCALAR; l <= CPU_AVX512; l++) {
    const cpu_kernels *k = level_or_skip((cpu_level)l);
    if (!k) continue;
    for (size_t ti = 0; ti < N_WTYPES; ti++) {
      uint32_t t = k_wtypes[ti], at = quant_vec_dot_type(t);
      if (gtype_block_elems(t) == 1) continue; /* float types: see the tolerance test */
      int64_t ns[4];
      int nn = lengths(t, ns);
      for (int li = 0; li < nn; li++)
        for (int trial = 0; trial < 8; trial++) {
          rng_state = 1000u * ti + 10u * (uint64_t)li + (uint64_t)trial;
          int64_t n = ns[li] > 768 ? 768 : ns[li]; /* keeps every sum below 2^24 */
          fill_unit_weights(t, w, n);
          fill_unit_acts(at, a, n);
          float ref = quant_vec_dot(t, w, a, n), got = k->vec_dot(t, w, a, n);
          if (ref != got)
            fail_msg("%s %s·%s n=%lld trial %d: %.9g vs reference %.9g", k->name, gtype_name(t),
                     gtype_name(at), (long long)n, trial, (double)got, (double)ref);
        }
    }
  }
}

/* |Σ w·a| over the dequantised operands: the scale that float rounding is relative to. */
static double abs_dot(uint32_t t, const void *w, const void *a, int64_t n) {
  static float fw[NMAX], fa[NMAX];
  quant_dequantize_row(t, w, fw, n);
  quant_dequantize_row(quant_vec_dot_type(t), a, fa, n);
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += fabs((double)fw[i] * fa[i]);
  return s;
}

static void dots_agree_within_rounding(void **state) {
  (void)state;
  static uint8_t w[NMAX * 4], a[NMAX * 4];
  static float x[NMAX];
  for (int l = CPU_SCALAR; l <= CPU_AVX512; l++) {
    const cpu_kernels *k = level_or_skip((cpu_level)l);
    if (!k) continue;
    for (size_t ti = 0; ti < N_WTYPES; ti++) {
      uint32_t t = k_wtypes[ti], at = quant_vec_dot_type(t);
      int64_t ns[4];
      int nn = lengths(t, ns);
      for (int li = 0; li < nn; li++) {
        rng_state = 77u + ti * 13u + (uint64_t)li;
        fill_quantised(t, w, ns[li], 0.05f);
        for (int64_t i = 0; i < ns[li]; i++) x[i] = rng_gauss();
        k->quantize_act(at, x, a, ns[li]);
        float ref = quant_vec_dot(t, w, a, ns[li]), got = k->vec_dot(t, w, a, ns[li]);
        double tol = 2e-6 * abs_dot(t, w, a, ns[li]) + 1e-7;
        if (!(fabs((double)ref - got) <= tol))
          fail_msg("%s %s n=%lld: %.9g vs reference %.9g (tolerance %.3g)", k->name,
                   gtype_name(t), (long long)ns[li], (double)got, (double)ref, tol);
      }
    }
    /* the F32 dot of attention, on lengths that are not multiples of 8 */
    for (int n = 1; n < 200; n += 13) {
      static float b[NMAX];
      double s = 0, m = 0;
      for (int i = 0; i < n; i++) x[i] = rng_gauss(), b[i] = rng_gauss();
      for (int i = 0; i < n; i++) s += (double)x[i] * b[i], m += fabs((double)x[i] * b[i]);
      assert_true(fabs(k->dot_f32(x, b, n) - s) <= 1e-6 * m + 1e-7);
    }
  }
}

static void gemm_tile_equals_vec_dot(void **state) {
  (void)state;
  static float x[NMAX], out[TOKS * ROWS];
  static uint8_t *w, *a;
  w = malloc((size_t)ROWS * NMAX * 4);
  a = malloc((size_t)TOKS * NMAX * 4);
  assert_non_null(w);
  assert_non_null(a);
  for (int l = CPU_SCALAR; l <= CPU_AVX512; l++) {
    const cpu_kernels *k = level_or_skip((cpu_level)l);
    if (!k) continue;
    for (size_t ti = 0; ti < N_WTYPES; ti++) {
      uint32_t t = k_wtypes[ti], at = quant_vec_dot_type(t);
      int64_t n = gtype_block_elems(t) == 256 ? 512 : 160;
      size_t wrow = gtype_row_bytes(t, (uint64_t)n), arow = gtype_row_bytes(at, (uint64_t)n) + 8;
      rng_state = 5u + ti;
      for (int r = 0; r < ROWS; r++) fill_quantised(t, w + (size_t)r * wrow, n, 0.05f);
      for (int tk = 0; tk < TOKS; tk++) {
        for (int64_t i = 0; i < n; i++) x[i] = rng_gauss();
        k->quantize_act(at, x, a + (size_t)tk * arow, n);
      }
      for (int n_tok = 1; n_tok <= TOKS; n_tok++) {
        memset(out, 0, sizeof out);
        k->gemm(t, w, wrow, ROWS, a, arow, n_tok, out, ROWS + 0u, n);
        for (int tk = 0; tk < n_tok; tk++)
          for (int r = 0; r < ROWS; r++) {
            float want = k->vec_dot(t, w + (size_t)r * wrow, a + (size_t)tk * arow, n);
            if (out[tk * ROWS + r] != want)
              fail_msg("%s gemm %s n_tok=%d token %d row %d: %.9g vs vec_dot %.9g", k->name,
                       gtype_name(t), n_tok, tk, r, (double)out[tk * ROWS + r], (double)want);
          }
      }
    }
  }
  free(w);
  free(a);
}

static void env_caps_the_level(void **state) {
  (void)state;
  printf("[ INFO ] best level on this CPU: %s\n", cpu_level_name(cpu_best_level()));
  assert_non_null(cpu_kernels_get());
  setenv("SEKISHO_CPU", "scalar", 1);
  assert_string_equal(cpu_kernels_get()->name, "scalar");
  setenv("SEKISHO_CPU", "avx512", 1); /* a cap, never a promise beyond the CPU */
  assert_string_equal(cpu_kernels_get()->name,
                      cpu_level_name(cpu_best_level() < CPU_AVX512 ? cpu_best_level() : CPU_AVX512));
  unsetenv("SEKISHO_CPU");
  assert_string_equal(cpu_kernels_get()->name, cpu_level_name(cpu_best_level()));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(quantisers_are_byte_identical),
      cmocka_unit_test(dequantise_is_bit_identical),
      cmocka_unit_test(integer_dots_are_exact),
      cmocka_unit_test(dots_agree_within_rounding),
      cmocka_unit_test(gemm_tile_equals_vec_dot),
      cmocka_unit_test(env_caps_the_level),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
