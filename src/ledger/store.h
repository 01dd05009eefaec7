/* store.h — the ledger's persistence interface (internal to src/ledger).
 *
 * The ledger keeps its working state in memory and uses a store only to make batches durable and
 * to reload them: begin → put/update… → commit (or rollback). Two implementations: SQLite in WAL
 * mode (store_sqlite.c) and a no-op memory store for simulations (store_mem.c), both with a commit
 * fault-injection hook for tests. */
#ifndef SK_LEDGER_STORE_H
#define SK_LEDGER_STORE_H

#include "base/err.h"
#include "ledger/ledger.h"

typedef struct lg_store lg_store;

/* A wallet policy as stored (see wallet.h for meaning). allowed is an array of n_allowed ids. */
typedef struct lg_wallet_row {
  u128 account_id;
  u128 per_transfer_cap, daily_cap, approval_above; /* 0 = no limit / never */
  uint32_t approval_timeout_s;
  int32_t day_offset_s;
  uint32_t n_allowed;
  const u128 *allowed;
} lg_wallet_row;

/* A settlement batch or reconciliation record: opaque text with a few keys. */
typedef struct lg_doc_row {
  const char *kind;   /* "settlement" or "reconciliation" */
  const char *key;    /* digest hex */
  const char *body;   /* JSON text */
  uint64_t timestamp;
} lg_doc_row;

typedef struct lg_load_cbs {
  int (*account)(void *ctx, const ledger_account *a);
  int (*transfer)(void *ctx, const ledger_transfer *t, uint8_t status, u128 posted, uint64_t status_ts);
  int (*wallet)(void *ctx, const lg_wallet_row *w);
} lg_load_cbs;

typedef struct lg_store_ops {
  int (*begin)(lg_store *s, sk_err *err);
  int (*put_account)(lg_store *s, const ledger_account *a, int is_new, sk_err *err);
  int (*put_transfer)(lg_store *s, const ledger_transfer *t, uint8_t status, u128 posted,
                      uint64_t status_ts, int is_new, sk_err *err);
  int (*put_wallet)(lg_store *s, const lg_wallet_row *w, sk_err *err);
  int (*put_doc)(lg_store *s, const lg_doc_row *d, sk_err *err);
  /* Finds the latest doc of kind with key; *body is sk_malloc'ed (caller frees). SK_ENOTFOUND. */
  int (*get_doc)(lg_store *s, const char *kind, const char *key, char **body, sk_err *err);
  /* Balance checkpoint: stored account balances are exact as of this timestamp (0 = creation). */
  int (*put_balances_ts)(lg_store *s, uint64_t ts, sk_err *err);
  int (*get_balances_ts)(lg_store *s, uint64_t *ts, sk_err *err);
  int (*commit)(lg_store *s, sk_err *err);
  void (*rollback)(lg_store *s);
  int (*load)(lg_store *s, const lg_load_cbs *cbs, void *ctx, sk_err *err);
  void (*close)(lg_store *s);
} lg_store_ops;

struct lg_store {
  const lg_store_ops *ops;
  long fail_commit_after; /* test hook: commits left before one fails (0 = never) */
};

/* Both return SK_OK and a store the caller closes with s->ops->close(s). */
int lg_store_open_sqlite(const char *path, int sync_full, lg_store **out, sk_err *err);
int lg_store_open_mem(lg_store **out, sk_err *err);

/* Shared by implementations: returns SK_EIO when the injected failure is due. */
int lg_store_fault(lg_store *s, sk_err *err);

#endif
