/* bench_sampler — time per sampler_sample call on a 151936-token vocabulary (Qwen2.5's) with
 * random logits, for llama.cpp's default chain, greedy, and top-p without top-k (full sort).
 * Build: cc -O2 -Isrc bench/bench_sampler.c src/engine/sampler.c src/base/alloc.c src/base/err.c -lm */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/sampler.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void run(const char *label, sampler_params p, const float *logits, int n_vocab, int iters) {
  sampler *s;
  sk_err e;
  if (sampler_new(&p, n_vocab, &s, &e)) {
    fprintf(stderr, "%s\n", e.msg);
    exit(1);
  }
  for (int i = 0; i < 64; i++) sampler_accept(s, i * 7);
  int32_t tok = 0;
  long sum = 0;
  double t0 = now_s();
  for (int i = 0; i < iters; i++) {
    sampler_sample(s, logits, &tok);
    sum += tok;
  }
  double dt = now_s() - t0;
  printf("%-34s %8.1f us/token  (checksum %ld)\n", label, dt / iters * 1e6, sum);
  sampler_free(s);
}

int main(void) {
  enum { N = 151936 };
  static float logits[N];
  unsigned long x = 42;
  for (int i = 0; i < N; i++) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    logits[i] = (float)((x >> 33) % 20000) / 1000.0f - 10.0f;
  }
  sampler_params d = sampler_params_default();
  d.repeat_penalty = 1.1f;
  run("default (k40 p0.95 m0.05 rep1.1)", d, logits, N, 300);
  sampler_params g = d;
  g.temperature = 0.0f;
  run("greedy (+rep1.1)", g, logits, N, 300);
  sampler_params f = d;
  f.top_k = 0;
  run("top-p 0.95 without top-k (flat)", f, logits, N, 10);
  /* a peaked distribution, like a trained model's: a few tokens hold most of the mass */
  for (int i = 0; i < N; i++) logits[i] = logits[i] * 0.5f + (i % 997 == 0 ? 20.0f : 0.0f);
  run("top-p 0.95 without top-k (peaked)", f, logits, N, 300);
  run("greedy (peaked)", g, logits, N, 300);
  return 0;
}
