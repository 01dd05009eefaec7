/* budgets.c — in-memory budget reservations over the ledger (see budgets.h). */
#include "gate/budgets.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "ledger/budget.h"

/* Open addressing over account ids; the table is twice the account bound so probes stay short. */
#define BUD_TABLE (2 * GATE_BUDGET_MAX_ACCOUNTS)

typedef struct bud_acct {
  u128 id;           /* 0: empty slot */
  u128 sink;
  uint64_t avail;    /* yen not yet charged (ledger balance at load minus charges since) */
  uint64_t reserved; /* worst cases of requests in flight */
} bud_acct;

struct gate_budgets {
  ledger *led;
  pthread_mutex_t mu;
  size_t n;
  bud_acct t[BUD_TABLE];
};

int gate_budgets_new(ledger *led, gate_budgets **out, sk_err *err) {
  *out = NULL;
  gate_budgets *b = sk_calloc(1, sizeof *b);
  if (!b) return sk_err_set(err, SK_ENOMEM, "out of memory");
  b->led = led;
  pthread_mutex_init(&b->mu, NULL);
  *out = b;
  return 0;
}

void gate_budgets_free(gate_budgets *b) {
  if (!b) return;
  pthread_mutex_destroy(&b->mu);
  sk_free(b);
}

/* Slot of id, or of the empty slot where it would go; -1 when the table is full. Caller holds mu. */
static long find(gate_budgets *b, u128 id) {
  size_t h = (size_t)(id ^ (id >> 64)) % BUD_TABLE;
  for (size_t i = 0; i < BUD_TABLE; i++) {
    size_t k = (h + i) % BUD_TABLE;
    if (b->t[k].id == id || b->t[k].id == 0) return (long)k;
  }
  return -1;
}

static void period_tag(gate_period p, char *out, size_t n) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  if (p == GATE_PERIOD_DAY) strftime(out, n, "budget:%Y-%m-%d", &tm);
  else if (p == GATE_PERIOD_MONTH) strftime(out, n, "budget:%Y-%m", &tm);
  else snprintf(out, n, "budget:total");
}

/* The account of (base, period) exists in the ledger and is funded with `budget` yen; ids are
 * derived, so this is idempotent. *avail gets its balance. Runs without the table lock. */
static int ensure_ledger(gate_budgets *b, u128 base, const char *tag, uint64_t budget, u128 *bid, u128 *sink,
                         uint64_t *avail, sk_err *err) {
  *bid = ledger_derive_id(base, tag);
  *sink = ledger_derive_id(base, "spend");
  char ftag[80];
  snprintf(ftag, sizeof ftag, "fund:%s", tag);
  ledger_account acc[3];
  memset(acc, 0, sizeof acc);
  acc[0].id = *bid;
  acc[0].flags = LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS;
  acc[1].id = *sink;
  acc[2].id = ledger_derive_id(base, "funding");
  for (int i = 0; i < 3; i++) acc[i].ledger = LEDGER_JPY, acc[i].code = GATE_BUDGET_LEDGER_CODE;
  ledger_result res[3];
  int rc = ledger_create_accounts(b->led, acc, 3, res, err);
  for (int i = 0; !rc && i < 3; i++)
    if (res[i] != LEDGER_OK && res[i] != LEDGER_EXISTS)
      rc = sk_err_set(err, SK_EIO, "budget account: %s", ledger_result_str(res[i]));
  if (!rc) {
    ledger_transfer tr;
    memset(&tr, 0, sizeof tr);
    tr.id = ledger_derive_id(base, ftag);
    tr.debit_account_id = acc[2].id;
    tr.credit_account_id = *bid;
    tr.amount = budget;
    tr.ledger = LEDGER_JPY;
    tr.code = GATE_BUDGET_LEDGER_CODE;
    ledger_result r1;
    rc = ledger_create_transfers(b->led, &tr, 1, 0, NULL, &r1, err);
    if (!rc && r1 != LEDGER_OK && r1 != LEDGER_EXISTS)
      rc = sk_err_set(err, SK_EIO, "budget funding: %s", ledger_result_str(r1));
  }
  if (rc) return rc;
  ledger_account a;
  if (ledger_lookup_account(b->led, *bid, &a)) return sk_err_set(err, SK_EIO, "budget account vanished");
  u128 used = a.debits_posted + a.debits_pending;
  *avail = a.credits_posted > used ? (uint64_t)(a.credits_posted - used) : 0;
  return 0;
}

/* Slot of the (base, period) account, loading it on first use. */
static int account(gate_budgets *b, u128 base, gate_period period, uint64_t budget, uint32_t *slot, sk_err *err) {
  char tag[64];
  period_tag(period, tag, sizeof tag);
  u128 id = ledger_derive_id(base, tag);
  pthread_mutex_lock(&b->mu);
  long k = find(b, id);
  int known = k >= 0 && b->t[k].id == id;
  pthread_mutex_unlock(&b->mu);
  if (known) {
    *slot = (uint32_t)k;
    return 0;
  }
  u128 bid = 0, sink = 0;
  uint64_t avail = 0;
  int rc = ensure_ledger(b, base, tag, budget, &bid, &sink, &avail, err);
  if (rc) return rc;
  pthread_mutex_lock(&b->mu);
  k = find(b, id);
  if (k >= 0 && b->t[k].id == 0) {
    if (b->n >= GATE_BUDGET_MAX_ACCOUNTS) k = -1;
    else {
      b->t[k] = (bud_acct){.id = id, .sink = sink, .avail = avail};
      b->n++;
    }
  }
  pthread_mutex_unlock(&b->mu);
  if (k < 0)
    return sk_err_set(err, SK_ELIMIT, "more than %d budget accounts are in use", GATE_BUDGET_MAX_ACCOUNTS);
  *slot = (uint32_t)k;
  return 0;
}

static u128 tenant_base(const char *tenant) { return ledger_derive_id((u128)0x5e6b15, tenant); }

double gate_budget_period_left_s(gate_period p) {
  if (p == GATE_PERIOD_TOTAL) return 0;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  tm.tm_sec = tm.tm_min = tm.tm_hour = 0;
  if (p == GATE_PERIOD_DAY) tm.tm_mday++;
  else tm.tm_mday = 1, tm.tm_mon++;
  time_t next = timegm(&tm); /* normalises day/month overflow */
  return next > now ? (double)(next - now) : 1.0;
}

int gate_budget_reserve(gate_budgets *b, const gate_tenant *t, const char *key_id, uint64_t amount, gate_hold *h,
                        gate_budget_short *why, sk_err *err) {
  memset(h, 0, sizeof *h);
  if (!amount) return 0;
  uint32_t slot[2];
  const char *names[2];
  size_t n = 0;
  u128 base = tenant_base(t->id);
  int rc = 0;
  if (t->budget_jpy) {
    rc = account(b, base, t->period, t->budget_jpy, &slot[n], err);
    names[n++] = "tenant";
  }
  if (!rc && t->key_budget_jpy && key_id && key_id[0]) {
    char ktag[32];
    snprintf(ktag, sizeof ktag, "key:%.20s", key_id);
    rc = account(b, ledger_derive_id(base, ktag), t->period, t->key_budget_jpy, &slot[n], err);
    names[n++] = "key";
  }
  if (rc) return rc;
  pthread_mutex_lock(&b->mu);
  for (size_t i = 0; i < n; i++) {
    bud_acct *a = &b->t[slot[i]];
    uint64_t free_yen = a->avail > a->reserved ? a->avail - a->reserved : 0;
    if (amount > free_yen) {
      why->which = names[i];
      why->left = free_yen;
      why->in_flight = a->reserved;
      pthread_mutex_unlock(&b->mu);
      return 1;
    }
  }
  for (size_t i = 0; i < n; i++) b->t[slot[i]].reserved += amount;
  pthread_mutex_unlock(&b->mu);
  h->n = n;
  h->amount = amount;
  memcpy(h->slot, slot, sizeof slot);
  return 0;
}

void gate_budget_release(gate_budgets *b, gate_hold *h) {
  if (!h->n) return;
  pthread_mutex_lock(&b->mu);
  for (size_t i = 0; i < h->n; i++) b->t[h->slot[i]].reserved -= h->amount;
  pthread_mutex_unlock(&b->mu);
  h->n = 0;
}

size_t gate_budget_settle(gate_budgets *b, gate_hold *h, uint64_t cost, u128 xfer_id, ledger_transfer out[2],
                          uint64_t *charged) {
  *charged = 0;
  if (!h->n) return 0;
  uint64_t c = cost < h->amount ? cost : h->amount; /* the reservation is the ceiling */
  size_t n = h->n;
  pthread_mutex_lock(&b->mu);
  for (size_t i = 0; i < n; i++) {
    bud_acct *a = &b->t[h->slot[i]];
    a->reserved -= h->amount;
    a->avail -= c; /* c <= amount <= avail - (reserved of others): cannot wrap */
    memset(&out[i], 0, sizeof out[i]);
    out[i].id = ledger_derive_id(xfer_id, i ? "charge:key" : "charge:tenant");
    out[i].debit_account_id = a->id;
    out[i].credit_account_id = a->sink;
    out[i].amount = c;
    out[i].ledger = LEDGER_JPY;
    out[i].code = GATE_BUDGET_LEDGER_CODE;
  }
  pthread_mutex_unlock(&b->mu);
  /* the tenant and key charges of one request commit together or not at all */
  if (n == 2) out[0].flags |= LEDGER_TF_LINKED;
  h->n = 0;
  *charged = c;
  return c ? n : 0;
}
