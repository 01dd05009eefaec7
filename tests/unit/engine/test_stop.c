#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "engine/stop.h"

/* Feeds pieces, collects emitted text; returns the hit flag of the last feed. */
static int run(stop_matcher *m, const char *const *pieces, size_t n, sk_buf *shown,
               int flush) {
  int hit = 0;
  for (size_t i = 0; i < n && !hit; i++) {
    const char *o;
    size_t ol;
    hit = stop_feed(m, pieces[i], strlen(pieces[i]), &o, &ol);
    assert_true(hit == 0 || hit == 1);
    assert_int_equal(sk_buf_append(shown, o, ol), 0);
  }
  if (flush) {
    const char *o;
    size_t ol;
    stop_flush(m, &o, &ol);
    assert_int_equal(sk_buf_append(shown, o, ol), 0);
  }
  return hit;
}

static void split_stop_is_never_emitted(void **state) {
  (void)state;
  const char *stops[] = {"<|im_end|>", "\nUser:"};
  stop_matcher *m;
  sk_err e;
  assert_int_equal(stop_new(stops, 2, &m, &e), 0);
  const char *pieces[] = {"こんにちは", "<|im", "_e", "nd|>", "after"};
  sk_buf b;
  sk_buf_init(&b, 4096);
  /* after "<|im" nothing of the marker may be visible */
  const char *o;
  size_t ol;
  assert_int_equal(stop_feed(m, pieces[0], strlen(pieces[0]), &o, &ol), 0);
  assert_int_equal(ol, strlen("こんにちは"));
  assert_int_equal(stop_feed(m, pieces[1], strlen(pieces[1]), &o, &ol), 0);
  assert_int_equal(ol, 0);
  assert_int_equal(stop_feed(m, pieces[2], strlen(pieces[2]), &o, &ol), 0);
  assert_int_equal(ol, 0);
  assert_int_equal(stop_feed(m, pieces[3], strlen(pieces[3]), &o, &ol), 1);
  assert_int_equal(ol, 0);
  assert_int_equal(stop_matched(m), 0);
  assert_int_equal(stop_feed(m, pieces[4], 5, &o, &ol), 1);
  assert_int_equal(ol, 0);
  stop_free(m);
  sk_buf_release(&b);
}

static void false_start_is_released(void **state) {
  (void)state;
  const char *stops[] = {"STOP"};
  stop_matcher *m;
  assert_int_equal(stop_new(stops, 1, &m, NULL), 0);
  const char *pieces[] = {"a ST", "OR", "E ", "STO"};
  sk_buf b;
  sk_buf_init(&b, 4096);
  assert_int_equal(run(m, pieces, 4, &b, 1), 0);
  assert_string_equal(b.data, "a STORE STO");
  stop_free(m);
  sk_buf_release(&b);
}

static void earliest_stop_wins_and_text_before_is_kept(void **state) {
  (void)state;
  const char *stops[] = {"world", "lo w"};
  stop_matcher *m;
  assert_int_equal(stop_new(stops, 2, &m, NULL), 0);
  const char *pieces[] = {"hel", "lo", " wor", "ld!"};
  sk_buf b;
  sk_buf_init(&b, 4096);
  assert_int_equal(run(m, pieces, 4, &b, 1), 1);
  assert_string_equal(b.data, "hel");
  assert_int_equal(stop_matched(m), 1);
  stop_reset(m);
  sk_buf_reset(&b);
  const char *p2[] = {"x ", "world"};
  assert_int_equal(run(m, p2, 2, &b, 0), 1);
  assert_string_equal(b.data, "x ");
  stop_free(m);
  sk_buf_release(&b);
}

static void stop_inside_one_piece(void **state) {
  (void)state;
  const char *stops[] = {"\n\n"};
  stop_matcher *m;
  assert_int_equal(stop_new(stops, 1, &m, NULL), 0);
  const char *pieces[] = {"line one\n", "\nline two"};
  sk_buf b;
  sk_buf_init(&b, 4096);
  assert_int_equal(run(m, pieces, 2, &b, 1), 1);
  assert_string_equal(b.data, "line one");
  stop_free(m);
  sk_buf_release(&b);
}

static void no_stops_passes_through_and_limits(void **state) {
  (void)state;
  stop_matcher *m;
  sk_err e;
  assert_int_equal(stop_new(NULL, 0, &m, NULL), 0);
  const char *pieces[] = {"a", "b"};
  sk_buf b;
  sk_buf_init(&b, 4096);
  assert_int_equal(run(m, pieces, 2, &b, 1), 0);
  assert_string_equal(b.data, "ab");
  stop_free(m);
  const char *empty[] = {""};
  assert_int_equal(stop_new(empty, 1, &m, &e), SK_EINVAL);
  sk_buf_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(split_stop_is_never_emitted),
      cmocka_unit_test(false_start_is_released),
      cmocka_unit_test(earliest_stop_wins_and_text_before_is_kept),
      cmocka_unit_test(stop_inside_one_piece),
      cmocka_unit_test(no_stops_passes_through_and_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
