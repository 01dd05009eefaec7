/* ledger_internal.h — the in-memory state shared by ledger.c, transfer.c, wallet.c, settle.c. */
#ifndef SK_LEDGER_INTERNAL_H
#define SK_LEDGER_INTERNAL_H

#include <pthread.h>

#include "ledger/idmap.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

typedef struct lg_account {
  ledger_account a;
  int32_t wallet;      /* index into l->wallets, -1 when the account has no policy */
  uint8_t ckpt_dirty;  /* queued in l->dirty_accounts: balances changed since the checkpoint */
} lg_account;

typedef struct lg_transfer {
  ledger_transfer t;
  u128 posted;         /* amount posted from this pending transfer */
  uint64_t status_ts;  /* when the pending transfer was posted/voided/expired */
  uint8_t status;      /* ledger_status */
  uint32_t dirty_gen;
} lg_transfer;

typedef struct lg_wallet {
  u128 account_id;
  u128 per_transfer_cap, daily_cap, approval_above;
  uint32_t approval_timeout_s;
  int32_t day_offset_s;
  uint32_t n_allowed;
  u128 *allowed; /* owned */
  uint64_t day;  /* day number of `spent` */
  u128 spent;    /* debited (pending or posted, not released) during `day` */
} lg_wallet;

typedef enum lg_undo_kind {
  UNDO_ACCOUNT_INSERT,
  UNDO_ACCOUNT_BALANCES,
  UNDO_TRANSFER_INSERT,
  UNDO_TRANSFER_STATUS,
  UNDO_WALLET_SPENT,
  UNDO_HEAP_POP,
} lg_undo_kind;

typedef struct lg_undo {
  uint8_t kind;
  uint8_t old_status;
  uint32_t idx;
  uint64_t u;
  u128 v[4];
} lg_undo;

typedef struct lg_expiry {
  uint64_t expires_ns;
  uint32_t idx;
} lg_expiry;

/* A queued create_transfers call (lives on the caller's stack until done). */
typedef struct lg_req {
  const ledger_transfer *events;
  size_t n;
  unsigned submit_flags;
  const ledger_result *prefail;
  ledger_result *results;
  sk_err *err;
  int rc;
  int done;
  struct lg_req *next;
} lg_req;

/* One group commit carries at most this many events: bounds the transaction and the undo log. */
#define LEDGER_GROUP_EVENTS_MAX (4 * LEDGER_BATCH_MAX)

struct ledger {
  pthread_mutex_t mu;
  pthread_mutex_t qmu; /* guards the request queue below (never held with mu) */
  pthread_cond_t qcv;
  lg_req *qhead, *qtail;
  int committing;
  lg_store *store;
  int lock_fd;
  ledger_clock_fn clock;
  void *clock_ctx;
  uint64_t last_ts;

  lg_account *accounts;
  size_t n_accounts, cap_accounts;
  idmap account_ids;
  lg_transfer *transfers;
  size_t n_transfers, cap_transfers;
  idmap transfer_ids;
  lg_wallet *wallets;
  size_t n_wallets, cap_wallets;

  lg_expiry *heap;
  size_t n_heap, cap_heap;

  lg_undo *undo;
  size_t n_undo, cap_undo;

  uint32_t gen; /* batch generation for dirty tracking of transfers */
  uint32_t commits_since_ckpt;
  uint32_t checkpoint_every;
  uint32_t *dirty_accounts, *dirty_transfers;
  size_t n_dirty_accounts, n_dirty_transfers, cap_dirty_accounts, cap_dirty_transfers;
};

/* Timestamp for the next event: strictly increasing. */
uint64_t lg_next_ts(ledger *l);
uint64_t lg_now(ledger *l);

/* Undo log and dirty tracking (ledger.c). Push functions return SK_OK or SK_ENOMEM. */
int lg_undo_push(ledger *l, const lg_undo *u);
void lg_undo_to(ledger *l, size_t mark);
int lg_mark_account(ledger *l, uint32_t idx);
int lg_mark_transfer(ledger *l, uint32_t idx);
int lg_save_balances(ledger *l, uint32_t idx);
/* Writes the batch (new accounts/transfers from the given starts plus dirty ones) and commits. On
 * failure everything since undo mark 0 is undone. */
int lg_commit_batch(ledger *l, size_t acc_start, size_t tr_start, sk_err *err);
void lg_batch_begin(ledger *l);
/* Recomputes every balance by replaying the transfer log; the stored balances must equal the
 * replay at balances_ts (the last checkpoint). SK_ECORRUPT otherwise. */
int lg_rebuild_balances(ledger *l, uint64_t balances_ts, sk_err *err);
/* Writes dirty balances and the checkpoint timestamp in the current store transaction. */
int lg_write_checkpoint(ledger *l, size_t acc_start, sk_err *err);

/* Expiry heap (transfer.c). */
int lg_heap_push(ledger *l, uint64_t expires_ns, uint32_t idx);
int lg_expire_due(ledger *l, uint64_t now, sk_err *err);

/* Wallet policy hooks (wallet.c). */
uint64_t lg_wallet_day(const lg_wallet *w, uint64_t ts);
/* Checks a new debit of `amount` from wallet w toward credit account cr at ts; returns LEDGER_OK,
 * LEDGER_OK_PENDING_APPROVAL (must become pending, approval flag) or a failure. */
ledger_result lg_wallet_check(const lg_wallet *w, u128 cr, u128 amount, uint64_t ts);
/* Adjusts spent (+amount on a new debit, -amount on release of a debit made at created_ts). */
int lg_wallet_add(ledger *l, uint32_t widx, u128 amount, uint64_t ts);
int lg_wallet_release(ledger *l, uint32_t widx, u128 amount, uint64_t created_ts);
void lg_wallet_recompute(ledger *l);
void lg_wallets_free(ledger *l);
int lg_load_wallet(void *ctx, const lg_wallet_row *w);

#endif
