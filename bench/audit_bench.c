/* audit_bench — durable appends per second with W concurrent writers (group commit), and the
 * time `audit_verify` takes to recompute a log of N records.
 *
 *   audit_bench [--dir DIR] [--seconds S] [--records N] [--writers 1,16,64]
 *
 * Each append is acknowledged only after fdatasync; writers are threads calling audit_append in
 * a loop. Records are realistic envelopes (~330 bytes). DIR should be on the disk you care about
 * (default: a fresh directory under /tmp, or $TMPDIR). */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit/log.h"
#include "audit/record.h"
#include "base/alloc.h"
#include "audit/verify.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used: divides out the machine's other load. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
/* System (kernel) part only: fdatasync, futex waits and wake-ups, context switches. */
static double sys_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
static void print_load(void) {
  FILE *f = fopen("/proc/loadavg", "r");
  char b[128] = "";
  if (f) {
    if (!fgets(b, sizeof b, f)) b[0] = '\0';
    fclose(f);
  }
  printf("load average: %s", b[0] ? b : "unknown\n");
}

static void record(char *out, size_t n, uint64_t i) {
  snprintf(out, n,
           "{\"kind\":\"completed\",\"tenant\":\"tenant-%03" PRIu64 "\",\"actor\":\"key-%05" PRIu64
           "\",\"decision\":\"redact\",\"model\":\"qwen2.5-7b-instruct-q4_k_m\",\"route\":\"local\","
           "\"pii\":{\"PHONE_JP\":1,\"PERSON\":2},\"prompt_sha256\":\"%064" PRIx64 "\",\"response_sha256\":\"%064" PRIx64
           "\",\"tokens_in\":%" PRIu64 ",\"tokens_out\":%" PRIu64 ",\"cost\":0.0123,\"policy_version\":\"2026-04\"}",
           i % 97, i % 10007, i * 2654435761u, (uint64_t)(i ^ 0x9e3779b97f4a7c15ull), 100 + i % 900, 50 + i % 400);
}

typedef struct run {
  audit_log *log;
  double until;
  atomic_uint_fast64_t done;
  atomic_int failed;
} run;

static void *writer(void *arg) {
  run *r = arg;
  char js[1024];
  uint64_t i = 0;
  while (now_s() < r->until) {
    record(js, sizeof js, i++);
    sk_err e;
    if (audit_append(r->log, js, NULL, &e) != SK_OK) {
      fprintf(stderr, "append failed: %s\n", e.msg);
      atomic_store(&r->failed, 1);
      return NULL;
    }
    atomic_fetch_add(&r->done, 1);
  }
  return NULL;
}

/* Building the 1M-record log for the verify timing: a few threads appending batches. */
enum { BUILDERS = 4, BATCH = 1024 };
typedef struct builder {
  audit_log *log;
  atomic_uint_fast64_t *next;
  uint64_t total;
  int failed;
} builder;

static void *build(void *arg) {
  builder *b = arg;
  static _Thread_local char bufs[BATCH][600];
  const char *ptrs[BATCH];
  for (;;) {
    uint64_t i = atomic_fetch_add(b->next, BATCH);
    if (i >= b->total) return NULL;
    size_t n = b->total - i < BATCH ? (size_t)(b->total - i) : BATCH;
    for (size_t j = 0; j < n; j++) {
      record(bufs[j], sizeof bufs[j], i + j);
      ptrs[j] = bufs[j];
    }
    sk_err e;
    if (audit_append_batch(b->log, ptrs, n, NULL, &e)) {
      fprintf(stderr, "%s\n", e.msg);
      b->failed = 1;
      return NULL;
    }
  }
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  double seconds = 3;
  uint64_t records = 1000000;
  char writers_s[128] = "1,16,64,256";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--records")) records = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--writers")) snprintf(writers_s, sizeof writers_s, "%s", argv[i + 1]);
  }
  char base[256];
  if (!dir) {
    const char *t = getenv("TMPDIR");
    snprintf(base, sizeof base, "%s/sk-audit-bench-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(base)) return 1;
    dir = base;
  }
  printf("audit_bench: dir %s, %.1f s per run\n", dir, seconds);
  print_load();
  /* CPU of preparing one record (validate + canonical JSON), single thread, no I/O: the fast
   * path every append takes, and the jansson reference it replaced (same bytes out). */
  for (int slow = 0; slow < 2; slow++) {
    enum { PREP_N = 20000 };
    char js[1024];
    double c0 = thread_cpu_s();
    for (uint64_t i = 0; i < PREP_N; i++) {
      record(js, sizeof js, i);
      char *body;
      size_t len;
      sk_err e;
      int rc = slow ? record_prepare_slow(dir, js, &body, &len, &e) : record_prepare(dir, js, &body, &len, &e);
      if (rc) {
        fprintf(stderr, "prepare failed: %s\n", e.msg);
        return 1;
      }
      sk_free(body);
    }
    double c1 = thread_cpu_s();
    for (uint64_t i = 0; i < PREP_N; i++) record(js, sizeof js, i); /* the bench's own share */
    double c2 = thread_cpu_s();
    printf("prepare (%s): %.2f us CPU/record (validate + canonical JSON; record generation %.2f us excluded)\n",
           slow ? "jansson reference" : "fast path", ((c1 - c0) - (c2 - c1)) * 1e6 / PREP_N, (c2 - c1) * 1e6 / PREP_N);
  }
  int run_no = 0;
  for (char *tok = strtok(writers_s, ","); tok; tok = strtok(NULL, ",")) {
    int w = atoi(tok);
    if (w < 1 || w > 4096) continue;
    char d[512];
    snprintf(d, sizeof d, "%s/appends-%d", dir, run_no++);
    audit_log *log;
    sk_err e;
    if (audit_open(d, NULL, &log, &e)) {
      fprintf(stderr, "%s\n", e.msg);
      return 1;
    }
    run r = {.log = log};
    r.until = now_s() + seconds;
    pthread_t *th = calloc((size_t)w, sizeof *th);
    double t0 = now_s(), c0 = cpu_s(), s0 = sys_s();
    for (int i = 0; i < w; i++) pthread_create(&th[i], NULL, writer, &r);
    for (int i = 0; i < w; i++) pthread_join(th[i], NULL);
    double dt = now_s() - t0, dc = cpu_s() - c0, ds = sys_s() - s0;
    audit_stats st;
    audit_get_stats(log, &st);
    audit_close(log);
    free(th);
    uint64_t n = atomic_load(&r.done);
    printf("durable appends, %4d writers: %9.0f appends/s  (%" PRIu64 " records, %" PRIu64
           " fdatasyncs, %.1f records/sync, %.3f ms/sync, %.1f us CPU/append = %.1f user + %.1f kernel)\n",
           w, n / dt, n, st.syncs, st.syncs ? (double)n / st.syncs : 0, st.syncs ? dt * 1000 / st.syncs : 0,
           n ? dc * 1e6 / n : 0, n ? (dc - ds) * 1e6 / n : 0, n ? ds * 1e6 / n : 0);
    if (atomic_load(&r.failed)) return 1;
  }
  if (records) {
    char d[512];
    snprintf(d, sizeof d, "%s/verify", dir);
    audit_log *log;
    sk_err e;
    if (audit_open(d, NULL, &log, &e)) return 1;
    double t0 = now_s(), c0 = cpu_s();
    builder b[BUILDERS];
    pthread_t th[BUILDERS];
    atomic_uint_fast64_t next = 0;
    for (int i = 0; i < BUILDERS; i++) {
      b[i] = (builder){log, &next, records, 0};
      pthread_create(&th[i], NULL, build, &b[i]);
    }
    for (int i = 0; i < BUILDERS; i++) {
      pthread_join(th[i], NULL);
      if (b[i].failed) return 1;
    }
    double tb = now_s() - t0, cb = cpu_s() - c0;
    audit_close(log);
    printf("build:  %" PRIu64 " records in %.2f s, %d threads appending batches of %d (%.0f appends/s, %.1f us CPU/append)\n", records, tb, BUILDERS, BATCH,
           records / tb, cb * 1e6 / records);
    print_load();
    t0 = now_s();
    if (audit_open(d, NULL, &log, &e)) return 1;
    printf("open:   %.3f s (index %" PRIu64 " records)\n", now_s() - t0, audit_size(log));
    audit_close(log);
    audit_verify_result r;
    t0 = now_s();
    c0 = cpu_s();
    if (audit_verify(d, 0, &r, &e) || !r.ok) {
      fprintf(stderr, "verify failed: %s %s\n", e.msg, r.reason);
      return 1;
    }
    double tv = now_s() - t0, cv = cpu_s() - c0;
    printf("verify: %" PRIu64 " records in %.3f s, %.3f s CPU (%.0f records/s; every leaf rehashed, tree rebuilt)\n",
           r.records, tv, cv, r.records / tv);
  }
  char cmd[600];
  if (dir == base) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0) return 1;
  }
  return 0;
}
