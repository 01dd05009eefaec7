/* retrieve.c — BM25 over two FTS5 token streams, fused (see retrieve.h). */
#include "ground/retrieve.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "ground/text.h"

/* RRF constant from Cormack et al. (2009); the usual value, not tuned here. */
#define GROUND_RRF_K 60.0
/* Bytes for the MATCH expression: tokens quoted and joined by OR. */
#define GROUND_MATCH_MAX_BYTES (GROUND_QUERY_TOKENS_MAX * 80)

typedef struct cand {
  int64_t id;
  double s;
} cand;

/* Builds `"t1" OR "t2" ...` from space-separated tokens, deduplicated, at most
 * GROUND_QUERY_TOKENS_MAX. Tokens hold only letters/digits, so quoting is safe. */
static int build_match_idf(sqlite3_stmt *df_st, int64_t n_docs, const sk_buf *tok, sk_buf *match, const double *qw, size_t nqw,
                           double *idf, size_t *n_idf, int *phrase_of) {
  size_t count = 0, ordinal = 0;
  const char *p = tok->data, *end = tok->data + tok->len;
  while (p && p < end && count < GROUND_QUERY_TOKENS_MAX) {
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    size_t l = sp ? (size_t)(sp - p) : (size_t)(end - p);
    if (l) {
      /* dedupe: look for the same quoted token already in match */
      int dup = 0, at = 0;
      for (const char *q = match->data; q && q < match->data + match->len; at++) {
        const char *qe = memchr(q + 1, '"', (size_t)(match->data + match->len - q - 1));
        if (!qe) break;
        if ((size_t)(qe - q - 1) == l && !memcmp(q + 1, p, l)) { dup = 1; break; }
        q = memchr(qe + 1, '"', (size_t)(match->data + match->len - qe - 1));
      }
      if (phrase_of && ordinal < GROUND_QUERY_TOKENS_MAX) phrase_of[ordinal] = dup ? at : -1;
      double df = 0;
      if (!dup && df_st) {
        /* FTS5's BM25 gives a term in more than half of the chunks an IDF of ~0: it cannot
         * change the ranking, only make every chunk a candidate. Leave it out. */
        sqlite3_reset(df_st);
        sqlite3_bind_text(df_st, 1, p, (int)l, SQLITE_STATIC);
        if (sqlite3_step(df_st) == SQLITE_ROW) df = (double)sqlite3_column_int64(df_st, 0);
        if (2 * df > (double)n_docs) dup = 1;
        if (idf && df == 0) dup = 1; /* matches nothing: no phrase to weigh */
      }
      if (!dup) {
        int rc = 0;
        if (count) rc = sk_buf_append_str(match, " OR ");
        if (!rc) rc = sk_buf_append_byte(match, '"');
        if (!rc) rc = sk_buf_append(match, p, l);
        if (!rc) rc = sk_buf_append_byte(match, '"');
        if (rc) return rc;
        /* Lucene's BM25 IDF (always > 0) */
        if (phrase_of && ordinal < GROUND_QUERY_TOKENS_MAX) phrase_of[ordinal] = (int)count;
        if (idf) idf[count] = log(1.0 + ((double)n_docs - df + 0.5) / (df + 0.5)) * (qw && ordinal < nqw ? qw[ordinal] : 1.0);
        count++;
      }
    }
    if (l) ordinal++;
    p = sp ? sp + 1 : end;
  }
  if (n_idf) *n_idf = count;
  return SK_OK;
}

static int build_match(sqlite3_stmt *df_st, int64_t n_docs, const sk_buf *tok, sk_buf *match) {
  return build_match_idf(df_st, n_docs, tok, match, NULL, 0, NULL, NULL, NULL);
}

/* Ranks one FTS table; c gets up to GROUND_CANDIDATES (id, positive BM25 score), best first. */
static int rank_stream(sqlite3 *db, const char *table, const sk_buf *tok, cand *c, size_t *nc, sk_err *err) {
  *nc = 0;
  if (tok->len == 0) return SK_OK;
  sk_buf match;
  sk_buf_init(&match, GROUND_MATCH_MAX_BYTES);
  char sql[160];
  sqlite3_stmt *df_st = NULL;
  int64_t n_docs = 0;
  snprintf(sql, sizeof sql, "SELECT doc FROM temp.%s_v WHERE term=?", table);
  if (sqlite3_prepare_v2(db, sql, -1, &df_st, NULL) != SQLITE_OK) df_st = NULL;
  snprintf(sql, sizeof sql, "SELECT count(*) FROM chunks");
  sqlite3_stmt *cnt = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &cnt, NULL) == SQLITE_OK && sqlite3_step(cnt) == SQLITE_ROW)
    n_docs = sqlite3_column_int64(cnt, 0);
  sqlite3_finalize(cnt);
  int rc = build_match(df_st, n_docs, tok, &match);
  sqlite3_finalize(df_st);
  if (rc) { sk_buf_release(&match); return sk_err_set(err, rc, "query too long"); }
  if (match.len == 0) { sk_buf_release(&match); return SK_OK; }
  snprintf(sql, sizeof sql, "SELECT rowid, -bm25(%s) FROM %s WHERE %s MATCH ? ORDER BY bm25(%s) LIMIT %d",
           table, table, table, table, GROUND_CANDIDATES);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    sk_buf_release(&match);
    return sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  }
  sqlite3_bind_text(st, 1, match.data, (int)match.len, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *nc < GROUND_CANDIDATES) {
    c[*nc].id = sqlite3_column_int64(st, 0);
    c[*nc].s = sqlite3_column_double(st, 1);
    (*nc)++;
  }
  int ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
  if (!ok) sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sk_buf_release(&match);
  return ok ? SK_OK : SK_EIO;
}

static int cmp_cand(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? 1 : -1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Adds weight(rank, score) of list l into the accumulator acc (linear search: lists are short). */
static void accumulate(cand *acc, size_t *na, const cand *l, size_t nl, ground_fusion mode) {
  double best = nl ? l[0].s : 1.0;
  if (best <= 0) best = 1.0;
  for (size_t r = 0; r < nl; r++) {
    double w = mode == GROUND_FUSE_RRF ? 1.0 / (GROUND_RRF_K + (double)r + 1.0) : l[r].s / best;
    size_t j = 0;
    while (j < *na && acc[j].id != l[r].id) j++;
    if (j == *na) acc[(*na)++] = (cand){l[r].id, 0};
    acc[j].s += w;
  }
}

/* Coverage re-ranking: the best fused candidates also get the IDF-weighted share of the query's
 * distinct bigrams that occur in them (0..1), a coordination signal BM25's saturation hides (a
 * passage answering a question tends to share many different terms with it, not one term many
 * times). Depth: candidates examined; each costs one normalisation of its text. */
#define GROUND_COVER_DEPTH 50

/* IDF-weighted count of the query bigrams tok[0..nt) present in the space-delimited token list
 * cb (which starts with a space). */
static double share(const sk_buf *cb, const char *const *tok, const size_t *tl, const double *idf, size_t nt) {
  double got = 0;
  char key[64];
  for (size_t j = 0; j < nt; j++) {
    if (tl[j] + 2 >= sizeof key) continue;
    key[0] = ' ';
    memcpy(key + 1, tok[j], tl[j]);
    key[tl[j] + 1] = ' ';
    if (memmem(cb->data, cb->len, key, tl[j] + 2)) got += idf[j];
  }
  return got;
}

/* 1 when normalised text has a sentence end at byte i: 。 (NFKC keeps it), ! ? (NFKC of ！？),
 * or a line break. */
static int sentence_end(const char *s, size_t n, size_t i) {
  if (s[i] == '!' || s[i] == '?' || s[i] == '\n') return 1;
  return i + 2 < n && (unsigned char)s[i] == 0xE3 && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x82;
}

/* idf of each distinct query bigram (BM25's IDF, from the vocabulary table), in q order. */
static int cover_rerank(sqlite3 *db, const sk_buf *bi, cand *acc, size_t na, sk_err *err) {
  if (!bi->len || !na) return SK_OK;
  sqlite3_stmt *df_st = NULL, *cnt = NULL, *tx = NULL;
  int64_t n_docs = 0;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM chunks", -1, &cnt, NULL) == SQLITE_OK && sqlite3_step(cnt) == SQLITE_ROW)
    n_docs = sqlite3_column_int64(cnt, 0);
  sqlite3_finalize(cnt);
  if (sqlite3_prepare_v2(db, "SELECT doc FROM temp.fts_bi_v WHERE term=?", -1, &df_st, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT text FROM chunks WHERE id=?", -1, &tx, NULL) != SQLITE_OK) {
    sqlite3_finalize(df_st);
    sqlite3_finalize(tx);
    return sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  }
  /* distinct query bigrams and their idf */
  const char *tok[GROUND_QUERY_TOKENS_MAX];
  size_t tl[GROUND_QUERY_TOKENS_MAX];
  double idf[GROUND_QUERY_TOKENS_MAX], total = 0;
  size_t nt = 0;
  for (const char *p = bi->data, *end = bi->data + bi->len; p < end && nt < GROUND_QUERY_TOKENS_MAX;) {
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    size_t l = sp ? (size_t)(sp - p) : (size_t)(end - p);
    int dup = !l;
    for (size_t j = 0; j < nt && !dup; j++) dup = tl[j] == l && !memcmp(tok[j], p, l);
    if (!dup) {
      sqlite3_reset(df_st);
      sqlite3_bind_text(df_st, 1, p, (int)l, SQLITE_STATIC);
      double df = sqlite3_step(df_st) == SQLITE_ROW ? (double)sqlite3_column_int64(df_st, 0) : 0;
      double w = log(1.0 + ((double)n_docs - df + 0.5) / (df + 0.5));
      if (df > 0 && w > 0) tok[nt] = p, tl[nt] = l, idf[nt] = w, total += w, nt++;
    }
    p = sp ? sp + 1 : end;
  }
  sqlite3_finalize(df_st);
  int rc = SK_OK;
  size_t depth = na < GROUND_COVER_DEPTH ? na : GROUND_COVER_DEPTH;
  sk_buf cb;
  sk_buf_init(&cb, GROUND_TEXT_MAX_BYTES * 4u);
  for (size_t i = 0; i < depth && total > 0 && !rc; i++) {
    sqlite3_reset(tx);
    sqlite3_bind_int64(tx, 1, acc[i].id);
    if (sqlite3_step(tx) != SQLITE_ROW) continue;
    const char *t = (const char *)sqlite3_column_text(tx, 0);
    size_t n = (size_t)sqlite3_column_bytes(tx, 0);
    char *norm = NULL;
    size_t nl = 0;
    if (!t || ground_normalize(t, n, &norm, &nl, err)) continue; /* stored text was valid: skip oddities */
    sk_buf_reset(&cb);
    rc = sk_buf_append_byte(&cb, ' ');
    if (!rc) rc = ground_bigrams(norm, nl, &cb);
    if (rc) { sk_free(norm); rc = sk_err_set(err, rc, "chunk tokens"); break; }
    acc[i].s += share(&cb, tok, tl, idf, nt) / total;
    /* the same share in the chunk's best sentence: the answer sentence tends to hold most of
     * the question's content together, a sibling paragraph only scatters it */
    double best = 0;
    for (size_t a = 0; a < nl && !rc;) {
      size_t e = a;
      while (e < nl && !sentence_end(norm, nl, e)) e++;
      size_t stop = e < nl ? e + ((unsigned char)norm[e] == 0xE3 ? 3 : 1) : nl;
      sk_buf_reset(&cb);
      rc = sk_buf_append_byte(&cb, ' ');
      if (!rc) rc = ground_bigrams(norm + a, e - a, &cb);
      if (!rc) {
        double v = share(&cb, tok, tl, idf, nt);
        if (v > best) best = v;
      }
      a = stop;
    }
    sk_free(norm);
    if (rc) { rc = sk_err_set(err, rc, "chunk tokens"); break; }
    acc[i].s += best / total;
  }
  sk_buf_release(&cb);
  sqlite3_finalize(tx);
  return rc;
}

/* ---- the default ranking: sk_rank features per stream, combined linearly ---- */

/* Fitted on the even-numbered questions of JaQuAD dev only (bench_ground_retrieval --fit); the
 * odd-numbered half is held out. See docs/ground.md for the figures. */
static const ground_rank_params k_defaults = {
    .k1 = {1.2, 1.2, 1.2},
    .b = {0.75, 0.75, 0.75},
    .win_long = {40, 15, 20},
    .win_short = {8, 4, 4},
    .weight = {{1.0, 1.4, 1.0, 0.5, 1.4, 0.0}, {0.3, 2.0, 0.2, 0.2, 0.0, 0.2}, {0.7, 0.0, 0.0, 0.0, 0.0, 0.0}},
    .boundary_bigram = 0.25,
    .strip_meta = 1,
};

const ground_rank_params *ground_rank_defaults(void) { return &k_defaults; }

/* Longest candidate list kept per stream: every chunk that shares a term with the query, up to
 * this many (a bound on memory for huge collections; FTS5 orders by BM25 first). */
#define GROUND_RANK_ROWS_MAX 20000

typedef struct frow {
  int64_t id;
  double f[GROUND_RANK_NFEAT];
} frow;

static int cmp_frow_id(const void *a, const void *b) {
  const frow *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* Features of every chunk matching a term of tok in one FTS table (s: 0 bigrams, 1 words). */
/* Answer types. A question that asks for a count or a date (何年 何人 何歳 何代 … ; いつ; いくら)
 * is answered by a number followed by that counter: the phrases "<numeral><counter>" (bigrams,
 * as the index stores them: 1871年 holds 1年) mark where such an answer can sit. The counter is
 * the character right after 何 when it is a kanji or katakana (a counter or classifier noun,
 * whatever it is: a data set cannot tune that rule); いつ asks for 年 or 日; いくら for 円. */
#define GROUND_ANSWER_COUNTERS_MAX 3
static const char *const k_numerals[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                                         "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
#define GROUND_NUMERALS (sizeof k_numerals / sizeof k_numerals[0])
#define GROUND_ANSWER_PHRASES_MAX (GROUND_ANSWER_COUNTERS_MAX * GROUND_NUMERALS)

static void add_counter(char ctr[][8], size_t *nc, const char *c, size_t l) {
  if (*nc >= GROUND_ANSWER_COUNTERS_MAX || l >= 8) return;
  for (size_t i = 0; i < *nc; i++)
    if (strlen(ctr[i]) == l && !memcmp(ctr[i], c, l)) return;
  memcpy(ctr[*nc], c, l);
  ctr[(*nc)++][l] = 0;
}

/* Appends the answer-type phrases of normalised query text to out (space-separated). */
static int answer_phrases(const char *norm, size_t nl, sk_buf *out) {
  char ctr[GROUND_ANSWER_COUNTERS_MAX][8];
  size_t nc = 0;
  for (size_t i = 0; i < nl;) {
    uint32_t cp = 0;
    size_t l = sk_utf8_decode(norm + i, nl - i, &cp);
    if (l == 0) { i++; continue; }
    if (nl - i >= 6 && !memcmp(norm + i, "いつ", 6)) {
      add_counter(ctr, &nc, "年", 3);
      add_counter(ctr, &nc, "日", 3);
    } else if (nl - i >= 9 && !memcmp(norm + i, "いくら", 9)) {
      add_counter(ctr, &nc, "円", 3);
    } else if (cp == 0x4F55 /* 何 */ && i + l < nl) {
      uint32_t next = 0;
      size_t nl2 = sk_utf8_decode(norm + i + l, nl - i - l, &next);
      if (nl2 && ((next >= 0x4E00 && next <= 0x9FFF) || (next >= 0x30A1 && next <= 0x30FA)))
        add_counter(ctr, &nc, norm + i + l, nl2);
    }
    i += l;
  }
  for (size_t c = 0; c < nc; c++)
    for (size_t d = 0; d < GROUND_NUMERALS; d++) {
      int rc = sk_buf_append_str(out, k_numerals[d]);
      if (!rc) rc = sk_buf_append_str(out, ctr[c]);
      if (!rc) rc = sk_buf_append_byte(out, ' ');
      if (rc) return rc;
    }
  return SK_OK;
}

static int feature_stream(sqlite3 *db, const char *table, const sk_buf *tok, const double *qw, size_t nqw,
                          const sk_buf *answer, const ground_rank_params *p, int s, frow **rows, size_t *n, sk_err *err) {
  *rows = NULL;
  *n = 0;
  if (tok->len == 0) return SK_OK;
  char sql[256];
  sqlite3_stmt *df_st = NULL, *cnt = NULL, *st = NULL;
  int64_t n_docs = 0;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM chunks", -1, &cnt, NULL) == SQLITE_OK && sqlite3_step(cnt) == SQLITE_ROW)
    n_docs = sqlite3_column_int64(cnt, 0);
  sqlite3_finalize(cnt);
  snprintf(sql, sizeof sql, "SELECT doc FROM temp.%s_v WHERE term=?", table);
  if (sqlite3_prepare_v2(db, sql, -1, &df_st, NULL) != SQLITE_OK)
    return sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  sk_buf match;
  sk_buf_init(&match, GROUND_MATCH_MAX_BYTES);
  double idf[GROUND_QUERY_TOKENS_MAX + GROUND_ANSWER_PHRASES_MAX];
  size_t nt = 0;
  int phrase_of[GROUND_QUERY_TOKENS_MAX];
  for (size_t i = 0; i < GROUND_QUERY_TOKENS_MAX; i++) phrase_of[i] = -1;
  int rc = build_match_idf(df_st, n_docs, tok, &match, qw, nqw, idf, &nt, phrase_of);
  sqlite3_finalize(df_st);
  if (rc) { sk_buf_release(&match); return sk_err_set(err, rc, "query too long"); }
  if (nt == 0) { sk_buf_release(&match); return SK_OK; }
  /* answer-type phrases: weight -1 (rank.h), counted only by the answer-window feature */
  for (const char *a = answer ? answer->data : NULL, *end = a ? a + answer->len : NULL; a && a < end && !rc;) {
    const char *sp = memchr(a, ' ', (size_t)(end - a));
    size_t l = sp ? (size_t)(sp - a) : (size_t)(end - a);
    if (l && nt < GROUND_QUERY_TOKENS_MAX + GROUND_ANSWER_PHRASES_MAX) {
      rc = sk_buf_append_str(&match, " OR \"");
      if (!rc) rc = sk_buf_append(&match, a, l);
      if (!rc) rc = sk_buf_append_byte(&match, '"');
      idf[nt++] = -1.0;
    }
    a = sp ? sp + 1 : end;
  }
  if (rc) { sk_buf_release(&match); return sk_err_set(err, rc, "query too long"); }
  /* next[i]: the phrase that follows phrase i in the query text, overlapping it by one character
   * (ab then bc: the query holds abc), for the ordered-pair feature; -1 when none. */
  int next[GROUND_QUERY_TOKENS_MAX + GROUND_ANSWER_PHRASES_MAX];
  for (size_t i = 0; i < nt; i++) next[i] = -1;
  const char *prev = NULL;
  size_t prev_l = 0, ord = 0;
  for (const char *q = tok->data, *end = tok->data + tok->len; q < end && ord < GROUND_QUERY_TOKENS_MAX;) {
    const char *sp = memchr(q, ' ', (size_t)(end - q));
    size_t l = sp ? (size_t)(sp - q) : (size_t)(end - q);
    if (!l) { q = sp ? sp + 1 : end; continue; }
    if (prev && ord > 0) {
      int a = phrase_of[ord - 1], b = phrase_of[ord];
      /* last character of prev == first character of this token */
      size_t fl = sk_utf8_decode(q, l, &(uint32_t){0}), pl = prev_l;
      while (pl > 0 && ((unsigned char)prev[pl - 1] & 0xC0) == 0x80) pl--;
      size_t last_l = pl > 0 ? prev_l - (pl - 1) : 0;
      if (a >= 0 && b >= 0 && a != b && next[a] < 0 && fl && last_l == fl && !memcmp(prev + prev_l - fl, q, fl)) next[a] = b;
    }
    prev = q;
    prev_l = l;
    ord++;
    q = sp ? sp + 1 : end;
  }
  snprintf(sql, sizeof sql, "SELECT rowid, sk_rank(%s, ?2, ?3, ?4, ?5, ?6, ?7) FROM %s WHERE %s MATCH ?1 LIMIT %d", table,
           table, table, GROUND_RANK_ROWS_MAX);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    sk_buf_release(&match);
    return sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  }
  sqlite3_bind_text(st, 1, match.data, (int)match.len, SQLITE_STATIC);
  sqlite3_bind_blob(st, 2, idf, (int)(nt * sizeof(double)), SQLITE_STATIC);
  sqlite3_bind_double(st, 3, p->k1[s]);
  sqlite3_bind_double(st, 4, p->b[s]);
  sqlite3_bind_int(st, 5, p->win_long[s]);
  sqlite3_bind_int(st, 6, p->win_short[s]);
  sqlite3_bind_blob(st, 7, next, (int)(nt * sizeof(int)), SQLITE_STATIC);
  size_t cap = 0;
  frow *r = NULL;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(st, 1) != (int)sizeof r->f) continue;
    if (*n == cap) {
      size_t nc = cap ? 2 * cap : 256;
      frow *g = sk_realloc(r, nc * sizeof *r);
      if (!g) { rc = SQLITE_NOMEM; break; }
      r = g;
      cap = nc;
    }
    r[*n].id = sqlite3_column_int64(st, 0);
    memcpy(r[*n].f, sqlite3_column_blob(st, 1), sizeof r->f);
    (*n)++;
  }
  int ok = rc == SQLITE_DONE;
  if (!ok) rc = sk_err_set(err, rc == SQLITE_NOMEM ? SK_ENOMEM : SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sk_buf_release(&match);
  if (!ok) { sk_free(r); *n = 0; return rc; }
  qsort(r, *n, sizeof *r, cmp_frow_id);
  *rows = r;
  return SK_OK;
}

static int cmp_row(const void *a, const void *b) {
  const ground_rank_row *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return (x->id > y->id) - (x->id < y->id);
}

void ground_rank_rescore(ground_rank_row *rows, size_t n, const ground_rank_params *p) {
  for (size_t i = 0; i < n; i++) {
    double v = 0;
    for (int s = 0; s < GROUND_STREAMS; s++)
      for (int f = 0; f < GROUND_RANK_NFEAT; f++) v += p->weight[s][f] * rows[i].f[s][f];
    rows[i].score = v;
  }
  qsort(rows, n, sizeof *rows, cmp_row);
}

int ground_rank_candidates(ground_index *ix, const char *query, const ground_rank_params *p, ground_rank_row **rows,
                           size_t *n, sk_err *err) {
  *rows = NULL;
  *n = 0;
  if (!p) p = &k_defaults;
  size_t ql = strlen(query);
  if (ql > GROUND_QUERY_MAX_BYTES)
    return sk_err_set(err, SK_ELIMIT, "query of %zu bytes exceeds %d", ql, GROUND_QUERY_MAX_BYTES);
  char *norm = NULL;
  size_t nl = 0;
  int rc = ground_normalize(query, ql, &norm, &nl, err);
  if (rc) return sk_err_wrap(err, "query");
  if (p->strip_meta) ground_query_strip_meta(norm, nl);
  sk_buf tok[GROUND_STREAMS];
  frow *fr[GROUND_STREAMS] = {NULL};
  size_t nf[GROUND_STREAMS] = {0};
  for (int s = 0; s < GROUND_STREAMS; s++) sk_buf_init(&tok[s], GROUND_QUERY_MAX_BYTES * 4);
  sk_buf ans;
  sk_buf_init(&ans, GROUND_ANSWER_PHRASES_MAX * 8);
  ground_rank_row *out = NULL;
  struct ground_tagger *tg = ground_index_tagger(ix);
  sqlite3 *db = ground_index_db(ix);
  unsigned char kind[GROUND_QUERY_TOKENS_MAX];
  double qw[GROUND_QUERY_TOKENS_MAX];
  size_t nk = 0;
  if ((rc = ground_query_bigrams_kind(tg, norm, nl, &tok[0], kind, GROUND_QUERY_TOKENS_MAX, &nk, err))) goto done;
  if (nk > GROUND_QUERY_TOKENS_MAX) nk = GROUND_QUERY_TOKENS_MAX;
  for (size_t i = 0; i < nk; i++) qw[i] = kind[i] == 2 ? 1.0 : p->boundary_bigram;
  if (tg && (rc = ground_words(tg, norm, nl, &tok[1], err))) goto done;
  if ((rc = ground_kanji(norm, nl, 1, &tok[2]))) { rc = sk_err_set(err, rc, "query tokens"); goto done; }
  if ((rc = answer_phrases(norm, nl, &ans))) { rc = sk_err_set(err, rc, "answer phrases"); goto done; }
  static const char *const tables[GROUND_STREAMS] = {"fts_bi", "fts_w", "fts_k"};
  for (int s = 0; s < GROUND_STREAMS; s++) {
    int used = 0; /* a stream no feature of which weighs is not queried */
    for (int f = 0; f < GROUND_RANK_NFEAT; f++) used |= p->weight[s][f] != 0;
    if (!used) continue;
    if ((rc = feature_stream(db, tables[s], &tok[s], s ? NULL : qw, s ? 0 : nk, s ? NULL : &ans, p, s, &fr[s], &nf[s], err)))
      goto done;
  }
  size_t total = 1;
  double best[GROUND_STREAMS] = {0};
  for (int s = 0; s < GROUND_STREAMS; s++) {
    total += nf[s];
    for (size_t i = 0; i < nf[s]; i++)
      if (fr[s][i].f[0] > best[s]) best[s] = fr[s][i].f[0];
  }
  out = sk_calloc(total, sizeof *out);
  if (!out) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); goto done; }
  size_t at[GROUND_STREAMS] = {0}, m = 0;
  for (;;) { /* merge the id-sorted lists */
    int64_t id = INT64_MAX;
    int any = 0;
    for (int s = 0; s < GROUND_STREAMS; s++)
      if (at[s] < nf[s] && fr[s][at[s]].id <= id) id = fr[s][at[s]].id, any = 1;
    if (!any) break;
    ground_rank_row *r = &out[m++];
    r->id = id;
    for (int s = 0; s < GROUND_STREAMS; s++) {
      if (at[s] < nf[s] && fr[s][at[s]].id == id) memcpy(r->f[s], fr[s][at[s]++].f, sizeof r->f[s]);
      r->f[s][0] = best[s] > 0 ? r->f[s][0] / best[s] : 0;
    }
  }
  ground_rank_rescore(out, m, p);
  *rows = out;
  *n = m;
  out = NULL;
done:
  sk_free(out);
  for (int s = 0; s < GROUND_STREAMS; s++) {
    sk_free(fr[s]);
    sk_buf_release(&tok[s]);
  }
  sk_buf_release(&ans);
  sk_free(norm);
  return rc;
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return sk_strdup(t ? (const char *)t : "");
}

/* Turns ranked candidates c[0..nc) into hits (see ground_retrieve). */
static int fetch_hits(sqlite3 *db, const cand *acc, size_t na, ground_hit **hits, size_t *n, sk_err *err) {
  int rc = SK_OK;
  ground_hit *out = sk_calloc(na ? na : 1, sizeof *out);
  if (!out) return sk_err_set(err, SK_ENOMEM, "out of memory");
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT f.path, c.page, c.byte_start, c.byte_end, c.label, c.text FROM chunks c JOIN files f ON f.id=c.file_id WHERE c.id=?", -1, &st, NULL)) {
    sk_free(out);
    return sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
  }
  size_t got = 0;
  for (size_t i = 0; i < na; i++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, acc[i].id);
    if (sqlite3_step(st) != SQLITE_ROW) continue; /* removed meanwhile */
    ground_hit *h = &out[got];
    h->chunk_id = acc[i].id;
    h->score = acc[i].s;
    h->source = col_dup(st, 0);
    h->page = sqlite3_column_int(st, 1);
    h->byte_start = (size_t)sqlite3_column_int64(st, 2);
    h->byte_end = (size_t)sqlite3_column_int64(st, 3);
    h->label = col_dup(st, 4);
    h->text = col_dup(st, 5);
    got++;
    if (!h->source || !h->label || !h->text) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); break; }
  }
  sqlite3_finalize(st);
  if (rc) { ground_hits_free(out, got); return rc; }
  *hits = out;
  *n = got;
  return SK_OK;
}

int ground_retrieve(ground_index *ix, const char *query, size_t k, ground_fusion mode,
                    ground_hit **hits, size_t *n, sk_err *err) {
  *hits = NULL;
  *n = 0;
  if (k == 0 || k > GROUND_K_MAX) return sk_err_set(err, SK_ERANGE, "k must be 1..%d", GROUND_K_MAX);
  size_t ql = strlen(query);
  if (ql > GROUND_QUERY_MAX_BYTES)
    return sk_err_set(err, SK_ELIMIT, "query of %zu bytes exceeds %d", ql, GROUND_QUERY_MAX_BYTES);
  cand *cb = NULL;
  if (mode == GROUND_FUSE_DEFAULT) {
    ground_rank_row *rows = NULL;
    size_t nr = 0;
    int rrc = ground_rank_candidates(ix, query, NULL, &rows, &nr, err);
    if (rrc) return rrc;
    if (nr > k) nr = k;
    cb = sk_calloc(nr ? nr : 1, sizeof *cb);
    if (!cb) { sk_free(rows); return sk_err_set(err, SK_ENOMEM, "out of memory"); }
    for (size_t i = 0; i < nr; i++) cb[i] = (cand){rows[i].id, rows[i].score};
    sk_free(rows);
    rrc = fetch_hits(ground_index_db(ix), cb, nr, hits, n, err);
    sk_free(cb);
    return rrc;
  }
  char *norm = NULL;
  size_t nl = 0;
  int rc = ground_normalize(query, ql, &norm, &nl, err);
  if (rc) return sk_err_wrap(err, "query");
  sk_buf bi, wd;
  sk_buf_init(&bi, GROUND_QUERY_MAX_BYTES * 4);
  sk_buf_init(&wd, GROUND_QUERY_MAX_BYTES * 4);
  cb = sk_calloc(GROUND_CANDIDATES * 4, sizeof *cb);
  if (!cb) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); goto done; }
  cand *cw = cb + GROUND_CANDIDATES, *acc = cb + 2 * GROUND_CANDIDATES;
  size_t nb = 0, nw = 0, na = 0;
  struct ground_tagger *tg = ground_index_tagger(ix);
  if (mode == GROUND_FUSE_BIGRAM) { /* the baseline: every bigram of the question */
    if ((rc = ground_bigrams(norm, nl, &bi))) { sk_err_set(err, rc, "query tokens"); goto done; }
  } else if ((rc = ground_query_bigrams(tg, norm, nl, &bi, err))) {
    goto done;
  }
  if (tg && mode != GROUND_FUSE_BIGRAM && (rc = ground_words(tg, norm, nl, &wd, err))) goto done;
  sqlite3 *db = ground_index_db(ix);
  if (mode != GROUND_FUSE_WORDS && (rc = rank_stream(db, "fts_bi", &bi, cb, &nb, err))) goto done;
  if (mode != GROUND_FUSE_BIGRAM && (rc = rank_stream(db, "fts_w", &wd, cw, &nw, err))) goto done;
  accumulate(acc, &na, cb, nb, mode);
  accumulate(acc, &na, cw, nw, mode);
  qsort(acc, na, sizeof *acc, cmp_cand);
  if (mode == GROUND_FUSE_SCORE) {
    if ((rc = cover_rerank(db, &bi, acc, na, err))) goto done;
    qsort(acc, na < GROUND_COVER_DEPTH ? na : GROUND_COVER_DEPTH, sizeof *acc, cmp_cand);
  }
  if (na > k) na = k;
  rc = fetch_hits(db, acc, na, hits, n, err);
done:
  sk_free(cb);
  sk_buf_release(&bi);
  sk_buf_release(&wd);
  sk_free(norm);
  return rc;
}

void ground_hits_free(ground_hit *hits, size_t n) {
  if (!hits) return;
  for (size_t i = 0; i < n; i++) {
    sk_free(hits[i].source);
    sk_free(hits[i].label);
    sk_free(hits[i].text);
  }
  sk_free(hits);
}
