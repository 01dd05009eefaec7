/* F16 / BF16 conversions: exhaustive round trips and round-to-nearest-even at every midpoint. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/quant/fp16.h"

static int is_nan16(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu); }

static void fp16_round_trips_every_half(void **state) {
  (void)state;
  for (uint32_t h = 0; h < 0x10000u; h++) {
    float f = fp16_to_fp32((uint16_t)h);
    if (is_nan16((uint16_t)h)) {
      assert_true(isnan(f));
      assert_true(is_nan16(fp32_to_fp16(f)));
      continue;
    }
    assert_int_equal(fp32_to_fp16(f), h);
  }
}

static void fp16_known_values(void **state) {
  (void)state;
  assert_true(fp16_to_fp32(0x3c00) == 1.0f);
  assert_true(fp16_to_fp32(0xc000) == -2.0f);
  assert_true(fp16_to_fp32(0x7bff) == 65504.0f);
  assert_true(fp16_to_fp32(0x0001) == 0x1p-24f); /* smallest subnormal */
  assert_true(fp16_to_fp32(0x0400) == 0x1p-14f); /* smallest normal */
  assert_true(isinf(fp16_to_fp32(0x7c00)) && fp16_to_fp32(0x7c00) > 0);
  assert_true(isinf(fp16_to_fp32(0xfc00)) && fp16_to_fp32(0xfc00) < 0);
  assert_true(signbit(fp16_to_fp32(0x8000)));
  assert_int_equal(fp32_to_fp16(-0.0f), 0x8000);
  assert_int_equal(fp32_to_fp16(65519.0f), 0x7bff);
  assert_int_equal(fp32_to_fp16(65520.0f), 0x7c00); /* midpoint ties to even = inf */
  assert_int_equal(fp32_to_fp16(1e9f), 0x7c00);
  assert_int_equal(fp32_to_fp16(-INFINITY), 0xfc00);
  assert_int_equal(fp32_to_fp16(0x1p-25f), 0x0000);        /* half of the smallest: to even 0 */
  assert_int_equal(fp32_to_fp16(0x1.8p-24f), 0x0002);      /* 1.5 units: to even 2 */
  assert_int_equal(fp32_to_fp16(0x1.4p-23f), 0x0002);      /* 2.5 units: to even 2 */
  assert_int_equal(fp32_to_fp16(0x1.000002p-25f), 0x0001); /* just above half: up */
  assert_int_equal(fp32_to_fp16(1e-10f), 0x0000);
  assert_int_equal(fp32_to_fp16(-1e-10f), 0x8000);
  assert_true(is_nan16(fp32_to_fp16(NAN)));
  assert_int_equal(fp32_to_fp16(-NAN) & 0x8000, 0x8000);
}

/* For every pair of adjacent finite halves a < b (of both signs), the float midpoint rounds to
 * the even one, and the floats just inside either side round to that side. */
static void fp16_rounds_to_nearest_even_everywhere(void **state) {
  (void)state;
  for (uint32_t sign = 0; sign <= 0x8000u; sign += 0x8000u) {
    for (uint32_t a = 0; a < 0x7c00u; a++) {
      const uint16_t ha = (uint16_t)(sign | a), hb = (uint16_t)(sign | (a + 1));
      const float fa = fp16_to_fp32(ha);
      const float fb = a + 1 == 0x7c00u ? (sign ? -65536.0f : 65536.0f) : fp16_to_fp32(hb);
      const float mid = (float)(((double)fa + (double)fb) / 2.0); /* exact in binary32 */
      assert_true((double)mid == ((double)fa + (double)fb) / 2.0);
      const uint16_t even = (a & 1u) ? hb : ha;
      assert_int_equal(fp32_to_fp16(mid), even);
      assert_int_equal(fp32_to_fp16(nextafterf(mid, fa)), ha);
      assert_int_equal(fp32_to_fp16(nextafterf(mid, fb)), hb);
    }
  }
}

static void bf16_conversions(void **state) {
  (void)state;
  for (uint32_t b = 0; b < 0x10000u; b++) {
    float f = bf16_to_fp32((uint16_t)b);
    if (isnan(f)) continue;
    assert_int_equal(fp32_to_bf16(f), b);
  }
  assert_int_equal(fp32_to_bf16(1.0f), 0x3f80);
  assert_int_equal(fp32_to_bf16(sk_f32_from_bits(0x3f808000u)), 0x3f80); /* tie → even */
  assert_int_equal(fp32_to_bf16(sk_f32_from_bits(0x3f818000u)), 0x3f82); /* tie → even */
  assert_int_equal(fp32_to_bf16(sk_f32_from_bits(0x3f808001u)), 0x3f81); /* above tie */
  assert_int_equal(fp32_to_bf16(sk_f32_from_bits(0x7f7fffffu)), 0x7f80); /* FLT_MAX → inf */
  assert_int_equal(fp32_to_bf16(INFINITY), 0x7f80);
  assert_int_equal(fp32_to_bf16(-INFINITY), 0xff80);
  uint16_t qn = fp32_to_bf16(sk_f32_from_bits(0x7f800001u)); /* signalling NaN stays NaN */
  assert_true(isnan(bf16_to_fp32(qn)));
  assert_int_equal(qn & 0x40, 0x40);
  assert_true(bf16_to_fp32(0x0001) > 0.0f); /* subnormals kept */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fp16_round_trips_every_half),
      cmocka_unit_test(fp16_known_values),
      cmocka_unit_test(fp16_rounds_to_nearest_even_everywhere),
      cmocka_unit_test(bf16_conversions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
