/* context.c — keyword windows and table headers: how a recogniser tells a licence number from
 * a My Number that happens to share its shape. Keywords are compared on the normalised text
 * (so "：" is ':' and "ＴＥＬ" is "TEL"); ASCII letters ignore case. */
#include <assert.h>
#include <string.h>

#include "base/alloc.h"
#include "guard/internal.h"

static inline char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

static bool match_at(const char *s, size_t len, size_t i, const char *kw, size_t kl) {
  if (i + kl > len || lower(s[i]) != lower(kw[0])) return false;
  for (size_t j = 0; j < kl; j++) {
    unsigned char a = (unsigned char)s[i + j], b = (unsigned char)kw[j];
    if (a >= 'A' && a <= 'Z') a = (unsigned char)(a + 32);
    if (b >= 'A' && b <= 'Z') b = (unsigned char)(b + 32);
    if (a != b) return false;
  }
  return true;
}

/* Most keywords in one list (the longest, date_of_birth's k_other, has 31). */
#define CTX_MAX_KWS 64

/* A keyword list prepared for one scan of a window: lengths, and a 256-bit set of the bytes a
 * keyword can start (or end) with, both cases for ASCII letters. One pass over the window then
 * tests each position against the set and only compares keywords whose edge byte matches,
 * instead of one pass per keyword. */
typedef struct kwprep {
  int n;
  const char *kw[CTX_MAX_KWS];
  size_t len[CTX_MAX_KWS];
  unsigned char edge[CTX_MAX_KWS]; /* lower-cased first (or last) byte */
  uint64_t set[4];
} kwprep;

static void kw_set(kwprep *k, unsigned char c) { k->set[c >> 6] |= (uint64_t)1 << (c & 63); }
static bool kw_has(const kwprep *k, unsigned char c) { return (k->set[c >> 6] >> (c & 63)) & 1; }

/* last: index by the last byte (ctx_left walks end positions) instead of the first. */
static void kw_build(kwprep *k, const char *const *kws, bool last) {
  memset(k->set, 0, sizeof k->set);
  k->n = 0;
  for (const char *const *w = kws; *w; w++) {
    size_t l = strlen(*w);
    assert(k->n < CTX_MAX_KWS); /* keyword lists are static tables of the recognisers */
    if (!l) continue;
    k->kw[k->n] = *w;
    unsigned char c = (unsigned char)lower((*w)[last ? l - 1 : 0]);
    k->len[k->n] = l;
    k->edge[k->n] = c;
    k->n++;
    kw_set(k, c);
    if (c >= 'a' && c <= 'z') kw_set(k, (unsigned char)(c - 32));
  }
}

/* Keyword lists are static tables: the prepared form of the last few is kept per thread, so a
 * scan with thousands of numbers prepares each list once instead of once per number. */
#define KW_CACHE 8
typedef struct kwslot {
  const char *const *kws;
  bool last;
  kwprep k;
} kwslot;
static _Thread_local kwslot g_kw_cache[KW_CACHE];
static _Thread_local unsigned g_kw_next;

static const kwprep *kw_prepare(const char *const *kws, bool last) {
  for (int i = 0; i < KW_CACHE; i++)
    if (g_kw_cache[i].kws == kws && g_kw_cache[i].last == last) return &g_kw_cache[i].k;
  kwslot *sl = &g_kw_cache[g_kw_next++ % KW_CACHE];
  kw_build(&sl->k, kws, last);
  sl->kws = kws;
  sl->last = last;
  return &sl->k;
}

long ctx_left(const pii_doc *d, size_t pos, size_t window, const char *const *kws) {
  const char *s = d->n.s;
  size_t lo = pos > window ? pos - window : 0;
  const kwprep *kp = kw_prepare(kws, true);
  /* the nearest keyword is the one whose END is nearest: walk end positions down from pos */
  for (size_t e = pos; e > lo; e--) {
    unsigned char c = (unsigned char)s[e - 1];
    if (!kw_has(kp, c)) continue;
    c = (unsigned char)lower((char)c);
    for (int j = 0; j < kp->n; j++) {
      size_t kl = kp->len[j];
      if (kp->edge[j] != c || kl > e - lo) continue;
      if (match_at(s, d->n.len, e - kl, kp->kw[j], kl)) return (long)(pos - e);
    }
  }
  return -1;
}

long ctx_right(const pii_doc *d, size_t end, size_t window, const char *const *kws) {
  const char *s = d->n.s;
  size_t hi = end + window < d->n.len ? end + window : d->n.len;
  const kwprep *kp = kw_prepare(kws, false);
  for (size_t i = end; i < hi; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!kw_has(kp, c)) continue;
    c = (unsigned char)lower((char)c);
    for (int j = 0; j < kp->n; j++)
      if (kp->edge[j] == c && i + kp->len[j] <= hi && match_at(s, d->n.len, i, kp->kw[j], kp->len[j]))
        return (long)(i - end);
  }
  return -1;
}

bool ctx_span_has(const pii_doc *d, size_t hs, size_t he, const char *const *kws) {
  const char *s = d->n.s;
  const kwprep *kp = kw_prepare(kws, false);
  for (size_t i = hs; i < he; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!kw_has(kp, c)) continue;
    c = (unsigned char)lower((char)c);
    for (int j = 0; j < kp->n; j++)
      if (kp->edge[j] == c && i + kp->len[j] <= he && match_at(s, d->n.len, i, kp->kw[j], kp->len[j]))
        return true;
  }
  return false;
}

/* Lines of a table: at most this many are walked up to find the header (bounded time). */
#define CTX_MAX_TABLE_ROWS 64
/* More columns than this and a line is prose with commas, not a table row. */
#define CTX_MAX_TABLE_COLS 64

/* Per-scan cache of the layout of one line: every number on a long line asks about the same
 * line, and without the cache each question would rescan it (quadratic on hostile input). */
typedef struct pii_tcache {
  size_t ls, le;        /* the cached line; le == 0: empty cache */
  bool table;           /* the line is a row under a header */
  int ncols;
  size_t cell[CTX_MAX_TABLE_COLS + 1]; /* cell starts; cell[ncols] = le + 1 */
  size_t hcell[CTX_MAX_TABLE_COLS + 1];
} pii_tcache;

static size_t line_start(const char *s, size_t pos) {
  const char *p = s + pos;
  while (p > s && p[-1] != '\n') p--;
  return (size_t)(p - s);
}
static size_t line_end(const char *s, size_t len, size_t pos) {
  const char *e = memchr(s + pos, '\n', len - pos);
  return e ? (size_t)(e - s) : len;
}
/* Splits [a,b) at delim into starts[] (at most max+1 cells); returns the cell count or -1. */
static int split(const char *s, size_t a, size_t b, char delim, size_t *starts, int max) {
  int n = 0;
  starts[n++] = a;
  for (size_t i = a; i < b; i++)
    if (s[i] == delim) {
      if (n > max) return -1;
      starts[n++] = i + 1;
    }
  starts[n] = b + 1;
  return n;
}
static int count_delims(const char *s, size_t a, size_t b, char delim, int stop) {
  if (a >= b || !memchr(s + a, delim, b - a)) return 0; /* most lines of prose: one fast scan */
  int n = 0;
  for (size_t i = a; i < b && n <= stop; i++) n += s[i] == delim;
  return n;
}

static void fill_cache(const pii_doc *d, pii_tcache *tc, size_t pos) {
  const char *s = d->n.s;
  tc->ls = line_start(s, pos);
  tc->le = line_end(s, d->n.len, pos);
  tc->table = false;
  char delim = ',';
  int nd = count_delims(s, tc->ls, tc->le, ',', CTX_MAX_TABLE_COLS);
  if (nd < 2) {
    delim = '\t';
    nd = count_delims(s, tc->ls, tc->le, '\t', CTX_MAX_TABLE_COLS);
  }
  if (nd < 2 || nd >= CTX_MAX_TABLE_COLS) return;
  size_t hdr = tc->ls;
  for (int rows = 0; rows < CTX_MAX_TABLE_ROWS && hdr > 0; rows++) {
    size_t pe = hdr - 1, ps = line_start(s, pe);
    if (count_delims(s, ps, pe, delim, nd + 1) != nd) break;
    hdr = ps;
  }
  if (hdr == tc->ls) return;
  size_t hle = line_end(s, d->n.len, hdr);
  for (size_t i = hdr; i < hle; i++)
    if (ch_digit(s[i])) return; /* a header row names columns, it holds no numbers */
  tc->ncols = split(s, tc->ls, tc->le, delim, tc->cell, CTX_MAX_TABLE_COLS);
  if (tc->ncols != nd + 1 || split(s, hdr, hle, delim, tc->hcell, CTX_MAX_TABLE_COLS) != nd + 1) return;
  tc->table = true;
}

bool ctx_table_cell(const pii_doc *d, size_t pos, size_t *hs, size_t *he, size_t *cs, size_t *ce) {
  pii_doc *md = (pii_doc *)d; /* the cache is scan-private scratch, not observable state */
  if (!md->tc) {
    md->tc = sk_calloc(1, sizeof *md->tc);
    if (!md->tc) return false;
  }
  pii_tcache *tc = md->tc;
  if (!(tc->le && pos >= tc->ls && pos <= tc->le)) fill_cache(d, tc, pos);
  if (!tc->table) return false;
  int lo = 0, hi = tc->ncols - 1; /* last cell start <= pos */
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (tc->cell[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  *cs = tc->cell[lo];
  *ce = tc->cell[lo + 1] - 1;
  *hs = tc->hcell[lo];
  *he = tc->hcell[lo + 1] - 1;
  return true;
}

long ctx_near(const pii_doc *d, size_t pos, size_t window, const char *const *kws) {
  size_t hs, he, cs, ce;
  if (ctx_table_cell(d, pos, &hs, &he, &cs, &ce)) return ctx_span_has(d, hs, he, kws) ? 0 : -1;
  return ctx_left(d, pos, window, kws);
}
