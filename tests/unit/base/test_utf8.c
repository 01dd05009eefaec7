#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/utf8.h"

static void decode_rejects_overlong_and_surrogates(void **state) {
  (void)state;
  uint32_t cp;
  assert_int_equal(sk_utf8_decode("\xC0\x80", 2, &cp), 0);
  assert_int_equal(sk_utf8_decode("\xED\xA0\x80", 3, &cp), 0);
  assert_int_equal(sk_utf8_decode("\xF4\x90\x80\x80", 4, &cp), 0);
  assert_int_equal(sk_utf8_decode("\xE9\x96\xA2", 3, &cp), 3);
  assert_int_equal(cp, 0x95A2); /* 関 */
}

static void complete_prefix_holds_back_partial_sequences(void **state) {
  (void)state;
  const char *s = "ab\xE9\x96\xA2"; /* "ab関" */
  assert_int_equal(sk_utf8_complete_prefix(s, 5), 5);
  assert_int_equal(sk_utf8_complete_prefix(s, 4), 2);
  assert_int_equal(sk_utf8_complete_prefix(s, 3), 2);
  assert_int_equal(sk_utf8_complete_prefix(s, 2), 2);
  assert_int_equal(sk_utf8_complete_prefix("\xF0\x9F\x98", 3), 0);
  assert_int_equal(sk_utf8_complete_prefix("a\x80", 2), 2); /* stray continuation: emit */
}

static void encode_roundtrips(void **state) {
  (void)state;
  char buf[4];
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp += 97) {
    size_t n = sk_utf8_encode(cp, buf);
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      assert_int_equal(n, 0);
      continue;
    }
    uint32_t back = 0;
    assert_int_equal(sk_utf8_decode(buf, n, &back), n);
    assert_int_equal(back, cp);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decode_rejects_overlong_and_surrogates),
      cmocka_unit_test(complete_prefix_holds_back_partial_sequences),
      cmocka_unit_test(encode_roundtrips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
