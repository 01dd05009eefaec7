/* Token buckets: burst, refusal with the wait until the bucket would fit, refunds, refill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "gate/ratelimit.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_burst_then_refuse(void **state) {
  (void)state;
  rl_table *t = rl_new();
  assert_non_null(t);
  gate_limits lim = {.requests_per_minute = 30};
  double retry = -1;
  const char *which = NULL;
  for (int i = 0; i < 30; i++) assert_int_equal(rl_take(t, "k:a", &lim, 0, &retry, &which), 0);
  assert_int_equal(rl_take(t, "k:a", &lim, 0, &retry, &which), 1);
  assert_string_equal(which, "requests");
  /* one request refills in 60/30 = 2 s; a little of that has already passed */
  assert_true(retry > 1.9 && retry <= 2.0);
  /* another name has its own bucket */
  assert_int_equal(rl_take(t, "k:b", &lim, 0, &retry, &which), 0);
  rl_free(t);
}

static void test_tokens_and_refund(void **state) {
  (void)state;
  rl_table *t = rl_new();
  gate_limits lim = {.tokens_per_minute = 600}; /* 10 tokens per second */
  double retry = 0;
  const char *which = NULL;
  assert_int_equal(rl_take(t, "t:x", &lim, 500, &retry, &which), 0);
  assert_int_equal(rl_take(t, "t:x", &lim, 200, &retry, &which), 1);
  assert_string_equal(which, "tokens");
  /* 100 tokens left, 200 needed: 100 more at 10 per second */
  assert_true(retry > 9.8 && retry <= 10.0);
  rl_refund(t, "t:x", &lim, 300); /* the first request used only 200 of its 500 */
  assert_int_equal(rl_take(t, "t:x", &lim, 200, &retry, &which), 0);
  /* refunds never fill a bucket beyond its size */
  rl_refund(t, "t:x", &lim, 100000);
  assert_int_equal(rl_take(t, "t:x", &lim, 600, &retry, &which), 0);
  assert_int_equal(rl_take(t, "t:x", &lim, 1, &retry, &which), 1);
  rl_free(t);
}

static void test_oversized_request_passes_only_on_a_full_bucket(void **state) {
  (void)state;
  rl_table *t = rl_new();
  gate_limits lim = {.tokens_per_minute = 100};
  double retry;
  const char *which;
  assert_int_equal(rl_take(t, "t:y", &lim, 5000, &retry, &which), 0); /* full: clamped to the bucket */
  assert_int_equal(rl_take(t, "t:y", &lim, 5000, &retry, &which), 1);  /* empty now */
  assert_true(retry > 59.0 && retry <= 60.0);
  rl_free(t);
}

static void test_unlimited_and_refill(void **state) {
  (void)state;
  rl_table *t = rl_new();
  gate_limits none = {0};
  double retry;
  const char *which;
  for (int i = 0; i < 1000; i++) assert_int_equal(rl_take(t, "k:free", &none, 1u << 30, &retry, &which), 0);
  gate_limits fast = {.requests_per_minute = 600}; /* 10 per second */
  for (int i = 0; i < 600; i++)
    if (rl_take(t, "k:fast", &fast, 0, &retry, &which)) fail_msg("burst refused at %d", i);
  assert_int_equal(rl_take(t, "k:fast", &fast, 0, &retry, &which), 1);
  sleep_ms(150); /* ~1.5 requests refill */
  assert_int_equal(rl_take(t, "k:fast", &fast, 0, &retry, &which), 0);
  rl_free(t);
}

static void test_many_names_recycle_leniently(void **state) {
  (void)state;
  rl_table *t = rl_new();
  gate_limits lim = {.requests_per_minute = 1};
  double retry;
  const char *which;
  char name[32];
  /* more names than buckets: every first request of a name still passes (recycled buckets start full) */
  for (int i = 0; i < RL_MAX_BUCKETS + 100; i++) {
    snprintf(name, sizeof name, "k:%d", i);
    assert_int_equal(rl_take(t, name, &lim, 0, &retry, &which), 0);
  }
  rl_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_burst_then_refuse),
      cmocka_unit_test(test_tokens_and_refund),
      cmocka_unit_test(test_oversized_request_passes_only_on_a_full_bucket),
      cmocka_unit_test(test_unlimited_and_refill),
      cmocka_unit_test(test_many_names_recycle_leniently),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
