/* kernels.c — CPU time of the prefill tile (cpu_kernels.gemm) per weight type and level.
 *
 *   bench_kernels [--rows N] [--n-in N] [--tokens N] [--reps N] [--level scalar|avx2|avx512|amx]
 *
 * Multiplies a random rows × n_in weight matrix of each quantised type into `tokens` activation
 * rows already quantised to the type's dot type, on one thread, and prints the best thread CPU
 * time of --reps calls (ms) and the integer throughput in G multiply-adds per second. Thread CPU
 * time rather than wall time: the numbers stay comparable on a machine shared with other work.
 * Defaults: a 2048 × 2048 matrix (Llama-3.2-1B's attention projections) and 64 tokens. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cpu/cpu.h"
#include "engine/gtype.h"
#include "engine/quant/quant.h"

#define KB_MAX_DIM 16384 /* larger matrices only take longer, they say nothing more */
#define KB_MAX_TOKENS 512

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng = 88172645463325252ull;
static float rnd(void) { /* xorshift, roughly uniform in [-1, 1) */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((double)(rng >> 11) / (double)(1ull << 52)) - 1.0f;
}

static int arg_int(int argc, char **argv, int *i, int lo, int hi) {
  if (*i + 1 >= argc) return -1;
  int v = atoi(argv[++*i]);
  return v < lo || v > hi ? -1 : v;
}

int main(int argc, char **argv) {
  int rows = 2048, n_in = 2048, n_tok = 64, reps = 5;
  const cpu_kernels *k = cpu_kernels_get();
  for (int i = 1; i < argc; i++) {
    int *dst = NULL, lo = 1, hi = KB_MAX_DIM;
    if (!strcmp(argv[i], "--rows")) dst = &rows;
    else if (!strcmp(argv[i], "--n-in")) dst = &n_in, lo = 256;
    else if (!strcmp(argv[i], "--tokens")) dst = &n_tok, hi = KB_MAX_TOKENS;
    else if (!strcmp(argv[i], "--reps")) dst = &reps, hi = 1000;
    else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
      const char *name = argv[++i];
      k = NULL;
      for (int l = CPU_SCALAR; l <= CPU_LEVEL_BEST_KNOWN; l++)
        if (!strcmp(name, cpu_level_name((cpu_level)l))) k = cpu_kernels_level((cpu_level)l);
      if (!k) {
        fprintf(stderr, "bench_kernels: level %s unknown or not supported by this CPU\n", name);
        return 2;
      }
      continue;
    } else {
      fprintf(stderr, "usage: bench_kernels [--rows N] [--n-in N (multiple of 256)] "
                      "[--tokens N] [--reps N] [--level scalar|avx2|avx512|amx]\n");
      return 2;
    }
    if ((*dst = arg_int(argc, argv, &i, lo, hi)) < 0 || (dst == &n_in && n_in % 256)) {
      fprintf(stderr, "bench_kernels: bad value for %s\n", argv[i - 1]);
      return 2;
    }
  }
  const uint32_t types[] = {GTYPE_Q8_0, GTYPE_Q4_0, GTYPE_Q5_0, GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K};
  float *x = malloc((size_t)n_in * sizeof *x);
  float *out = malloc((size_t)rows * n_tok * sizeof *out);
  uint8_t *w = malloc((size_t)rows * n_in * 2);
  uint8_t *a = malloc((size_t)n_tok * (n_in * 2 + 64));
  if (!x || !out || !w || !a) {
    fprintf(stderr, "bench_kernels: out of memory\n");
    return 1;
  }
  printf("level %s, %d rows x %d, %d tokens, best of %d (thread CPU time)\n", k->name, rows,
         n_in, n_tok, reps);
  for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
    uint32_t t = types[ti], at = cpu_act_type(t);
    size_t wrow = gtype_row_bytes(t, (uint64_t)n_in), arow = gtype_row_bytes(at, (uint64_t)n_in);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < n_in; i++) x[i] = rnd() * 0.05f;
      (void)quant_quantize_row(t, x, w + (size_t)r * wrow, n_in);
    }
    for (int tk = 0; tk < n_tok; tk++) {
      for (int i = 0; i < n_in; i++) x[i] = rnd();
      k->quantize_act(at, x, a + (size_t)tk * arow, n_in);
    }
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
      double t0 = cpu_ms();
      k->gemm(t, w, wrow, rows, a, arow, n_tok, out, (size_t)rows, n_in);
      double dt = cpu_ms() - t0;
      if (dt < best) best = dt;
    }
    printf("%-5s %8.2f ms  %6.1f GMAC/s\n", gtype_name(t), best,
           (double)rows * n_in * n_tok / (best * 1e6));
  }
  free(x);
  free(out);
  free(w);
  free(a);
  return 0;
}
