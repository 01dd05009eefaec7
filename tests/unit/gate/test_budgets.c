/* Budget reservations in memory over the ledger: fit/refuse, tenant and key accounts, charges
 * capped by the reservation, the ledger record, a reopened process, and a race that must never
 * overshoot. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gate/budgets.h"
#include "ledger/budget.h"

static gate_tenant tenant(const char *id, uint64_t budget, uint64_t key_budget) {
  gate_tenant t;
  memset(&t, 0, sizeof t);
  snprintf(t.id, sizeof t.id, "%s", id);
  t.budget_jpy = budget;
  t.key_budget_jpy = key_budget;
  t.period = GATE_PERIOD_MONTH;
  return t;
}

/* Records the charge durably, as the committer does. */
static void record(ledger *l, const ledger_transfer *tr, size_t n) {
  if (!n) return;
  ledger_result r[2];
  sk_err err;
  assert_int_equal(ledger_create_transfers(l, tr, n, 0, NULL, r, &err), 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(r[i], LEDGER_OK);
}

static void test_reserve_settle(void **state) {
  (void)state;
  ledger *l = NULL;
  sk_err err;
  assert_int_equal(ledger_open(NULL, NULL, &l, &err), 0);
  gate_budgets *b = NULL;
  assert_int_equal(gate_budgets_new(l, &b, &err), 0);
  gate_tenant t = tenant("yushi", 100, 0);
  gate_hold h1, h2, h3;
  gate_budget_short why;
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 60, &h1, &why, &err), 0);
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 60, &h2, &why, &err), 1);
  assert_string_equal(why.which, "tenant");
  assert_int_equal(why.left, 40);
  assert_int_equal(why.in_flight, 60);
  ledger_transfer tr[2];
  uint64_t charged = 0;
  size_t n = gate_budget_settle(b, &h1, 25, 0x1234, tr, &charged);
  assert_int_equal(n, 1);
  assert_int_equal(charged, 25);
  assert_true(tr[0].amount == 25);
  record(l, tr, n);
  /* 75 left; a charge larger than the reservation is capped by it */
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 70, &h2, &why, &err), 0);
  n = gate_budget_settle(b, &h2, 5000, 0x5678, tr, &charged);
  assert_int_equal(charged, 70);
  record(l, tr, n);
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 6, &h3, &why, &err), 1);
  assert_int_equal(why.left, 5);
  assert_int_equal(why.in_flight, 0);
  /* a release gives everything back; zero cost records nothing */
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 5, &h3, &why, &err), 0);
  gate_budget_release(b, &h3);
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 5, &h3, &why, &err), 0);
  assert_int_equal(gate_budget_settle(b, &h3, 0, 0x9abc, tr, &charged), 0);
  assert_int_equal(charged, 0);
  /* zero amount: nothing to reserve */
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 0, &h3, &why, &err), 0);
  assert_int_equal(h3.n, 0);
  gate_budgets_free(b);

  /* a new process (same ledger) starts from what the ledger recorded: 100 - 25 - 70 = 5 */
  assert_int_equal(gate_budgets_new(l, &b, &err), 0);
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 6, &h1, &why, &err), 1);
  assert_int_equal(why.left, 5);
  assert_int_equal(gate_budget_reserve(b, &t, "k1", 5, &h1, &why, &err), 0);
  gate_budgets_free(b);
  ledger_close(l);
}

static void test_key_budget(void **state) {
  (void)state;
  ledger *l = NULL;
  sk_err err;
  assert_int_equal(ledger_open(NULL, NULL, &l, &err), 0);
  gate_budgets *b = NULL;
  assert_int_equal(gate_budgets_new(l, &b, &err), 0);
  gate_tenant t = tenant("eigyo", 1000, 50);
  gate_hold h, h2;
  gate_budget_short why;
  assert_int_equal(gate_budget_reserve(b, &t, "keyA", 60, &h, &why, &err), 1);
  assert_string_equal(why.which, "key");
  assert_int_equal(gate_budget_reserve(b, &t, "keyA", 40, &h, &why, &err), 0);
  assert_int_equal(h.n, 2);
  assert_int_equal(gate_budget_reserve(b, &t, "keyB", 40, &h2, &why, &err), 0); /* each key its own */
  ledger_transfer tr[2];
  uint64_t charged;
  size_t n = gate_budget_settle(b, &h, 30, 0x42, tr, &charged);
  assert_int_equal(n, 2);
  assert_true(tr[0].flags & LEDGER_TF_LINKED); /* tenant and key charges commit together */
  assert_true(tr[0].debit_account_id != tr[1].debit_account_id);
  record(l, tr, n);
  gate_budget_release(b, &h2);
  assert_int_equal(gate_budget_reserve(b, &t, "keyA", 21, &h, &why, &err), 1);
  assert_string_equal(why.which, "key");
  /* a key-only budget works without a tenant budget */
  gate_tenant t2 = tenant("kensa", 0, 10);
  assert_int_equal(gate_budget_reserve(b, &t2, "keyC", 10, &h, &why, &err), 0);
  assert_int_equal(h.n, 1);
  gate_budgets_free(b);
  ledger_close(l);
}

enum { RACE_THREADS = 8, RACE_ITERS = 400, RACE_BUDGET = 1000 };
typedef struct race {
  gate_budgets *b;
  gate_tenant *t;
  uint64_t charged;
  int seed;
} race;

static void *racer(void *arg) {
  race *r = arg;
  unsigned s = (unsigned)r->seed;
  for (int i = 0; i < RACE_ITERS; i++) {
    s = s * 1103515245u + 12345u;
    uint64_t amount = 1 + (s >> 16) % 20, cost = (s >> 8) % 25; /* sometimes above the reservation */
    gate_hold h;
    gate_budget_short why;
    sk_err err;
    if (gate_budget_reserve(r->b, r->t, "k", amount, &h, &why, &err)) continue;
    ledger_transfer tr[2];
    uint64_t c;
    gate_budget_settle(r->b, &h, cost, ((u128)r->seed << 32) | (unsigned)i, tr, &c);
    r->charged += c;
  }
  return NULL;
}

static void test_race_never_overshoots(void **state) {
  (void)state;
  ledger *l = NULL;
  sk_err err;
  assert_int_equal(ledger_open(NULL, NULL, &l, &err), 0);
  gate_budgets *b = NULL;
  assert_int_equal(gate_budgets_new(l, &b, &err), 0);
  gate_tenant t = tenant("race", RACE_BUDGET, 0);
  pthread_t th[RACE_THREADS];
  race r[RACE_THREADS];
  for (int i = 0; i < RACE_THREADS; i++) {
    r[i] = (race){b, &t, 0, i + 1};
    pthread_create(&th[i], NULL, racer, &r[i]);
  }
  uint64_t total = 0;
  for (int i = 0; i < RACE_THREADS; i++) {
    pthread_join(th[i], NULL);
    total += r[i].charged;
  }
  assert_true(total <= RACE_BUDGET);
  assert_true(total > RACE_BUDGET / 2); /* the budget was actually used up, not refused wholesale */
  gate_budgets_free(b);
  ledger_close(l);
}

static void test_period_left(void **state) {
  (void)state;
  double d = gate_budget_period_left_s(GATE_PERIOD_DAY), m = gate_budget_period_left_s(GATE_PERIOD_MONTH);
  assert_true(d > 0 && d <= 86400);
  assert_true(m >= d && m <= 31 * 86400);
  assert_true(gate_budget_period_left_s(GATE_PERIOD_TOTAL) == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reserve_settle),
      cmocka_unit_test(test_key_budget),
      cmocka_unit_test(test_race_never_overshoots),
      cmocka_unit_test(test_period_left),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
