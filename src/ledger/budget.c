/* budget.c — hold / post / void for gateway budgets (see budget.h). */
#include "ledger/budget.h"

#include <sodium.h>
#include <string.h>

u128 ledger_derive_id(u128 base, const char *tag) {
  unsigned char in[16 + 32], out[16];
  size_t tl = strlen(tag);
  if (tl > 32) tl = 32;
  u128_to_be(base, in);
  memcpy(in + 16, tag, tl);
  crypto_generichash(out, sizeof out, in, 16 + tl, NULL, 0);
  u128 id = u128_from_be(out);
  return id == 0 || id == U128_MAX ? 1 : id;
}

static ledger_result idempotent(ledger_result r) { return r == LEDGER_EXISTS ? LEDGER_OK : r; }

int ledger_hold(ledger *l, const ledger_hold_req *req, ledger_result *result, sk_err *err) {
  ledger_transfer t = {.id = req->hold_id,
                       .debit_account_id = req->budget_account_id,
                       .credit_account_id = req->sink_account_id,
                       .amount = req->amount,
                       .ledger = req->ledger,
                       .code = req->code ? req->code : 1,
                       .timeout_s = req->timeout_s,
                       .user_data_128 = req->user_data_128,
                       .flags = LEDGER_TF_PENDING};
  int rc = ledger_create_transfers(l, &t, 1, 0, NULL, result, err);
  if (rc == SK_OK) *result = idempotent(*result);
  return rc;
}

int ledger_hold_post(ledger *l, u128 hold_id, u128 actual, ledger_result *result, sk_err *err) {
  if (actual == 0) return ledger_hold_void(l, hold_id, result, err);
  ledger_transfer t = {.id = ledger_derive_id(hold_id, "post"),
                       .pending_id = hold_id,
                       .amount = actual,
                       .flags = LEDGER_TF_POST_PENDING};
  int rc = ledger_create_transfers(l, &t, 1, 0, NULL, result, err);
  if (rc == SK_OK) *result = idempotent(*result);
  return rc;
}

int ledger_hold_void(ledger *l, u128 hold_id, ledger_result *result, sk_err *err) {
  ledger_transfer t = {.id = ledger_derive_id(hold_id, "void"),
                       .pending_id = hold_id,
                       .flags = LEDGER_TF_VOID_PENDING};
  int rc = ledger_create_transfers(l, &t, 1, 0, NULL, result, err);
  if (rc == SK_OK) *result = idempotent(*result);
  return rc;
}
