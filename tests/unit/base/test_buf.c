#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

static void buf_refuses_to_grow_past_max(void **state) {
  (void)state;
  sk_buf b;
  sk_buf_init(&b, 8);
  assert_int_equal(sk_buf_append(&b, "12345678", 8), SK_OK);
  assert_int_equal(sk_buf_append(&b, "9", 1), SK_ELIMIT);
  assert_int_equal(b.len, 8);
  assert_string_equal(b.data, "12345678");
  sk_buf_release(&b);
}

static void buf_printf_appends(void **state) {
  (void)state;
  sk_buf b;
  sk_buf_init(&b, 1024);
  assert_int_equal(sk_buf_printf(&b, "%d-%s", 42, "関所"), SK_OK);
  assert_int_equal(sk_buf_printf(&b, "!"), SK_OK);
  assert_string_equal(b.data, "42-関所!");
  sk_buf_release(&b);
}

static void buf_reports_out_of_memory(void **state) {
  (void)state;
  sk_buf b;
  sk_buf_init(&b, 1024);
  sk_alloc_fail_after(1);
  assert_int_equal(sk_buf_append(&b, "x", 1), SK_ENOMEM);
  sk_alloc_fail_after(0);
  assert_int_equal(sk_buf_append(&b, "x", 1), SK_OK);
  sk_buf_release(&b);
}

static void err_wrap_prefixes(void **state) {
  (void)state;
  sk_err e;
  sk_err_set(&e, SK_EFORMAT, "bad field at offset %d", 12);
  assert_int_equal(sk_err_wrap(&e, "loading %s", "m.gguf"), SK_EFORMAT);
  assert_string_equal(e.msg, "loading m.gguf: bad field at offset 12");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(buf_refuses_to_grow_past_max),
      cmocka_unit_test(buf_printf_appends),
      cmocka_unit_test(buf_reports_out_of_memory),
      cmocka_unit_test(err_wrap_prefixes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
