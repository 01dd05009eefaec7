/* Fuzzes the JSON transfer parser and the ledger behind it: every input line becomes a transfer
 * (or a prefailed "malformed" event) submitted to an in-memory ledger with a few accounts, and the
 * full invariant check must hold afterwards. Untrusted input must never reach an assert. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"
#include "ledger/ledger_json.h"

#define FUZZ_LINES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ledger *l;
  sk_err err = {0};
  if (ledger_open(NULL, NULL, &l, &err)) abort();
  ledger_account a[4] = {{.id = 1, .ledger = LEDGER_JPY, .code = 1},
                         {.id = 2, .ledger = LEDGER_JPY, .code = 1, .flags = LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS},
                         {.id = 3, .ledger = LEDGER_JPY, .code = 1, .flags = LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS},
                         {.id = 4, .ledger = LEDGER_JPYC, .code = 1}};
  ledger_result r[FUZZ_LINES_MAX];
  if (ledger_create_accounts(l, a, 4, r, &err)) abort();
  ledger_transfer t[FUZZ_LINES_MAX];
  ledger_result pre[FUZZ_LINES_MAX];
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= size && n < FUZZ_LINES_MAX; i++) {
    if (i < size && data[i] != '\n') continue;
    char why[128];
    pre[n] = ledger_json_parse_transfer((const char *)data + start, i - start, &t[n], why, sizeof why);
    n++;
    start = i + 1;
  }
  /* Twice: the second pass is a replay and must change nothing. */
  for (int pass = 0; pass < 2; pass++)
    if (ledger_create_transfers(l, t, n, pass ? LEDGER_SUBMIT_APPROVER : 0, pre, r, &err)) abort();
  if (ledger_check(l, &err)) abort();
  ledger_close(l);
  return 0;
}
