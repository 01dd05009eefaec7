/* Semantics of accounts and transfers: idempotency, limits, two-phase, linked chains, expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ledger/ledger.h"
#include "ledger/ledger_json.h"
#include "ledger/u128.h"
#include "ledger_test_util.h"

#define NS 1000000000ull

typedef struct fx {
  ledger *l;
  test_clock clk;
} fx;

static int setup(void **state) {
  static fx f;
  f.clk.now_ns = 1700000000ull * NS;
  ledger_options o = {.clock = test_clock_fn, .clock_ctx = &f.clk};
  sk_err err = {0};
  if (ledger_open(NULL, &o, &f.l, &err)) return -1;
  /* 1: bank (free), 2: budget (debits ≤ credits), 3: sink, 4: JPYC account */
  ledger_account a[4] = {mk_account(1, LEDGER_JPY, 0),
                         mk_account(2, LEDGER_JPY, LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS),
                         mk_account(3, LEDGER_JPY, 0), mk_account(4, LEDGER_JPYC, 0)};
  ledger_result r[4];
  if (ledger_create_accounts(f.l, a, 4, r, &err)) return -1;
  for (int i = 0; i < 4; i++)
    if (r[i] != LEDGER_OK) return -1;
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  sk_err err = {0};
  int rc = ledger_check(f->l, &err);
  ledger_close(f->l);
  return rc;
}

static ledger_result one(ledger *l, ledger_transfer t) {
  ledger_result r;
  sk_err err = {0};
  assert_int_equal(ledger_create_transfers(l, &t, 1, 0, NULL, &r, &err), SK_OK);
  return r;
}

static ledger_account get(ledger *l, u128 id) {
  ledger_account a;
  assert_int_equal(ledger_lookup_account(l, id, &a), SK_OK);
  return a;
}

static void u128_parse_format(void **state) {
  (void)state;
  u128 v;
  char buf[U128_STR_MAX];
  assert_int_equal(u128_parse("340282366920938463463374607431768211455", 39, &v), 0);
  assert_true(v == U128_MAX);
  assert_string_equal(u128_format(v, buf), "340282366920938463463374607431768211455");
  assert_int_equal(u128_parse("340282366920938463463374607431768211456", 39, &v), -1);
  assert_int_equal(u128_parse("0x10", 4, &v), 0);
  assert_true(v == 16);
  assert_int_equal(u128_parse("12a", 3, &v), -1);
  assert_int_equal(u128_parse_amount("1.5", 3, 18, &v), 0);
  assert_true(v == (u128)1500000000000000000ull);
  assert_string_equal(u128_format_amount(v, 18, buf), "1.5");
  assert_string_equal(u128_format_amount(5, 18, buf), "0.000000000000000005");
  assert_string_equal(u128_format_amount(0, 18, buf), "0");
  assert_int_equal(u128_parse_amount("1.5", 3, 0, &v), -1);
  assert_int_equal(u128_parse_amount("1.", 2, 18, &v), -1);
  assert_int_equal(u128_parse_amount("340282366920938463464", 21, 18, &v), -2);
}

static void accounts_idempotent(void **state) {
  fx *f = *state;
  sk_err err = {0};
  ledger_account a[3] = {mk_account(1, LEDGER_JPY, 0), mk_account(1, LEDGER_JPYC, 0), mk_account(0, LEDGER_JPY, 0)};
  ledger_result r[3];
  assert_int_equal(ledger_create_accounts(f->l, a, 3, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_EXISTS);
  assert_int_equal(r[1], LEDGER_EXISTS_WITH_DIFFERENT_LEDGER);
  assert_int_equal(r[2], LEDGER_ID_MUST_NOT_BE_ZERO);
  ledger_account both = mk_account(9, LEDGER_JPY, LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS |
                                                LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS);
  assert_int_equal(ledger_create_accounts(f->l, &both, 1, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_FLAGS_ARE_MUTUALLY_EXCLUSIVE);
  assert_int_equal(ledger_account_count(f->l), 4);
}

static void transfers_and_limits(void **state) {
  fx *f = *state;
  assert_int_equal(one(f->l, xfer(10, 1, 2, 1000, 0)), LEDGER_OK);
  assert_int_equal(one(f->l, xfer(11, 2, 3, 1001, 0)), LEDGER_EXCEEDS_CREDITS);
  assert_int_equal(one(f->l, xfer(11, 2, 3, 400, 0)), LEDGER_OK);
  /* Idempotency: same → exists, different → precise error; balances unchanged. */
  assert_int_equal(one(f->l, xfer(11, 2, 3, 400, 0)), LEDGER_EXISTS);
  assert_int_equal(one(f->l, xfer(11, 2, 3, 401, 0)), LEDGER_EXISTS_WITH_DIFFERENT_AMOUNT);
  assert_int_equal(one(f->l, xfer(11, 2, 1, 400, 0)), LEDGER_EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
  ledger_transfer t = xfer(11, 2, 3, 400, 0);
  t.user_data_64 = 7;
  assert_int_equal(one(f->l, t), LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_64);
  ledger_account b = get(f->l, 2);
  assert_true(b.credits_posted == 1000 && b.debits_posted == 400);
  /* Hostile: unknown accounts, mismatched ledgers, zero amount, overflow. */
  assert_int_equal(one(f->l, xfer(12, 99, 3, 1, 0)), LEDGER_DEBIT_ACCOUNT_NOT_FOUND);
  assert_int_equal(one(f->l, xfer(12, 1, 99, 1, 0)), LEDGER_CREDIT_ACCOUNT_NOT_FOUND);
  assert_int_equal(one(f->l, xfer(12, 1, 4, 1, 0)), LEDGER_ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER);
  assert_int_equal(one(f->l, xfer(12, 1, 3, 0, 0)), LEDGER_AMOUNT_MUST_NOT_BE_ZERO);
  assert_int_equal(one(f->l, xfer(12, 1, 1, 5, 0)), LEDGER_ACCOUNTS_MUST_BE_DIFFERENT);
  assert_int_equal(one(f->l, xfer(12, 1, 3, U128_MAX, 0)), LEDGER_OVERFLOWS_DEBITS_POSTED);
  assert_int_equal(one(f->l, xfer(12, 3, 1, U128_MAX - 10, 0)), LEDGER_OK);
  assert_int_equal(one(f->l, xfer(13, 3, 1, 100, 0)), LEDGER_OVERFLOWS_DEBITS_POSTED);
  assert_int_equal(one(f->l, xfer(13, 3, 1, 100, LEDGER_TF_PENDING)), LEDGER_OVERFLOWS_DEBITS);
  ledger_transfer bad = xfer(14, 1, 3, 5, 1u << 9);
  assert_int_equal(one(f->l, bad), LEDGER_RESERVED_FLAG);
  bad = xfer(14, 1, 3, 5, LEDGER_TF_APPROVAL);
  assert_int_equal(one(f->l, bad), LEDGER_RESERVED_FLAG);
}

static void two_phase(void **state) {
  fx *f = *state;
  assert_int_equal(one(f->l, xfer(20, 1, 2, 1000, 0)), LEDGER_OK);
  assert_int_equal(one(f->l, xfer(21, 2, 3, 700, LEDGER_TF_PENDING)), LEDGER_OK);
  ledger_account b = get(f->l, 2);
  assert_true(b.debits_pending == 700 && b.debits_posted == 0);
  assert_int_equal(one(f->l, xfer(22, 2, 3, 301, 0)), LEDGER_EXCEEDS_CREDITS);
  /* Partial post: 500 of 700; the other 200 is released. */
  ledger_transfer p = {.id = 23, .pending_id = 21, .amount = 500, .flags = LEDGER_TF_POST_PENDING};
  ledger_transfer over = p;
  over.amount = 701;
  assert_int_equal(one(f->l, over), LEDGER_EXCEEDS_PENDING_TRANSFER_AMOUNT);
  assert_int_equal(one(f->l, p), LEDGER_OK);
  assert_int_equal(one(f->l, p), LEDGER_EXISTS);
  b = get(f->l, 2);
  assert_true(b.debits_pending == 0 && b.debits_posted == 500);
  ledger_transfer p2 = p;
  p2.id = 24;
  assert_int_equal(one(f->l, p2), LEDGER_PENDING_TRANSFER_ALREADY_POSTED);
  ledger_transfer v = {.id = 25, .pending_id = 21, .flags = LEDGER_TF_VOID_PENDING};
  assert_int_equal(one(f->l, v), LEDGER_PENDING_TRANSFER_ALREADY_POSTED);
  /* Void releases exactly the amount. */
  assert_int_equal(one(f->l, xfer(26, 2, 3, 300, LEDGER_TF_PENDING)), LEDGER_OK);
  v.pending_id = 26;
  v.amount = 5;
  assert_int_equal(one(f->l, v), LEDGER_PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT);
  v.amount = 0;
  assert_int_equal(one(f->l, v), LEDGER_OK);
  b = get(f->l, 2);
  assert_true(b.debits_pending == 0 && b.debits_posted == 500);
  ledger_status st;
  assert_int_equal(ledger_lookup_transfer(f->l, 26, NULL, &st, NULL), SK_OK);
  assert_int_equal(st, LEDGER_ST_VOIDED);
  ledger_transfer nf = {.id = 27, .pending_id = 999, .flags = LEDGER_TF_VOID_PENDING};
  assert_int_equal(one(f->l, nf), LEDGER_PENDING_TRANSFER_NOT_FOUND);
  nf.pending_id = 20;
  assert_int_equal(one(f->l, nf), LEDGER_PENDING_TRANSFER_NOT_PENDING);
}

static void timeouts(void **state) {
  fx *f = *state;
  assert_int_equal(one(f->l, xfer(30, 1, 2, 100, 0)), LEDGER_OK);
  ledger_transfer t = xfer(31, 2, 3, 60, LEDGER_TF_PENDING);
  t.timeout_s = 10;
  assert_int_equal(one(f->l, t), LEDGER_OK);
  ledger_transfer nt = xfer(32, 2, 3, 60, 0);
  nt.timeout_s = 10;
  assert_int_equal(one(f->l, nt), LEDGER_TIMEOUT_RESERVED_FOR_PENDING_TRANSFER);
  f->clk.now_ns += 11 * NS;
  sk_err err = {0};
  assert_int_equal(ledger_expire(f->l, &err), 1);
  ledger_account b = get(f->l, 2);
  assert_true(b.debits_pending == 0);
  ledger_transfer p = {.id = 33, .pending_id = 31, .flags = LEDGER_TF_POST_PENDING};
  assert_int_equal(one(f->l, p), LEDGER_PENDING_TRANSFER_EXPIRED);
  /* Expiry inside a create call (no explicit sweep). */
  t.id = 34;
  assert_int_equal(one(f->l, t), LEDGER_OK);
  f->clk.now_ns += 20 * NS;
  assert_int_equal(one(f->l, xfer(35, 2, 3, 100, 0)), LEDGER_OK);
}

static void linked_chains(void **state) {
  fx *f = *state;
  sk_err err = {0};
  ledger_transfer c[4] = {xfer(40, 1, 2, 50, LEDGER_TF_LINKED), xfer(41, 2, 3, 50, LEDGER_TF_LINKED),
                          xfer(42, 2, 3, 1, 0), xfer(43, 1, 3, 5, 0)};
  ledger_result r[4];
  assert_int_equal(ledger_create_transfers(f->l, c, 4, 0, NULL, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_LINKED_EVENT_FAILED);
  assert_int_equal(r[1], LEDGER_LINKED_EVENT_FAILED);
  assert_int_equal(r[2], LEDGER_EXCEEDS_CREDITS);
  assert_int_equal(r[3], LEDGER_OK);
  assert_int_equal(ledger_lookup_transfer(f->l, 40, NULL, NULL, NULL), SK_ENOTFOUND);
  ledger_account b = get(f->l, 2);
  assert_true(b.credits_posted == 0 && b.debits_posted == 0);
  /* Open chain at the end of the batch. */
  ledger_transfer o[2] = {xfer(44, 1, 2, 50, LEDGER_TF_LINKED), xfer(45, 2, 3, 10, LEDGER_TF_LINKED)};
  assert_int_equal(ledger_create_transfers(f->l, o, 2, 0, NULL, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_LINKED_EVENT_FAILED);
  assert_int_equal(r[1], LEDGER_LINKED_EVENT_CHAIN_OPEN);
  /* A successful chain: fund then spend in one atomic unit. */
  o[1].flags = 0;
  assert_int_equal(ledger_create_transfers(f->l, o, 2, 0, NULL, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_OK);
  assert_int_equal(r[1], LEDGER_OK);
  /* A prefailed (unparseable) event breaks its chain. */
  ledger_result pre[2] = {LEDGER_OK, LEDGER_MALFORMED};
  o[0].id = 46, o[1].id = 47;
  assert_int_equal(ledger_create_transfers(f->l, o, 2, 0, pre, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_LINKED_EVENT_FAILED);
  assert_int_equal(r[1], LEDGER_MALFORMED);
}

static void commit_failure_applies_nothing(void **state) {
  (void)state;
  test_clock clk = {1700000000ull * NS};
  ledger_options o = {.clock = test_clock_fn, .clock_ctx = &clk, .store_fail_commit_after = 2};
  ledger *l;
  sk_err err = {0};
  assert_int_equal(ledger_open(NULL, &o, &l, &err), SK_OK);
  ledger_account a[2] = {mk_account(1, LEDGER_JPY, 0), mk_account(2, LEDGER_JPY, 0)};
  ledger_result r[2];
  assert_int_equal(ledger_create_accounts(l, a, 2, r, &err), SK_OK);
  ledger_transfer t[2] = {xfer(1, 1, 2, 5, 0), xfer(2, 1, 2, 6, LEDGER_TF_PENDING)};
  assert_int_equal(ledger_create_transfers(l, t, 2, 0, NULL, r, &err), SK_EIO);
  assert_int_equal(ledger_transfer_count(l), 0);
  ledger_account got;
  assert_int_equal(ledger_lookup_account(l, 1, &got), SK_OK);
  assert_true(got.debits_posted == 0 && got.debits_pending == 0);
  assert_int_equal(ledger_check(l, &err), SK_OK);
  assert_int_equal(ledger_create_transfers(l, t, 2, 0, NULL, r, &err), SK_OK);
  assert_int_equal(ledger_transfer_count(l), 2);
  ledger_close(l);
}

static int count_points(void *ctx, const ledger_balance_point *p) {
  (void)p;
  (*(int *)ctx)++;
  return 0;
}

static void balance_history(void **state) {
  fx *f = *state;
  assert_int_equal(one(f->l, xfer(50, 1, 2, 10, 0)), LEDGER_OK);
  assert_int_equal(one(f->l, xfer(51, 2, 3, 4, LEDGER_TF_PENDING)), LEDGER_OK);
  ledger_transfer v = {.id = 52, .pending_id = 51, .flags = LEDGER_TF_VOID_PENDING};
  assert_int_equal(one(f->l, v), LEDGER_OK);
  int n = 0;
  sk_err err = {0};
  assert_int_equal(ledger_balance_history(f->l, 2, count_points, &n, &err), SK_OK);
  assert_int_equal(n, 3);
}

static ledger_result parse(const char *js, ledger_transfer *t, char *why) {
  return ledger_json_parse_transfer(js, strlen(js), t, why, 160);
}

static void json_lines_are_strict(void **state) {
  (void)state;
  ledger_transfer t;
  char why[160];
  assert_int_equal(parse("{\"id\":\"7\",\"debit_account_id\":1,\"credit_account_id\":\"0x2\","
                         "\"amount_decimal\":\"2.25\",\"ledger\":\"JPYC\",\"flags\":[\"linked\",\"pending\"],"
                         "\"timeout\":30}", &t, why), LEDGER_OK);
  assert_true(t.id == 7 && t.credit_account_id == 2 && t.ledger == LEDGER_JPYC && t.code == 1);
  assert_true(t.amount == (u128)2250000000000000000ull);
  assert_int_equal(t.flags, LEDGER_TF_LINKED | LEDGER_TF_PENDING);
  assert_int_equal(t.timeout_s, 30);
  assert_int_equal(parse("{\"id\":\"1\",\"amout\":\"5\"}", &t, why), LEDGER_MALFORMED);
  assert_non_null(strstr(why, "amout"));
  assert_int_equal(parse("{\"id\":\"340282366920938463463374607431768211456\"}", &t, why), LEDGER_MALFORMED);
  assert_non_null(strstr(why, "\"id\""));
  assert_int_equal(parse("{\"amount\":\"-5\"}", &t, why), LEDGER_MALFORMED);
  assert_int_equal(parse("{\"amount\":\"5\",\"amount_decimal\":\"5\"}", &t, why), LEDGER_MALFORMED);
  assert_int_equal(parse("{\"ledger\":\"JPY\",\"amount_decimal\":\"1.5\"}", &t, why), LEDGER_MALFORMED);
  assert_int_equal(parse("{\"id\":\"1\",\"id\":\"2\"}", &t, why), LEDGER_MALFORMED);
  assert_int_equal(parse("[1,2]", &t, why), LEDGER_MALFORMED);
  assert_int_equal(parse("{\"flags\":[\"linked\"],\"code\":70000}", &t, why), LEDGER_MALFORMED);
  assert_int_equal(t.flags, LEDGER_TF_LINKED); /* still breaks its chain */
  assert_int_equal(parse("{\"flags\":[\"sideways\"]}", &t, why), LEDGER_MALFORMED);
  assert_int_equal(parse("{\"pending_id\":\"5\",\"flags\":[\"void_pending_transfer\"]}", &t, why), LEDGER_OK);
  assert_int_equal(t.code, 0); /* post/void: 0 = same as the pending transfer */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(u128_parse_format),
      cmocka_unit_test(json_lines_are_strict),
      cmocka_unit_test_setup_teardown(accounts_idempotent, setup, teardown),
      cmocka_unit_test_setup_teardown(transfers_and_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(two_phase, setup, teardown),
      cmocka_unit_test_setup_teardown(timeouts, setup, teardown),
      cmocka_unit_test_setup_teardown(linked_chains, setup, teardown),
      cmocka_unit_test_setup_teardown(balance_history, setup, teardown),
      cmocka_unit_test(commit_failure_applies_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
