/* ledger_test_util.h — helpers shared by the ledger tests. */
#ifndef SK_TEST_LEDGER_UTIL_H
#define SK_TEST_LEDGER_UTIL_H

#include <stdint.h>

#include "ledger/ledger.h"

typedef struct test_clock {
  uint64_t now_ns;
} test_clock;

static inline uint64_t test_clock_fn(void *ctx) { return ((test_clock *)ctx)->now_ns; }

static inline ledger_account mk_account(u128 id, uint32_t ledger_no, uint16_t flags) {
  return (ledger_account){.id = id, .ledger = ledger_no, .code = 1, .flags = flags};
}

static inline ledger_transfer xfer(u128 id, u128 dr, u128 cr, u128 amount, uint16_t flags) {
  return (ledger_transfer){.id = id,
                           .debit_account_id = dr,
                           .credit_account_id = cr,
                           .amount = amount,
                           .ledger = LEDGER_JPY,
                           .code = 1,
                           .flags = flags};
}

#endif
