/* Agent wallet policies and the gateway's budget hold API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "ledger/budget.h"
#include "ledger/ledger.h"
#include "ledger/wallet.h"
#include "ledger_test_util.h"

#define NS 1000000000ull

static ledger *open_with(test_clock *clk) {
  ledger_options o = {.clock = test_clock_fn, .clock_ctx = clk};
  ledger *l;
  sk_err err = {0};
  assert_int_equal(ledger_open(NULL, &o, &l, &err), SK_OK);
  ledger_account a[4] = {mk_account(1, LEDGER_JPY, 0),
                         mk_account(2, LEDGER_JPY, LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS),
                         mk_account(3, LEDGER_JPY, 0), mk_account(4, LEDGER_JPY, 0)};
  ledger_result r[4];
  assert_int_equal(ledger_create_accounts(l, a, 4, r, &err), SK_OK);
  ledger_transfer fund = xfer(1000, 1, 2, 1000, 0);
  assert_int_equal(ledger_create_transfers(l, &fund, 1, 0, NULL, r, &err), SK_OK);
  assert_int_equal(r[0], LEDGER_OK);
  return l;
}

static ledger_result submit(ledger *l, ledger_transfer t, unsigned sf) {
  ledger_result r;
  sk_err err = {0};
  assert_int_equal(ledger_create_transfers(l, &t, 1, sf, NULL, &r, &err), SK_OK);
  return r;
}

static void budget_holds(void **state) {
  (void)state;
  test_clock clk = {1767225600ull * NS};
  ledger *l = open_with(&clk);
  sk_err err = {0};
  ledger_result r;
  ledger_hold_req h = {.hold_id = 50, .budget_account_id = 2, .sink_account_id = 3, .amount = 600,
                       .ledger = LEDGER_JPY, .timeout_s = 60};
  assert_int_equal(ledger_hold(l, &h, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_OK);
  assert_int_equal(ledger_hold(l, &h, &r, &err), SK_OK); /* retry */
  assert_int_equal(r, LEDGER_OK);
  ledger_hold_req h2 = h;
  h2.hold_id = 51;
  h2.amount = 500;
  assert_int_equal(ledger_hold(l, &h2, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_EXCEEDS_CREDITS); /* budget cannot be overshot */
  assert_int_equal(ledger_hold_post(l, 50, 601, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_EXCEEDS_PENDING_TRANSFER_AMOUNT);
  assert_int_equal(ledger_hold_post(l, 50, 450, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_OK);
  assert_int_equal(ledger_hold_post(l, 50, 450, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_OK);
  ledger_account b;
  assert_int_equal(ledger_lookup_account(l, 2, &b), SK_OK);
  assert_true(b.debits_posted == 450 && b.debits_pending == 0);
  assert_int_equal(ledger_hold(l, &h2, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_OK);
  assert_int_equal(ledger_hold_void(l, 51, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_OK);
  assert_int_equal(ledger_hold_void(l, 51, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_OK);
  assert_int_equal(ledger_hold_post(l, 51, 10, &r, &err), SK_OK);
  assert_int_equal(r, LEDGER_PENDING_TRANSFER_ALREADY_VOIDED);
  /* A forgotten hold expires and gives the budget back. */
  h2.hold_id = 52;
  assert_int_equal(ledger_hold(l, &h2, &r, &err), SK_OK);
  clk.now_ns += 61 * NS;
  assert_int_equal(ledger_expire(l, &err), 1);
  assert_int_equal(ledger_lookup_account(l, 2, &b), SK_OK);
  assert_true(b.debits_pending == 0);
  assert_int_equal(ledger_check(l, &err), SK_OK);
  assert_true(ledger_derive_id(50, "post") != ledger_derive_id(50, "void"));
  ledger_close(l);
}

static void wallet_policy(void **state) {
  (void)state;
  /* 2026-01-01 00:00 JST minus one hour: 23:00 JST on Dec 31. */
  test_clock clk = {(1767225600ull - 9 * 3600 - 3600) * NS};
  ledger *l = open_with(&clk);
  sk_err err = {0};
  u128 allowed[1] = {3};
  ledger_wallet_policy p = {.per_transfer_cap = 300, .daily_cap = 500, .approval_above = 200,
                            .approval_timeout_s = 0, .day_offset_s = LEDGER_DAY_OFFSET_JST,
                            .n_allowed = 1, .allowed = allowed};
  assert_int_equal(ledger_wallet_set(l, 99, &p, &err), SK_ENOTFOUND);
  assert_int_equal(ledger_wallet_set(l, 2, &p, &err), SK_OK);
  assert_int_equal(submit(l, xfer(1, 2, 4, 10, 0), 0), LEDGER_COUNTERPARTY_NOT_ALLOWED);
  assert_int_equal(submit(l, xfer(1, 2, 3, 301, 0), 0), LEDGER_EXCEEDS_PER_TRANSFER_CAP);
  assert_int_equal(submit(l, xfer(1, 2, 3, 150, 0), 0), LEDGER_OK);
  assert_int_equal(submit(l, xfer(2, 2, 3, 250, 0), 0), LEDGER_OK_PENDING_APPROVAL);
  assert_int_equal(submit(l, xfer(2, 2, 3, 250, 0), 0), LEDGER_EXISTS); /* replay of converted */
  assert_int_equal(submit(l, xfer(3, 2, 3, 150, 0), 0), LEDGER_EXCEEDS_DAILY_CAP); /* 150+250+150 */
  ledger_transfer post = {.id = 4, .pending_id = 2, .flags = LEDGER_TF_POST_PENDING};
  assert_int_equal(submit(l, post, 0), LEDGER_APPROVAL_REQUIRED); /* the agent cannot self-approve */
  post.amount = 200;
  assert_int_equal(submit(l, post, LEDGER_SUBMIT_APPROVER), LEDGER_OK);
  u128 spent;
  ledger_wallet_policy got;
  assert_int_equal(ledger_wallet_get(l, 2, &got, &spent, &err), SK_OK);
  assert_true(spent == 350); /* 150 + 200 posted of 250 */
  assert_int_equal(got.n_allowed, 1);
  assert_true(got.allowed[0] == 3);
  sk_free((void *)got.allowed);
  assert_int_equal(submit(l, xfer(5, 2, 3, 150, 0), 0), LEDGER_OK);
  assert_int_equal(submit(l, xfer(6, 2, 3, 1, 0), 0), LEDGER_EXCEEDS_DAILY_CAP);
  /* Midnight JST: a new day, a new cap. */
  clk.now_ns += 3600 * NS + 1;
  assert_int_equal(submit(l, xfer(6, 2, 3, 100, 0), 0), LEDGER_OK);
  assert_int_equal(ledger_wallet_get(l, 2, &got, &spent, &err), SK_OK);
  sk_free((void *)got.allowed);
  assert_true(spent == 100);
  /* A voided approval gives its amount back to the day. */
  assert_int_equal(submit(l, xfer(7, 2, 3, 201, 0), 0), LEDGER_OK_PENDING_APPROVAL);
  ledger_transfer v = {.id = 8, .pending_id = 7, .flags = LEDGER_TF_VOID_PENDING};
  assert_int_equal(submit(l, v, 0), LEDGER_OK);
  assert_int_equal(ledger_wallet_get(l, 2, &got, &spent, &err), SK_OK);
  sk_free((void *)got.allowed);
  assert_true(spent == 100);
  assert_int_equal(ledger_check(l, &err), SK_OK);
  ledger_close(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(budget_holds),
      cmocka_unit_test(wallet_policy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
