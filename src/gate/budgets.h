/* budgets.h — yen budgets per tenant and per API key, per period, checked in memory with the
 * ledger as the durable record.
 *
 *   gate_budget_reserve   admission: reserves the request's worst-case cost against the tenant's
 *                         account (and the key's, when the tenant sets key_budget_jpy); refuses
 *                         when it would not fit. Memory only: no I/O on the request's path.
 *   gate_budget_release   the request was denied after reserving: gives the reservation back.
 *   gate_budget_settle    the request ended: releases the reservation, charges the actual cost
 *                         (capped at the reservation) and returns the ledger transfers that record
 *                         the charge durably (the caller hands them to the committer).
 *
 * Why this never overshoots: this process is the only writer of the ledger file (exclusive lock),
 * each account's availability is loaded from the ledger once (credits − posted − pending debits)
 * and from then on every charge is subtracted here before its transfer is even queued, and a
 * request is admitted only when its worst case fits in what is left after every other in-flight
 * reservation. The ledger account keeps its "debits must not exceed credits" flag as a backstop.
 * What a crash loses (reservations, charges still queued) is described in docs/gate.md.
 *
 * Thread safety: every function may be called from any thread; one short mutex, no I/O under it
 * (the first use of an account in a period creates and funds it in the ledger, outside the lock). */
#ifndef SK_GATE_BUDGETS_H
#define SK_GATE_BUDGETS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "gate/config.h"
#include "ledger/ledger.h"

/* Accounts tracked in memory: tenants × periods plus keys × periods seen since start. An account
 * is ~64 bytes; beyond the bound new accounts are refused (the request is denied, fail closed). */
#define GATE_BUDGET_MAX_ACCOUNTS 16384
/* Ledger account code of budget accounts (nonzero, per the ledger's rules). */
#define GATE_BUDGET_LEDGER_CODE 7

typedef struct gate_budgets gate_budgets;

/* One request's reservation: the tenant account and, optionally, the key account. */
typedef struct gate_hold {
  size_t n;          /* accounts reserved (0: the request is not budgeted) */
  uint32_t slot[2];  /* internal */
  uint64_t amount;   /* reserved on each account */
} gate_hold;

/* led borrowed (must outlive b). *out owned by the caller (gate_budgets_free). */
int gate_budgets_new(ledger *led, gate_budgets **out, sk_err *err);
void gate_budgets_free(gate_budgets *b);

/* Why a reservation did not fit. */
typedef struct gate_budget_short {
  const char *which;  /* "tenant" or "key" */
  uint64_t left;      /* yen neither charged nor reserved by requests in flight */
  uint64_t in_flight; /* yen reserved by requests in flight (released as they finish) */
} gate_budget_short;

/* Reserves amount on the tenant's account (if t->budget_jpy) and the key's (if t->key_budget_jpy).
 * 0 with *h filled; 1 when it does not fit (*why filled); <0 with err when the ledger failed or
 * the table is full. */
int gate_budget_reserve(gate_budgets *b, const gate_tenant *t, const char *key_id, uint64_t amount, gate_hold *h,
                        gate_budget_short *why, sk_err *err);
/* Seconds until the next budget period of p starts (UTC); 0 for GATE_PERIOD_TOTAL. */
double gate_budget_period_left_s(gate_period p);
void gate_budget_release(gate_budgets *b, gate_hold *h);
/* Charges min(cost, h->amount) and releases h. Fills out[] with the transfers recording the charge
 * (ids derived from xfer_id, so a retry is idempotent) and returns how many (0..2). *charged gets
 * the yen charged. */
size_t gate_budget_settle(gate_budgets *b, gate_hold *h, uint64_t cost, u128 xfer_id, ledger_transfer out[2],
                          uint64_t *charged);

#endif
