/* Quantised types: block sizes, quantise→dequantise error per type, exact ggml semantics of
 * the activation quantisers, bit layouts against hand-built blocks, and the dot products
 * against a float64 dot of the dequantised operands. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "engine/gtype.h"
#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"
#include "engine/quant/quant.h"

#define N 1024 /* four K-quant super-blocks */

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
static void fill_gauss(float *x, int n, float scale) {
  for (int i = 0; i < n; i++)
    x[i] = scale * rng_gauss();
}

static void block_sizes_match_gguf(void **state) {
  (void)state;
  assert_int_equal(sizeof(block_q4_0), gtype_block_bytes(GTYPE_Q4_0));
  assert_int_equal(sizeof(block_q4_1), gtype_block_bytes(GTYPE_Q4_1));
  assert_int_equal(sizeof(block_q5_0), gtype_block_bytes(GTYPE_Q5_0));
  assert_int_equal(sizeof(block_q5_1), gtype_block_bytes(GTYPE_Q5_1));
  assert_int_equal(sizeof(block_q8_0), gtype_block_bytes(GTYPE_Q8_0));
  assert_int_equal(sizeof(block_q8_1), gtype_block_bytes(GTYPE_Q8_1));
  assert_int_equal(sizeof(block_q4_K), gtype_block_bytes(GTYPE_Q4_K));
  assert_int_equal(sizeof(block_q5_K), gtype_block_bytes(GTYPE_Q5_K));
  assert_int_equal(sizeof(block_q6_K), gtype_block_bytes(GTYPE_Q6_K));
  assert_int_equal(sizeof(block_q8_K), gtype_block_bytes(GTYPE_Q8_K));
  assert_int_equal(sizeof(block_q4_K), 144);
  assert_int_equal(sizeof(block_q5_K), 176);
  assert_int_equal(sizeof(block_q6_K), 210);
  assert_int_equal(sizeof(block_q8_K), 292);
}

typedef struct rt_case {
  uint32_t type;
  double max_rel_rms; /* rms error / rms signal on gaussian data */
} rt_case;

/* Bounds are ~1.5× what the reference fits measure on N(0,1) data (see docs/engine-quant.md). */
static const rt_case k_rt[] = {
    {GTYPE_F32, 0.0},    {GTYPE_F16, 0.0004}, {GTYPE_BF16, 0.003}, {GTYPE_Q8_0, 0.006},
    {GTYPE_Q8_1, 0.006}, {GTYPE_Q8_K, 0.01},  {GTYPE_Q4_0, 0.13},  {GTYPE_Q4_1, 0.11},
    {GTYPE_Q5_0, 0.065}, {GTYPE_Q5_1, 0.055}, {GTYPE_Q4_K, 0.13},  {GTYPE_Q5_K, 0.065},
    {GTYPE_Q6_K, 0.035},
};

static void quantize_dequantize_error_is_bounded(void **state) {
  (void)state;
  static float x[N], y[N];
  static uint8_t q[N * 4];
  int failed = 0;
  rng_state = 42;
  for (size_t c = 0; c < sizeof k_rt / sizeof k_rt[0]; c++) {
    const uint32_t t = k_rt[c].type;
    double err = 0, sig = 0, worst = 0;
    for (int rep = 0; rep < 8; rep++) {
      fill_gauss(x, N, rep % 2 ? 0.02f : 3.0f); /* weight-like and activation-like scales */
      assert_true(gtype_row_bytes(t, N) <= sizeof q);
      assert_int_equal(quant_quantize_row(t, x, q, N), SK_OK);
      quant_dequantize_row(t, q, y, N);
      double e = 0, s = 0;
      for (int i = 0; i < N; i++) {
        assert_true(isfinite(y[i]));
        e += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
        s += (double)x[i] * x[i];
      }
      err += e;
      sig += s;
      if (sqrt(e / s) > worst) worst = sqrt(e / s);
    }
    const double rel = sqrt(err / sig);
    printf("  %-5s rel rms error %.5f (worst row %.5f)\n", gtype_name(t), rel, worst);
    if (rel > k_rt[c].max_rel_rms) {
      printf("  FAIL: %s rel rms %.5f > %.5f\n", gtype_name(t), rel, k_rt[c].max_rel_rms);
      failed++;
    }
    if (k_rt[c].max_rel_rms == 0.0) assert_true(rel == 0.0);
  }
  assert_int_equal(failed, 0);
}

static void special_rows_quantize_cleanly(void **state) {
  (void)state;
  static float x[256], y[256];
  static uint8_t q[2048];
  const uint32_t types[] = {GTYPE_Q4_0, GTYPE_Q4_1, GTYPE_Q5_0, GTYPE_Q5_1, GTYPE_Q8_0,
                            GTYPE_Q8_1, GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K, GTYPE_Q8_K};
  for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
    const uint32_t t = types[k];
    memset(x, 0, sizeof x); /* all zeros → exact zeros */
    assert_int_equal(quant_quantize_row(t, x, q, 256), SK_OK);
    quant_dequantize_row(t, q, y, 256);
    for (int i = 0; i < 256; i++)
      assert_true(y[i] == 0.0f);
    for (int i = 0; i < 256; i++)
      x[i] = 0.5f; /* constant positive row */
    assert_int_equal(quant_quantize_row(t, x, q, 256), SK_OK);
    quant_dequantize_row(t, q, y, 256);
    for (int i = 0; i < 256; i++)
      if (fabsf(y[i] - 0.5f) > 0.02f) fail_msg("%s constant: y[%d]=%g", gtype_name(t), i, y[i]);
    x[7] = NAN; /* hostile values never crash (UBSan checks conversions) */
    x[9] = INFINITY;
    assert_int_equal(quant_quantize_row(t, x, q, 256), SK_OK);
    quant_dequantize_row(t, q, y, 256);
  }
  assert_int_equal(quant_quantize_row(GTYPE_Q4_K, x, q, 100), SK_EINVAL);
  assert_int_equal(quant_quantize_row(GTYPE_Q8_0, x, q, 0), SK_EINVAL);
  assert_int_equal(quant_quantize_row(GTYPE_Q2_K, x, q, 256), SK_EINVAL);
  assert_int_equal(quant_quantize_row(999, x, q, 256), SK_EINVAL);
  assert_false(quant_type_supported(GTYPE_Q3_K));
  assert_true(quant_type_supported(GTYPE_BF16));
}

static void vec_dot_types_follow_llama_cpp(void **state) {
  (void)state;
  assert_int_equal(quant_vec_dot_type(GTYPE_Q4_0), GTYPE_Q8_0);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q5_0), GTYPE_Q8_0);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q8_0), GTYPE_Q8_0);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q4_1), GTYPE_Q8_1);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q5_1), GTYPE_Q8_1);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q4_K), GTYPE_Q8_K);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q5_K), GTYPE_Q8_K);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q6_K), GTYPE_Q8_K);
  assert_int_equal(quant_vec_dot_type(GTYPE_F16), GTYPE_F16);
  assert_int_equal(quant_vec_dot_type(GTYPE_BF16), GTYPE_BF16);
  assert_int_equal(quant_vec_dot_type(GTYPE_F32), GTYPE_F32);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q8_K), QUANT_NO_TYPE);
  assert_int_equal(quant_vec_dot_type(GTYPE_Q3_K), QUANT_NO_TYPE);
}

/* quantize_row_q8_0_ref: d = amax/127, codes roundf(x / d): ties away from zero. With amax 127
 * the scale is exactly 1 and the ties are visible. */
static void q8_0_activation_quantiser_is_ggml_ref(void **state) {
  (void)state;
  float x[32] = {127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f, 3.5f, -126.6f};
  block_q8_0 b;
  assert_int_equal(quant_quantize_row(GTYPE_Q8_0, x, &b, 32), SK_OK);
  assert_int_equal(b.d, 0x3c00); /* 1.0 */
  const int8_t want[8] = {127, 3, -3, 1, -1, 1, 4, -127};
  for (int i = 0; i < 8; i++)
    assert_int_equal(b.qs[i], want[i]);
  for (int i = 8; i < 32; i++)
    assert_int_equal(b.qs[i], 0);
  block_q8_1 b1;
  assert_int_equal(quant_quantize_row(GTYPE_Q8_1, x, &b1, 32), SK_OK);
  assert_int_equal(b1.d, 0x3c00);
  assert_memory_equal(b1.qs, b.qs, 32);
  assert_int_equal(b1.s, fp32_to_fp16(127 + 3 - 3 + 1 - 1 + 1 + 4 - 127)); /* d * sum(q) */
  /* d is rounded to F16 only when stored: codes use the exact amax/127 */
  float z[32];
  for (int i = 0; i < 32; i++)
    z[i] = 0.1f * (float)(i - 16);
  assert_int_equal(quant_quantize_row(GTYPE_Q8_0, z, &b, 32), SK_OK);
  const float d = 1.6f / 127.0f, id = 1.0f / d;
  assert_int_equal(b.d, fp32_to_fp16(d));
  for (int i = 0; i < 32; i++)
    assert_int_equal(b.qs[i], (int)roundf(z[i] * id));
}

/* quantize_row_q8_K_ref: iscale = -127/max (max = the signed element of largest magnitude),
 * codes nearest-even(iscale * x) capped at 127, d = 1/iscale, bsums per 16. */
static void q8_K_activation_quantiser_is_ggml_ref(void **state) {
  (void)state;
  float x[256] = {0};
  x[0] = -127.0f; /* iscale = 1 */
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.5f;
  x[4] = 3.5f;
  x[17] = 100.4f;
  block_q8_K b;
  assert_int_equal(quant_quantize_row(GTYPE_Q8_K, x, &b, 256), SK_OK);
  assert_true(b.d == 1.0f);
  assert_int_equal(b.qs[0], -127);
  assert_int_equal(b.qs[1], 2);  /* tie to even */
  assert_int_equal(b.qs[2], -2); /* tie to even */
  assert_int_equal(b.qs[3], 0);
  assert_int_equal(b.qs[4], 4);
  assert_int_equal(b.qs[17], 100);
  assert_int_equal(b.bsums[0], -127 + 2 - 2 + 0 + 4);
  assert_int_equal(b.bsums[1], 100);
  for (int j = 2; j < 16; j++)
    assert_int_equal(b.bsums[j], 0);
  x[0] = 127.0f; /* positive max: iscale = -1, codes negated, d = -1 */
  assert_int_equal(quant_quantize_row(GTYPE_Q8_K, x, &b, 256), SK_OK);
  assert_true(b.d == -1.0f);
  assert_int_equal(b.qs[0], -127);
  assert_int_equal(b.qs[1], -2);
  assert_int_equal(b.qs[4], -4);
}

/* Hand-built blocks decoded by hand from the format description. */
static void bit_layouts_match_the_format(void **state) {
  (void)state;
  /* Q5_0: element 3 takes qh bit 3, element 16+3 takes qh bit 19. */
  block_q5_0 b5;
  memset(&b5, 0, sizeof b5);
  b5.d = fp32_to_fp16(0.5f);
  b5.qs[3] = 0x21;    /* low nibble 1 (elem 3), high 2 (elem 19) */
  b5.qh[0] = 1u << 3; /* fifth bit of element 3 */
  b5.qh[2] = 1u << 3; /* bit 19: fifth bit of element 19 */
  float y[256];
  quant_dequantize_row(GTYPE_Q5_0, &b5, y, 32);
  assert_true(y[3] == 0.5f * ((1 | 16) - 16));  /* 0.5 */
  assert_true(y[19] == 0.5f * ((2 | 16) - 16)); /* 1.0 */
  assert_true(y[0] == 0.5f * -16);

  /* Q4_K: sub-block 5 (elements 160..191, high nibbles of qs[128..159]... i.e. group 2, high)
   * has scale = low 4 bits of scales[9] | top 2 bits of scales[1] << 4, min = high 4 bits of
   * scales[9] | top 2 bits of scales[5] << 4. */
  block_q4_K bk;
  memset(&bk, 0, sizeof bk);
  bk.d = fp32_to_fp16(1.0f);
  bk.dmin = fp32_to_fp16(0.25f);
  bk.scales[9] = 0x3a;     /* scale low 0xa, min low 0x3 */
  bk.scales[1] = 0x80 | 7; /* scale top bits 0b10; sub-block 1 scale 7 */
  bk.scales[5] = 0x40 | 9; /* min top bits 0b01; sub-block 1 min 9 */
  bk.qs[64 + 4] = 0x5c;    /* group 2: elem 128+4 low nibble 0xc, elem 160+4 high 0x5 */
  bk.qs[4] = 0x0e;         /* group 0: elem 4 → sub-block 0 (scale 0), elem 36 sub-block 1 */
  bk.qs[5] = 0xd0;         /* elem 37 → sub-block 1, code 0xd */
  quant_dequantize_row(GTYPE_Q4_K, &bk, y, 256);
  const int sc5 = 0xa | (2 << 4), mn5 = 0x3 | (1 << 4);
  assert_true(y[164] == 1.0f * sc5 * 5 - 0.25f * mn5);
  assert_true(y[37] == 1.0f * 7 * 0xd - 0.25f * 9);
  assert_true(y[36] == -0.25f * 9);

  /* Q6_K: element 128 + 64 + 5 (second half, k = 2) takes the high nibble of ql[64 + 5], bits 4..5
   * of qh[32 + 5], and scale 8 + 4 = 12. */
  block_q6_K b6;
  memset(&b6, 0, sizeof b6);
  b6.d = fp32_to_fp16(0.5f);
  b6.scales[12] = -3;
  b6.ql[64 + 5] = 0x70;
  b6.qh[32 + 5] = 2u << 4;
  quant_dequantize_row(GTYPE_Q6_K, &b6, y, 256);
  assert_true(y[197] == 0.5f * -3 * ((0x7 | (2 << 4)) - 32));
}

/* The reference dot of a quantised weight row with an activation row quantised to its vec_dot
 * type equals the float64 dot of the two dequantised rows, up to float accumulation. Q4_1/Q5_1
 * use the Q8_1 block sum s = d * sum(q) stored as F16, so their bound includes s's rounding. */
static void vec_dot_matches_float64_of_dequantised(void **state) {
  (void)state;
  static float w[N], a[N], wd[N], ad[N];
  static uint8_t wq[N * 4], aq[N * 4];
  const uint32_t wtypes[] = {GTYPE_F32,  GTYPE_F16,  GTYPE_BF16, GTYPE_Q4_0, GTYPE_Q4_1, GTYPE_Q5_0,
                             GTYPE_Q5_1, GTYPE_Q8_0, GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K};
  rng_state = 7;
  for (size_t k = 0; k < sizeof wtypes / sizeof wtypes[0]; k++) {
    const uint32_t wt = wtypes[k], at = quant_vec_dot_type(wt);
    for (int rep = 0; rep < 20; rep++) {
      fill_gauss(w, N, 0.05f);
      fill_gauss(a, N, 2.0f);
      if (rep % 4 == 1)
        for (int i = 0; i < N; i++)
          w[i] += 0.03f; /* offset rows exercise the minimum terms */
      assert_int_equal(quant_quantize_row(wt, w, wq, N), SK_OK);
      assert_int_equal(quant_quantize_row(at, a, aq, N), SK_OK);
      quant_dequantize_row(wt, wq, wd, N);
      quant_dequantize_row(at, aq, ad, N);
      double ref = 0, mag = 0;
      for (int i = 0; i < N; i++) {
        ref += (double)wd[i] * ad[i];
        mag += fabs((double)wd[i] * ad[i]);
      }
      double tol = 1e-5 * mag + 1e-6;
      if (at == GTYPE_Q8_1) {
        const size_t bb = gtype_block_bytes(wt);
        for (int b = 0; b < N / 32; b++) {
          uint16_t m, s;
          memcpy(&m, wq + b * bb + 2, 2);
          memcpy(&s, aq + b * sizeof(block_q8_1) + 2, 2);
          tol += fabs((double)fp16_to_fp32(m) * fp16_to_fp32(s)) * 0x1p-10;
        }
      }
      const float got = quant_vec_dot(wt, wq, aq, N);
      if (fabs(got - ref) > tol)
        fail_msg("%s·%s rep %d: dot %.9g vs float64 %.9g (tol %.3g)", gtype_name(wt),
                 gtype_name(at), rep, got, ref, tol);
    }
  }
}

/* GGUF allows general.alignment = 1: tensor data may start at any byte. */
static void unaligned_rows_work(void **state) {
  (void)state;
  static float x[256], y0[256], y1[256];
  static uint8_t q[1200], shifted[1201];
  const uint32_t types[] = {GTYPE_F16,  GTYPE_BF16, GTYPE_F32,  GTYPE_Q4_0, GTYPE_Q5_1,
                            GTYPE_Q8_0, GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K, GTYPE_Q8_K};
  rng_state = 99;
  fill_gauss(x, 256, 1.0f);
  for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
    const uint32_t t = types[k];
    const size_t nb = gtype_row_bytes(t, 256);
    assert_int_equal(quant_quantize_row(t, x, q, 256), SK_OK);
    memcpy(shifted + 1, q, nb);
    quant_dequantize_row(t, q, y0, 256);
    quant_dequantize_row(t, shifted + 1, y1, 256);
    assert_memory_equal(y0, y1, sizeof y0);
    const uint32_t at = quant_vec_dot_type(t);
    if (at != QUANT_NO_TYPE && at == t)
      assert_true(quant_vec_dot(t, shifted + 1, q, 256) == quant_vec_dot(t, q, q, 256));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(block_sizes_match_gguf),
      cmocka_unit_test(quantize_dequantize_error_is_bounded),
      cmocka_unit_test(special_rows_quantize_cleanly),
      cmocka_unit_test(vec_dot_types_follow_llama_cpp),
      cmocka_unit_test(q8_0_activation_quantiser_is_ggml_ref),
      cmocka_unit_test(q8_K_activation_quantiser_is_ggml_ref),
      cmocka_unit_test(bit_layouts_match_the_format),
      cmocka_unit_test(vec_dot_matches_float64_of_dequantised),
      cmocka_unit_test(unaligned_rows_work),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
