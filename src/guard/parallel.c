/* parallel.c — pii_scan_parallel: one long text on several threads.
 *
 * The text is cut into chunks at line starts ("\n\n" preferred, else "\n"). Every worker scans
 * its chunk WITH context around it — back over CTX_LINES lines and at least CTX_BYTES bytes
 * (keyword windows, table headers, the MeCab sentence), forward at least CTX_BYTES bytes to the
 * next line end — and keeps only the findings that start inside its own chunk. No finding spans
 * a newline and every context rule reaches less far than that margin, so the result equals one
 * pii_scan of the whole text (tests/unit/guard/test_parallel.c checks it on novels, business
 * records and tables). The scanner is shared read-only; each worker has its own MeCab tagger. */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "guard/guard.h"

/* Context margin. The farthest-reaching rules: the address body (240 bytes) plus building
 * (80), keyword windows (80), a table header up to 64 rows up (context.c). */
#define CTX_BYTES 1024
#define CTX_LINES 66
/* Most threads one call starts: beyond this the chunks are smaller than the margins. */
#define PAR_MAX_THREADS 64

typedef struct job {
  const pii_scanner *sc;
  const char *text;
  size_t len;
  size_t a, b;   /* own chunk */
  size_t ca, cb; /* chunk with context */
  pii_findings f;
  int rc;
  sk_err err;
} job;

static void *worker(void *arg) {
  job *j = arg;
  pii_findings_init(&j->f);
  j->rc = pii_scan(j->sc, j->text + j->ca, j->cb - j->ca, &j->f, &j->err);
  return NULL;
}

/* Line start at or after pos, preferring the end of a blank line within slack bytes. */
static size_t cut_after(const char *s, size_t len, size_t pos, size_t slack) {
  size_t lim = pos + slack < len ? pos + slack : len;
  for (size_t i = pos; i + 1 < lim; i++)
    if (s[i] == '\n' && s[i + 1] == '\n') return i + 2;
  const char *nl = pos < len ? memchr(s + pos, '\n', len - pos) : NULL;
  return nl ? (size_t)(nl - s) + 1 : len;
}

/* The cut for a chunk that starts at a and should end near pos: the line start after pos (as
 * above) or the last one before it, whichever is nearer (long lines make the two far apart). */
static size_t cut_near(const char *s, size_t len, size_t a, size_t pos, size_t slack) {
  size_t after = cut_after(s, len, pos, slack);
  size_t before = pos;
  while (before > a && s[before - 1] != '\n') before--;
  return before > a && pos - before < after - pos ? before : after;
}

/* Could this line be a table row or header? Table rows and headers have at least two commas or
 * two tabs after normalisation (context.c); besides ',' and '\t' themselves, NFKC folds only
 * U+FE10, U+FE50, U+FF0C and U+1F101..U+1F10A ("0,") to a comma. A line with fewer than two of
 * either is a barrier: the table-header walk of a row below it reads its delimiter count and
 * stops there, and so does it on any suffix of it (a suffix has no more delimiters). */
static bool table_barrier(const char *s, size_t ls, size_t le) {
  int commas = 0, tabs = 0;
  for (size_t i = ls; i < le; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ',') commas++;
    else if (c == '\t') tabs++;
    else if (c == 0xEF && i + 2 < le &&
             ((s[i + 1] == '\xB8' && s[i + 2] == '\x90') || (s[i + 1] == '\xB9' && s[i + 2] == '\x90') ||
              (s[i + 1] == '\xBC' && s[i + 2] == '\x8C')))
      commas++;
    else if (c == 0xF0 && i + 3 < le && s[i + 1] == '\x9F' && s[i + 2] == '\x84' &&
             (unsigned char)s[i + 3] >= 0x81 && (unsigned char)s[i + 3] <= 0x8A)
      commas++;
    if (commas >= 2 || tabs >= 2) return false;
  }
  return true;
}

/* Start of the context before the chunk that starts at line start a. Rules reach back at most
 * CTX_BYTES bytes, except the table-header walk, which goes up CTX_LINES - 2 rows: so the context
 * is CTX_BYTES bytes and CTX_LINES whole lines, or - as soon as a barrier line (above) lies
 * between - just CTX_BYTES bytes, possibly starting inside a line (a long line of prose, such
 * as a whole novel without newlines, is then not scanned twice). */
static size_t ctx_back(const char *s, size_t a) {
  size_t q = a > CTX_BYTES ? a - CTX_BYTES : 0;
  while (q > 0 && ((unsigned char)s[q] & 0xC0) == 0x80) q--; /* a character start */
  size_t p = a;
  int lines = 0;
  while (p > 0) {
    size_t le = p - 1; /* s[le] == '\n': p is a line start */
    size_t ls = le;
    while (ls > 0 && s[ls - 1] != '\n') ls--;
    lines++;
    if (a - ls >= CTX_BYTES && lines >= CTX_LINES) return ls; /* whole lines, as many as rows */
    if (table_barrier(s, ls, le)) return q < le ? q : le;
    p = ls;
  }
  return 0;
}

/* End of the context after the chunk that ends at b: CTX_BYTES bytes, to the line end when it
 * is near (rules look forward by bytes only, never by lines). */
static size_t ctx_fwd(const char *s, size_t len, size_t b) {
  size_t p = b + CTX_BYTES < len ? b + CTX_BYTES : len;
  size_t lim = p + CTX_BYTES < len ? p + CTX_BYTES : len;
  const char *nl = p < lim ? memchr(s + p, '\n', lim - p) : NULL;
  if (nl) return (size_t)(nl - s);
  if (lim == len) return len;
  while (p < len && ((unsigned char)s[p] & 0xC0) == 0x80) p++; /* a character start */
  return p;
}

int pii_scan_parallel(const pii_scanner *sc, const char *text, size_t len, int threads,
                      size_t min_chunk, pii_findings *out, sk_err *err) {
  if (!min_chunk) min_chunk = PII_PARALLEL_MIN_CHUNK;
  if (threads > PAR_MAX_THREADS) threads = PAR_MAX_THREADS;
  if (threads <= 1 || len < 2 * min_chunk || len > PII_MAX_TEXT_BYTES)
    return pii_scan(sc, text, len, out, err);
  size_t want = len / (size_t)threads;
  if (want < min_chunk) want = min_chunk;
  job *jobs = sk_calloc((size_t)threads, sizeof *jobs);
  pthread_t *tid = sk_calloc((size_t)threads, sizeof *tid);
  if (!jobs || !tid) {
    sk_free(jobs);
    sk_free(tid);
    return sk_err_set(err, SK_ENOMEM, "out of memory starting the scan threads");
  }
  int n = 0;
  for (size_t a = 0; a < len && n < threads;) {
    size_t b = n == threads - 1 ? len : cut_near(text, len, a, a + want < len ? a + want : len, want / 4);
    if (b <= a) b = len;
    jobs[n] = (job){.sc = sc, .text = text, .len = len, .a = a, .b = b};
    jobs[n].ca = a ? ctx_back(text, a) : 0;
    jobs[n].cb = ctx_fwd(text, len, b);
    n++;
    a = b;
  }
  jobs[n - 1].b = len; /* the last chunk takes the rest */
  jobs[n - 1].cb = len;
  int started = 0;
  for (int i = 1; i < n; i++) {
    if (pthread_create(&tid[i], NULL, worker, &jobs[i])) break;
    started = i;
  }
  worker(&jobs[0]);
  for (int i = started + 1; i < n; i++) worker(&jobs[i]); /* threads we could not start */
  for (int i = 1; i <= started; i++) pthread_join(tid[i], NULL);
  int rc = 0;
  size_t last_end = 0;
  for (int i = 0; i < n && !rc; i++) {
    job *j = &jobs[i];
    if (j->rc) {
      rc = sk_err_set(err, j->rc, "%s", j->err.msg);
      break;
    }
    for (size_t k = 0; k < j->f.count && !rc; k++) {
      pii_finding f = j->f.items[k];
      f.start += j->ca;
      f.end += j->ca;
      if (f.start < j->a || f.start >= j->b || f.start < last_end) continue;
      if (out->count >= PII_MAX_FINDINGS) {
        rc = sk_err_set(err, SK_ELIMIT, "more than %zu findings", PII_MAX_FINDINGS);
        break;
      }
      if (out->count == out->cap) {
        size_t nc = out->cap ? out->cap * 2 : 16;
        pii_finding *ni = sk_realloc(out->items, nc * sizeof *ni);
        if (!ni) {
          rc = sk_err_set(err, SK_ENOMEM, "out of memory storing findings");
          break;
        }
        out->items = ni;
        out->cap = nc;
      }
      out->items[out->count++] = f;
      last_end = f.end;
    }
  }
  for (int i = 0; i < n; i++) pii_findings_release(&jobs[i].f);
  sk_free(jobs);
  sk_free(tid);
  return rc;
}
