/* ground_retrieval.c — retrieval quality of src/ground on JaQuAD dev (../shared/data/qa/jaquad).
 *
 * Corpus: every distinct paragraph ("context") of the four dev files, one document each.
 * Queries: every question; the right answer is its own paragraph. Prints recall@1 and recall@5
 * per method (bigram BM25 alone, MeCab-word BM25 alone, RRF, score fusion = the default).
 *   bench_ground_retrieval [--check] [--limit N] [--stride S] [--mode 0..3]
 * --check: exit 1 unless the default method reaches the floor (recall@1 0.853, recall@5 0.975,
 * a plain character-bigram BM25); exit 77 (skip) when the data set is absent.
 * Run from the repository root. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "ground/index.h"
#include "ground/retrieve.h"

#define FLOOR_R1 0.853 /* the floor */
#define FLOOR_R5 0.975
#define GOAL_R1 0.90
#define GOAL_R5 0.98
#define GUARD_R1 0.845 /* regression guard asserted by --check */
#define GUARD_R5 0.970
#define MAX_DOCS 4096
#define MAX_QS 8192

typedef struct q {
  char *text;
  int doc;
} q;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int check = 0, only = -1, show = 0;
  long limit = 0, stride = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) check = 1;
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atol(argv[++i]);
    else if (!strcmp(argv[i], "--mode") && i + 1 < argc) only = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--stride") && i + 1 < argc) stride = atol(argv[++i]);
    else if (!strcmp(argv[i], "--show")) show = 1;
  }
  static const char *files[] = {"../shared/data/qa/jaquad/jaquad_dev_0000.json", "../shared/data/qa/jaquad/jaquad_dev_0001.json",
                                "../shared/data/qa/jaquad/jaquad_dev_0002.json", "../shared/data/qa/jaquad/jaquad_dev_0003.json"};
  static const char *docs[MAX_DOCS];
  static q qs[MAX_QS];
  size_t nd = 0, nq = 0;
  json_t *roots[4] = {0};
  for (int f = 0; f < 4; f++) {
    json_error_t je;
    roots[f] = json_load_file(files[f], 0, &je);
    if (!roots[f]) {
      printf("SKIP: %s not readable (%s); JaQuAD dev lives in ../shared/data/qa/jaquad\n", files[f], je.text);
      return 77;
    }
    json_t *data = json_object_get(roots[f], "data");
    size_t ai;
    json_t *art;
    json_array_foreach(data, ai, art) {
      size_t pi;
      json_t *para;
      json_array_foreach(json_object_get(art, "paragraphs"), pi, para) {
        const char *ctx = json_string_value(json_object_get(para, "context"));
        if (!ctx) continue;
        size_t d = 0;
        while (d < nd && strcmp(docs[d], ctx)) d++;
        if (d == nd) {
          if (nd == MAX_DOCS) continue;
          docs[nd++] = ctx;
        }
        size_t qi;
        json_t *qa;
        json_array_foreach(json_object_get(para, "qas"), qi, qa) {
          const char *qt = json_string_value(json_object_get(qa, "question"));
          if (qt && nq < MAX_QS) qs[nq++] = (q){(char *)qt, (int)d};
        }
      }
    }
  }
  if (stride > 1) { /* every stride-th question (sanitizer builds: keep the test short) */
    size_t w = 0;
    for (size_t i = 0; i < nq; i += (size_t)stride) qs[w++] = qs[i];
    nq = w;
  }
  if (limit > 0 && (size_t)limit < nq) nq = (size_t)limit;
  ground_index *ix = NULL;
  sk_err err = {0};
  if (ground_index_open(":memory:", &ix, &err)) {
    fprintf(stderr, "open: %s\n", err.msg);
    return 1;
  }
  double t0 = now_s();
  ground_index_begin(ix, &err);
  for (size_t d = 0; d < nd; d++) {
    char path[32];
    snprintf(path, sizeof path, "%zu", d);
    /* one chunk per paragraph: the paragraph is the unit to find */
    if (ground_index_put_text(ix, path, ground_hash(docs[d], strlen(docs[d])), docs[d], strlen(docs[d]),
                              GROUND_CHUNK_MAX_BYTES, NULL, &err)) {
      fprintf(stderr, "doc %zu: %s\n", d, err.msg);
      return 1;
    }
  }
  ground_index_commit(ix, &err);
  double t1 = now_s();
  int64_t nfiles = 0, nchunks = 0;
  ground_index_stats(ix, &nfiles, &nchunks, &err);
  printf("JaQuAD dev: %zu paragraphs (%lld chunks), %zu questions; MeCab words: %s; indexed in %.2f s\n", nd, (long long)nchunks, nq,
         ground_index_has_words(ix) ? "yes" : "NO (bigrams only)", t1 - t0);
  static const struct { ground_fusion m; const char *name; } modes[] = {
      {GROUND_FUSE_BIGRAM, "bigram BM25"}, {GROUND_FUSE_WORDS, "MeCab-word BM25"},
      {GROUND_FUSE_RRF, "RRF(bigram, words)"}, {GROUND_FUSE_DEFAULT, "default (score fusion)"}};
  int fail = 0;
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    if (check && modes[m].m != GROUND_FUSE_DEFAULT) continue;
    if (only >= 0 && (int)m != only) continue;
    size_t r1 = 0, r5 = 0;
    double q0 = now_s();
    for (size_t i = 0; i < nq; i++) {
      ground_hit *h = NULL;
      size_t n = 0;
      if (ground_retrieve(ix, qs[i].text, 10, modes[m].m, &h, &n, &err)) {
        fprintf(stderr, "query %zu: %s\n", i, err.msg);
        return 1;
      }
      int seen[5], ns = 0;
      for (size_t j = 0; j < n && ns < 5; j++) {
        int d = atoi(h[j].source), dup = 0;
        for (int s = 0; s < ns; s++) dup |= seen[s] == d;
        if (dup) continue;
        seen[ns++] = d;
        if (d == qs[i].doc) {
          if (ns == 1) r1++;
          r5++;
        }
      }
      if (show && n && atoi(h[0].source) != qs[i].doc)
        printf("MISS q=%s\n  gold=%.150s\n  top=%.150s\n", qs[i].text, docs[qs[i].doc], h[0].text);
      ground_hits_free(h, n);
    }
    double q1 = now_s();
    double a1 = (double)r1 / (double)nq, a5 = (double)r5 / (double)nq;
    printf("%-24s recall@1 %.4f  recall@5 %.4f  (%.2f ms/query)\n", modes[m].name, a1, a5, 1e3 * (q1 - q0) / (double)nq);
    if (modes[m].m == GROUND_FUSE_DEFAULT) {
      fail = a1 < GUARD_R1 || a5 < GUARD_R5;
      printf("  vs issue floor %.3f/%.3f: %s; vs goal %.2f/%.2f: %s\n", FLOOR_R1, FLOOR_R5,
             a1 >= FLOOR_R1 && a5 >= FLOOR_R5 ? "reached" : "NOT reached", GOAL_R1, GOAL_R5,
             a1 >= GOAL_R1 && a5 >= GOAL_R5 ? "reached" : "NOT reached");
    }
  }
  if (check) printf("%s: regression guard recall@1 >= %.3f, recall@5 >= %.3f\n", fail ? "FAIL" : "PASS", GUARD_R1, GUARD_R5);
  ground_index_close(ix);
  for (int f = 0; f < 4; f++) json_decref(roots[f]);
  return fail && check && limit == 0 ? 1 : 0;
}
