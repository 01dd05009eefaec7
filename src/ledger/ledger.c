/* ledger.c — open/load/close, accounts, undo log, batch commit, lookups and invariant checks. */
#include "ledger/ledger.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "ledger/ledger_internal.h"

static const char *const k_result_names[] = {
#define LEDGER_X_STR(name, str) str,
    LEDGER_RESULTS(LEDGER_X_STR)
#undef LEDGER_X_STR
};

const char *ledger_result_str(ledger_result r) {
  if ((unsigned)r >= LEDGER_RESULT_COUNT) return "unknown";
  return k_result_names[r];
}

unsigned ledger_scale(uint32_t ledger_no) { return ledger_no == LEDGER_JPYC ? 18u : 0u; }

const char *ledger_name(uint32_t ledger_no) {
  if (ledger_no == LEDGER_JPY) return "JPY";
  if (ledger_no == LEDGER_JPYC) return "JPYC";
  return NULL;
}

int ledger_parse_ledger(const char *s, uint32_t *out) {
  if (!s) return -1;
  if (!strcasecmp(s, "JPY")) return *out = LEDGER_JPY, 0;
  if (!strcasecmp(s, "JPYC")) return *out = LEDGER_JPYC, 0;
  u128 v;
  if (u128_parse(s, strlen(s), &v) || v == 0 || v > UINT32_MAX) return -1;
  *out = (uint32_t)v;
  return 0;
}

uint64_t lg_now(ledger *l) { return l->clock(l->clock_ctx); }

uint64_t lg_next_ts(ledger *l) {
  uint64_t now = lg_now(l);
  l->last_ts = now > l->last_ts ? now : l->last_ts + 1;
  return l->last_ts;
}

/* Grows an array to hold one more element; returns SK_OK or SK_ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return SK_OK;
  size_t nc = *cap ? *cap * 2 : 64, bytes;
  if (sk_mul_size(nc, elem, &bytes)) return SK_ENOMEM;
  void *p = sk_realloc(*arr, bytes);
  if (!p) return SK_ENOMEM;
  *arr = p;
  *cap = nc;
  return SK_OK;
}

int lg_undo_push(ledger *l, const lg_undo *u) {
  if (grow((void **)&l->undo, &l->cap_undo, l->n_undo, sizeof *l->undo)) return SK_ENOMEM;
  l->undo[l->n_undo++] = *u;
  return SK_OK;
}

void lg_undo_to(ledger *l, size_t mark) {
  while (l->n_undo > mark) {
    lg_undo *u = &l->undo[--l->n_undo];
    switch (u->kind) {
    case UNDO_ACCOUNT_INSERT:
      assert(u->idx == l->n_accounts - 1);
      idmap_del(&l->account_ids, l->accounts[u->idx].a.id);
      l->n_accounts--;
      break;
    case UNDO_ACCOUNT_BALANCES: {
      ledger_account *a = &l->accounts[u->idx].a;
      a->debits_pending = u->v[0];
      a->debits_posted = u->v[1];
      a->credits_pending = u->v[2];
      a->credits_posted = u->v[3];
      break;
    }
    case UNDO_TRANSFER_INSERT:
      assert(u->idx == l->n_transfers - 1);
      idmap_del(&l->transfer_ids, l->transfers[u->idx].t.id);
      l->n_transfers--;
      break;
    case UNDO_TRANSFER_STATUS:
      l->transfers[u->idx].status = u->old_status;
      l->transfers[u->idx].posted = u->v[0];
      l->transfers[u->idx].status_ts = u->u;
      break;
    case UNDO_WALLET_SPENT:
      l->wallets[u->idx].spent = u->v[0];
      l->wallets[u->idx].day = u->u;
      break;
    case UNDO_HEAP_POP:
      /* Re-push cannot fail: the heap only shrank since the pop. */
      (void)lg_heap_push(l, u->u, u->idx);
      break;
    }
  }
}

int lg_save_balances(ledger *l, uint32_t idx) {
  const ledger_account *a = &l->accounts[idx].a;
  lg_undo u = {.kind = UNDO_ACCOUNT_BALANCES, .idx = idx};
  u.v[0] = a->debits_pending;
  u.v[1] = a->debits_posted;
  u.v[2] = a->credits_pending;
  u.v[3] = a->credits_posted;
  if (lg_undo_push(l, &u)) return SK_ENOMEM;
  return lg_mark_account(l, idx);
}

int lg_mark_account(ledger *l, uint32_t idx) {
  if (l->accounts[idx].ckpt_dirty) return SK_OK;
  if (grow((void **)&l->dirty_accounts, &l->cap_dirty_accounts, l->n_dirty_accounts,
           sizeof *l->dirty_accounts))
    return SK_ENOMEM;
  l->accounts[idx].ckpt_dirty = 1;
  l->dirty_accounts[l->n_dirty_accounts++] = idx;
  return SK_OK;
}

int lg_mark_transfer(ledger *l, uint32_t idx) {
  if (l->transfers[idx].dirty_gen == l->gen) return SK_OK;
  if (grow((void **)&l->dirty_transfers, &l->cap_dirty_transfers, l->n_dirty_transfers,
           sizeof *l->dirty_transfers))
    return SK_ENOMEM;
  l->transfers[idx].dirty_gen = l->gen;
  l->dirty_transfers[l->n_dirty_transfers++] = idx;
  return SK_OK;
}

void lg_batch_begin(ledger *l) {
  l->gen++;
  if (l->gen == 0) { /* wrapped: clear marks so stale ones cannot match */
    for (size_t i = 0; i < l->n_transfers; i++) l->transfers[i].dirty_gen = 0;
    l->gen = 1;
  }
  l->n_undo = 0;
  l->n_dirty_transfers = 0; /* dirty accounts persist until the next checkpoint */
}

int lg_write_checkpoint(ledger *l, size_t acc_start, sk_err *err) {
  lg_store *s = l->store;
  for (size_t k = 0; k < l->n_dirty_accounts; k++) {
    uint32_t i = l->dirty_accounts[k];
    if (i >= acc_start) continue; /* inserted by this batch with current balances, or undone */
    int rc = s->ops->put_account(s, &l->accounts[i].a, 0, err);
    if (rc) return rc;
  }
  return s->ops->put_balances_ts(s, l->last_ts, err);
}

static void checkpoint_done(ledger *l) {
  for (size_t k = 0; k < l->n_dirty_accounts; k++)
    if (l->dirty_accounts[k] < l->n_accounts) l->accounts[l->dirty_accounts[k]].ckpt_dirty = 0;
  l->n_dirty_accounts = 0;
  l->commits_since_ckpt = 0;
}

int ledger_checkpoint(ledger *l, sk_err *err) {
  pthread_mutex_lock(&l->mu);
  lg_store *s = l->store;
  int rc = s->ops->begin(s, err);
  if (!rc && ((rc = lg_write_checkpoint(l, l->n_accounts, err)) || (rc = s->ops->commit(s, err))))
    s->ops->rollback(s);
  if (!rc) checkpoint_done(l);
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int lg_commit_batch(ledger *l, size_t acc_start, size_t tr_start, sk_err *err) {
  lg_store *s = l->store;
  int rc = s->ops->begin(s, err);
  if (rc) goto fail;
  for (size_t i = acc_start; i < l->n_accounts; i++)
    if ((rc = s->ops->put_account(s, &l->accounts[i].a, 1, err))) goto fail_tx;
  for (size_t i = tr_start; i < l->n_transfers; i++) {
    const lg_transfer *t = &l->transfers[i];
    if ((rc = s->ops->put_transfer(s, &t->t, t->status, t->posted, t->status_ts, 1, err)))
      goto fail_tx;
  }
  for (size_t k = 0; k < l->n_dirty_transfers; k++) {
    uint32_t i = l->dirty_transfers[k];
    if (i >= tr_start) continue;
    const lg_transfer *t = &l->transfers[i];
    if ((rc = s->ops->put_transfer(s, &t->t, t->status, t->posted, t->status_ts, 0, err)))
      goto fail_tx;
  }
  int ckpt = l->commits_since_ckpt + 1 >= l->checkpoint_every;
  if (ckpt && (rc = lg_write_checkpoint(l, acc_start, err))) goto fail_tx;
  if ((rc = s->ops->commit(s, err))) goto fail_tx;
  l->n_undo = 0;
  l->commits_since_ckpt++;
  if (ckpt) checkpoint_done(l);
  return SK_OK;
fail_tx:
  s->ops->rollback(s);
fail:
  lg_undo_to(l, 0);
  return rc;
}

/* ---- accounts ---- */

static ledger_result account_exists(const ledger_account *e, const ledger_account *a) {
  if ((e->flags & ~LEDGER_AF_LINKED) != (a->flags & ~LEDGER_AF_LINKED))
    return LEDGER_EXISTS_WITH_DIFFERENT_FLAGS;
  if (e->user_data_128 != a->user_data_128) return LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_128;
  if (e->user_data_64 != a->user_data_64) return LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_64;
  if (e->user_data_32 != a->user_data_32) return LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_32;
  if (e->ledger != a->ledger) return LEDGER_EXISTS_WITH_DIFFERENT_LEDGER;
  if (e->code != a->code) return LEDGER_EXISTS_WITH_DIFFERENT_CODE;
  return LEDGER_EXISTS;
}

static ledger_result create_account(ledger *l, const ledger_account *e, int *oom) {
  if (e->timestamp != 0) return LEDGER_TIMESTAMP_MUST_BE_ZERO;
  if (e->flags & ~LEDGER_AF_MASK) return LEDGER_RESERVED_FLAG;
  if (e->id == 0) return LEDGER_ID_MUST_NOT_BE_ZERO;
  if (e->id == U128_MAX) return LEDGER_ID_MUST_NOT_BE_INT_MAX;
  if ((e->flags & LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS) &&
      (e->flags & LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS))
    return LEDGER_FLAGS_ARE_MUTUALLY_EXCLUSIVE;
  if (e->debits_pending || e->debits_posted || e->credits_pending || e->credits_posted)
    return LEDGER_BALANCES_MUST_BE_ZERO;
  if (e->ledger == 0) return LEDGER_LEDGER_MUST_NOT_BE_ZERO;
  if (e->code == 0) return LEDGER_CODE_MUST_NOT_BE_ZERO;
  uint32_t idx;
  if (idmap_get(&l->account_ids, e->id, &idx) == 0) return account_exists(e, &l->accounts[idx].a);
  if (l->n_accounts >= LEDGER_ACCOUNTS_MAX) return LEDGER_TOO_MANY_ACCOUNTS;
  if (grow((void **)&l->accounts, &l->cap_accounts, l->n_accounts, sizeof *l->accounts) ||
      idmap_put(&l->account_ids, e->id, (uint32_t)l->n_accounts)) {
    *oom = 1;
    return LEDGER_MALFORMED;
  }
  lg_account *a = &l->accounts[l->n_accounts];
  a->a = *e;
  a->a.flags &= (uint16_t)~LEDGER_AF_LINKED;
  a->a.timestamp = lg_next_ts(l);
  a->wallet = -1;
  a->ckpt_dirty = 0;
  lg_undo u = {.kind = UNDO_ACCOUNT_INSERT, .idx = (uint32_t)l->n_accounts};
  l->n_accounts++;
  if (lg_undo_push(l, &u)) {
    idmap_del(&l->account_ids, e->id);
    l->n_accounts--;
    *oom = 1;
    return LEDGER_MALFORMED;
  }
  return LEDGER_OK;
}

int ledger_create_accounts(ledger *l, const ledger_account *events, size_t n, ledger_result *results,
                           sk_err *err) {
  if (!l || (!events && n) || (!results && n))
    return sk_err_set(err, SK_EINVAL, "ledger_create_accounts: NULL argument");
  if (n > LEDGER_BATCH_MAX)
    return sk_err_set(err, SK_ELIMIT, "batch of %zu accounts exceeds the maximum of %u", n,
                      LEDGER_BATCH_MAX);
  pthread_mutex_lock(&l->mu);
  lg_batch_begin(l);
  size_t acc_start = l->n_accounts;
  size_t i = 0;
  int oom = 0;
  while (i < n) {
    size_t chain_end = i; /* chain = i..chain_end inclusive */
    while (chain_end < n && (events[chain_end].flags & LEDGER_AF_LINKED)) chain_end++;
    int open = chain_end == n;
    if (open) chain_end = n - 1;
    size_t mark = l->n_undo;
    size_t failed = SIZE_MAX;
    for (size_t k = i; k <= chain_end; k++) {
      results[k] = (open && k == chain_end) ? LEDGER_LINKED_EVENT_CHAIN_OPEN
                                             : create_account(l, &events[k], &oom);
      if (oom) goto nomem;
      if (results[k] != LEDGER_OK) {
        failed = k;
        break;
      }
    }
    if (failed != SIZE_MAX && chain_end > i) {
      lg_undo_to(l, mark);
      for (size_t k = i; k <= chain_end; k++)
        if (k != failed) results[k] = LEDGER_LINKED_EVENT_FAILED;
    }
    i = chain_end + 1;
  }
  int rc = lg_commit_batch(l, acc_start, l->n_transfers, err);
  pthread_mutex_unlock(&l->mu);
  return rc;
nomem:
  lg_undo_to(l, 0);
  pthread_mutex_unlock(&l->mu);
  return sk_err_set(err, SK_ENOMEM, "out of memory while creating accounts");
}

int ledger_lookup_account(ledger *l, u128 id, ledger_account *out) {
  pthread_mutex_lock(&l->mu);
  uint32_t idx;
  int rc = idmap_get(&l->account_ids, id, &idx) ? SK_ENOTFOUND : SK_OK;
  if (!rc) *out = l->accounts[idx].a;
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int ledger_lookup_transfer(ledger *l, u128 id, ledger_transfer *out, ledger_status *status,
                           u128 *posted_amount) {
  pthread_mutex_lock(&l->mu);
  uint32_t idx;
  int rc = idmap_get(&l->transfer_ids, id, &idx) ? SK_ENOTFOUND : SK_OK;
  if (!rc) {
    if (out) *out = l->transfers[idx].t;
    if (status) *status = (ledger_status)l->transfers[idx].status;
    if (posted_amount) *posted_amount = l->transfers[idx].posted;
  }
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int ledger_each_account(ledger *l, ledger_account_cb cb, void *ctx) {
  pthread_mutex_lock(&l->mu);
  for (size_t i = 0; i < l->n_accounts; i++)
    if (cb(ctx, &l->accounts[i].a)) break;
  pthread_mutex_unlock(&l->mu);
  return SK_OK;
}

static int touches(const ledger_transfer *t, u128 id) {
  return id == 0 || t->debit_account_id == id || t->credit_account_id == id;
}

int ledger_each_transfer(ledger *l, u128 account_id, ledger_transfer_cb cb, void *ctx) {
  pthread_mutex_lock(&l->mu);
  for (size_t i = 0; i < l->n_transfers; i++) {
    const lg_transfer *t = &l->transfers[i];
    if (touches(&t->t, account_id) && cb(ctx, &t->t, (ledger_status)t->status, t->posted)) break;
  }
  pthread_mutex_unlock(&l->mu);
  return SK_OK;
}

int ledger_each_pending(ledger *l, u128 account_id, ledger_transfer_cb cb, void *ctx) {
  pthread_mutex_lock(&l->mu);
  for (size_t i = 0; i < l->n_transfers; i++) {
    const lg_transfer *t = &l->transfers[i];
    if (t->status == LEDGER_ST_PENDING && touches(&t->t, account_id) &&
        cb(ctx, &t->t, LEDGER_ST_PENDING, t->posted))
      break;
  }
  pthread_mutex_unlock(&l->mu);
  return SK_OK;
}

size_t ledger_account_count(ledger *l) {
  pthread_mutex_lock(&l->mu);
  size_t n = l->n_accounts;
  pthread_mutex_unlock(&l->mu);
  return n;
}

size_t ledger_transfer_count(ledger *l) {
  pthread_mutex_lock(&l->mu);
  size_t n = l->n_transfers;
  pthread_mutex_unlock(&l->mu);
  return n;
}
