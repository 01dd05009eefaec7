/* replay.c — recompute balances from the transfer log: the invariant check and balance history.
 *
 * The transfer array is in timestamp order. Events: each transfer at its timestamp, plus the
 * expiry of a pending transfer at its status_ts (expiry has no transfer record of its own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "ledger/ledger_internal.h"

typedef struct bal4 {
  u128 dp, dpo, cp, cpo;
} bal4;

typedef struct exp_ev {
  uint64_t ts;
  uint32_t idx;
} exp_ev;

static int cmp_exp(const void *a, const void *b) {
  const exp_ev *x = a, *y = b;
  return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Called after each change of account `aidx` caused by transfer `tidx` at ts. */
typedef int (*replay_cb)(void *ctx, uint32_t aidx, const bal4 *b, uint64_t ts, uint32_t tidx,
                         char *why, size_t why_size);

typedef struct replay {
  ledger *l;
  bal4 *bal;
  replay_cb cb;
  void *ctx;
  int snap;          /* compare with the stored balances once, at snap_ts */
  uint64_t snap_ts;
  char why[256];
} replay;

/* The stored balances (a checkpoint at snap_ts) must equal the replay at that instant. */
static int compare_snapshot(replay *r) {
  r->snap = 0;
  for (size_t i = 0; i < r->l->n_accounts; i++) {
    const ledger_account *a = &r->l->accounts[i].a;
    const bal4 *b = &r->bal[i];
    if (a->debits_pending != b->dp || a->debits_posted != b->dpo || a->credits_pending != b->cp ||
        a->credits_posted != b->cpo) {
      snprintf(r->why, sizeof r->why,
               "account #%zu: stored balances differ from the replay of the transfer log at the "
               "checkpoint %llu",
               i, (unsigned long long)r->snap_ts);
      return -1;
    }
  }
  return 0;
}

static int idx_of(ledger *l, u128 id, uint32_t *out) { return idmap_get(&l->account_ids, id, out); }

static int apply(replay *r, uint32_t tidx, int expiry, uint64_t ts) {
  ledger *l = r->l;
  const lg_transfer *tr = &l->transfers[tidx];
  const ledger_transfer *t = &tr->t;
  uint32_t d, c;
  if (idx_of(l, t->debit_account_id, &d) || idx_of(l, t->credit_account_id, &c)) {
    snprintf(r->why, sizeof r->why, "transfer at %llu names an unknown account",
             (unsigned long long)t->timestamp);
    return -1;
  }
  bal4 *bd = &r->bal[d], *bc = &r->bal[c];
  int bad = 0;
  if (expiry || (t->flags & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING))) {
    const lg_transfer *p = tr;
    if (!expiry) {
      uint32_t pidx;
      if (idmap_get(&l->transfer_ids, t->pending_id, &pidx) || pidx >= tidx) {
        snprintf(r->why, sizeof r->why, "post/void at %llu names a missing or later pending",
                 (unsigned long long)t->timestamp);
        return -1;
      }
      p = &l->transfers[pidx];
    }
    bad |= u128_sub(bd->dp, p->t.amount, &bd->dp) | u128_sub(bc->cp, p->t.amount, &bc->cp);
    if (t->flags & LEDGER_TF_POST_PENDING)
      bad |= u128_add(bd->dpo, t->amount, &bd->dpo) | u128_add(bc->cpo, t->amount, &bc->cpo);
  } else if (t->flags & LEDGER_TF_PENDING) {
    bad |= u128_add(bd->dp, t->amount, &bd->dp) | u128_add(bc->cp, t->amount, &bc->cp);
  } else {
    bad |= u128_add(bd->dpo, t->amount, &bd->dpo) | u128_add(bc->cpo, t->amount, &bc->cpo);
  }
  if (bad) {
    snprintf(r->why, sizeof r->why, "replaying transfer at %llu over/underflows a balance",
             (unsigned long long)t->timestamp);
    return -1;
  }
  if (r->cb) {
    if (r->cb(r->ctx, d, bd, ts, tidx, r->why, sizeof r->why)) return -1;
    if (r->cb(r->ctx, c, bc, ts, tidx, r->why, sizeof r->why)) return -1;
  }
  return 0;
}

/* Distinct from the -1 of a violated invariant (which SK_ENOMEM would collide with). */
#define REPLAY_NOMEM (-100)

/* Runs the replay; returns 0, -1 with r->why set, or REPLAY_NOMEM. */
static int run_replay(replay *r) {
  ledger *l = r->l;
  r->bal = sk_calloc(l->n_accounts ? l->n_accounts : 1, sizeof *r->bal);
  size_t n_exp = 0;
  for (size_t i = 0; i < l->n_transfers; i++) n_exp += l->transfers[i].status == LEDGER_ST_EXPIRED;
  exp_ev *ev = sk_calloc(n_exp ? n_exp : 1, sizeof *ev);
  if (!r->bal || !ev) {
    sk_free(r->bal);
    sk_free(ev);
    r->bal = NULL;
    return REPLAY_NOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < l->n_transfers; i++)
    if (l->transfers[i].status == LEDGER_ST_EXPIRED)
      ev[k++] = (exp_ev){l->transfers[i].status_ts, (uint32_t)i};
  qsort(ev, n_exp, sizeof *ev, cmp_exp);
  size_t e = 0;
  int rc = 0;
  for (size_t i = 0; i < l->n_transfers && !rc; i++) {
    uint64_t ts = l->transfers[i].t.timestamp;
    while (e < n_exp && ev[e].ts < ts && !rc) {
      if (r->snap && ev[e].ts > r->snap_ts && (rc = compare_snapshot(r))) break;
      rc = apply(r, ev[e].idx, 1, ev[e].ts), e++;
    }
    if (!rc && r->snap && ts > r->snap_ts) rc = compare_snapshot(r);
    if (!rc) rc = apply(r, (uint32_t)i, 0, ts);
  }
  while (e < n_exp && !rc) {
    if (r->snap && ev[e].ts > r->snap_ts && (rc = compare_snapshot(r))) break;
    rc = apply(r, ev[e].idx, 1, ev[e].ts), e++;
  }
  if (!rc && r->snap) rc = compare_snapshot(r);
  sk_free(ev);
  return rc;
}

/* ---- invariant check ---- */

static int check_limits(void *ctx, uint32_t aidx, const bal4 *b, uint64_t ts, uint32_t tidx,
                        char *why, size_t why_size) {
  ledger *l = ctx;
  (void)tidx;
  uint16_t f = l->accounts[aidx].a.flags;
  u128 sum;
  if ((f & LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS) &&
      (u128_add(b->dp, b->dpo, &sum) || sum > b->cpo)) {
    snprintf(why, why_size, "account #%u: debits exceed credits after the event at %llu", aidx,
             (unsigned long long)ts);
    return -1;
  }
  if ((f & LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS) &&
      (u128_add(b->cp, b->cpo, &sum) || sum > b->dpo)) {
    snprintf(why, why_size, "account #%u: credits exceed debits after the event at %llu", aidx,
             (unsigned long long)ts);
    return -1;
  }
  return 0;
}

typedef struct ledger_tot {
  uint32_t ledger;
  u128 dp, dpo, cp, cpo;
} ledger_tot;

static int check_transfer_states(ledger *l, char *why, size_t n) {
  for (size_t i = 0; i < l->n_transfers; i++) {
    const lg_transfer *t = &l->transfers[i];
    int pend = (t->t.flags & LEDGER_TF_PENDING) != 0;
    if (!pend && t->status != LEDGER_ST_POSTED) {
      snprintf(why, n, "transfer #%zu is not pending but has pending status %u", i, t->status);
      return -1;
    }
    if (pend && t->status == LEDGER_ST_POSTED) {
      snprintf(why, n, "pending transfer #%zu has no pending status", i);
      return -1;
    }
    if (t->t.flags & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING)) {
      uint32_t p;
      if (idmap_get(&l->transfer_ids, t->t.pending_id, &p)) {
        snprintf(why, n, "post/void #%zu names a missing pending transfer", i);
        return -1;
      }
      const lg_transfer *pt = &l->transfers[p];
      int post = (t->t.flags & LEDGER_TF_POST_PENDING) != 0;
      if (post ? (pt->status != LEDGER_ST_POSTED_PENDING || pt->posted != t->t.amount ||
                  t->t.amount > pt->t.amount)
               : pt->status != LEDGER_ST_VOIDED) {
        snprintf(why, n, "pending transfer #%u does not match its %s #%zu", p,
                 post ? "post" : "void", i);
        return -1;
      }
    }
  }
  return 0;
}

int ledger_check(ledger *l, sk_err *err) {
  pthread_mutex_lock(&l->mu);
  replay r = {.l = l, .cb = check_limits, .ctx = l};
  int rc = run_replay(&r);
  if (rc == REPLAY_NOMEM) {
    pthread_mutex_unlock(&l->mu);
    return sk_err_set(err, SK_ENOMEM, "out of memory while checking invariants");
  }
  if (rc == 0) rc = check_transfer_states(l, r.why, sizeof r.why);
  /* One total per ledger number; an idmap (keyed by ledger + 1, never 0) finds it. */
  ledger_tot *tots = sk_calloc(l->n_accounts + 1, sizeof *tots);
  idmap by_ledger;
  idmap_init(&by_ledger);
  size_t n_tots = 0;
  if (!tots || idmap_reserve(&by_ledger, l->n_accounts + 1)) {
    sk_free(tots);
    idmap_release(&by_ledger);
    sk_free(r.bal);
    pthread_mutex_unlock(&l->mu);
    return sk_err_set(err, SK_ENOMEM, "out of memory while checking invariants");
  }
  for (size_t i = 0; i < l->n_accounts && rc == 0; i++) {
    const ledger_account *a = &l->accounts[i].a;
    const bal4 *b = &r.bal[i];
    if (a->debits_pending != b->dp || a->debits_posted != b->dpo || a->credits_pending != b->cp ||
        a->credits_posted != b->cpo) {
      snprintf(r.why, sizeof r.why, "account #%zu: stored balances differ from the replay", i);
      rc = -1;
      break;
    }
    if (check_limits(l, (uint32_t)i, b, a->timestamp, 0, r.why, sizeof r.why)) {
      rc = -1;
      break;
    }
    uint32_t t;
    if (idmap_get(&by_ledger, (u128)a->ledger + 1, &t)) {
      t = (uint32_t)n_tots;
      tots[n_tots++] = (ledger_tot){.ledger = a->ledger};
      (void)idmap_put(&by_ledger, (u128)a->ledger + 1, t); /* reserved above: cannot fail */
    }
    /* Wrapping sums are fine here: equality of sums mod 2^128 of the two sides is the check. */
    tots[t].dp += a->debits_pending;
    tots[t].dpo += a->debits_posted;
    tots[t].cp += a->credits_pending;
    tots[t].cpo += a->credits_posted;
  }
  for (size_t t = 0; t < n_tots && rc == 0; t++)
    if (tots[t].dp != tots[t].cp || tots[t].dpo != tots[t].cpo) {
      snprintf(r.why, sizeof r.why, "ledger %u: sum of debits differs from sum of credits",
               tots[t].ledger);
      rc = -1;
    }
  sk_free(tots);
  idmap_release(&by_ledger);
  sk_free(r.bal);
  pthread_mutex_unlock(&l->mu);
  if (rc) return sk_err_set(err, SK_ECORRUPT, "ledger invariant violated: %s", r.why);
  return SK_OK;
}

/* ---- balance history ---- */

typedef struct hist_ctx {
  ledger *l;
  uint32_t aidx;
  ledger_balance_cb cb;
  void *ctx;
  int stopped;
} hist_ctx;

static int hist_point(void *ctx, uint32_t aidx, const bal4 *b, uint64_t ts, uint32_t tidx,
                      char *why, size_t why_size) {
  hist_ctx *h = ctx;
  (void)why;
  (void)why_size;
  if (aidx != h->aidx || h->stopped) return 0;
  ledger_balance_point p = {.timestamp = ts,
                            .transfer_id = h->l->transfers[tidx].t.id,
                            .debits_pending = b->dp,
                            .debits_posted = b->dpo,
                            .credits_pending = b->cp,
                            .credits_posted = b->cpo};
  if (h->cb(h->ctx, &p)) h->stopped = 1;
  return 0;
}

int ledger_balance_history(ledger *l, u128 account_id, ledger_balance_cb cb, void *ctx, sk_err *err) {
  pthread_mutex_lock(&l->mu);
  uint32_t aidx;
  if (idmap_get(&l->account_ids, account_id, &aidx)) {
    pthread_mutex_unlock(&l->mu);
    return sk_err_set(err, SK_ENOTFOUND, "account not found");
  }
  hist_ctx h = {.l = l, .aidx = aidx, .cb = cb, .ctx = ctx};
  replay r = {.l = l, .cb = hist_point, .ctx = &h};
  int rc = run_replay(&r);
  sk_free(r.bal);
  pthread_mutex_unlock(&l->mu);
  if (rc == REPLAY_NOMEM) return sk_err_set(err, SK_ENOMEM, "out of memory replaying history");
  if (rc) return sk_err_set(err, SK_ECORRUPT, "%s", r.why);
  return SK_OK;
}

int lg_rebuild_balances(ledger *l, uint64_t balances_ts, sk_err *err) {
  replay r = {.l = l, .snap = 1, .snap_ts = balances_ts};
  int rc = run_replay(&r);
  if (rc == REPLAY_NOMEM) {
    sk_free(r.bal);
    return sk_err_set(err, SK_ENOMEM, "out of memory while replaying the transfer log");
  }
  if (rc) {
    sk_free(r.bal);
    return sk_err_set(err, SK_ECORRUPT, "ledger invariant violated: %s", r.why);
  }
  for (size_t i = 0; i < l->n_accounts; i++) {
    ledger_account *a = &l->accounts[i].a;
    if (a->debits_pending != r.bal[i].dp || a->debits_posted != r.bal[i].dpo ||
        a->credits_pending != r.bal[i].cp || a->credits_posted != r.bal[i].cpo) {
      a->debits_pending = r.bal[i].dp;
      a->debits_posted = r.bal[i].dpo;
      a->credits_pending = r.bal[i].cp;
      a->credits_posted = r.bal[i].cpo;
      if (lg_mark_account(l, (uint32_t)i)) {
        sk_free(r.bal);
        return sk_err_set(err, SK_ENOMEM, "out of memory");
      }
    }
  }
  sk_free(r.bal);
  return SK_OK;
}
