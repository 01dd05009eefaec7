/* wallet.c — spending policies on agent wallets (see wallet.h). */
#include "ledger/wallet.h"

#include <string.h>

#include "base/alloc.h"
#include "ledger/ledger_internal.h"

#define NS_PER_S 1000000000ull
#define S_PER_DAY 86400ll

uint64_t lg_wallet_day(const lg_wallet *w, uint64_t ts) {
  int64_t s = (int64_t)(ts / NS_PER_S) + w->day_offset_s;
  return s < 0 ? 0 : (uint64_t)(s / S_PER_DAY);
}

ledger_result lg_wallet_check(const lg_wallet *w, u128 cr, u128 amount, uint64_t ts) {
  if (w->n_allowed) {
    uint32_t i = 0;
    while (i < w->n_allowed && w->allowed[i] != cr) i++;
    if (i == w->n_allowed) return LEDGER_COUNTERPARTY_NOT_ALLOWED;
  }
  if (w->per_transfer_cap && amount > w->per_transfer_cap) return LEDGER_EXCEEDS_PER_TRANSFER_CAP;
  if (w->daily_cap) {
    u128 spent = lg_wallet_day(w, ts) == w->day ? w->spent : 0, sum;
    if (u128_add(spent, amount, &sum) || sum > w->daily_cap) return LEDGER_EXCEEDS_DAILY_CAP;
  }
  if (w->approval_above && amount > w->approval_above) return LEDGER_OK_PENDING_APPROVAL;
  return LEDGER_OK;
}

static int save_spent(ledger *l, uint32_t widx) {
  lg_undo u = {.kind = UNDO_WALLET_SPENT, .idx = widx, .u = l->wallets[widx].day};
  u.v[0] = l->wallets[widx].spent;
  return lg_undo_push(l, &u);
}

int lg_wallet_add(ledger *l, uint32_t widx, u128 amount, uint64_t ts) {
  if (save_spent(l, widx)) return SK_ENOMEM;
  lg_wallet *w = &l->wallets[widx];
  uint64_t day = lg_wallet_day(w, ts);
  if (day != w->day) {
    w->day = day;
    w->spent = 0;
  }
  /* Saturate: spent only feeds a comparison with the cap, which was checked. */
  if (u128_add(w->spent, amount, &w->spent)) w->spent = U128_MAX;
  return SK_OK;
}

int lg_wallet_release(ledger *l, uint32_t widx, u128 amount, uint64_t created_ts) {
  lg_wallet *w = &l->wallets[widx];
  if (amount == 0 || lg_wallet_day(w, created_ts) != w->day) return SK_OK;
  if (save_spent(l, widx)) return SK_ENOMEM;
  w->spent = w->spent > amount ? w->spent - amount : 0;
  return SK_OK;
}

/* What a transfer created at t counts against its day's cap now. */
static u128 effective_debit(const lg_transfer *t) {
  if (t->t.flags & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING)) return 0;
  switch (t->status) {
  case LEDGER_ST_POSTED:
  case LEDGER_ST_PENDING: return t->t.amount;
  case LEDGER_ST_POSTED_PENDING: return t->posted;
  default: return 0;
  }
}

void lg_wallet_recompute(ledger *l) {
  uint64_t now = lg_now(l);
  for (size_t k = 0; k < l->n_wallets; k++) {
    l->wallets[k].day = lg_wallet_day(&l->wallets[k], now);
    l->wallets[k].spent = 0;
  }
  for (size_t i = 0; i < l->n_transfers; i++) {
    const lg_transfer *t = &l->transfers[i];
    uint32_t d;
    if (idmap_get(&l->account_ids, t->t.debit_account_id, &d) || l->accounts[d].wallet < 0)
      continue;
    lg_wallet *w = &l->wallets[l->accounts[d].wallet];
    if (lg_wallet_day(w, t->t.timestamp) != w->day) continue;
    if (u128_add(w->spent, effective_debit(t), &w->spent)) w->spent = U128_MAX;
  }
}

void lg_wallets_free(ledger *l) {
  for (size_t k = 0; k < l->n_wallets; k++) sk_free(l->wallets[k].allowed);
  sk_free(l->wallets);
  l->wallets = NULL;
  l->n_wallets = l->cap_wallets = 0;
}

/* Installs policy w (copying its allow-list) on its account; used by load and by set. */
static int install(ledger *l, const lg_wallet_row *w, sk_err *err) {
  uint32_t aidx;
  if (idmap_get(&l->account_ids, w->account_id, &aidx))
    return sk_err_set(err, SK_ENOTFOUND, "wallet policy names an unknown account");
  if (w->n_allowed > LEDGER_WALLET_ALLOWED_MAX)
    return sk_err_set(err, SK_ELIMIT, "allow-list of %u counterparties exceeds the maximum of %u",
                      w->n_allowed, LEDGER_WALLET_ALLOWED_MAX);
  u128 *allowed = NULL;
  if (w->n_allowed) {
    allowed = sk_calloc(w->n_allowed, sizeof *allowed);
    if (!allowed) return sk_err_set(err, SK_ENOMEM, "out of memory");
    memcpy(allowed, w->allowed, w->n_allowed * sizeof *allowed);
  }
  int32_t widx = l->accounts[aidx].wallet;
  if (widx < 0) {
    if (l->n_wallets == l->cap_wallets) {
      size_t nc = l->cap_wallets ? l->cap_wallets * 2 : 8;
      lg_wallet *nw = sk_realloc(l->wallets, nc * sizeof *nw);
      if (!nw) {
        sk_free(allowed);
        return sk_err_set(err, SK_ENOMEM, "out of memory");
      }
      l->wallets = nw;
      l->cap_wallets = nc;
    }
    widx = (int32_t)l->n_wallets++;
    memset(&l->wallets[widx], 0, sizeof l->wallets[widx]);
    l->accounts[aidx].wallet = widx;
  }
  lg_wallet *x = &l->wallets[widx];
  sk_free(x->allowed);
  x->account_id = w->account_id;
  x->per_transfer_cap = w->per_transfer_cap;
  x->daily_cap = w->daily_cap;
  x->approval_above = w->approval_above;
  x->approval_timeout_s = w->approval_timeout_s;
  x->day_offset_s = w->day_offset_s;
  x->n_allowed = w->n_allowed;
  x->allowed = allowed;
  return SK_OK;
}

int lg_load_wallet(void *ctx, const lg_wallet_row *w) {
  return install(ctx, w, NULL) ? -1 : 0;
}

int ledger_wallet_set(ledger *l, u128 account_id, const ledger_wallet_policy *p, sk_err *err) {
  if (!l || !p || (p->n_allowed && !p->allowed))
    return sk_err_set(err, SK_EINVAL, "ledger_wallet_set: NULL argument");
  if (p->day_offset_s < -14 * 3600 || p->day_offset_s > 14 * 3600)
    return sk_err_set(err, SK_ERANGE, "day offset %d s is outside ±14 h", p->day_offset_s);
  lg_wallet_row row = {.account_id = account_id,
                       .per_transfer_cap = p->per_transfer_cap,
                       .daily_cap = p->daily_cap,
                       .approval_above = p->approval_above,
                       .approval_timeout_s = p->approval_timeout_s,
                       .day_offset_s = p->day_offset_s,
                       .n_allowed = p->n_allowed,
                       .allowed = p->allowed};
  pthread_mutex_lock(&l->mu);
  uint32_t aidx;
  int rc = SK_OK;
  if (idmap_get(&l->account_ids, account_id, &aidx)) {
    rc = sk_err_set(err, SK_ENOTFOUND, "no account with that id: create it first");
    goto out;
  }
  lg_store *s = l->store;
  if ((rc = s->ops->begin(s, err))) goto out;
  if ((rc = s->ops->put_wallet(s, &row, err)) || (rc = s->ops->commit(s, err))) {
    s->ops->rollback(s);
    goto out;
  }
  if ((rc = install(l, &row, err))) goto out;
  lg_wallet_recompute(l);
out:
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int ledger_wallet_get(ledger *l, u128 account_id, ledger_wallet_policy *out, u128 *spent_today,
                      sk_err *err) {
  pthread_mutex_lock(&l->mu);
  uint32_t aidx;
  int rc = SK_OK;
  if (idmap_get(&l->account_ids, account_id, &aidx) || l->accounts[aidx].wallet < 0) {
    rc = sk_err_set(err, SK_ENOTFOUND, "account has no wallet policy");
    goto out;
  }
  const lg_wallet *w = &l->wallets[l->accounts[aidx].wallet];
  u128 *allowed = NULL;
  if (w->n_allowed) {
    allowed = sk_calloc(w->n_allowed, sizeof *allowed);
    if (!allowed) {
      rc = sk_err_set(err, SK_ENOMEM, "out of memory");
      goto out;
    }
    memcpy(allowed, w->allowed, w->n_allowed * sizeof *allowed);
  }
  *out = (ledger_wallet_policy){.per_transfer_cap = w->per_transfer_cap,
                                .daily_cap = w->daily_cap,
                                .approval_above = w->approval_above,
                                .approval_timeout_s = w->approval_timeout_s,
                                .day_offset_s = w->day_offset_s,
                                .n_allowed = w->n_allowed,
                                .allowed = allowed};
  if (spent_today) *spent_today = lg_wallet_day(w, lg_now(l)) == w->day ? w->spent : 0;
out:
  pthread_mutex_unlock(&l->mu);
  return rc;
}
