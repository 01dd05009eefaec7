/* cmd_bench.c — `sekisho bench`: prompt-processing and generation speed, as llama-bench measures
 * them, so the two can be compared on the same file:
 *   ppN: one batch of N tokens into an empty KV cache (logits for the last one only);
 *   tgN: N tokens decoded one at a time into an empty KV cache, each with its logits.
 * Tokens are pseudo-random ids (speed does not depend on them). Each test runs once unmeasured
 * (warm-up: pages of the mapped file, caches, the thread pool), then -r times; t/s is the mean
 * over repetitions of tokens / seconds, ± the standard deviation. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/pool.h"
#include "cli/cli.h"
#include "engine/cpu/cpu.h"
#include "engine/engine.h"

#define BENCH_MAX_TOKENS 8192 /* per test: beyond this a run takes minutes on a CPU */
#define BENCH_MAX_REPS 100

static const char k_help[] =
    "usage: sekisho bench -m MODEL [-t N] [-p N] [-n N] [-r N] [--json]\n"
    "\n"
    "Measures prompt processing (ppN: one batch of N tokens) and text generation (tgN: N tokens\n"
    "one at a time) in tokens per second, like llama-bench, and reports resident memory.\n"
    "\n"
    "  -m, --model FILE     GGUF model\n"
    "  -t, --threads N      threads (default: online CPUs)\n"
    "  -p, --n-prompt N     prompt tokens, 0 to skip (default 512)\n"
    "  -n, --n-gen N        generated tokens, 0 to skip (default 128)\n"
    "  -r, --repetitions N  measured runs per test (default 3)\n"
    "      --json           one JSON object on stdout\n"
    "  -h, --help           this help\n"
    "\n"
    "SEKISHO_CPU=scalar|avx2|avx512|amx caps the kernel level (default: the best this CPU has).\n"
    "SEKISHO_WEIGHTS=map|huge: map the model file, or copy it onto 2 MiB pages (default: copy\n"
    "when transparent huge pages are on and the file is >= 64 MiB and <= half of MemAvailable).\n";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* kB from a "Key:   N kB" line of /proc/self/status, 0 when unavailable. */
static long proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long v = 0;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

typedef struct bench_test {
  const char *kind; /* "pp" or "tg" */
  int n;
  double mean_tps, sd_tps;
} bench_test;

static uint32_t rng_u32(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

/* One run: seconds, or < 0 on error (message in err). */
static double run_once(eng_ctx *c, eng_batch_tok *toks, const char *kind, int n, uint32_t n_vocab,
                       uint64_t *seed, sk_err *err) {
  eng_kv_seq_rm(c, 0, 0, -1);
  for (int i = 0; i < n; i++)
    toks[i] = (eng_batch_tok){(int32_t)(rng_u32(seed) % n_vocab), i, 0, i == n - 1};
  double t0 = now_s();
  if (kind[0] == 'p') {
    if (eng_decode(c, toks, (size_t)n, err)) return -1;
  } else {
    for (int i = 0; i < n; i++) {
      toks[i].want_logits = 1;
      if (eng_decode(c, &toks[i], 1, err)) return -1;
    }
  }
  return now_s() - t0;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

int cmd_bench(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                       {"threads", required_argument, 0, 't'},
                                       {"n-prompt", required_argument, 0, 'p'},
                                       {"n-gen", required_argument, 0, 'n'},
                                       {"repetitions", required_argument, 0, 'r'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *model = NULL;
  int threads = 0, n_prompt = 512, n_gen = 128, reps = 3, as_json = 0, ch;
  while ((ch = getopt_long(argc, argv, "m:t:p:n:r:h", opts, NULL)) != -1) {
    switch (ch) {
    case 'm': model = optarg; break;
    case 't':
      if (parse_int(optarg, 1, 256, &threads))
        return sk_cli_usage_error("bench", "-t wants a thread count 1..256, got '%s'", optarg);
      break;
    case 'p':
      if (parse_int(optarg, 0, BENCH_MAX_TOKENS, &n_prompt))
        return sk_cli_usage_error("bench", "-p wants 0..%d tokens, got '%s'", BENCH_MAX_TOKENS,
                                  optarg);
      break;
    case 'n':
      if (parse_int(optarg, 0, BENCH_MAX_TOKENS, &n_gen))
        return sk_cli_usage_error("bench", "-n wants 0..%d tokens, got '%s'", BENCH_MAX_TOKENS,
                                  optarg);
      break;
    case 'r':
      if (parse_int(optarg, 1, BENCH_MAX_REPS, &reps))
        return sk_cli_usage_error("bench", "-r wants 1..%d, got '%s'", BENCH_MAX_REPS, optarg);
      break;
    case 'j': as_json = 1; break;
    case 'h': fputs(k_help, stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("bench", "unknown option");
    }
  }
  if (!model) return sk_cli_usage_error("bench", "missing -m MODEL");
  if (optind < argc) return sk_cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);

  sk_err err = {0};
  eng_model *m = NULL;
  eng_ctx *c = NULL;
  eng_batch_tok *toks = NULL;
  int rc = SK_EXIT_FAIL;
  long rss_before_kb = proc_status_kb("VmRSS");
  if (eng_model_open(model, NULL, &m, &err)) {
    sk_cli_fail("bench", "%s: %s", model, err.msg);
    goto out;
  }
  const eng_hparams *hp = eng_model_hparams(m);
  int n_max = n_prompt > n_gen ? n_prompt : n_gen;
  eng_ctx_params cp = {.n_ctx = (uint32_t)(n_max > 0 ? n_max : 1),
                       .n_seq = 1,
                       .n_batch = (uint32_t)(n_prompt > 0 ? n_prompt : 1),
                       .n_threads = (uint32_t)threads,
                       .precision = ENG_PRECISION_FAST};
  if (eng_ctx_new(m, &cp, &c, &err)) {
    sk_cli_fail("bench", "cannot create a context: %s", err.msg);
    goto out;
  }
  toks = sk_calloc((size_t)(n_max > 0 ? n_max : 1), sizeof *toks);
  if (!toks) {
    sk_cli_fail("bench", "out of memory");
    goto out;
  }
  bench_test tests[2];
  int n_tests = 0;
  if (n_prompt > 0) tests[n_tests++] = (bench_test){"pp", n_prompt, 0, 0};
  if (n_gen > 0) tests[n_tests++] = (bench_test){"tg", n_gen, 0, 0};
  uint64_t seed = 42;
  for (int ti = 0; ti < n_tests; ti++) {
    bench_test *bt = &tests[ti];
    double sum = 0, sum2 = 0;
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up, not counted */
      double s = run_once(c, toks, bt->kind, bt->n, hp->n_vocab, &seed, &err);
      if (s < 0) {
        sk_cli_fail("bench", "%s%d failed: %s", bt->kind, bt->n, err.msg);
        goto out;
      }
      if (r < 0) continue;
      double tps = bt->n / s;
      sum += tps;
      sum2 += tps * tps;
    }
    bt->mean_tps = sum / reps;
    double var = sum2 / reps - bt->mean_tps * bt->mean_tps;
    bt->sd_tps = reps > 1 && var > 0 ? sqrt(var * reps / (reps - 1)) : 0;
  }
  long rss_kb = proc_status_kb("VmRSS"), hwm_kb = proc_status_kb("VmHWM");
  double ctx_mib = (double)eng_ctx_memory_bytes(c) / (1024.0 * 1024.0);
  double size_gib = (double)hp->weight_bytes / (1024.0 * 1024.0 * 1024.0);
  const char *kern = cpu_kernels_get()->name;
  int nth = threads ? threads : sk_pool_cpu_count();
  if (as_json) {
    json_t *o = json_object(), *arr = json_array();
    json_object_set_new(o, "model", json_string(model));
    json_object_set_new(o, "arch", json_string(hp->arch));
    json_object_set_new(o, "weight_bytes", json_integer((json_int_t)hp->weight_bytes));
    json_object_set_new(o, "n_params", json_integer((json_int_t)hp->n_params));
    json_object_set_new(o, "threads", json_integer(nth));
    json_object_set_new(o, "kernels", json_string(kern));
    json_object_set_new(o, "repetitions", json_integer(reps));
    for (int ti = 0; ti < n_tests; ti++) {
      json_t *t = json_object();
      char name[32];
      snprintf(name, sizeof name, "%s%d", tests[ti].kind, tests[ti].n);
      json_object_set_new(t, "test", json_string(name));
      json_object_set_new(t, "n_tokens", json_integer(tests[ti].n));
      json_object_set_new(t, "avg_ts", json_real(tests[ti].mean_tps));
      json_object_set_new(t, "stddev_ts", json_real(tests[ti].sd_tps));
      json_array_append_new(arr, t);
    }
    json_object_set_new(o, "tests", arr);
    json_object_set_new(o, "rss_kb", json_integer(rss_kb));
    json_object_set_new(o, "rss_peak_kb", json_integer(hwm_kb));
    json_object_set_new(o, "rss_before_load_kb", json_integer(rss_before_kb));
    json_object_set_new(o, "ctx_bytes", json_integer((json_int_t)eng_ctx_memory_bytes(c)));
    char *s = json_dumps(o, JSON_INDENT(2));
    if (s) puts(s);
    free(s);
    json_decref(o);
  } else {
    printf("| model | size | params | kernels | threads | test | t/s |\n");
    printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
    for (int ti = 0; ti < n_tests; ti++)
      printf("| %s | %.2f GiB | %.2f B | %s | %d | %s%d | %.2f ± %.2f |\n", hp->arch, size_gib,
             (double)hp->n_params * 1e-9, kern, nth, tests[ti].kind, tests[ti].n,
             tests[ti].mean_tps, tests[ti].sd_tps);
    printf("\nresident memory: %.1f MiB now, %.1f MiB peak (mapped weights %.1f MiB, context "
           "%.1f MiB: KV cache + scratch)\n",
           rss_kb / 1024.0, hwm_kb / 1024.0, (double)hp->weight_bytes / (1024.0 * 1024.0), ctx_mib);
  }
  rc = SK_EXIT_OK;
out:
  sk_free(toks);
  eng_ctx_free(c);
  eng_model_close(m);
  return rc;
}
