/* Deterministic randomized simulation of the ledger against a shadow model of balances.
 *
 * Each batch mixes single-phase, pending, post (full/partial/too much), void, exact and mutated
 * replays, linked chains and hostile events; the clock advances so pending transfers time out; every
 * ~500 batches a store commit failure is injected. After EVERY batch the shadow balances (predicted
 * from the per-event results alone) must equal the ledger's, which checks: nothing happens for a
 * failed event or chain, replays change nothing, a void/expiry releases exactly its amount, per-ledger
 * debits equal credits, constrained balances stay within limits, wallets stay under their daily cap.
 * The full invariant check (ledger_check) runs periodically and at the end.
 *
 *   SK_LEDGER_SIM_OPS   number of events (default 2,000,000; 1,000,000 under sanitizers)
 *   SK_LEDGER_SIM_SEED  PRNG seed (default 42); a failure prints the seed and batch to replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/wallet.h"
#include "ledger_test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SIM_DEFAULT_OPS 1000000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_DEFAULT_OPS 1000000
#endif
#endif
#ifndef SIM_DEFAULT_OPS
#define SIM_DEFAULT_OPS 2000000
#endif

#define NS 1000000000ull
#define N_ACC 48
#define MAX_BATCH 96
#define RECENT 1024
#define WALLET_ACC 7
#define WALLET_DAILY_CAP 200000

static uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return rnd() % n; }

typedef struct shadow {
  u128 dp, dpo, cp, cpo;
} shadow;

typedef struct pend {
  u128 id, amount;
  uint32_t dr, cr; /* account index */
  uint64_t expires_ns;
} pend;

typedef struct sim {
  ledger *l;
  test_clock clk;
  shadow sh[N_ACC + 1];
  uint32_t ledger_of[N_ACC + 1];
  uint16_t flags_of[N_ACC + 1];
  pend *pends;
  size_t n_pends, cap_pends;
  int32_t *pend_slot; /* by transfer id: slot in pends or -1 */
  size_t max_id;
  u128 next_id;
  ledger_transfer recent[RECENT];
  size_t n_recent;
  uint64_t batch_no;
} sim;

static void pend_add(sim *s, u128 id, u128 amount, uint32_t dr, uint32_t cr) {
  ledger_transfer t;
  assert_int_equal(ledger_lookup_transfer(s->l, id, &t, NULL, NULL), SK_OK);
  if (s->n_pends == s->cap_pends) {
    s->cap_pends = s->cap_pends ? s->cap_pends * 2 : 1024;
    s->pends = realloc(s->pends, s->cap_pends * sizeof *s->pends);
    assert_non_null(s->pends);
  }
  uint64_t exp = t.timeout_s ? t.timestamp + (uint64_t)t.timeout_s * NS : UINT64_MAX;
  s->pends[s->n_pends] = (pend){id, amount, dr, cr, exp};
  s->pend_slot[(size_t)id] = (int32_t)s->n_pends++;
}

static pend pend_take(sim *s, u128 id) {
  int32_t k = s->pend_slot[(size_t)id];
  assert_true(k >= 0);
  pend p = s->pends[k];
  s->pend_slot[(size_t)id] = -1;
  s->pends[k] = s->pends[--s->n_pends];
  if ((size_t)k < s->n_pends) s->pend_slot[(size_t)s->pends[k].id] = k;
  return p;
}

static void release(sim *s, const pend *p) {
  s->sh[p->dr].dp -= p->amount;
  s->sh[p->cr].cp -= p->amount;
}

static uint32_t acc_index(u128 id) { return (uint32_t)id; }

static u128 rand_amount(void) {
  uint64_t r = below(1000);
  if (r == 0) return U128_MAX / 2 + below(1000); /* overflow attempts */
  if (r < 50) return 1 + below(100000);
  return 1 + below(2000);
}

static ledger_transfer gen_event(sim *s, int *kind) {
  *kind = 0;
  ledger_transfer t = {0};
  uint64_t k = below(100);
  uint32_t led = below(4) ? LEDGER_JPY : LEDGER_JPYC;
  uint32_t dr, cr;
  do {
    dr = 1 + (uint32_t)below(N_ACC);
    cr = 1 + (uint32_t)below(N_ACC);
  } while (dr == cr || s->ledger_of[dr] != led || s->ledger_of[cr] != led);
  t.id = s->next_id++;
  t.debit_account_id = dr;
  t.credit_account_id = cr;
  t.amount = rand_amount();
  t.ledger = led;
  t.code = 1;
  if (k < 40) {
    /* single-phase */
  } else if (k < 60) {
    t.flags = LEDGER_TF_PENDING;
    t.timeout_s = below(3) ? 0 : 1 + (uint32_t)below(5);
  } else if (k < 82 && s->n_pends) {
    const pend *p = &s->pends[below(s->n_pends)];
    t = (ledger_transfer){.id = t.id, .pending_id = p->id};
    if (below(3)) {
      t.flags = LEDGER_TF_POST_PENDING;
      uint64_t m = below(10);
      t.amount = m < 4 ? 0 : m < 9 ? 1 + (u128)below((uint64_t)p->amount) : p->amount + 1;
      if (below(20) == 0) t.debit_account_id = p->cr; /* mismatch */
    } else {
      t.flags = LEDGER_TF_VOID_PENDING;
    }
  } else if (k < 92 && s->n_recent) {
    t = s->recent[below(s->n_recent < RECENT ? s->n_recent : RECENT)];
    t.timestamp = 0;
    t.flags &= (uint16_t)~(LEDGER_TF_LINKED | LEDGER_TF_APPROVAL);
    *kind = 1;
    if (below(3) == 0) { /* mutate one field: must be refused */
      *kind = 2;
      switch (below(4)) {
      case 0: t.amount += 1; break;
      case 1: t.user_data_64 ^= 1; break;
      case 2: t.code += 1; break;
      default: t.user_data_32 += 7; break;
      }
    }
  } else {
    switch (below(6)) {
    case 0: t.id = 0; break;
    case 1: t.debit_account_id = 1000 + below(1000); break;
    case 2: t.credit_account_id = t.debit_account_id; break;
    case 3: t.ledger = led == LEDGER_JPY ? LEDGER_JPYC : LEDGER_JPY; break;
    case 4: t.amount = U128_MAX; break;
    default: t.flags = LEDGER_TF_PENDING | LEDGER_TF_VOID_PENDING; break;
    }
  }
  return t;
}

/* Applies what event e with result r must have done to the shadow. */
static void predict(sim *s, const ledger_transfer *e, ledger_result r) {
  if (!ledger_result_ok(r)) return;
  if (e->flags & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING)) {
    pend p = pend_take(s, e->pending_id);
    release(s, &p);
    if (e->flags & LEDGER_TF_POST_PENDING) {
      u128 amt = e->amount ? e->amount : p.amount;
      s->sh[p.dr].dpo += amt;
      s->sh[p.cr].cpo += amt;
    }
  } else {
    uint32_t d = acc_index(e->debit_account_id), c = acc_index(e->credit_account_id);
    if ((e->flags & LEDGER_TF_PENDING) || r == LEDGER_OK_PENDING_APPROVAL) {
      s->sh[d].dp += e->amount;
      s->sh[c].cp += e->amount;
      pend_add(s, e->id, e->amount, d, c);
    } else {
      s->sh[d].dpo += e->amount;
      s->sh[c].cpo += e->amount;
    }
  }
  s->recent[s->n_recent++ % RECENT] = *e;
}

static void compare_all(sim *s) {
  u128 tot[2][4] = {{0}};
  for (uint32_t i = 1; i <= N_ACC; i++) {
    ledger_account a;
    assert_int_equal(ledger_lookup_account(s->l, i, &a), SK_OK);
    const shadow *h = &s->sh[i];
    if (a.debits_pending != h->dp || a.debits_posted != h->dpo || a.credits_pending != h->cp ||
        a.credits_posted != h->cpo) {
      print_error("batch %llu: account %u differs from the shadow model (replay with the same seed)\n",
                  (unsigned long long)s->batch_no, i);
      fail();
    }
    if (a.flags & LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS)
      assert_true(a.debits_pending + a.debits_posted <= a.credits_posted);
    if (a.flags & LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS)
      assert_true(a.credits_pending + a.credits_posted <= a.debits_posted);
    int L = a.ledger == LEDGER_JPYC;
    tot[L][0] += a.debits_pending, tot[L][1] += a.debits_posted;
    tot[L][2] += a.credits_pending, tot[L][3] += a.credits_posted;
  }
  for (int L = 0; L < 2; L++) {
    assert_true(tot[L][0] == tot[L][2]);
    assert_true(tot[L][1] == tot[L][3]);
  }
}

static void run_sim(void **state) {
  (void)state;
  const char *e_ops = getenv("SK_LEDGER_SIM_OPS"), *e_seed = getenv("SK_LEDGER_SIM_SEED");
  uint64_t ops = e_ops ? strtoull(e_ops, NULL, 10) : SIM_DEFAULT_OPS;
  uint64_t seed = e_seed ? strtoull(e_seed, NULL, 10) : 42;
  rng_state = seed;
  static sim s;
  memset(&s, 0, sizeof s);
  s.clk.now_ns = 1767225600ull * NS; /* 2026-01-01 */
  ledger_options o = {.clock = test_clock_fn, .clock_ctx = &s.clk};
  sk_err err = {0};
  assert_int_equal(ledger_open(NULL, &o, &s.l, &err), SK_OK);
  s.max_id = 2 * ops + 4 * MAX_BATCH; /* ids consumed by injected failures too */
  s.pend_slot = malloc(s.max_id * sizeof *s.pend_slot);
  assert_non_null(s.pend_slot);
  memset(s.pend_slot, 0xff, s.max_id * sizeof *s.pend_slot);
  s.next_id = 1;

  ledger_account accs[N_ACC];
  ledger_result res[MAX_BATCH];
  for (uint32_t i = 1; i <= N_ACC; i++) {
    s.ledger_of[i] = i % 4 == 0 ? LEDGER_JPYC : LEDGER_JPY;
    s.flags_of[i] = i % 3 == 1   ? LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS
                    : i % 5 == 2 ? LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS
                                 : 0;
    accs[i - 1] = mk_account(i, s.ledger_of[i], s.flags_of[i]);
  }
  assert_int_equal(ledger_create_accounts(s.l, accs, N_ACC, res, &err), SK_OK);
  for (int i = 0; i < N_ACC; i++) assert_int_equal(res[i], LEDGER_OK);
  u128 allowed[3] = {2, 3, 5};
  ledger_wallet_policy pol = {.per_transfer_cap = 50000, .daily_cap = WALLET_DAILY_CAP,
                              .approval_above = 1500, .approval_timeout_s = 3,
                              .day_offset_s = LEDGER_DAY_OFFSET_JST, .n_allowed = 3,
                              .allowed = allowed};
  assert_int_equal(ledger_wallet_set(s.l, WALLET_ACC, &pol, &err), SK_OK);

  ledger_transfer batch[MAX_BATCH];
  int kinds[MAX_BATCH];
  uint64_t done = 0, injected = 0, exact_replays = 0;
  while (done < ops && (size_t)s.next_id + MAX_BATCH < s.max_id) {
    s.batch_no++;
    s.clk.now_ns += below(300) * 1000000ull + (below(5000) == 0 ? 86400 * NS : 0);
    /* The sweep at the start of the batch expires everything due now. */
    for (size_t k = 0; k < s.n_pends;) {
      if (s.pends[k].expires_ns <= s.clk.now_ns) {
        pend p = pend_take(&s, s.pends[k].id);
        release(&s, &p);
        ledger_status st;
        (void)st;
      } else {
        k++;
      }
    }
    size_t n = 1 + below(below(4) ? 16 : MAX_BATCH);
    if (n > ops - done) n = (size_t)(ops - done);
    for (size_t i = 0; i < n; i++) {
      batch[i] = gen_event(&s, &kinds[i]);
      if (i + 1 < n && below(8) == 0) batch[i].flags |= LEDGER_TF_LINKED;
    }
    unsigned sf = below(2) ? LEDGER_SUBMIT_APPROVER : 0;
    if (below(500) == 0) { /* injected commit failure: nothing may change */
      s.l->store->fail_commit_after = 1;
      assert_int_equal(ledger_create_transfers(s.l, batch, n, sf, NULL, res, &err), SK_EIO);
      injected++;
      /* The sweep was undone too; shadow already released them: redo by committing an empty batch. */
      assert_int_equal(ledger_create_transfers(s.l, batch, 0, sf, NULL, res, &err), SK_OK);
      compare_all(&s);
      continue;
    }
    assert_int_equal(ledger_create_transfers(s.l, batch, n, sf, NULL, res, &err), SK_OK);
    for (size_t i = 0; i < n; i++) {
      int alone = !(batch[i].flags & LEDGER_TF_LINKED) &&
                  (i == 0 || !(batch[i - 1].flags & LEDGER_TF_LINKED));
      if (alone && kinds[i] == 1) {
        if (res[i] != LEDGER_EXISTS) {
          print_error("seed %llu batch %llu: exact replay answered %s\n", (unsigned long long)seed,
                      (unsigned long long)s.batch_no, ledger_result_str(res[i]));
          fail();
        }
        exact_replays++;
      }
      if (kinds[i] == 2) assert_false(ledger_result_ok(res[i]));
      predict(&s, &batch[i], res[i]);
    }
    compare_all(&s);
    ledger_wallet_policy got;
    u128 spent;
    assert_int_equal(ledger_wallet_get(s.l, WALLET_ACC, &got, &spent, &err), SK_OK);
    sk_free((void *)got.allowed);
    assert_true(spent <= WALLET_DAILY_CAP);
    done += n;
    if (s.batch_no % 4096 == 0) {
      if (ledger_check(s.l, &err)) {
        print_error("seed %llu batch %llu: %s\n", (unsigned long long)seed,
                    (unsigned long long)s.batch_no, err.msg);
        fail();
      }
    }
  }
  if (ledger_check(s.l, &err)) {
    print_error("seed %llu final: %s\n", (unsigned long long)seed, err.msg);
    fail();
  }
  printf("sim: seed %llu, %llu events in %llu batches, %zu transfers stored, %llu injected commit "
         "failures, %llu exact replays answered exists, %zu pending at end\n",
         (unsigned long long)seed, (unsigned long long)done, (unsigned long long)s.batch_no,
         ledger_transfer_count(s.l), (unsigned long long)injected,
         (unsigned long long)exact_replays, s.n_pends);
  ledger_close(s.l);
  free(s.pends);
  free(s.pend_slot);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(run_sim)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
