/* The prefill matrix product (cpu_kernels.gemm) at every level this machine runs, AMX included,
 * against the scalar reference vec_dot, on shapes that exercise every edge of the blocking:
 * row counts that leave a partial panel of 32 (and of 16), token counts below, at and around the
 * 16-token tile height (the remainder takes the AVX-512 tile), and row lengths that span several
 * 512-element panel chunks with a partial last one. Tolerance: 1e-5 of Σ|w·a| (the AMX kernel
 * multiplies the scales in another order than vec_dot); one wrong code out of ~1500 moves a
 * result by ~1e-3 of that sum, so a repacking error cannot hide in it. Columns beyond the rows
 * of the tile (out_stride > rows) must stay untouched. */
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
#include "engine/quant/quant.h"

#define NMAX 1536
#define ROWS 37    /* a full panel of 32 and a partial one of 5 */
#define TOKS 70    /* two passes of 32 and a remainder of 6 */
#define STRIDE 41  /* out_stride: 4 canary columns after the rows */
#define CANARY -12345.0f
#define REL_TOL 1e-5

static const uint32_t k_types[] = {GTYPE_Q8_0, GTYPE_Q4_0, GTYPE_Q5_0, GTYPE_Q4_1,
                                   GTYPE_Q5_1, GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K};
#define N_TYPES (sizeof k_types / sizeof k_types[0])
static const int k_ntoks[] = {1, 5, 15, 16, 17, 33, 48, TOKS};
static const int k_nrows[] = {1, 16, 21, ROWS};

static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static float rng_gauss(void) {
  double u = (double)(rng_next() >> 11) * 0x1p-53, v = (double)(rng_next() >> 11) * 0x1p-53;
  return (float)(sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v));
}

static uint8_t *g_w, *g_a;
static float g_x[NMAX], g_fw[ROWS][NMAX], g_fa[TOKS][NMAX], g_out[TOKS * STRIDE];
static float g_ref[TOKS][ROWS];
static double g_abs[TOKS][ROWS];

static int setup(void **state) {
  (void)state;
  g_w = malloc((size_t)ROWS * NMAX * 2);
  g_a = malloc((size_t)TOKS * NMAX * 2);
  return g_w && g_a ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  free(g_w);
  free(g_a);
  return 0;
}

/* Fills weights and activations of type t for rows of n elements; reference results. */
static void prepare(uint32_t t, int64_t n, size_t wrow, size_t arow) {
  uint32_t at = quant_vec_dot_type(t);
  rng_state = 7u + t * 131u + (uint64_t)n;
  for (int r = 0; r < ROWS; r++) {
    for (int64_t i = 0; i < n; i++) g_x[i] = 0.05f * rng_gauss();
    assert_int_equal(quant_quantize_row(t, g_x, g_w + (size_t)r * wrow, n), 0);
    quant_dequantize_row(t, g_w + (size_t)r * wrow, g_fw[r], n);
  }
  for (int k = 0; k < TOKS; k++) {
    for (int64_t i = 0; i < n; i++) g_x[i] = rng_gauss() * (k % 3 ? 1.0f : 40.0f);
    assert_int_equal(quant_quantize_row(at, g_x, g_a + (size_t)k * arow, n), 0);
    quant_dequantize_row(at, g_a + (size_t)k * arow, g_fa[k], n);
  }
  for (int k = 0; k < TOKS; k++)
    for (int r = 0; r < ROWS; r++) {
      g_ref[k][r] = quant_vec_dot(t, g_w + (size_t)r * wrow, g_a + (size_t)k * arow, n);
      double s = 0;
      for (int64_t i = 0; i < n; i++) s += fabs((double)g_fw[r][i] * g_fa[k][i]);
      g_abs[k][r] = s;
    }
}

static void gemm_matches_reference(void **state) {
  (void)state;
  int levels = 0;
  for (int l = CPU_SCALAR; l <= CPU_LEVEL_BEST_KNOWN; l++) {
    const cpu_kernels *k = cpu_kernels_level((cpu_level)l);
    if (!k) {
      printf("[ SKIP ] level %s: not supported by this CPU\n", cpu_level_name((cpu_level)l));
      continue;
    }
    levels++;
    for (size_t ti = 0; ti < N_TYPES; ti++) {
      const uint32_t t = k_types[ti];
      /* legacy: 35 blocks (chunks of 512 + 512 + 96); K-quants: 5 super-blocks (512 + 512 + 256) */
      const int64_t ns[2] = {gtype_block_elems(t) == 256 ? 1280 : 1120, 256};
      for (int ni = 0; ni < 2; ni++) {
        const int64_t n = ns[ni];
        size_t wrow = gtype_row_bytes(t, (uint64_t)n);
        size_t arow = gtype_row_bytes(quant_vec_dot_type(t), (uint64_t)n) + 6; /* odd stride */
        prepare(t, n, wrow, arow);
        for (size_t ri = 0; ri < sizeof k_nrows / sizeof k_nrows[0]; ri++)
          for (size_t ki = 0; ki < sizeof k_ntoks / sizeof k_ntoks[0]; ki++) {
            const int nr = k_nrows[ri], nt = k_ntoks[ki];
            if (l == CPU_SCALAR && nt > 17) continue; /* the reference itself: keep ASan fast */
            for (size_t i = 0; i < sizeof g_out / sizeof g_out[0]; i++) g_out[i] = CANARY;
            k->gemm(t, g_w, wrow, nr, g_a, arow, nt, g_out, STRIDE, n);
            for (int tk = 0; tk < nt; tk++) {
              for (int r = 0; r < nr; r++) {
                double got = g_out[tk * STRIDE + r], want = g_ref[tk][r];
                double tol = REL_TOL * g_abs[tk][r] + 1e-7;
                if (!(fabs(got - want) <= tol))
                  fail_msg("%s gemm %s n=%lld rows=%d n_tok=%d: token %d row %d: %.9g vs "
                           "reference %.9g (tolerance %.3g)",
                           k->name, gtype_name(t), (long long)n, nr, nt, tk, r, got, want, tol);
              }
              for (int r = nr; r < STRIDE; r++)
                if (g_out[tk * STRIDE + r] != CANARY)
                  fail_msg("%s gemm %s rows=%d n_tok=%d: wrote column %d of token %d", k->name,
                           gtype_name(t), nr, nt, r, tk);
            }
          }
      }
    }
  }
  assert_true(levels > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(gemm_matches_reference, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
