/* ledger_bench — durable transfers per second in batches of 1, 100 and 8,000.
 *
 * Each batch is committed to SQLite (WAL, synchronous=FULL: fsync on every commit) before the next
 * one is submitted, exactly as `sekisho ledger transfer` and the gateway use it. Accounts: 10,000
 * on JPY; transfers between random pairs (deterministic seed). A last line shows the in-memory
 * ceiling (no store) for the same workload.
 *
 *   ledger_bench [DIR] [SECONDS_PER_SIZE]     (default: a fresh temp dir, 5 s) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "ledger/ledger.h"

#define ACCOUNTS 10000
#define BATCH_ACCOUNTS 8000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x5e4150;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int setup(ledger *l) {
  static ledger_account a[BATCH_ACCOUNTS];
  static ledger_result r[BATCH_ACCOUNTS];
  sk_err err = {0};
  for (u128 base = 1; base <= ACCOUNTS; base += BATCH_ACCOUNTS) {
    size_t n = 0;
    for (u128 id = base; id <= ACCOUNTS && n < BATCH_ACCOUNTS; id++)
      a[n++] = (ledger_account){.id = id, .ledger = LEDGER_JPY, .code = 1};
    if (ledger_create_accounts(l, a, n, r, &err)) {
      fprintf(stderr, "accounts: %s\n", err.msg);
      return -1;
    }
  }
  return 0;
}

static u128 next_id = 1;

/* Runs batches of size b for about secs seconds; returns transfers/s (wall) and the CPU seconds. */
static double run(ledger *l, size_t b, double secs, size_t *count_out, double *cpu_out) {
  static ledger_transfer t[LEDGER_BATCH_MAX];
  static ledger_result r[LEDGER_BATCH_MAX];
  sk_err err = {0};
  size_t done = 0;
  double t0 = now_s(), c0 = cpu_s(), el = 0;
  while (el < secs) {
    for (size_t i = 0; i < b; i++) {
      u128 d = 1 + rnd() % ACCOUNTS, c = 1 + rnd() % ACCOUNTS;
      if (c == d) c = c % ACCOUNTS + 1;
      t[i] = (ledger_transfer){.id = next_id++, .debit_account_id = d, .credit_account_id = c,
                               .amount = 1 + rnd() % 10000, .ledger = LEDGER_JPY, .code = 1};
    }
    if (ledger_create_transfers(l, t, b, 0, NULL, r, &err)) {
      fprintf(stderr, "transfers: %s\n", err.msg);
      exit(1);
    }
    for (size_t i = 0; i < b; i++)
      if (r[i] != LEDGER_OK) {
        fprintf(stderr, "unexpected result %s\n", ledger_result_str(r[i]));
        exit(1);
      }
    done += b;
    el = now_s() - t0;
  }
  *count_out = done;
  *cpu_out = cpu_s() - c0;
  return (double)done / el;
}

/* Many gateway threads each placing one hold (batch of 1) at a time: group commit lets them share
 * fsyncs. Ids are split by thread so they never collide. */
#define THREADS 16
typedef struct worker {
  ledger *l;
  int tid;
  double secs;
  size_t done;
} worker;

static void *hold_loop(void *arg) {
  worker *w = arg;
  uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(w->tid + 1);
  double t0 = now_s();
  for (uint64_t k = 0; now_s() - t0 < w->secs; k++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    u128 d = 1 + x % ACCOUNTS, c = 1 + (x >> 20) % ACCOUNTS;
    if (c == d) c = c % ACCOUNTS + 1;
    ledger_transfer t = {.id = ((u128)(w->tid + 1) << 100) | k, .debit_account_id = d,
                         .credit_account_id = c, .amount = 1 + x % 100, .ledger = LEDGER_JPY,
                         .code = 1, .flags = LEDGER_TF_PENDING, .timeout_s = 60};
    ledger_result r;
    sk_err err = {0};
    if (ledger_create_transfers(w->l, &t, 1, 0, NULL, &r, &err) || r != LEDGER_OK) {
      fprintf(stderr, "hold failed: %s %s\n", err.msg, ledger_result_str(r));
      exit(1);
    }
    w->done++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  char dir[512];
  if (argc > 1 && argv[1][0]) snprintf(dir, sizeof dir, "%s", argv[1]);
  else if (!mkdtemp(strcpy(dir, "/tmp/sk-ledger-bench-XXXXXX"))) return perror("mkdtemp"), 1;
  double secs = argc > 2 ? atof(argv[2]) : 5.0;
  char path[600];
  snprintf(path, sizeof path, "%s/bench.db", dir);
  const size_t sizes[3] = {1, 100, 8000};
  sk_err err = {0};
  ledger *l;
  ledger_options o = {.sync_full = 1, .skip_open_checks = 1};
  if (ledger_open(path, &o, &l, &err)) return fprintf(stderr, "open: %s\n", err.msg), 1;
  if (setup(l)) return 1;
  double la[1] = {0};
  if (getloadavg(la, 1) != 1) la[0] = -1;
  printf("ledger_bench: load average %.1f on %ld CPUs (figures below are wall-clock)\n", la[0],
         sysconf(_SC_NPROCESSORS_ONLN));
  printf("ledger_bench: %d accounts, SQLite WAL synchronous=FULL, %.0f s per batch size\n", ACCOUNTS, secs);
  for (int k = 0; k < 3; k++) {
    size_t n;
    double cpu, tps = run(l, sizes[k], secs, &n, &cpu);
    printf("durable  batch %5zu: %10.0f transfers/s  (%zu transfers, %.0f commits/s; %.0f per CPU-second)\n",
           sizes[k], tps, n, tps / (double)sizes[k], (double)n / cpu);
    fflush(stdout);
  }
  {
    pthread_t th[THREADS];
    worker w[THREADS];
    double t0 = now_s();
    for (int i = 0; i < THREADS; i++) {
      w[i] = (worker){.l = l, .tid = i, .secs = secs};
      pthread_create(&th[i], NULL, hold_loop, &w[i]);
    }
    size_t total = 0;
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL), total += w[i].done;
    double el = now_s() - t0;
    printf("durable  %d threads x batch 1 (holds, group commit): %.0f transfers/s (%zu)\n", THREADS,
           (double)total / el, total);
  }
  double t0 = now_s();
  ledger_close(l);
  if (ledger_open(path, NULL, &l, &err)) return fprintf(stderr, "reopen: %s\n", err.msg), 1;
  printf("reopen with full invariant check: %zu transfers in %.2f s\n", ledger_transfer_count(l),
         now_s() - t0);
  ledger_close(l);
  ledger *m;
  if (ledger_open(NULL, NULL, &m, &err) || setup(m)) return 1;
  size_t n;
  double cpu, tps = run(m, 8000, secs < 2 ? secs : 2, &n, &cpu);
  printf("in-memory batch  8000: %10.0f transfers/s  (no store: the engine's ceiling; %.0f per CPU-second)\n",
         tps, (double)n / cpu);
  ledger_close(m);
  if (argc <= 1 || !argv[1][0]) {
    char p[700];
    const char *suffix[] = {"", "-wal", "-shm", ".lock"};
    for (int i = 0; i < 4; i++) snprintf(p, sizeof p, "%s%s", path, suffix[i]), unlink(p);
    rmdir(dir);
  }
  return 0;
}
