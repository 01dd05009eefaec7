/* ground_retrieval.c — retrieval quality of src/ground on JaQuAD dev (../shared/data/qa/jaquad).
 *
 * Corpus: every distinct paragraph ("context") of the four dev files, one document each.
 * Queries: every question; the right answer is its own paragraph. Prints recall@1 and recall@5
 * per method (bigram BM25 alone, MeCab-word BM25 alone, RRF, score fusion = the default).
 *   bench_ground_retrieval [--check] [--limit N] [--stride S] [--mode 0..3] [--set NAME=V]... [--fit]
 * Figures are printed for all questions and for each half: even-numbered questions (the tuning
 * half: every parameter of the default ranking was chosen on it) and odd-numbered ones (held out).
 * --check: exit 1 unless the default method reaches the regression guard and the floor
 * (recall@1 0.853, recall@5 0.975, a plain character-bigram BM25); exit 77 (skip) when the data
 * set is absent. --set changes one ranking parameter (k1b k1w bb bw wlb wsb wlw wsw, bd = boundary bigram weight, meta = 0/1 strip references to the document, or weights
 * w0..w5 for bigram features, v0..v5 for word features, u0..u5 for kanji features; k1k bk wlk wsk for the kanji stream); --fit searches the feature weights on the
 * even half (coordinate ascent) and prints them with both halves' figures.
 * Run from the repository root. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "base/alloc.h"
#include "ground/index.h"
#include "ground/retrieve.h"

#define FLOOR_R1 0.853 /* the floor */
#define FLOOR_R5 0.975
#define GOAL_R1 0.90
#define GOAL_R5 0.98
/* Regression guard asserted by --check: just below what the default reaches (all questions
 * 0.8789 / 0.9810; every 4th, as the sanitizer ctest runs, 0.8924 / 0.9848). */
#define GUARD_R1 0.875
#define GUARD_R5 0.979
/* Candidates per question kept for --fit (best by the current weights). */
#define FIT_DEPTH 100
#define MAX_DOCS 4096
#define MAX_QS 8192

typedef struct q {
  char *text;
  int doc;
  size_t num; /* position in the data set: its parity names the half */
} q;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Tallies of recall@1/@5 over all questions and each half (0 even = tuning, 1 odd = held out). */
typedef struct tally {
  size_t n[2], r1[2], r5[2];
} tally;

static void tally_add(tally *t, size_t qi, int rank) {
  int h = (int)(qi & 1);
  t->n[h]++;
  if (rank == 1) t->r1[h]++;
  if (rank >= 1 && rank <= 5) t->r5[h]++;
}

static void tally_print(const char *name, const tally *t, double ms) {
  size_t n = t->n[0] + t->n[1];
  double a1 = n ? (double)(t->r1[0] + t->r1[1]) / (double)n : 0, a5 = n ? (double)(t->r5[0] + t->r5[1]) / (double)n : 0;
  printf("%-24s recall@1 %.4f  recall@5 %.4f", name, a1, a5);
  for (int h = 0; h < 2; h++)
    printf("  | %s %.4f/%.4f", h ? "odd" : "even", t->n[h] ? (double)t->r1[h] / (double)t->n[h] : 0,
           t->n[h] ? (double)t->r5[h] / (double)t->n[h] : 0);
  if (ms > 0) printf("  (%.2f ms/query)", ms);
  printf("\n");
}

/* 1-based rank of doc among the distinct documents of a ranked chunk list, 0 if not in the top 5. */
static int doc_rank(const int *docs, size_t n, int doc) {
  int seen[5], ns = 0;
  for (size_t j = 0; j < n && ns < 5; j++) {
    int d = docs[j], dup = 0;
    for (int s = 0; s < ns; s++) dup |= seen[s] == d;
    if (dup) continue;
    seen[ns++] = d;
    if (d == doc) return ns;
  }
  return 0;
}

/* --set NAME=V on the ranking parameters; 0 when NAME is unknown. */
static int set_param(ground_rank_params *p, const char *arg) {
  const char *eq = strchr(arg, '=');
  if (!eq) return 0;
  double v = atof(eq + 1);
  size_t l = (size_t)(eq - arg);
  static const char *const names[] = {"k1b", "k1w", "bb", "bw", "wlb", "wsb", "wlw", "wsw", "k1k", "bk", "wlk", "wsk"};
  for (int i = 0; i < 12; i++)
    if (strlen(names[i]) == l && !strncmp(arg, names[i], l)) {
      switch (i) {
      case 0: p->k1[0] = v; break;
      case 1: p->k1[1] = v; break;
      case 2: p->b[0] = v; break;
      case 3: p->b[1] = v; break;
      case 4: p->win_long[0] = (int)v; break;
      case 5: p->win_short[0] = (int)v; break;
      case 6: p->win_long[1] = (int)v; break;
      case 7: p->win_short[1] = (int)v; break;
      case 8: p->k1[2] = v; break;
      case 9: p->b[2] = v; break;
      case 10: p->win_long[2] = (int)v; break;
      default: p->win_short[2] = (int)v; break;
      }
      return 1;
    }
  if (l == 4 && !strncmp(arg, "meta", 4)) {
    p->strip_meta = (int)v;
    return 1;
  }
  if (l == 2 && !strncmp(arg, "bd", 2)) {
    p->boundary_bigram = v;
    return 1;
  }
  if (l == 2 && (arg[0] == 'w' || arg[0] == 'v' || arg[0] == 'u') && arg[1] >= '0' && arg[1] < '0' + GROUND_RANK_NFEAT) {
    p->weight[arg[0] == 'w' ? 0 : arg[0] == 'v' ? 1 : 2][arg[1] - '0'] = v;
    return 1;
  }
  return 0;
}

typedef struct fitq {
  ground_rank_row *rows;
  size_t n;
  int doc;
  size_t qi;
} fitq;

/* Objective of --fit on the tuning half: recall@1 + recall@5 counts under weights p. */
static void fit_eval(fitq *fq, size_t nfq, const int *chunk_doc, size_t n_chunk_doc, const ground_rank_params *p, tally *t) {
  memset(t, 0, sizeof *t);
  int docs[FIT_DEPTH];
  for (size_t i = 0; i < nfq; i++) {
    ground_rank_rescore(fq[i].rows, fq[i].n, p);
    size_t m = fq[i].n < FIT_DEPTH ? fq[i].n : FIT_DEPTH;
    for (size_t j = 0; j < m; j++) docs[j] = (size_t)fq[i].rows[j].id < n_chunk_doc ? chunk_doc[fq[i].rows[j].id] : -1;
    tally_add(t, fq[i].qi, doc_rank(docs, m, fq[i].doc));
  }
}

int main(int argc, char **argv) {
  int check = 0, only = -1, show = 0, fit = 0, title = 0;
  ground_rank_params prm = *ground_rank_defaults();
  int custom = 0;
  long limit = 0, stride = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) check = 1;
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atol(argv[++i]);
    else if (!strcmp(argv[i], "--mode") && i + 1 < argc) only = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--stride") && i + 1 < argc) stride = atol(argv[++i]);
    else if (!strcmp(argv[i], "--show")) show = 1;
    else if (!strcmp(argv[i], "--fit")) fit = 1;
    else if (!strcmp(argv[i], "--title")) title = 1;
    else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
      if (!set_param(&prm, argv[++i])) {
        fprintf(stderr, "unknown parameter %s\n", argv[i]);
        return 2;
      }
      custom = 1;
    }
  }
  static const char *files[] = {"../shared/data/qa/jaquad/jaquad_dev_0000.json", "../shared/data/qa/jaquad/jaquad_dev_0001.json",
                                "../shared/data/qa/jaquad/jaquad_dev_0002.json", "../shared/data/qa/jaquad/jaquad_dev_0003.json"};
  static const char *docs[MAX_DOCS];
  static char *titled[MAX_DOCS]; /* --title: "# TITLE\n" + context */
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
          const char *tt = json_string_value(json_object_get(art, "title"));
          if (title && tt) {
            size_t tl = strlen(tt), cl = strlen(ctx);
            titled[nd] = sk_malloc(tl + cl + 4);
            if (!titled[nd]) return 1;
            memcpy(titled[nd], "# ", 2);
            memcpy(titled[nd] + 2, tt, tl);
            titled[nd][2 + tl] = '\n';
            memcpy(titled[nd] + 3 + tl, ctx, cl + 1);
          }
          docs[nd++] = ctx;
        }
        size_t qi;
        json_t *qa;
        json_array_foreach(json_object_get(para, "qas"), qi, qa) {
          const char *qt = json_string_value(json_object_get(qa, "question"));
          if (qt && nq < MAX_QS) qs[nq] = (q){(char *)qt, (int)d, nq}, nq++;
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
    const char *dt = titled[d] ? titled[d] : docs[d];
    if (ground_index_put_text(ix, path, ground_hash(dt, strlen(dt)), dt, strlen(dt),
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
  /* chunk id -> document (the bench ingests each paragraph as the file named by its number) */
  static int chunk_doc[2 * MAX_DOCS + 64];
  size_t n_chunk_doc = sizeof chunk_doc / sizeof chunk_doc[0];
  for (size_t c = 0; c < n_chunk_doc; c++) chunk_doc[c] = -1;
  sqlite3_stmt *cst = NULL;
  if (sqlite3_prepare_v2(ground_index_db(ix), "SELECT c.id, f.path FROM chunks c JOIN files f ON f.id=c.file_id", -1, &cst, NULL) == SQLITE_OK)
    while (sqlite3_step(cst) == SQLITE_ROW) {
      sqlite3_int64 id = sqlite3_column_int64(cst, 0);
      if (id >= 0 && (size_t)id < n_chunk_doc) chunk_doc[id] = atoi((const char *)sqlite3_column_text(cst, 1));
    }
  sqlite3_finalize(cst);
  if (fit) {
    static fitq fq[MAX_QS];
    size_t nfq = 0;
    for (size_t i = 0; i < nq; i++) {
      ground_rank_row *rows = NULL;
      size_t n = 0;
      if (ground_rank_candidates(ix, qs[i].text, &prm, &rows, &n, &err)) {
        fprintf(stderr, "query %zu: %s\n", i, err.msg);
        return 1;
      }
      if (n > FIT_DEPTH) n = FIT_DEPTH; /* best by the starting weights */
      fq[nfq++] = (fitq){rows, n, qs[i].doc, qs[i].num};
    }
    static const double grid[] = {0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0};
    tally t;
    fit_eval(fq, nfq, chunk_doc, n_chunk_doc, &prm, &t);
    tally_print("fit start", &t, 0);
    for (int round = 0; round < 3; round++) {
      for (int w = 1; w < GROUND_STREAMS * GROUND_RANK_NFEAT; w++) { /* bigram BM25 (w0) fixes the scale */
        double *x = &prm.weight[w / GROUND_RANK_NFEAT][w % GROUND_RANK_NFEAT];
        double best_x = *x;
        long best = -1;
        for (size_t g = 0; g < sizeof grid / sizeof grid[0]; g++) {
          *x = grid[g];
          fit_eval(fq, nfq, chunk_doc, n_chunk_doc, &prm, &t);
          long obj = (long)(2 * t.r1[0] + t.r5[0]); /* tuning half only */
          if (obj > best) best = obj, best_x = grid[g];
        }
        *x = best_x;
      }
      fit_eval(fq, nfq, chunk_doc, n_chunk_doc, &prm, &t);
      printf("round %d weights", round);
      for (int st = 0; st < GROUND_STREAMS; st++) {
        printf(" %s {", st == 2 ? "kanji" : st ? "words" : "bigram");
        for (int f = 0; f < GROUND_RANK_NFEAT; f++) printf("%s%.2f", f ? ", " : "", prm.weight[st][f]);
        printf("}");
      }
      printf("\n");
      tally_print("  fitted", &t, 0);
    }
    for (size_t i = 0; i < nfq; i++) sk_free(fq[i].rows);
    ground_index_close(ix);
    for (int f = 0; f < 4; f++) json_decref(roots[f]);
    return 0;
  }
  static const struct { ground_fusion m; const char *name; } modes[] = {
      {GROUND_FUSE_BIGRAM, "bigram BM25"}, {GROUND_FUSE_WORDS, "MeCab-word BM25"},
      {GROUND_FUSE_RRF, "RRF(bigram, words)"}, {GROUND_FUSE_SCORE, "score fusion (before)"},
      {GROUND_FUSE_DEFAULT, "default (features)"}};
  int fail = 0;
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    if (check && modes[m].m != GROUND_FUSE_DEFAULT) continue;
    if (only >= 0 && (int)m != only) continue;
    tally t = {0};
    double q0 = now_s();
    for (size_t i = 0; i < nq; i++) {
      int ranked[10];
      size_t n = 0;
      const char *top = NULL;
      ground_hit *h = NULL;
      ground_rank_row *rows = NULL;
      int rc = custom && modes[m].m == GROUND_FUSE_DEFAULT ? ground_rank_candidates(ix, qs[i].text, &prm, &rows, &n, &err)
                                                            : ground_retrieve(ix, qs[i].text, 10, modes[m].m, &h, &n, &err);
      if (rc) {
        fprintf(stderr, "query %zu: %s\n", i, err.msg);
        return 1;
      }
      if (n > 10) n = 10;
      for (size_t j = 0; j < n; j++)
        ranked[j] = rows ? ((size_t)rows[j].id < n_chunk_doc ? chunk_doc[rows[j].id] : -1) : atoi(h[j].source);
      if (h && n) top = h[0].text;
      int rank = doc_rank(ranked, n, qs[i].doc);
      tally_add(&t, qs[i].num, rank);
      if (show && n && rank != 1)
        printf("MISS #%zu r=%d q=%s\n  gold=%.150s\n  top=%.150s\n", qs[i].num, rank, qs[i].text, docs[qs[i].doc], top ? top : "");
      ground_hits_free(h, h ? n : 0);
      sk_free(rows);
    }
    double q1 = now_s();
    tally_print(modes[m].name, &t, 1e3 * (q1 - q0) / (double)nq);
    if (modes[m].m == GROUND_FUSE_DEFAULT) {
      size_t all = t.n[0] + t.n[1];
      double a1 = (double)(t.r1[0] + t.r1[1]) / (double)all, a5 = (double)(t.r5[0] + t.r5[1]) / (double)all;
      fail = a1 < GUARD_R1 || a5 < GUARD_R5 || a1 < FLOOR_R1 || a5 < FLOOR_R5;
      printf("  queries/s %.0f; vs issue floor %.3f/%.3f: %s; vs goal %.2f/%.2f: %s\n", (double)nq / (q1 - q0), FLOOR_R1, FLOOR_R5,
             a1 >= FLOOR_R1 && a5 >= FLOOR_R5 ? "reached" : "NOT reached", GOAL_R1, GOAL_R5,
             a1 >= GOAL_R1 && a5 >= GOAL_R5 ? "reached" : "NOT reached");
    }
  }
  if (check)
    printf("%s: regression guard recall@1 >= %.3f, recall@5 >= %.3f and issue floor %.3f/%.3f\n", fail ? "FAIL" : "PASS",
           GUARD_R1, GUARD_R5, FLOOR_R1, FLOOR_R5);
  ground_index_close(ix);
  for (int f = 0; f < 4; f++) json_decref(roots[f]);
  for (size_t d = 0; d < nd; d++) sk_free(titled[d]);
  return fail && check && limit == 0 ? 1 : 0;
}
