/* wallet.h — agent wallets: an account with a spending policy enforced on every debit.
 *
 * A policy applies to transfers that DEBIT the wallet account (the agent spends):
 *   - counterparty: when the allow-list is non-empty, the credit account must be on it;
 *   - per-transfer cap: amount ≤ per_transfer_cap;
 *   - daily cap: the day's debits (pending or posted, minus what was voided, expired or not
 *     posted) plus amount ≤ daily_cap; the day starts at 00:00 local time (day_offset_s east of UTC,
 *     +9 h = JST by default);
 *   - approval: amount > approval_above makes the transfer pending with an approval mark; only a
 *     submit with LEDGER_SUBMIT_APPROVER may post it, anyone may void it; it expires after
 *     approval_timeout_s (0 = waits forever). The result is LEDGER_OK_PENDING_APPROVAL.
 * Zero means "no limit" for each cap and "never" for approval_above. */
#ifndef SK_LEDGER_WALLET_H
#define SK_LEDGER_WALLET_H

#include "ledger/ledger.h"

/* A wallet's allow-list is scanned on each debit; 256 counterparties is plenty for an agent. */
#define LEDGER_WALLET_ALLOWED_MAX 256u
#define LEDGER_DAY_OFFSET_JST (9 * 3600)

typedef struct ledger_wallet_policy {
  u128 per_transfer_cap, daily_cap, approval_above;
  uint32_t approval_timeout_s;
  int32_t day_offset_s;
  uint32_t n_allowed;
  const u128 *allowed; /* borrowed by ledger_wallet_set; see ledger_wallet_get for ownership */
} ledger_wallet_policy;

/* Sets (replaces) the policy of an existing account and commits it. SK_ENOTFOUND, SK_ELIMIT. */
int ledger_wallet_set(ledger *l, u128 account_id, const ledger_wallet_policy *p, sk_err *err);

/* Copies the policy into *out; out->allowed becomes a new array the caller frees with sk_free.
 * *spent_today (may be NULL) receives the amount counted against today's cap. SK_ENOTFOUND when
 * the account has no policy. */
int ledger_wallet_get(ledger *l, u128 account_id, ledger_wallet_policy *out, u128 *spent_today,
                      sk_err *err);

#endif
