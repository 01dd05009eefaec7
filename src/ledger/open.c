/* open.c — ledger_open/ledger_close: store, process lock, load and the invariant check on open. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "ledger/ledger_internal.h"

/* How long ledger_open waits for another process to release the data file before SK_EBUSY. */
#define LEDGER_LOCK_WAIT_MS 5000

static uint64_t default_clock(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct load_ctx {
  ledger *l;
  sk_err *err;
  int failed;
} load_ctx;

static int load_account(void *ctx, const ledger_account *a) {
  load_ctx *c = ctx;
  ledger *l = c->l;
  if (l->n_accounts == l->cap_accounts) {
    size_t nc = l->cap_accounts ? l->cap_accounts * 2 : 64;
    lg_account *na = sk_realloc(l->accounts, nc * sizeof *na);
    if (!na) return c->failed = SK_ENOMEM, -1;
    l->accounts = na;
    l->cap_accounts = nc;
  }
  if (a->id == 0 || idmap_get(&l->account_ids, a->id, &(uint32_t){0}) == 0) {
    sk_err_set(c->err, SK_ECORRUPT, "stored account #%zu has a zero or duplicate id", l->n_accounts);
    return c->failed = SK_ECORRUPT, -1;
  }
  if (idmap_put(&l->account_ids, a->id, (uint32_t)l->n_accounts)) return c->failed = SK_ENOMEM, -1;
  l->accounts[l->n_accounts++] = (lg_account){.a = *a, .wallet = -1};
  if (a->timestamp > l->last_ts) l->last_ts = a->timestamp;
  return 0;
}

static int load_transfer(void *ctx, const ledger_transfer *t, uint8_t status, u128 posted,
                         uint64_t status_ts) {
  load_ctx *c = ctx;
  ledger *l = c->l;
  if (l->n_transfers == l->cap_transfers) {
    size_t nc = l->cap_transfers ? l->cap_transfers * 2 : 1024;
    lg_transfer *nt = sk_realloc(l->transfers, nc * sizeof *nt);
    if (!nt) return c->failed = SK_ENOMEM, -1;
    l->transfers = nt;
    l->cap_transfers = nc;
  }
  size_t i = l->n_transfers;
  if (t->id == 0 || idmap_get(&l->transfer_ids, t->id, &(uint32_t){0}) == 0 ||
      status > LEDGER_ST_EXPIRED ||
      (i > 0 && l->transfers[i - 1].t.timestamp >= t->timestamp)) {
    sk_err_set(c->err, SK_ECORRUPT,
               "stored transfer #%zu has a zero/duplicate id, bad status or is out of order", i);
    return c->failed = SK_ECORRUPT, -1;
  }
  if (idmap_put(&l->transfer_ids, t->id, (uint32_t)i)) return c->failed = SK_ENOMEM, -1;
  l->transfers[i] = (lg_transfer){.t = *t, .posted = posted, .status_ts = status_ts, .status = status};
  l->n_transfers++;
  if (t->timestamp > l->last_ts) l->last_ts = t->timestamp;
  if (status_ts > l->last_ts) l->last_ts = status_ts;
  if (status == LEDGER_ST_PENDING && t->timeout_s &&
      lg_heap_push(l, t->timestamp + (uint64_t)t->timeout_s * 1000000000ull, (uint32_t)i))
    return c->failed = SK_ENOMEM, -1;
  return 0;
}

static int load_wallet(void *ctx, const lg_wallet_row *w) {
  load_ctx *c = ctx;
  if (lg_load_wallet(c->l, w)) {
    sk_err_set(c->err, SK_ECORRUPT, "stored wallet policy is invalid or names an unknown account");
    return c->failed = SK_ECORRUPT, -1;
  }
  return 0;
}

static int take_lock(const char *path, int wait_ms, int *fd_out, sk_err *err) {
  char lock_path[4096];
  if (snprintf(lock_path, sizeof lock_path, "%s.lock", path) >= (int)sizeof lock_path)
    return sk_err_set(err, SK_ELIMIT, "ledger path is too long");
  int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return sk_err_set(err, SK_EIO, "cannot open %s: %s", lock_path, strerror(errno));
  for (int waited_ms = 0;; waited_ms += 10) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK || waited_ms >= wait_ms) {
      close(fd);
      return sk_err_set(err, SK_EBUSY,
                        "ledger %s is in use by another process (lock %s); stop it and retry",
                        path, lock_path);
    }
    usleep(10000);
  }
  *fd_out = fd;
  return SK_OK;
}

int ledger_open(const char *path, const ledger_options *opts, ledger **out, sk_err *err) {
  if (!out) return sk_err_set(err, SK_EINVAL, "ledger_open: NULL out");
  *out = NULL;
  ledger *l = sk_calloc(1, sizeof *l);
  if (!l) return sk_err_set(err, SK_ENOMEM, "out of memory");
  pthread_mutex_init(&l->mu, NULL);
  pthread_mutex_init(&l->qmu, NULL);
  pthread_cond_init(&l->qcv, NULL);
  l->lock_fd = -1;
  l->clock = opts && opts->clock ? opts->clock : default_clock;
  l->clock_ctx = opts ? opts->clock_ctx : NULL;
  l->checkpoint_every = opts && opts->checkpoint_every ? opts->checkpoint_every : LEDGER_CHECKPOINT_COMMITS;
  idmap_init(&l->account_ids);
  idmap_init(&l->transfer_ids);
  int rc;
  if (path) {
    int wait_ms = !opts || opts->lock_wait_ms == 0 ? LEDGER_LOCK_WAIT_MS : opts->lock_wait_ms;
    if ((rc = take_lock(path, wait_ms < 0 ? 0 : wait_ms, &l->lock_fd, err))) goto fail;
    rc = lg_store_open_sqlite(path, opts ? opts->sync_full : 1, &l->store, err);
  } else {
    rc = lg_store_open_mem(&l->store, err);
  }
  if (rc) goto fail;
  if (opts) l->store->fail_commit_after = opts->store_fail_commit_after;
  load_ctx c = {.l = l, .err = err};
  lg_load_cbs cbs = {.account = load_account, .transfer = load_transfer, .wallet = load_wallet};
  rc = l->store->ops->load(l->store, &cbs, &c, err);
  if (c.failed) rc = c.failed;
  if (rc == SK_ENOMEM) sk_err_set(err, SK_ENOMEM, "out of memory while loading the ledger");
  if (rc) goto fail;
  uint64_t balances_ts;
  if ((rc = l->store->ops->get_balances_ts(l->store, &balances_ts, err)) ||
      (rc = lg_rebuild_balances(l, balances_ts, err)))
    goto fail;
  if (!(opts && opts->skip_open_checks) && (rc = ledger_check(l, err))) goto fail;
  lg_wallet_recompute(l);
  *out = l;
  return SK_OK;
fail:
  ledger_close(l);
  return rc;
}

void ledger_close(ledger *l) {
  if (!l) return;
  if (l->store && l->n_dirty_accounts) ledger_checkpoint(l, NULL); /* best effort: open replays */
  if (l->store) l->store->ops->close(l->store);
  if (l->lock_fd >= 0) close(l->lock_fd);
  idmap_release(&l->account_ids);
  idmap_release(&l->transfer_ids);
  lg_wallets_free(l);
  sk_free(l->accounts);
  sk_free(l->transfers);
  sk_free(l->heap);
  sk_free(l->undo);
  sk_free(l->dirty_accounts);
  sk_free(l->dirty_transfers);
  pthread_mutex_destroy(&l->mu);
  pthread_mutex_destroy(&l->qmu);
  pthread_cond_destroy(&l->qcv);
  sk_free(l);
}
