/* gemv.c — the decode kernel (cpu_kernels.gemv) against the shared vec_dot body, per weight type.
 *
 *   bench_gemv [--rows N] [--n-in N] [--reps N] [--level scalar|avx2|avx512|amx] [--thp]
 *
 * Multiplies a random rows × n_in weight matrix of each quantised type into ONE activation row,
 * on one thread, and prints the best thread CPU time of --reps calls and the weight bytes
 * streamed per second (GB/s): the figure to hold against bench_bandwidth's per-core read
 * bandwidth. Defaults: 1024 × 1024, small enough to stay in L2, so the figure is the kernel's
 * own ceiling; pass e.g. --rows 16384 --n-in 4096 to stream from memory. Thread CPU time keeps
 * the figures comparable on a shared machine. "vec_dot" is the row-at-a-time path decode used
 * before gemv existed (gemm with one token). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "engine/cpu/cpu.h"
#include "engine/gtype.h"
#include "engine/quant/quant.h"

#define GB_HUGE ((size_t)2 << 20) /* x86-64 huge page */
#define GB_MAX_DIM 65536 /* rows or columns; beyond this the matrix only takes longer */

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng = 88172645463325252ull;
static float rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((double)(rng >> 11) / (double)(1ull << 52)) - 1.0f;
}

int main(int argc, char **argv) {
  int rows = 1024, n_in = 1024, reps = 50, thp = 0;
  const cpu_kernels *k = cpu_kernels_get();
  for (int i = 1; i < argc; i++) {
    int *dst = NULL;
    if (!strcmp(argv[i], "--rows")) dst = &rows;
    else if (!strcmp(argv[i], "--n-in")) dst = &n_in;
    else if (!strcmp(argv[i], "--reps")) dst = &reps;
    else if (!strcmp(argv[i], "--thp")) {
      thp = 1;
      continue;
    } else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
      const char *name = argv[++i];
      k = NULL;
      for (int l = CPU_SCALAR; l <= CPU_LEVEL_BEST_KNOWN; l++)
        if (!strcmp(name, cpu_level_name((cpu_level)l))) k = cpu_kernels_level((cpu_level)l);
      if (!k) {
        fprintf(stderr, "bench_gemv: level %s unknown or not supported by this CPU\n", name);
        return 2;
      }
      continue;
    }
    if (!dst || i + 1 >= argc || (*dst = atoi(argv[++i])) < 1 || *dst > GB_MAX_DIM ||
        (dst == &n_in && n_in % 256)) {
      fprintf(stderr, "usage: bench_gemv [--rows N] [--n-in N (multiple of 256)] [--reps N] "
                      "[--level scalar|avx2|avx512|amx] [--thp]\n");
      return 2;
    }
  }
  const uint32_t types[] = {GTYPE_Q8_0, GTYPE_Q4_0, GTYPE_Q5_0, GTYPE_Q4_K, GTYPE_Q5_K, GTYPE_Q6_K};
  float *x = malloc((size_t)n_in * sizeof *x);
  float *out = malloc((size_t)rows * sizeof *out);
  uint8_t *w = NULL;
  size_t w_bytes = ((size_t)rows * n_in * 2 + GB_HUGE - 1) / GB_HUGE * GB_HUGE;
  if (thp) { /* 2 MiB pages where the kernel grants them (THP "madvise" mode) */
    w = aligned_alloc(GB_HUGE, w_bytes);
    if (w) (void)madvise(w, w_bytes, MADV_HUGEPAGE);
  } else {
    w = malloc(w_bytes);
  }
  uint8_t *a = malloc((size_t)n_in * 2 + 64);
  if (!x || !out || !w || !a) {
    fprintf(stderr, "bench_gemv: out of memory\n");
    return 1;
  }
  printf("level %s, %d rows x %d, 1 token, best of %d (thread CPU time)\n", k->name, rows, n_in,
         reps);
  printf("%-5s %10s %8s %10s %8s\n", "type", "vec_dot ms", "GB/s", "gemv ms", "GB/s");
  for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
    uint32_t t = types[ti], at = cpu_act_type(t);
    size_t wrow = gtype_row_bytes(t, (uint64_t)n_in);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < n_in; i++) x[i] = rnd() * 0.05f;
      (void)quant_quantize_row(t, x, w + (size_t)r * wrow, n_in);
    }
    for (int i = 0; i < n_in; i++) x[i] = rnd();
    k->quantize_act(at, x, a, n_in);
    double best[2] = {1e30, 1e30};
    for (int rep = 0; rep < reps; rep++)
      for (int v = 0; v < 2; v++) {
        double t0 = cpu_ms();
        if (v == 0)
          k->gemm(t, w, wrow, rows, a, 0, 1, out, (size_t)rows, n_in);
        else
          k->gemv(t, w, wrow, rows, a, out, n_in);
        double dt = cpu_ms() - t0;
        if (dt < best[v]) best[v] = dt;
      }
    double mb = (double)rows * wrow / 1e6;
    printf("%-5s %10.3f %8.1f %10.3f %8.1f\n", gtype_name(t), best[0], mb / best[0], best[1],
           mb / best[1]);
  }
  free(x);
  free(out);
  free(w);
  free(a);
  return 0;
}
