/* rank.c — the sk_rank FTS5 auxiliary function (see rank.h). */
#include "ground/rank.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* Most query terms (FTS5 phrases) weighed; retrieve.c sends at most GROUND_QUERY_TOKENS_MAX. */
#define RANK_PHRASES_MAX 512

typedef struct hit {
  int off, phrase;
} hit;

static int cmp_hit(const void *a, const void *b) {
  const hit *x = a, *y = b;
  return x->off != y->off ? (x->off < y->off ? -1 : 1) : (x->phrase > y->phrase) - (x->phrase < y->phrase);
}

/* Best weighted sum of distinct phrases over windows of `win` consecutive token positions.
 * h is sorted by offset; cnt is scratch of np zeros (left zeroed). */
static double best_window(const hit *h, int nh, int win, const double *w, int *cnt, int np, int need_answer) {
  double cur = 0, best = 0;
  int l = 0, answers = 0;
  for (int r = 0; r < nh; r++) {
    if (w[h[r].phrase] < 0) answers++;
    else if (cnt[h[r].phrase]++ == 0) cur += w[h[r].phrase];
    while (h[r].off - h[l].off >= win) {
      if (w[h[l].phrase] < 0) answers--;
      else if (--cnt[h[l].phrase] == 0) cur -= w[h[l].phrase];
      l++;
    }
    if (cur > best && (!need_answer || answers > 0)) best = cur;
  }
  for (int i = l; i < nh; i++) cnt[h[i].phrase] = 0; /* answer phrases were never counted: 0 too */
  (void)np;
  return best;
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fc, sqlite3_context *sc, int argc, sqlite3_value **argv) {
  if (argc != 6) {
    sqlite3_result_error(sc, "sk_rank(table, weights, k1, b, win_long, win_short, next)", -1);
    return;
  }
  int np = api->xPhraseCount(fc);
  const double *wblob = sqlite3_value_blob(argv[0]);
  int wbytes = sqlite3_value_bytes(argv[0]);
  double k1 = sqlite3_value_double(argv[1]), b = sqlite3_value_double(argv[2]);
  int wl = sqlite3_value_int(argv[3]), ws = sqlite3_value_int(argv[4]);
  if (np < 0 || np > RANK_PHRASES_MAX || !wblob || wbytes != np * (int)sizeof(double) || k1 < 0 || b < 0 || b > 1 ||
      wl < 1 || ws < 1 || wl > GROUND_RANK_WIN_MAX || ws > GROUND_RANK_WIN_MAX) {
    sqlite3_result_error(sc, "sk_rank: bad arguments (one weight per phrase, k1 >= 0, 0 <= b <= 1, windows 1..4096)", -1);
    return;
  }
  double w[RANK_PHRASES_MAX];
  memcpy(w, wblob, (size_t)np * sizeof(double)); /* the blob may be unaligned */
  int next[RANK_PHRASES_MAX];
  const void *nblob = sqlite3_value_blob(argv[5]);
  int nbytes = sqlite3_value_bytes(argv[5]);
  for (int p = 0; p < np; p++) next[p] = -1;
  if (nblob && nbytes == np * (int)sizeof(int)) memcpy(next, nblob, (size_t)nbytes);
  for (int p = 0; p < np; p++)
    if (next[p] >= np || next[p] < -1) next[p] = -1;
  int ninst = 0, dl = 0;
  sqlite3_int64 nrows = 0, total = 0;
  if (api->xInstCount(fc, &ninst) != SQLITE_OK || api->xColumnSize(fc, 0, &dl) != SQLITE_OK ||
      api->xRowCount(fc, &nrows) != SQLITE_OK || api->xColumnTotalSize(fc, 0, &total) != SQLITE_OK) {
    sqlite3_result_error(sc, "sk_rank: FTS5 API failed", -1);
    return;
  }
  hit *h = sk_malloc((size_t)(ninst ? ninst : 1) * sizeof *h);
  if (!h) {
    sqlite3_result_error_nomem(sc);
    return;
  }
  int tf[RANK_PHRASES_MAX] = {0}, nh = 0, sorted = 1;
  for (int i = 0; i < ninst; i++) {
    int ip = 0, ic = 0, io = 0;
    if (api->xInst(fc, i, &ip, &ic, &io) != SQLITE_OK || ip < 0 || ip >= np) continue;
    h[nh] = (hit){io, ip};
    if (nh && cmp_hit(&h[nh - 1], &h[nh]) > 0) sorted = 0;
    nh++;
    tf[ip]++;
  }
  if (!sorted) qsort(h, (size_t)nh, sizeof *h, cmp_hit);
  double avgdl = nrows > 0 && total > 0 ? (double)total / (double)nrows : 1.0;
  double norm = k1 * (1.0 - b + b * (double)dl / avgdl), wsum = 0, bm25 = 0, cover = 0;
  for (int p = 0; p < np; p++) {
    if (w[p] < 0) continue; /* an answer-type phrase, not a query term */
    wsum += w[p];
    if (!tf[p]) continue;
    bm25 += w[p] * (double)tf[p] * (k1 + 1.0) / ((double)tf[p] + norm);
    cover += w[p];
  }
  int cnt[RANK_PHRASES_MAX] = {0};
  double f[GROUND_RANK_NFEAT];
  f[0] = bm25;
  f[1] = wsum > 0 ? cover / wsum : 0;
  f[2] = wsum > 0 ? best_window(h, nh, wl, w, cnt, np, 0) / wsum : 0;
  f[3] = wsum > 0 ? best_window(h, nh, ws, w, cnt, np, 0) / wsum : 0;
  f[4] = wsum > 0 ? best_window(h, nh, wl, w, cnt, np, 1) / wsum : 0;
  /* [5] ordered pairs: the weighted share of the query's adjacent term pairs (p, next[p]) found
   * next to each other in the same order (for bigrams: the query's character trigrams) */
  double pair_sum = 0, pair_got = 0;
  for (int p = 0; p < np; p++)
    if (next[p] >= 0 && w[p] >= 0 && w[next[p]] >= 0) pair_sum += w[p] < w[next[p]] ? w[p] : w[next[p]];
  for (int i = 0; i < nh && pair_sum > 0; i++) {
    int p = h[i].phrase, q = p >= 0 ? next[p] : -1;
    if (q < 0 || w[p] < 0 || w[q] < 0 || cnt[p] < 0) continue;
    for (int j = i + 1; j < nh && h[j].off <= h[i].off + 1; j++)
      if (h[j].phrase == q && h[j].off == h[i].off + 1) {
        pair_got += w[p] < w[q] ? w[p] : w[q];
        cnt[p] = -1; /* count each pair once */
        break;
      }
  }
  f[5] = pair_sum > 0 ? pair_got / pair_sum : 0;
  sk_free(h);
  sqlite3_result_blob(sc, f, sizeof f, SQLITE_TRANSIENT);
}

int ground_rank_register(sqlite3 *db, sk_err *err) {
  fts5_api *api = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
    return sk_err_set(err, SK_EIO, "FTS5 is not available: %s", sqlite3_errmsg(db));
  sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
  sqlite3_step(st);
  sqlite3_finalize(st);
  if (!api || api->iVersion < 2)
    return sk_err_set(err, SK_EIO, "FTS5 API version 2 is required for ranking");
  if (api->xCreateFunction(api, "sk_rank", NULL, rank_fn, NULL) != SQLITE_OK)
    return sk_err_set(err, SK_EIO, "registering sk_rank: %s", sqlite3_errmsg(db));
  return SK_OK;
}
