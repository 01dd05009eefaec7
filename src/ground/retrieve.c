/* retrieve.c — BM25 over two FTS5 token streams, fused (see retrieve.h). */
#include "ground/retrieve.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
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
static int build_match(sqlite3_stmt *df_st, int64_t n_docs, const sk_buf *tok, sk_buf *match) {
  size_t count = 0;
  const char *p = tok->data, *end = tok->data + tok->len;
  while (p && p < end && count < GROUND_QUERY_TOKENS_MAX) {
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    size_t l = sp ? (size_t)(sp - p) : (size_t)(end - p);
    if (l) {
      /* dedupe: look for the same quoted token already in match */
      int dup = 0;
      for (const char *q = match->data; q && q < match->data + match->len;) {
        const char *qe = memchr(q + 1, '"', (size_t)(match->data + match->len - q - 1));
        if (!qe) break;
        if ((size_t)(qe - q - 1) == l && !memcmp(q + 1, p, l)) { dup = 1; break; }
        q = memchr(qe + 1, '"', (size_t)(match->data + match->len - qe - 1));
      }
      if (!dup && df_st) {
        /* FTS5's BM25 gives a term in more than half of the chunks an IDF of ~0: it cannot
         * change the ranking, only make every chunk a candidate. Leave it out. */
        sqlite3_reset(df_st);
        sqlite3_bind_text(df_st, 1, p, (int)l, SQLITE_STATIC);
        if (sqlite3_step(df_st) == SQLITE_ROW && 2 * sqlite3_column_int64(df_st, 0) > n_docs) dup = 1;
      }
      if (!dup) {
        int rc = 0;
        if (count) rc = sk_buf_append_str(match, " OR ");
        if (!rc) rc = sk_buf_append_byte(match, '"');
        if (!rc) rc = sk_buf_append(match, p, l);
        if (!rc) rc = sk_buf_append_byte(match, '"');
        if (rc) return rc;
        count++;
      }
    }
    p = sp ? sp + 1 : end;
  }
  return SK_OK;
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

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return sk_strdup(t ? (const char *)t : "");
}

int ground_retrieve(ground_index *ix, const char *query, size_t k, ground_fusion mode,
                    ground_hit **hits, size_t *n, sk_err *err) {
  *hits = NULL;
  *n = 0;
  if (k == 0 || k > GROUND_K_MAX) return sk_err_set(err, SK_ERANGE, "k must be 1..%d", GROUND_K_MAX);
  size_t ql = strlen(query);
  if (ql > GROUND_QUERY_MAX_BYTES)
    return sk_err_set(err, SK_ELIMIT, "query of %zu bytes exceeds %d", ql, GROUND_QUERY_MAX_BYTES);
  if (mode == GROUND_FUSE_DEFAULT) mode = GROUND_FUSE_SCORE;
  char *norm = NULL;
  size_t nl = 0;
  int rc = ground_normalize(query, ql, &norm, &nl, err);
  if (rc) return sk_err_wrap(err, "query");
  sk_buf bi, wd;
  sk_buf_init(&bi, GROUND_QUERY_MAX_BYTES * 4);
  sk_buf_init(&wd, GROUND_QUERY_MAX_BYTES * 4);
  cand *cb = sk_calloc(GROUND_CANDIDATES * 4, sizeof *cb);
  ground_hit *out = NULL;
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
  out = sk_calloc(na ? na : 1, sizeof *out);
  if (!out) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); goto done; }
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT f.path, c.page, c.byte_start, c.byte_end, c.label, c.text FROM chunks c JOIN files f ON f.id=c.file_id WHERE c.id=?", -1, &st, NULL)) {
    rc = sk_err_set(err, SK_EIO, "retrieve: %s", sqlite3_errmsg(db));
    goto done;
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
  if (rc) { ground_hits_free(out, got); out = NULL; goto done; }
  *hits = out;
  *n = got;
  out = NULL;
done:
  sk_free(out);
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
