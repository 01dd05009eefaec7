/* bench_guard.c — guard throughput: scans long Japanese text (the .txt files of ../shared/data/aozora, or
 * the files given) with every recogniser on, on one core, and prints MB/s.
 *
 *   bench_guard [--seconds S] [--passes N] [--threads N] [--only PHASE] [--dump FILE] [FILE...]
 *
 * The texts are scanned whole file by file, repeatedly, until S seconds of this thread's CPU time
 * (default 3) have passed — MB/s per core, unaffected by other load on the machine;
 * scanner creation (lexicon load) is timed separately. A second figure scans a synthetic
 * PII-dense business text built from the same kinds of records as ../shared/data/pii. A third
 * scans all files as one text with pii_scan_parallel on 1, 2, 4 … N threads (default N = online
 * CPUs) and reports WALL-clock MB/s with the load average (meaningless on a loaded machine). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "guard/guard.h"

/* CPU time of this thread: the figure is per core, and stays meaningful on a shared machine. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct text {
  char *p;
  size_t n;
} text;

/* --dump FILE: one pass, every finding written as "text# type start end score" (a regression
 * oracle: a speed-up must leave this file byte-identical). */
static void dump(const pii_scanner *sc, const text *t, size_t nt, FILE *o, size_t base) {
  for (size_t i = 0; i < nt; i++) {
    pii_findings f;
    pii_findings_init(&f);
    sk_err err;
    if (pii_scan(sc, t[i].p, t[i].n, &f, &err)) {
      fprintf(stderr, "scan failed: %s\n", err.msg);
      exit(1);
    }
    for (size_t k = 0; k < f.count; k++)
      fprintf(o, "%zu %s %zu %zu %.3f\n", base + i, pii_type_name(f.items[k].type), f.items[k].start,
              f.items[k].end, (double)f.items[k].score);
    pii_findings_release(&f);
  }
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the whole process (all scan threads): work done, whatever the machine's load. */
static double proc_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock MB/s of pii_scan_parallel on one text with `threads` threads, over >= seconds;
 * *cpu_mbs: the same bytes over the CPU time of all threads (duplicated work lowers it). */
static double run_wall(const pii_scanner *sc, const text *t, int threads, double seconds, size_t *found,
                       double *cpu_mbs) {
  double t0 = wall_s(), c0 = proc_s(), el = 0;
  size_t bytes = 0;
  do {
    pii_findings f;
    pii_findings_init(&f);
    sk_err err;
    if (pii_scan_parallel(sc, t->p, t->n, threads, 0, &f, &err)) {
      fprintf(stderr, "scan failed: %s\n", err.msg);
      exit(1);
    }
    *found = f.count;
    bytes += t->n;
    pii_findings_release(&f);
    el = wall_s() - t0;
  } while (el < seconds);
  *cpu_mbs = (double)bytes / (proc_s() - c0) / 1e6;
  return (double)bytes / el / 1e6;
}

/* --passes N: exactly N passes per figure (for perf stat / callgrind), 0: timed by --seconds */
static long g_passes;

static double run(const pii_scanner *sc, const text *t, size_t nt, double seconds, size_t *found) {
  double t0 = now_s(), el = 0;
  size_t bytes = 0;
  long pass = 0;
  *found = 0;
  do {
    for (size_t i = 0; i < nt; i++) {
      pii_findings f;
      pii_findings_init(&f);
      sk_err err;
      if (pii_scan(sc, t[i].p, t[i].n, &f, &err)) {
        fprintf(stderr, "scan failed: %s\n", err.msg);
        exit(1);
      }
      *found += f.count;
      bytes += t[i].n;
      pii_findings_release(&f);
    }
    el = now_s() - t0;
    pass++;
  } while (g_passes ? pass < g_passes : el < seconds);
  return (double)bytes / el / 1e6;
}

static void usage(FILE *o) {
  fprintf(o,
          "usage: bench_guard [--seconds S] [--passes N] [--threads N] [--only PHASE] [--dump FILE] [FILE...]\n"
          "  Scans FILEs (default ../shared/data/aozora/*.txt, run from the repository root) with\n"
          "  every recogniser on and prints MB/s per core (thread CPU time).\n"
          "  --seconds S   CPU seconds per figure (default 3)\n"
          "  --threads N   largest thread count of the pii_scan_parallel sweep (default: online CPUs)\n"
          "  --only PHASE  run one figure: aozora, dense, prompts or parallel\n"
          "  --passes N    exactly N passes per single-thread figure instead of --seconds\n"
          "  --dump FILE   write every finding of one pass (regression oracle) before timing\n");
}

int main(int argc, char **argv) {
  double seconds = 3;
  const char *dump_path = NULL, *only = NULL;
  int max_threads = 0; /* 0: number of online CPUs */
  int a = 1;
  while (a < argc && argv[a][0] == '-') {
    if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
      usage(stdout);
      return 0;
    }
    if (a + 1 >= argc) {
      fprintf(stderr, "bench_guard: %s needs a value\n", argv[a]);
      usage(stderr);
      return 2;
    }
    if (!strcmp(argv[a], "--seconds")) seconds = atof(argv[a + 1]);
    else if (!strcmp(argv[a], "--dump")) dump_path = argv[a + 1];
    else if (!strcmp(argv[a], "--threads")) max_threads = atoi(argv[a + 1]);
    else if (!strcmp(argv[a], "--only")) only = argv[a + 1];
    else if (!strcmp(argv[a], "--passes")) g_passes = atol(argv[a + 1]);
    else {
      fprintf(stderr, "bench_guard: unknown option %s\n", argv[a]);
      usage(stderr);
      return 2;
    }
    a += 2;
  }
  if (only && strcmp(only, "aozora") && strcmp(only, "dense") && strcmp(only, "prompts") &&
      strcmp(only, "parallel")) {
    fprintf(stderr, "bench_guard: --only takes aozora, dense, prompts or parallel\n");
    return 2;
  }
#define PHASE(name) (!only || !strcmp(only, name))
  glob_t g = {0};
  char **files;
  size_t nf;
  if (a < argc) {
    files = argv + a;
    nf = (size_t)(argc - a);
  } else {
    if (glob("../shared/data/aozora/*.txt", 0, NULL, &g) != 0) {
      printf("SKIP: ../shared/data/aozora/*.txt absent (run from the repository root)\n");
      return 0;
    }
    files = g.gl_pathv;
    nf = g.gl_pathc;
  }
  text *t = calloc(nf, sizeof *t);
  size_t total = 0;
  for (size_t i = 0; i < nf; i++) {
    sk_err err;
    if (sk_read_file(files[i], (size_t)64 << 20, &t[i].p, &t[i].n, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    total += t[i].n;
  }
  double t0 = now_s();
  pii_scanner *sc;
  sk_err err;
  if (pii_scanner_new(NULL, &sc, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  printf("scanner load (name lexicon from IPADIC): %.0f ms, mecab=%d\n", (now_s() - t0) * 1e3,
         pii_scanner_has_mecab(sc));
  static const char *const rec =
      "顧客名：山田 太郎様（ヤマダ タロウ）\n生年月日：1985年4月1日\n住所：〒100-0001 東京都千代田区丸の内一丁目1番1号\n"
      "電話：03-1234-5678 携帯：090-1234-5678 mail: taro.yamada@example.co.jp\n個人番号：9832 0567 3214\n"
      "お振込先：三井住友銀行 渋谷支店 普通 1234567。担当の佐藤が承りました。\n";
  size_t rl = strlen(rec), reps = (1u << 20) / rl;
  text dense = {sk_malloc(rl * reps + 1), rl * reps};
  for (size_t i = 0; i < reps; i++) memcpy(dense.p + i * rl, rec, rl);
  if (dump_path) {
    FILE *o = fopen(dump_path, "w");
    if (!o) {
      fprintf(stderr, "cannot write %s\n", dump_path);
      return 1;
    }
    dump(sc, t, nf, o, 0);
    dump(sc, &dense, 1, o, nf);
    fclose(o);
  }
  size_t found;
  double mbs;
  if (PHASE("aozora")) {
    mbs = run(sc, t, nf, seconds, &found);
    printf("aozora: %zu files, %.2f MB per pass, all recognisers on, 1 thread: %.1f MB/s (%zu findings)\n",
           nf, (double)total / 1e6, mbs, found);
  }
  /* PII-dense business text */
  if (PHASE("dense")) {
    mbs = run(sc, &dense, 1, seconds, &found);
    printf("dense business records: %.2f MB per pass, 1 thread: %.1f MB/s (%zu findings)\n",
           (double)dense.n / 1e6, mbs, found);
  }
  /* short prompts: every line of the dense text scanned as its own call (per-call costs:
   * allocation, MeCab tagger, normalisation buffers) */
  if (PHASE("prompts")) {
    size_t nl = 0;
    for (size_t i = 0; i < dense.n; i++) nl += dense.p[i] == '\n';
    text *lines = calloc(nl + 1, sizeof *lines);
    size_t k = 0;
    for (size_t i = 0, st = 0; i < dense.n && k < 4096; i++)
      if (dense.p[i] == '\n') {
        lines[k++] = (text){dense.p + st, i + 1 - st};
        st = i + 1;
      }
    mbs = run(sc, lines, k, seconds, &found);
    size_t lb = 0;
    for (size_t i = 0; i < k; i++) lb += lines[i].n;
    printf("short prompts: %zu lines of the business text (%.0f bytes each), one pii_scan per line: %.1f MB/s "
           "(%.1f us per call)\n", k, (double)lb / (double)k, mbs, (double)lb / (double)k / mbs);
    free(lines);
  }
  /* wall clock, several threads: all files as one text, cut at line starts */
  text all = {sk_malloc(total + 1), total};
  for (size_t i = 0, o = 0; i < nf; o += t[i].n, i++) memcpy(all.p + o, t[i].p, t[i].n);
  double la[3] = {0};
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (max_threads <= 0) max_threads = ncpu > 1 ? (int)ncpu : 1;
  for (int th = 1; PHASE("parallel") && th <= max_threads; th *= 2) {
    if (getloadavg(la, 3) < 1) la[0] = -1;
    double cpu_mbs;
    mbs = run_wall(sc, &all, th, seconds, &found, &cpu_mbs);
    printf("aozora as one %.2f MB text, pii_scan_parallel, %d thread%s: %.1f MB/s wall, %.1f MB/s per CPU "
           "second of all threads (%zu findings; load average %.2f on %ld cpus)\n",
           (double)all.n / 1e6, th, th > 1 ? "s" : "", mbs, cpu_mbs, found, la[0], ncpu);
  }
  sk_free(all.p);
  sk_free(dense.p);
  for (size_t i = 0; i < nf; i++) sk_free(t[i].p);
  free(t);
  if (g.gl_pathc) globfree(&g);
  pii_scanner_free(sc);
  return 0;
}
