/* bench_tokenize.c — tokenizer throughput on real Japanese text.
 *
 *   bench_tokenize [MODEL.gguf ...]   (run from the repository root)
 *
 * Concatenates ../shared/data/aozora/{*.txt} (≈1.7 MB of novels), tokenizes it with each model's
 * tokenizer (plain text: no BOS, no special parsing, then again with special parsing), and prints
 * MB/s, tokens/s and bytes per token; also the streaming detokenizer's MB/s. Defaults to the
 * oracle's SPM, Llama-3 and Qwen2 vocabularies. Best of 3 runs, single thread, process CPU time. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

#define CORPUS "../shared/data/aozora"

/* CPU time of this process: the build machine is shared, wall time is not a measure */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int load_corpus(sk_buf *b) {
  DIR *d = opendir(CORPUS);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".txt")) continue;
    char path[512], *data;
    size_t n;
    sk_err err;
    snprintf(path, sizeof path, CORPUS "/%s", e->d_name);
    if (sk_read_file(path, 16u << 20, &data, &n, &err) == SK_OK) {
      sk_buf_append(b, data, n);
      sk_free(data);
    }
  }
  closedir(d);
  return 0;
}

int main(int argc, char **argv) {
  static const char *defaults[] = {"../shared/oracle/models/llama-spm-Q8_0.gguf",
                                   "../shared/oracle/models/llama-bpe-Q4_0.gguf",
                                   "../shared/oracle/models/qwen2-Q8_0.gguf"};
  const char **models = argc > 1 ? (const char **)argv + 1 : defaults;
  int n_models = argc > 1 ? argc - 1 : 3;
  sk_buf text;
  sk_buf_init(&text, 64u << 20);
  if (load_corpus(&text) || text.len == 0) {
    printf("SKIP: corpus %s absent\n", CORPUS);
    return 0;
  }
  size_t cap = text.len + 16;
  int32_t *ids = malloc(cap * sizeof *ids);
  printf("corpus: %s, %.2f MB\n", CORPUS, (double)text.len / 1e6);
  for (int m = 0; m < n_models; m++) {
    gguf_file *g = NULL;
    tok_vocab *v = NULL;
    sk_err err;
    double t0 = now_s();
    if (gguf_open(models[m], &g, &err) || tok_load_gguf(g, &v, &err)) {
      printf("SKIP %s: %s\n", models[m], err.msg);
      if (g) gguf_close(g);
      continue;
    }
    gguf_close(g);
    double load_s = now_s() - t0;
    for (int parse = 0; parse < 2; parse++) {
      double best = 1e30;
      size_t n = 0;
      for (int rep = 0; rep < 3; rep++) {
        t0 = now_s();
        if (tok_encode(v, text.data, text.len, parse, parse, ids, cap, &n, &err)) {
          printf("error: %s\n", err.msg);
          return 1;
        }
        double dt = now_s() - t0;
        if (dt < best) best = dt;
      }
      printf("%-48s %-9s %-10s encode %7.2f MB/s  %9.0f tok/s  %.2f B/tok  (vocab load %.0f ms)\n",
             models[m], tok_vocab_pre(v), parse ? "special" : "plain",
             (double)text.len / 1e6 / best, (double)n / best, (double)text.len / (double)n,
             load_s * 1e3);
      if (parse) continue;
      sk_buf out;
      sk_buf_init(&out, 128u << 20);
      t0 = now_s();
      tok_stream st;
      tok_stream_init(&st, v, 0);
      for (size_t i = 0; i < n; i++) tok_stream_push(&st, ids[i], &out);
      tok_stream_flush(&st, &out);
      double dt = now_s() - t0;
      printf("%-48s %-9s %-10s stream %7.2f MB/s  (round trip %s)\n", models[m],
             tok_vocab_pre(v), "detok", (double)out.len / 1e6 / dt,
             (out.len == text.len || out.len == text.len + 1) ? "ok" : "DIFFERS");
      sk_buf_release(&out);
    }
    tok_free(v);
  }
  free(ids);
  sk_buf_release(&text);
  return 0;
}
