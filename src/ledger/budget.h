/* budget.h — the hold API the gateway calls around each request.
 *
 *   ledger_hold      before the request: a pending transfer of the worst-case cost from the
 *                    budget account (normally flagged debits_must_not_exceed_credits) to a sink;
 *                    fails with exceeds_credits when the remaining budget cannot cover it.
 *   ledger_hold_post after the request: posts the actual cost (≤ the hold); the rest is released.
 *   ledger_hold_void on failure: releases the whole hold.
 * Holds should carry a timeout so a crashed gateway never pins budget forever.
 *
 * All three are idempotent: post and void use ids derived from the hold id, and a retry that finds
 * the work already done answers LEDGER_OK. A budget account that is an agent wallet may answer
 * LEDGER_OK_PENDING_APPROVAL to ledger_hold: the request must wait (or be refused) until a human
 * approves. */
#ifndef SK_LEDGER_BUDGET_H
#define SK_LEDGER_BUDGET_H

#include "ledger/ledger.h"

typedef struct ledger_hold_req {
  u128 hold_id;            /* chosen by the caller, e.g. derived from the request id */
  u128 budget_account_id;  /* debited */
  u128 sink_account_id;    /* credited (the provider / cost centre) */
  u128 amount;             /* worst-case cost, base units */
  uint32_t ledger;
  uint16_t code;           /* 0 → 1 */
  uint32_t timeout_s;      /* 0 = never expires (discouraged) */
  u128 user_data_128;      /* e.g. the audit record id */
} ledger_hold_req;

/* A deterministic nonzero id derived from base and a short tag (BLAKE2b-128). */
u128 ledger_derive_id(u128 base, const char *tag);

/* Each returns SK_OK with the per-event outcome in *result, or a negative sk_code when nothing
 * was committed (store failure). */
int ledger_hold(ledger *l, const ledger_hold_req *req, ledger_result *result, sk_err *err);
/* actual 0 is treated as a void (nothing was spent). */
int ledger_hold_post(ledger *l, u128 hold_id, u128 actual, ledger_result *result, sk_err *err);
int ledger_hold_void(ledger *l, u128 hold_id, ledger_result *result, sk_err *err);

#endif
