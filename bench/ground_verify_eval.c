/* ground_verify_eval.c — evaluation of the explainer (ground_verify) on summaries built from
 * ../shared/data/laws/ with planted errors.
 *
 * From the sentences of the Banking Act (銀行法) and the APPI (個人情報の保護に関する法律) it
 * builds, deterministically (fixed seed):
 *   - planted errors of five kinds: number (a kanji quantity such as 三十日 written as another
 *     value, in Arabic digits), era year (平成N年 -> N+1), percentage (百分のN -> another N),
 *     negation (できる <-> できない, しなければならない -> しなくてもよい, してはならない -> してもよい),
 *     name (内閣総理大臣 / 財務大臣 / 金融庁長官 / 主務大臣 / 個人情報保護委員会 swapped);
 *   - true sentences: verbatim, with parentheticals （…） dropped (a summariser's edit), and
 *     with kanji quantities rewritten in Arabic digits (same value).
 * All are shuffled into one "summary" and verified against both laws. A sentence is flagged when
 * its verdict is not `supported`. Prints recall (planted errors flagged) and precision (flagged
 * sentences that are planted errors), overall and per kind.
 *   bench_ground_verify_eval [--check] [--show]
 * --check exits 1 below the goal (recall 0.95 at precision 0.90); 77 when the laws are absent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "ground/chunk.h"
#include "ground/facts.h"
#include "ground/verify.h"

#define PER_KIND 60
#define TRUE_PER_VARIANT 80
#define ITEMS_MAX 2048
#define SENT_MIN_BYTES 60
#define SENT_MAX_BYTES 450

enum { K_NUMBER, K_ERA, K_PERCENT, K_NEGATION, K_NAME, K_TRUE, K_KINDS };
static const char *const k_kind[] = {"number", "era year", "percentage", "negation", "name", "true"};

typedef struct item {
  char *text;
  int kind;
} item;

static uint64_t g_rng = 0x5EC15E0ull;
static uint32_t rnd(void) {
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(g_rng >> 33);
}

static int is_knum(const char *p) {
  static const char *const d[] = {"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "百", "千"};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) if (!memcmp(p, d[i], 3)) return 1;
  return 0;
}

/* Replaces s[a..b) by rep; returns a new string. */
static char *splice(const char *s, size_t a, size_t b, const char *rep) {
  size_t n = strlen(s), rl = strlen(rep);
  char *o = sk_malloc(n - (b - a) + rl + 1);
  memcpy(o, s, a);
  memcpy(o + a, rep, rl);
  memcpy(o + a + rl, s + b, n - b + 1);
  return o;
}

/* Finds a kanji quantity followed by a unit (日円人月年) not preceded by an era or 第, not in
 * 百分の; *a,*b = numeral span, *v value. */
static int find_quantity(const char *s, size_t *a, size_t *b, double *v) {
  size_t n = strlen(s);
  for (size_t i = 0; i + 3 <= n; i++) {
    if (!is_knum(s + i) || (i >= 3 && is_knum(s + i - 3))) continue;
    size_t j = i;
    while (j + 3 <= n && is_knum(s + j)) j += 3;
    if (j + 3 > n) continue;
    int unit = !memcmp(s + j, "日", 3) || !memcmp(s + j, "円", 3) || !memcmp(s + j, "人", 3) || !memcmp(s + j, "月", 3);
    int pre_bad = (i >= 3 && !memcmp(s + i - 3, "第", 3)) || (i >= 6 && (!memcmp(s + i - 6, "平成", 6) || !memcmp(s + i - 6, "昭和", 6))) ||
                  (i >= 9 && !memcmp(s + i - 9, "百分の", 9));
    if (unit && !pre_bad && ground_kanji_number(s + i, j - i, v)) { *a = i, *b = j; return 1; }
  }
  return 0;
}

static char *mutate(const char *s, int kind) {
  char rep[64];
  size_t a, b;
  double v;
  const char *p;
  switch (kind) {
  case K_NUMBER:
    if (!find_quantity(s, &a, &b, &v)) return NULL;
    snprintf(rep, sizeof rep, "%.0f", v + (v >= 10 ? 10 : 1));
    return splice(s, a, b, rep);
  case K_ERA:
    if (!(p = strstr(s, "平成")) && !(p = strstr(s, "昭和"))) return NULL;
    a = (size_t)(p - s) + 6, b = a;
    while (is_knum(s + b)) b += 3;
    if (b == a || memcmp(s + b, "年", 3) || !ground_kanji_number(s + a, b - a, &v)) return NULL;
    snprintf(rep, sizeof rep, "%.0f", v + 1);
    return splice(s, a, b, rep);
  case K_PERCENT:
    if (!(p = strstr(s, "百分の"))) return NULL;
    a = (size_t)(p - s) + 9, b = a;
    while (is_knum(s + b)) b += 3;
    if (b == a || !ground_kanji_number(s + a, b - a, &v)) return NULL;
    snprintf(rep, sizeof rep, "%.0f", v > 5 ? v - 5 : v + 5);
    return splice(s, a, b, rep);
  case K_NEGATION: {
    static const char *const pairs[][2] = {{"することができる", "することができない"}, {"ことができない", "ことができる"},
                                           {"しなければならない", "しなくてもよい"}, {"してはならない", "してもよい"}};
    for (size_t k = 0; k < 4; k++)
      if ((p = strstr(s, pairs[k][0]))) return splice(s, (size_t)(p - s), (size_t)(p - s) + strlen(pairs[k][0]), pairs[k][1]);
    return NULL;
  }
  case K_NAME: {
    static const char *const names[] = {"内閣総理大臣", "財務大臣", "金融庁長官", "主務大臣", "個人情報保護委員会"};
    for (size_t k = 0; k < 5; k++)
      if ((p = strstr(s, names[k]))) {
        size_t o = (k + 1 + rnd() % 4) % 5;
        return splice(s, (size_t)(p - s), (size_t)(p - s) + strlen(names[k]), names[o]);
      }
    return NULL;
  }
  }
  return NULL;
}

/* True variants: 0 verbatim, 1 parentheticals dropped, 2 kanji quantities in Arabic digits. */
static char *true_variant(const char *s, int variant) {
  if (variant == 0) return sk_strdup(s);
  if (variant == 1) {
    const char *o = strstr(s, "（");
    const char *c = o ? strstr(o, "）") : NULL;
    if (!o || !c || o == s) return NULL;
    return splice(s, (size_t)(o - s), (size_t)(c - s) + 3, "");
  }
  size_t a, b;
  double v;
  if (!find_quantity(s, &a, &b, &v)) return NULL;
  char rep[32];
  snprintf(rep, sizeof rep, "%.0f", v);
  return splice(s, a, b, rep);
}

int main(int argc, char **argv) {
  int check = 0, show = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) check = 1;
    if (!strcmp(argv[i], "--show")) show = 1;
  }
  static const char *paths[] = {"../shared/data/laws/銀行法.txt", "../shared/data/laws/個人情報の保護に関する法律.txt"};
  ground_doc docs[2];
  char *bufs[2] = {0};
  sk_err err = {0};
  for (int d = 0; d < 2; d++) {
    size_t l = 0;
    if (sk_read_file(paths[d], 16u << 20, &bufs[d], &l, &err)) {
      printf("SKIP: %s: %s (the laws live in ../shared/data/laws)\n", paths[d], err.msg);
      return 77;
    }
    docs[d] = (ground_doc){paths[d], bufs[d], l};
  }
  static item items[ITEMS_MAX];
  size_t ni = 0, per[K_KINDS] = {0};
  size_t true_var[3] = {0};
  for (int d = 0; d < 2; d++) {
    ground_span *sp = NULL;
    size_t ns = 0;
    if (ground_split_sentences(docs[d].text, docs[d].len, &sp, &ns, &err)) return 1;
    /* walk sentences in a shuffled order so each kind draws from the whole law */
    size_t *ord = sk_malloc(ns * sizeof *ord);
    for (size_t i = 0; i < ns; i++) ord[i] = i;
    for (size_t i = ns; i > 1; i--) { size_t j = rnd() % i, t = ord[i - 1]; ord[i - 1] = ord[j]; ord[j] = t; }
    for (size_t oi = 0; oi < ns && ni < ITEMS_MAX; oi++) {
      size_t i = ord[oi];
      size_t l = sp[i].end - sp[i].start;
      if (l < SENT_MIN_BYTES || l > SENT_MAX_BYTES) continue;
      const char *st = docs[d].text + sp[i].start;
      if (memcmp(st + l - 3, "。", 3)) continue;
      char *s = sk_strndup(st, l);
      int kind = (int)(rnd() % (K_KINDS + 2)); /* true sentences drawn three times as often */
      if (kind > K_TRUE) kind = K_TRUE;
      char *m = NULL;
      if (kind == K_TRUE) {
        int var = (int)(rnd() % 3);
        if (true_var[var] < TRUE_PER_VARIANT && (m = true_variant(s, var))) true_var[var]++;
      } else if (per[kind] < PER_KIND / 2 * (size_t)(d + 1)) {
        m = mutate(s, kind);
      }
      if (!m) { /* this sentence cannot carry that kind: try the other kinds in turn */
        for (int k = 0; k < K_TRUE && !m; k++)
          if (per[k] < PER_KIND / 2 * (size_t)(d + 1) && (m = mutate(s, k))) kind = k;
      }
      sk_free(s);
      if (!m) continue;
      items[ni++] = (item){m, kind};
      per[kind]++;
    }
    sk_free(ord);
    sk_free(sp);
  }
  for (size_t i = ni; i > 1; i--) { size_t j = rnd() % i; item t = items[i - 1]; items[i - 1] = items[j]; items[j] = t; }
  sk_buf text;
  sk_buf_init(&text, 8u << 20);
  size_t *off = sk_malloc(ni * sizeof *off);
  for (size_t i = 0; i < ni; i++) {
    off[i] = text.len;
    sk_buf_append_str(&text, items[i].text);
    sk_buf_append_byte(&text, '\n');
  }
  ground_claim *cl = NULL;
  size_t ncl = 0;
  if (ground_verify(docs, 2, text.data, text.len, &cl, &ncl, &err)) {
    fprintf(stderr, "verify: %s\n", err.msg);
    return 1;
  }
  /* map claims back to items by start offset (each item is one sentence ending in 。) */
  size_t tp = 0, fp = 0, fn = 0, tn = 0, flagged_k[K_KINDS] = {0}, total_k[K_KINDS] = {0}, contra = 0;
  size_t ci = 0;
  for (size_t i = 0; i < ni; i++) {
    int flagged = 0;
    while (ci < ncl && cl[ci].start < off[i] + strlen(items[i].text)) {
      if (cl[ci].start >= off[i] && cl[ci].verdict != GROUND_SUPPORTED) {
        flagged = 1;
        contra += cl[ci].verdict == GROUND_CONTRADICTED && items[i].kind != K_TRUE;
        if (show && (items[i].kind == K_TRUE) ) printf("FALSE FLAG: %s\n  why: %s\n", items[i].text, cl[ci].reason);
      }
      if (show && cl[ci].start >= off[i] && items[i].kind != K_TRUE && cl[ci].verdict == GROUND_SUPPORTED)
        printf("MISSED %s: %s\n", k_kind[items[i].kind], items[i].text);
      ci++;
    }
    total_k[items[i].kind]++;
    flagged_k[items[i].kind] += (size_t)flagged;
    if (items[i].kind == K_TRUE) flagged ? fp++ : tn++;
    else flagged ? tp++ : fn++;
  }
  double recall = tp + fn ? (double)tp / (double)(tp + fn) : 0, precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
  printf("explainer on laws/ (銀行法 + 個人情報保護法): %zu sentences, %zu planted errors, %zu true\n", ni, tp + fn, tp + fn + fp + tn - (tp + fn));
  for (int k = 0; k < K_KINDS; k++)
    printf("  %-11s %3zu sentences, %3zu flagged (%.1f%%)\n", k_kind[k], total_k[k], flagged_k[k],
           total_k[k] ? 100.0 * (double)flagged_k[k] / (double)total_k[k] : 0.0);
  printf("recall %.4f  precision %.4f  (planted errors called contradicted: %zu of %zu)\n", recall, precision, contra, tp);
  int fail = recall < 0.95 || precision < 0.90;
  if (check) printf("%s: goal is recall >= 0.95 at precision >= 0.90\n", fail ? "FAIL" : "PASS");
  sk_free(cl);
  sk_free(off);
  sk_buf_release(&text);
  for (size_t i = 0; i < ni; i++) sk_free(items[i].text);
  for (int d = 0; d < 2; d++) sk_free(bufs[d]);
  return check && fail ? 1 : 0;
}
