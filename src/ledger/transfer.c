/* transfer.c — creating transfers: validation, idempotency, two-phase, linked chains, expiry. */
#include <assert.h>

#include "base/alloc.h"
#include "ledger/ledger_internal.h"

#define NS_PER_S 1000000000ull

/* ---- expiry heap (min-heap on expires_ns) ---- */

int lg_heap_push(ledger *l, uint64_t expires_ns, uint32_t idx) {
  if (l->n_heap == l->cap_heap) {
    size_t nc = l->cap_heap ? l->cap_heap * 2 : 64;
    lg_expiry *h = sk_realloc(l->heap, nc * sizeof *h);
    if (!h) return SK_ENOMEM;
    l->heap = h;
    l->cap_heap = nc;
  }
  size_t i = l->n_heap++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (l->heap[p].expires_ns <= expires_ns) break;
    l->heap[i] = l->heap[p];
    i = p;
  }
  l->heap[i] = (lg_expiry){expires_ns, idx};
  return SK_OK;
}

static lg_expiry heap_pop(ledger *l) {
  assert(l->n_heap > 0);
  lg_expiry top = l->heap[0], last = l->heap[--l->n_heap];
  size_t i = 0, n = l->n_heap;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && l->heap[c + 1].expires_ns < l->heap[c].expires_ns) c++;
    if (l->heap[c].expires_ns >= last.expires_ns) break;
    l->heap[i] = l->heap[c];
    i = c;
  }
  if (n) l->heap[i] = last;
  return top;
}

static uint64_t expires_at(const ledger_transfer *t) {
  return t->timeout_s ? t->timestamp + (uint64_t)t->timeout_s * NS_PER_S : UINT64_MAX;
}

static int set_status(ledger *l, uint32_t idx, uint8_t status, u128 posted, uint64_t ts) {
  lg_transfer *t = &l->transfers[idx];
  lg_undo u = {.kind = UNDO_TRANSFER_STATUS, .idx = idx, .old_status = t->status, .u = t->status_ts};
  u.v[0] = t->posted;
  if (lg_undo_push(l, &u) || lg_mark_transfer(l, idx)) return SK_ENOMEM;
  t->status = status;
  t->posted = posted;
  t->status_ts = ts;
  return SK_OK;
}

/* Releases the pending amount of transfer p from both accounts (void, expiry, post). */
static int release_pending(ledger *l, const lg_transfer *p, uint32_t d, uint32_t c) {
  if (lg_save_balances(l, d) || lg_save_balances(l, c)) return SK_ENOMEM;
  ledger_account *ad = &l->accounts[d].a, *ac = &l->accounts[c].a;
  /* Pending balances always contain the pending amount: an invariant, not input. */
  assert(ad->debits_pending >= p->t.amount && ac->credits_pending >= p->t.amount);
  ad->debits_pending -= p->t.amount;
  ac->credits_pending -= p->t.amount;
  return SK_OK;
}

static int account_idx(ledger *l, u128 id, uint32_t *idx) {
  return idmap_get(&l->account_ids, id, idx);
}

int lg_expire_due(ledger *l, uint64_t now, sk_err *err) {
  int n = 0;
  while (l->n_heap > 0 && l->heap[0].expires_ns <= now) {
    lg_expiry e = heap_pop(l);
    lg_undo u = {.kind = UNDO_HEAP_POP, .idx = e.idx, .u = e.expires_ns};
    if (lg_undo_push(l, &u)) goto nomem;
    if (e.idx >= l->n_transfers) continue;
    lg_transfer *p = &l->transfers[e.idx];
    if (p->status != LEDGER_ST_PENDING || expires_at(&p->t) != e.expires_ns) continue;
    uint32_t d, c;
    int found = account_idx(l, p->t.debit_account_id, &d) == 0 &&
                account_idx(l, p->t.credit_account_id, &c) == 0;
    assert(found);
    (void)found;
    if (release_pending(l, p, d, c)) goto nomem;
    if (set_status(l, e.idx, LEDGER_ST_EXPIRED, 0, lg_next_ts(l))) goto nomem;
    if (l->accounts[d].wallet >= 0 &&
        lg_wallet_release(l, (uint32_t)l->accounts[d].wallet, p->t.amount, p->t.timestamp))
      goto nomem;
    n++;
  }
  return n;
nomem:
  return sk_err_set(err, SK_ENOMEM, "out of memory while expiring pending transfers");
}

/* ---- idempotency ---- */

static ledger_result transfer_exists(const ledger_transfer *e, const lg_transfer *xr) {
  const ledger_transfer *x = &xr->t;
  uint16_t ef = e->flags & (uint16_t)~LEDGER_TF_LINKED;
  uint16_t xf = x->flags & (uint16_t)~(LEDGER_TF_LINKED | LEDGER_TF_APPROVAL);
  /* A policy may have turned a single-phase transfer into a pending one awaiting approval. */
  int converted = (x->flags & LEDGER_TF_APPROVAL) && !(ef & LEDGER_TF_PENDING);
  if (ef != xf && !(converted && ef == (xf & (uint16_t)~LEDGER_TF_PENDING)))
    return LEDGER_EXISTS_WITH_DIFFERENT_FLAGS;
  int pv = (ef & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING)) != 0;
  if ((e->debit_account_id || !pv) && e->debit_account_id != x->debit_account_id)
    return LEDGER_EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID;
  if ((e->credit_account_id || !pv) && e->credit_account_id != x->credit_account_id)
    return LEDGER_EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID;
  if ((e->amount || !pv) && e->amount != x->amount) return LEDGER_EXISTS_WITH_DIFFERENT_AMOUNT;
  if (e->pending_id != x->pending_id) return LEDGER_EXISTS_WITH_DIFFERENT_PENDING_ID;
  if (e->user_data_128 != x->user_data_128) return LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_128;
  if (e->user_data_64 != x->user_data_64) return LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_64;
  if (e->user_data_32 != x->user_data_32) return LEDGER_EXISTS_WITH_DIFFERENT_USER_DATA_32;
  if (e->timeout_s != x->timeout_s && !(converted && e->timeout_s == 0))
    return LEDGER_EXISTS_WITH_DIFFERENT_TIMEOUT;
  if ((e->ledger || !pv) && e->ledger != x->ledger) return LEDGER_EXISTS_WITH_DIFFERENT_LEDGER;
  if ((e->code || !pv) && e->code != x->code) return LEDGER_EXISTS_WITH_DIFFERENT_CODE;
  return LEDGER_EXISTS;
}

/* Appends a transfer record (balances are changed by the caller). */
static int insert_transfer(ledger *l, const ledger_transfer *t, uint8_t status, uint32_t *idx_out) {
  if (l->n_transfers == l->cap_transfers) {
    size_t nc = l->cap_transfers ? l->cap_transfers * 2 : 1024;
    lg_transfer *a = sk_realloc(l->transfers, nc * sizeof *a);
    if (!a) return SK_ENOMEM;
    l->transfers = a;
    l->cap_transfers = nc;
  }
  uint32_t idx = (uint32_t)l->n_transfers;
  if (idmap_put(&l->transfer_ids, t->id, idx)) return SK_ENOMEM;
  lg_undo u = {.kind = UNDO_TRANSFER_INSERT, .idx = idx};
  l->transfers[idx] = (lg_transfer){.t = *t, .status = status};
  l->transfers[idx].t.flags &= (uint16_t)~LEDGER_TF_LINKED;
  l->n_transfers++;
  if (lg_undo_push(l, &u)) {
    idmap_del(&l->transfer_ids, t->id);
    l->n_transfers--;
    return SK_ENOMEM;
  }
  *idx_out = idx;
  return SK_OK;
}

static ledger_result post_or_void(ledger *l, const ledger_transfer *e, unsigned submit_flags,
                                  int *oom) {
  int post = (e->flags & LEDGER_TF_POST_PENDING) != 0;
  if (e->pending_id == 0) return LEDGER_PENDING_ID_MUST_NOT_BE_ZERO;
  if (e->pending_id == U128_MAX) return LEDGER_PENDING_ID_MUST_NOT_BE_INT_MAX;
  if (e->pending_id == e->id) return LEDGER_PENDING_ID_MUST_BE_DIFFERENT;
  if (e->timeout_s) return LEDGER_TIMEOUT_RESERVED_FOR_PENDING_TRANSFER;
  uint32_t pidx;
  if (idmap_get(&l->transfer_ids, e->pending_id, &pidx)) return LEDGER_PENDING_TRANSFER_NOT_FOUND;
  const lg_transfer *p = &l->transfers[pidx];
  if (!(p->t.flags & LEDGER_TF_PENDING)) return LEDGER_PENDING_TRANSFER_NOT_PENDING;
  if (e->debit_account_id && e->debit_account_id != p->t.debit_account_id)
    return LEDGER_PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID;
  if (e->credit_account_id && e->credit_account_id != p->t.credit_account_id)
    return LEDGER_PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID;
  if (e->ledger && e->ledger != p->t.ledger) return LEDGER_PENDING_TRANSFER_HAS_DIFFERENT_LEDGER;
  if (e->code && e->code != p->t.code) return LEDGER_PENDING_TRANSFER_HAS_DIFFERENT_CODE;
  if (post && e->amount > p->t.amount) return LEDGER_EXCEEDS_PENDING_TRANSFER_AMOUNT;
  if (!post && e->amount && e->amount != p->t.amount)
    return LEDGER_PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT;
  uint32_t xidx;
  if (idmap_get(&l->transfer_ids, e->id, &xidx) == 0)
    return transfer_exists(e, &l->transfers[xidx]);
  switch (p->status) {
  case LEDGER_ST_POSTED_PENDING: return LEDGER_PENDING_TRANSFER_ALREADY_POSTED;
  case LEDGER_ST_VOIDED: return LEDGER_PENDING_TRANSFER_ALREADY_VOIDED;
  case LEDGER_ST_EXPIRED: return LEDGER_PENDING_TRANSFER_EXPIRED;
  default: break;
  }
  uint64_t ts = lg_next_ts(l);
  if (expires_at(&p->t) <= ts) return LEDGER_PENDING_TRANSFER_EXPIRED; /* due; next sweep expires it */
  if (post && (p->t.flags & LEDGER_TF_APPROVAL) && !(submit_flags & LEDGER_SUBMIT_APPROVER))
    return LEDGER_APPROVAL_REQUIRED;
  uint32_t d, c;
  int found = account_idx(l, p->t.debit_account_id, &d) == 0 &&
              account_idx(l, p->t.credit_account_id, &c) == 0;
  assert(found);
  (void)found;
  u128 amount = post ? (e->amount ? e->amount : p->t.amount) : p->t.amount;
  const ledger_account *ad = &l->accounts[d].a, *ac = &l->accounts[c].a;
  u128 tmp;
  if (post && u128_add(ad->debits_posted, amount, &tmp)) return LEDGER_OVERFLOWS_DEBITS_POSTED;
  if (post && u128_add(ac->credits_posted, amount, &tmp)) return LEDGER_OVERFLOWS_CREDITS_POSTED;

  ledger_transfer rec = *e;
  rec.debit_account_id = p->t.debit_account_id;
  rec.credit_account_id = p->t.credit_account_id;
  rec.ledger = p->t.ledger;
  rec.code = p->t.code;
  rec.amount = amount;
  rec.timestamp = ts;
  uint32_t idx;
  lg_transfer pcopy = *p; /* p may move when the array grows */
  if (insert_transfer(l, &rec, LEDGER_ST_POSTED, &idx) || release_pending(l, &pcopy, d, c) ||
      set_status(l, pidx, post ? LEDGER_ST_POSTED_PENDING : LEDGER_ST_VOIDED, post ? amount : 0,
                 ts)) {
    *oom = 1;
    return LEDGER_MALFORMED;
  }
  if (post) {
    l->accounts[d].a.debits_posted += amount;
    l->accounts[c].a.credits_posted += amount;
  }
  int32_t w = l->accounts[d].wallet;
  if (w >= 0 && lg_wallet_release(l, (uint32_t)w, pcopy.t.amount - (post ? amount : 0),
                                  pcopy.t.timestamp)) {
    *oom = 1;
    return LEDGER_MALFORMED;
  }
  return LEDGER_OK;
}

static ledger_result create_transfer(ledger *l, const ledger_transfer *e, unsigned submit_flags,
                                     int *oom) {
  if (e->timestamp != 0) return LEDGER_TIMESTAMP_MUST_BE_ZERO;
  if (e->flags & ~LEDGER_TF_MASK) return LEDGER_RESERVED_FLAG;
  if (e->id == 0) return LEDGER_ID_MUST_NOT_BE_ZERO;
  if (e->id == U128_MAX) return LEDGER_ID_MUST_NOT_BE_INT_MAX;
  int kinds = !!(e->flags & LEDGER_TF_PENDING) + !!(e->flags & LEDGER_TF_POST_PENDING) +
              !!(e->flags & LEDGER_TF_VOID_PENDING);
  if (kinds > 1) return LEDGER_FLAGS_ARE_MUTUALLY_EXCLUSIVE;
  if (e->flags & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING))
    return post_or_void(l, e, submit_flags, oom);
  if (e->debit_account_id == 0) return LEDGER_DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO;
  if (e->debit_account_id == U128_MAX) return LEDGER_DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX;
  if (e->credit_account_id == 0) return LEDGER_CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO;
  if (e->credit_account_id == U128_MAX) return LEDGER_CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX;
  if (e->debit_account_id == e->credit_account_id) return LEDGER_ACCOUNTS_MUST_BE_DIFFERENT;
  if (e->pending_id) return LEDGER_PENDING_ID_MUST_BE_ZERO;
  int pending = (e->flags & LEDGER_TF_PENDING) != 0;
  if (!pending && e->timeout_s) return LEDGER_TIMEOUT_RESERVED_FOR_PENDING_TRANSFER;
  if (e->amount == 0) return LEDGER_AMOUNT_MUST_NOT_BE_ZERO;
  if (e->ledger == 0) return LEDGER_LEDGER_MUST_NOT_BE_ZERO;
  if (e->code == 0) return LEDGER_CODE_MUST_NOT_BE_ZERO;
  uint32_t d, c;
  if (account_idx(l, e->debit_account_id, &d)) return LEDGER_DEBIT_ACCOUNT_NOT_FOUND;
  if (account_idx(l, e->credit_account_id, &c)) return LEDGER_CREDIT_ACCOUNT_NOT_FOUND;
  const ledger_account *ad = &l->accounts[d].a, *ac = &l->accounts[c].a;
  if (ad->ledger != ac->ledger) return LEDGER_ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER;
  if (e->ledger != ad->ledger) return LEDGER_TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS;
  uint32_t xidx;
  if (idmap_get(&l->transfer_ids, e->id, &xidx) == 0)
    return transfer_exists(e, &l->transfers[xidx]);
  if (l->n_transfers >= LEDGER_TRANSFERS_MAX) return LEDGER_TOO_MANY_TRANSFERS;

  uint64_t ts = lg_next_ts(l);
  ledger_transfer rec = *e;
  rec.timestamp = ts;
  ledger_result verdict = LEDGER_OK;
  int32_t w = l->accounts[d].wallet;
  if (w >= 0) {
    verdict = lg_wallet_check(&l->wallets[w], e->credit_account_id, e->amount, ts);
    if (!ledger_result_ok(verdict)) return verdict;
    if (verdict == LEDGER_OK_PENDING_APPROVAL) {
      rec.flags |= LEDGER_TF_APPROVAL;
      if (!pending) {
        rec.flags |= LEDGER_TF_PENDING;
        rec.timeout_s = l->wallets[w].approval_timeout_s;
        pending = 1;
      }
    }
  }
  u128 sum, amt = e->amount;
  if (pending) {
    if (u128_add(ad->debits_pending, amt, &sum)) return LEDGER_OVERFLOWS_DEBITS_PENDING;
    if (u128_add(ac->credits_pending, amt, &sum)) return LEDGER_OVERFLOWS_CREDITS_PENDING;
  } else {
    if (u128_add(ad->debits_posted, amt, &sum)) return LEDGER_OVERFLOWS_DEBITS_POSTED;
    if (u128_add(ac->credits_posted, amt, &sum)) return LEDGER_OVERFLOWS_CREDITS_POSTED;
  }
  u128 dsum, csum;
  if (u128_add(ad->debits_pending, ad->debits_posted, &dsum) || u128_add(dsum, amt, &dsum))
    return LEDGER_OVERFLOWS_DEBITS;
  if (u128_add(ac->credits_pending, ac->credits_posted, &csum) || u128_add(csum, amt, &csum))
    return LEDGER_OVERFLOWS_CREDITS;
  if (pending && rec.timeout_s && ts > UINT64_MAX - (uint64_t)rec.timeout_s * NS_PER_S)
    return LEDGER_OVERFLOWS_TIMEOUT;
  if ((ad->flags & LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS) && dsum > ad->credits_posted)
    return LEDGER_EXCEEDS_CREDITS;
  if ((ac->flags & LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS) && csum > ac->debits_posted)
    return LEDGER_EXCEEDS_DEBITS;

  uint32_t idx;
  if (insert_transfer(l, &rec, pending ? LEDGER_ST_PENDING : LEDGER_ST_POSTED, &idx) ||
      lg_save_balances(l, d) || lg_save_balances(l, c))
    goto nomem;
  ledger_account *md = &l->accounts[d].a, *mc = &l->accounts[c].a;
  if (pending) {
    md->debits_pending += amt;
    mc->credits_pending += amt;
  } else {
    md->debits_posted += amt;
    mc->credits_posted += amt;
  }
  if (w >= 0 && lg_wallet_add(l, (uint32_t)w, amt, ts)) goto nomem;
  if (pending && rec.timeout_s && lg_heap_push(l, expires_at(&rec), idx)) goto nomem;
  return verdict;
nomem:
  *oom = 1;
  return LEDGER_MALFORMED;
}

/* Applies one request's events in memory (chains, results); returns SK_OK or SK_ENOMEM. */
static int apply_request(ledger *l, lg_req *q) {
  const ledger_transfer *events = q->events;
  size_t n = q->n, i = 0;
  int oom = 0;
  if (idmap_reserve(&l->transfer_ids, n)) return SK_ENOMEM;
  while (i < n) {
    size_t chain_end = i;
    while (chain_end < n && (events[chain_end].flags & LEDGER_TF_LINKED)) chain_end++;
    int open = chain_end == n;
    if (open) chain_end = n - 1;
    size_t mark = l->n_undo;
    size_t failed = SIZE_MAX;
    for (size_t k = i; k <= chain_end; k++) {
      if (q->prefail && q->prefail[k] != LEDGER_OK) q->results[k] = q->prefail[k];
      else if (open && k == chain_end) q->results[k] = LEDGER_LINKED_EVENT_CHAIN_OPEN;
      else q->results[k] = create_transfer(l, &events[k], q->submit_flags, &oom);
      if (oom) return SK_ENOMEM;
      if (!ledger_result_ok(q->results[k])) {
        failed = k;
        break;
      }
    }
    if (failed != SIZE_MAX && chain_end > i) {
      lg_undo_to(l, mark);
      for (size_t k = i; k <= chain_end; k++)
        if (k != failed) q->results[k] = LEDGER_LINKED_EVENT_FAILED;
    }
    i = chain_end + 1;
  }
  return SK_OK;
}

/* Runs a group of requests as ONE store transaction (group commit): each request keeps its own
 * batch semantics, and either the whole group commits or none of it happened. */
static void run_group(ledger *l, lg_req *group) {
  pthread_mutex_lock(&l->mu);
  lg_batch_begin(l);
  size_t acc_start = l->n_accounts, tr_start = l->n_transfers;
  sk_err gerr = {0};
  int rc = lg_expire_due(l, lg_now(l), &gerr);
  if (rc > 0) rc = SK_OK;
  for (lg_req *q = group; q && rc == SK_OK; q = q->next)
    if (apply_request(l, q)) rc = sk_err_set(&gerr, SK_ENOMEM, "out of memory while creating transfers");
  if (rc == SK_OK) rc = lg_commit_batch(l, acc_start, tr_start, &gerr); /* undoes all on failure */
  else lg_undo_to(l, 0);
  pthread_mutex_unlock(&l->mu);
  for (lg_req *q = group; q; q = q->next) {
    q->rc = rc;
    if (rc && q->err) *q->err = gerr;
  }
}

int ledger_create_transfers(ledger *l, const ledger_transfer *events, size_t n, unsigned submit_flags,
                            const ledger_result *prefail, ledger_result *results, sk_err *err) {
  if (!l || (!events && n) || (!results && n))
    return sk_err_set(err, SK_EINVAL, "ledger_create_transfers: NULL argument");
  if (n > LEDGER_BATCH_MAX)
    return sk_err_set(err, SK_ELIMIT, "batch of %zu transfers exceeds the maximum of %u", n,
                      LEDGER_BATCH_MAX);
  lg_req req = {.events = events, .n = n, .submit_flags = submit_flags, .prefail = prefail,
                .results = results, .err = err};
  /* Flat combining: queue the request; whoever finds no committer active takes everything queued
   * (up to LEDGER_GROUP_EVENTS_MAX events) and commits it with one fsync; the others wait. */
  pthread_mutex_lock(&l->qmu);
  if (l->qtail) l->qtail->next = &req;
  else l->qhead = &req;
  l->qtail = &req;
  while (!req.done) {
    if (l->committing) {
      pthread_cond_wait(&l->qcv, &l->qmu);
      continue;
    }
    l->committing = 1;
    lg_req *group = l->qhead, *last = group;
    size_t events_in_group = last->n;
    while (last->next && events_in_group + last->next->n <= LEDGER_GROUP_EVENTS_MAX) {
      last = last->next;
      events_in_group += last->n;
    }
    l->qhead = last->next;
    if (!l->qhead) l->qtail = NULL;
    last->next = NULL;
    pthread_mutex_unlock(&l->qmu);
    run_group(l, group);
    pthread_mutex_lock(&l->qmu);
    for (lg_req *q = group; q;) {
      lg_req *next = q->next; /* q may vanish as soon as done is set and its owner wakes */
      q->done = 1;
      q = next;
    }
    l->committing = 0;
    pthread_cond_broadcast(&l->qcv);
  }
  pthread_mutex_unlock(&l->qmu);
  return req.rc;
}

int ledger_expire(ledger *l, sk_err *err) {
  pthread_mutex_lock(&l->mu);
  lg_batch_begin(l);
  size_t acc_start = l->n_accounts, tr_start = l->n_transfers;
  int n = lg_expire_due(l, lg_now(l), err);
  if (n < 0) {
    lg_undo_to(l, 0);
    pthread_mutex_unlock(&l->mu);
    return n;
  }
  int rc = n ? lg_commit_batch(l, acc_start, tr_start, err) : SK_OK;
  pthread_mutex_unlock(&l->mu);
  return rc ? rc : n;
}
