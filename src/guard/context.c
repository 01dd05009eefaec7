/* context.c — keyword windows and table headers: how a recogniser tells a licence number from
 * a My Number that happens to share its shape. Keywords are compared on the normalised text
 * (so "：" is ':' and "ＴＥＬ" is "TEL"); ASCII letters ignore case. */
#include <string.h>

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

long ctx_left(const pii_doc *d, size_t pos, size_t window, const char *const *kws) {
  const char *s = d->n.s;
  size_t lo = pos > window ? pos - window : 0;
  long best = -1;
  for (const char *const *k = kws; *k; k++) {
    size_t kl = strlen(*k);
    if (kl > pos) continue;
    for (size_t i = pos - kl + 1; i-- > lo;) {
      if (match_at(s, d->n.len, i, *k, kl)) {
        long dist = (long)(pos - (i + kl));
        if (best < 0 || dist < best) best = dist;
        break;
      }
    }
  }
  return best;
}

long ctx_right(const pii_doc *d, size_t end, size_t window, const char *const *kws) {
  const char *s = d->n.s;
  size_t hi = end + window < d->n.len ? end + window : d->n.len;
  long best = -1;
  for (const char *const *k = kws; *k; k++) {
    size_t kl = strlen(*k);
    for (size_t i = end; i + kl <= hi; i++) {
      if (match_at(s, d->n.len, i, *k, kl)) {
        long dist = (long)(i - end);
        if (best < 0 || dist < best) best = dist;
        break;
      }
    }
  }
  return best;
}

bool ctx_span_has(const pii_doc *d, size_t hs, size_t he, const char *const *kws) {
  for (const char *const *k = kws; *k; k++) {
    size_t kl = strlen(*k);
    for (size_t i = hs; i + kl <= he; i++)
      if (match_at(d->n.s, d->n.len, i, *k, kl)) return true;
  }
  return false;
}

/* Lines of a table: at most this many are walked up to find the header (bounded time). */
#define CTX_MAX_TABLE_ROWS 64

static size_t line_start(const char *s, size_t pos) {
  while (pos > 0 && s[pos - 1] != '\n') pos--;
  return pos;
}
static size_t line_end(const char *s, size_t len, size_t pos) {
  while (pos < len && s[pos] != '\n') pos++;
  return pos;
}
static int count_delims(const char *s, size_t a, size_t b, char delim) {
  int n = 0;
  for (size_t i = a; i < b; i++) n += s[i] == delim;
  return n;
}

bool ctx_table_cell(const pii_doc *d, size_t pos, size_t *hs, size_t *he, size_t *cs, size_t *ce) {
  const char *s = d->n.s;
  size_t ls = line_start(s, pos), le = line_end(s, d->n.len, pos);
  char delim = 0;
  int nd = count_delims(s, ls, le, ',');
  if (nd >= 2) delim = ',';
  else if ((nd = count_delims(s, ls, le, '\t')) >= 2) delim = '\t';
  if (!delim) return false;
  /* walk up while rows have the same number of delimiters */
  size_t hdr = ls;
  for (int rows = 0; rows < CTX_MAX_TABLE_ROWS && hdr > 0; rows++) {
    size_t pe = hdr - 1, ps = line_start(s, pe);
    if (count_delims(s, ps, pe, delim) != nd) break;
    hdr = ps;
  }
  if (hdr == ls) return false;
  size_t hle = line_end(s, d->n.len, hdr);
  for (size_t i = hdr; i < hle; i++)
    if (ch_digit(s[i])) return false; /* a header row names columns, it holds no numbers */
  int col = count_delims(s, ls, pos, delim);
  size_t a = ls;
  for (int c = 0; c < col; c++) a = (size_t)((const char *)memchr(s + a, delim, le - a) - s) + 1;
  const char *e = memchr(s + a, delim, le - a);
  *cs = a;
  *ce = e ? (size_t)(e - s) : le;
  size_t h = hdr;
  for (int c = 0; c < col; c++) h = (size_t)((const char *)memchr(s + h, delim, hle - h) - s) + 1;
  const char *he2 = memchr(s + h, delim, hle - h);
  *hs = h;
  *he = he2 ? (size_t)(he2 - s) : hle;
  return true;
}

long ctx_near(const pii_doc *d, size_t pos, size_t window, const char *const *kws) {
  size_t hs, he, cs, ce;
  if (ctx_table_cell(d, pos, &hs, &he, &cs, &ce)) return ctx_span_has(d, hs, he, kws) ? 0 : -1;
  return ctx_left(d, pos, window, kws);
}
