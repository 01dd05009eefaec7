/* Settlement batches (net positions, Ed25519) and reconciliation import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "base/alloc.h"
#include "ledger/ledger.h"
#include "ledger/settle.h"
#include "ledger_test_util.h"

#define NS 1000000000ull

static void settle_and_reconcile(void **state) {
  (void)state;
  assert_true(sodium_init() >= 0);
  test_clock clk = {1767225600ull * NS};
  ledger_options o = {.clock = test_clock_fn, .clock_ctx = &clk};
  ledger *l;
  sk_err err = {0};
  assert_int_equal(ledger_open(NULL, &o, &l, &err), SK_OK);
  ledger_account a[3] = {mk_account(1, LEDGER_JPYC, 0), mk_account(2, LEDGER_JPYC, 0),
                         mk_account(3, LEDGER_JPYC, 0)};
  ledger_result r[4];
  assert_int_equal(ledger_create_accounts(l, a, 3, r, &err), SK_OK);
  u128 one = (u128)1000000000000000000ull; /* 1 JPYC */
  ledger_transfer t[4] = {xfer(1, 1, 2, 5 * one, 0), xfer(2, 2, 3, 2 * one, 0),
                          xfer(3, 3, 1, one, LEDGER_TF_PENDING), xfer(4, 1, 3, 7, 0)};
  for (int i = 0; i < 4; i++) t[i].ledger = LEDGER_JPYC;
  assert_int_equal(ledger_create_transfers(l, t, 4, 0, NULL, r, &err), SK_OK);
  unsigned char pk[32], sk[64], pk2[32], sk2[64];
  crypto_sign_keypair(pk, sk);
  crypto_sign_keypair(pk2, sk2);
  char *batch = NULL;
  assert_int_equal(ledger_settle(l, LEDGER_JPYC, clk.now_ns - NS, clk.now_ns + NS, sk, &batch, &err), SK_OK);
  assert_int_equal(ledger_settle_verify(batch, strlen(batch), pk, &err), SK_OK);
  assert_int_equal(ledger_settle_verify(batch, strlen(batch), pk2, &err), SK_EDENIED);
  json_t *env = json_loads(batch, 0, NULL);
  assert_non_null(env);
  json_t *pos = json_object_get(json_object_get(env, "body"), "positions");
  assert_int_equal(json_array_size(pos), 3); /* the pending transfer moved nothing */
  /* Account 1: -5 JPYC - 7 base units. */
  assert_string_equal(json_string_value(json_object_get(json_array_get(pos, 0), "net")),
                      "-5000000000000000007");
  const char *digest = json_string_value(json_object_get(env, "digest"));
  /* Tampering with a position breaks the digest. */
  json_object_set_new(json_array_get(pos, 1), "net", json_string("1"));
  char *forged = json_dumps(env, 0);
  assert_int_equal(ledger_settle_verify(forged, strlen(forged), NULL, &err), SK_EDENIED);
  free(forged);

  char rec[1024];
  snprintf(rec, sizeof rec,
           "{\"settlement_digest\":\"%s\",\"external_ref\":\"bank-1\",\"positions\":["
           "{\"account\":\"1\",\"net\":\"-5000000000000000007\"},{\"account\":\"2\",\"net\":\"3000000000000000000\"},"
           "{\"account\":\"3\",\"net\":\"2000000000000000007\"}]}",
           digest);
  char *report = NULL;
  int matched = -1;
  assert_int_equal(ledger_reconcile(l, rec, strlen(rec), &report, &matched, &err), SK_OK);
  assert_int_equal(matched, 1);
  sk_free(report);
  snprintf(rec, sizeof rec,
           "{\"settlement_digest\":\"%s\",\"positions\":[{\"account\":\"1\",\"net\":\"-5\"},"
           "{\"account\":\"9\",\"net\":\"5\"}]}",
           digest);
  assert_int_equal(ledger_reconcile(l, rec, strlen(rec), &report, &matched, &err), SK_OK);
  assert_int_equal(matched, 0);
  json_t *rep = json_loads(report, 0, NULL);
  assert_int_equal(json_array_size(json_object_get(rep, "mismatched")), 1);
  assert_int_equal(json_array_size(json_object_get(rep, "missing_in_external")), 2);
  assert_int_equal(json_array_size(json_object_get(rep, "unknown_in_settlement")), 1);
  json_decref(rep);
  sk_free(report);
  snprintf(rec, sizeof rec, "{\"settlement_digest\":\"00\",\"positions\":[]}");
  assert_int_equal(ledger_reconcile(l, rec, strlen(rec), &report, &matched, &err), SK_ENOTFOUND);
  assert_int_equal(ledger_reconcile(l, "{", 1, &report, &matched, &err), SK_EFORMAT);
  json_decref(env);
  sk_free(batch);
  ledger_close(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(settle_and_reconcile)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
