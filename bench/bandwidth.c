/* bandwidth.c — a STREAM-like read-bandwidth probe and the decode bound it implies.
 *
 *   bench_bandwidth [--mib N] [--reps N] [--json] [MODEL.gguf ...]
 *
 * Reads a buffer much larger than the last-level cache (default 1 GiB) with 1 and with 2 threads
 * (each thread its own contiguous half, as the engine splits weight rows), best of --reps passes,
 * and prints GB/s (10^9 bytes). For each model it prints the bytes one decoded token must read —
 * every weight tensor except the embedding table, of which one row is read (unless the output
 * matrix is tied to it, then it is read whole) — and the resulting bound: tokens/s ≤ bandwidth /
 * bytes per token. The KV cache adds a little at long contexts; it is left out (short prompts).
 *
 * Reads use 256-bit loads when the CPU has AVX2 (chosen at run time), otherwise 128-bit. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "engine/gguf.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define BW_DEFAULT_MIB 1024 /* far beyond any L3 of today's desktop and server parts */
#define BW_MAX_THREADS 2    /* the table is for 2 threads */

typedef struct bw_job {
  const uint8_t *p;
  size_t n;
  uint64_t sink;
} bw_job;

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *)(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *)(p + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *)(p + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *)(p + i + 96)));
  }
  __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return (uint64_t)_mm256_extract_epi64(a, 0) ^ (uint64_t)_mm256_extract_epi64(a, 3);
}
#endif

static uint64_t read_plain(const uint8_t *p, size_t n) {
  const uint64_t *q = (const uint64_t *)(const void *)p;
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t i = 0; i + 4 <= n / 8; i += 4) a0 ^= q[i], a1 ^= q[i + 1], a2 ^= q[i + 2], a3 ^= q[i + 3];
  return a0 ^ a1 ^ a2 ^ a3;
}

static int g_avx2;

static void *bw_thread(void *arg) {
  bw_job *j = arg;
#if defined(__x86_64__)
  if (g_avx2) {
    j->sink = read_avx2(j->p, j->n);
    return NULL;
  }
#endif
  j->sink = read_plain(j->p, j->n);
  return NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best GB/s over reps passes of nth threads reading buf[0..n). */
static double measure(const uint8_t *buf, size_t n, int nth, int reps, uint64_t *sink) {
  double best = 0;
  for (int r = 0; r < reps; r++) {
    bw_job jobs[BW_MAX_THREADS];
    pthread_t th[BW_MAX_THREADS];
    size_t part = (n / (size_t)nth) & ~(size_t)127;
    double t0 = now_s();
    for (int i = 0; i < nth; i++) {
      jobs[i] = (bw_job){buf + (size_t)i * part, part, 0};
      if (i > 0) pthread_create(&th[i], NULL, bw_thread, &jobs[i]);
    }
    bw_thread(&jobs[0]);
    for (int i = 1; i < nth; i++) pthread_join(th[i], NULL);
    double s = now_s() - t0;
    for (int i = 0; i < nth; i++) *sink ^= jobs[i].sink;
    double gbs = (double)part * nth / s * 1e-9;
    if (gbs > best) best = gbs;
  }
  return best;
}

/* Bytes of weights one decoded token reads (see the header). 0 on error. */
static uint64_t decode_bytes(const char *path, uint64_t *file_bytes) {
  gguf_file *f = NULL;
  sk_err err = {0};
  if (gguf_open(path, &f, &err)) {
    fprintf(stderr, "bench_bandwidth: %s: %s\n", path, err.msg);
    return 0;
  }
  uint64_t total = 0, embd = 0, embd_row = 0;
  int has_output = gguf_find_tensor(f, "output.weight") != NULL;
  for (size_t i = 0; i < gguf_tensor_count(f); i++) {
    const gguf_tensor *t = gguf_tensor_at(f, i);
    total += t->size_bytes;
    if (gguf_str_eq(t->name, "token_embd.weight")) {
      embd = t->size_bytes;
      embd_row = t->ne[1] ? t->size_bytes / t->ne[1] : 0;
    }
  }
  *file_bytes = gguf_file_size(f);
  gguf_close(f);
  return has_output ? total - embd + embd_row : total;
}

int main(int argc, char **argv) {
  size_t mib = BW_DEFAULT_MIB;
  int reps = 5, as_json = 0, first_model = argc;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mib") && i + 1 < argc) mib = (size_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json")) as_json = 1;
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      puts("usage: bench_bandwidth [--mib N] [--reps N] [--json] [MODEL.gguf ...]");
      return 0;
    } else {
      first_model = i;
      break;
    }
  }
  if (mib < 16 || mib > 65536 || reps < 1 || reps > 100) {
    fprintf(stderr, "bench_bandwidth: --mib 16..65536, --reps 1..100\n");
    return 2;
  }
#if defined(__x86_64__)
  __builtin_cpu_init();
  g_avx2 = __builtin_cpu_supports("avx2");
#endif
  size_t n = mib << 20;
  uint8_t *buf = aligned_alloc(64, n);
  if (!buf) {
    fprintf(stderr, "bench_bandwidth: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  for (size_t i = 0; i < n; i += 64) memset(buf + i, (int)(i >> 6), 64); /* fault pages in */
  uint64_t sink = 0;
  double gbs[BW_MAX_THREADS + 1] = {0};
  for (int t = 1; t <= BW_MAX_THREADS; t++) gbs[t] = measure(buf, n, t, reps, &sink);
  free(buf);
  if (as_json) printf("{\"buffer_mib\": %zu, \"read_gbs_1t\": %.2f, \"read_gbs_2t\": %.2f, \"models\": [",
                      mib, gbs[1], gbs[2]);
  else
    printf("read bandwidth (%zu MiB buffer, best of %d): 1 thread %.2f GB/s, 2 threads %.2f GB/s\n",
           mib, reps, gbs[1], gbs[2]);
  int rc = 0;
  for (int i = first_model; i < argc; i++) {
    uint64_t fb = 0, b = decode_bytes(argv[i], &fb);
    if (!b) {
      rc = 1;
      continue;
    }
    if (as_json)
      printf("%s{\"model\": \"%s\", \"bytes_per_token\": %llu, \"bound_tps_2t\": %.2f}",
             i > first_model ? ", " : "", argv[i], (unsigned long long)b, gbs[2] * 1e9 / (double)b);
    else
      printf("%s: %.1f MB read per token -> decode bound %.1f t/s (2 threads), %.1f t/s (1)\n",
             argv[i], (double)b * 1e-6, gbs[2] * 1e9 / (double)b, gbs[1] * 1e9 / (double)b);
  }
  if (as_json) printf("]}\n");
  return rc | (int)(sink == 0x5a5a5a5a5a5a5a5aull); /* keeps the reads observable */
}
