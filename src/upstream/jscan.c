/* jscan.c — one-pass field reader for small JSON texts (see jscan.h). */
#include "upstream/jscan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"

typedef struct scan {
  const char *p, *end;
  char path[JSCAN_MAX_PATH + 1];
  size_t plen;
  size_t nseg;  /* segments in path (an empty key is a segment too) */
  int overflow; /* segments pushed past JSCAN_MAX_PATH (nothing below them can match) */
  jscan_field *f;
  size_t nf;
} scan;

static void ws(scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex4(const char *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

/* One \uXXXX escape (pair) at p (pointing at the 'u'); returns its length after the backslash
 * (5 or 11) and the code point, or 0 when malformed, a lone surrogate, or U+0000. */
static size_t uescape(const char *p, const char *end, uint32_t *cp) {
  uint32_t hi, lo;
  if (end - p < 5 || hex4(p + 1, &hi)) return 0;
  if (hi >= 0xDC00 && hi <= 0xDFFF) return 0;
  if (hi < 0xD800 || hi > 0xDBFF) {
    *cp = hi;
    return hi ? 5 : 0;
  }
  if (end - p < 11 || p[5] != '\\' || p[6] != 'u' || hex4(p + 7, &lo) || lo < 0xDC00 || lo > 0xDFFF) return 0;
  *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  return 11;
}

/* A string at s->p (the opening quote): validated; *raw and *len set to its contents. */
static int string(scan *s, const char **raw, size_t *len) {
  const char *p = ++s->p;
  while (p < s->end) {
    unsigned char c = (unsigned char)*p;
    if (c == '"') {
      *raw = s->p;
      *len = (size_t)(p - s->p);
      s->p = p + 1;
      return 0;
    }
    if (c < 0x20) return -1;
    if (c == '\\') {
      if (++p >= s->end) return -1;
      if (*p == 'u') {
        uint32_t cp;
        size_t k = uescape(p, s->end, &cp);
        if (!k) return -1;
        p += k;
      } else if (*p && strchr("\"\\/bfnrt", *p)) {
        p++;
      } else {
        return -1;
      }
    } else if (c < 0x80) {
      p++;
    } else {
      uint32_t cp;
      size_t k = sk_utf8_decode(p, (size_t)(s->end - p), &cp);
      if (!k) return -1;
      p += k;
    }
  }
  return -1;
}

static int digits(scan *s) {
  const char *st = s->p;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
  return s->p > st ? 0 : -1;
}

static int number(scan *s) {
  const char *st = s->p;
  int neg = s->p < s->end && *s->p == '-';
  if (neg) s->p++;
  if (s->p < s->end && *s->p == '0') s->p++;
  else if (digits(s)) return -1;
  int integer = 1;
  if (s->p < s->end && *s->p == '.') {
    s->p++, integer = 0;
    if (digits(s)) return -1;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++, integer = 0;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (digits(s)) return -1;
  }
  if (!integer) { /* jansson refuses reals that overflow a double: so do we */
    size_t n = (size_t)(s->p - st);
    char small[128], *buf = n < sizeof small ? small : sk_malloc(n + 1); /* long reals: rare */
    if (!buf) return -1;
    memcpy(buf, st, n);
    buf[n] = 0;
    errno = 0;
    double v = strtod(buf, NULL);
    int over = errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL);
    if (buf != small) sk_free(buf);
    return over ? -1 : 0;
  }
  { /* jansson refuses integers outside int64: so do we */
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (const char *q = st + neg; q < s->p; q++) {
      uint64_t d = (uint64_t)(*q - '0');
      if (v > (lim - d) / 10) return -1;
      v = v * 10 + d;
    }
  }
  return 0;
}

static void record(scan *s, jscan_type t, const char *raw, size_t len) {
  if (s->overflow) return;
  for (size_t i = 0; i < s->nf; i++) {
    if (strlen(s->f[i].path) != s->plen || memcmp(s->f[i].path, s->path, s->plen)) continue;
    s->f[i].type = t;
    s->f[i].raw = raw;
    s->f[i].raw_len = len;
  }
}

/* Appends ".seg" (or "seg" at the root); returns the previous length to pop back to. */
static size_t push(scan *s, const char *seg, size_t n) {
  size_t old = s->plen, need = (s->nseg ? 1 : 0) + n;
  if (s->overflow || old + need > JSCAN_MAX_PATH || memchr(seg, '.', n)) { /* unmatchable below */
    s->overflow++;
    return old;
  }
  if (s->nseg) s->path[s->plen++] = '.';
  s->nseg++;
  memcpy(s->path + s->plen, seg, n);
  s->plen += n;
  return old;
}
static void pop(scan *s, size_t old) {
  if (s->overflow) {
    s->overflow--;
  } else {
    s->plen = old;
    s->nseg--;
  }
}

static int value(scan *s, int depth) {
  ws(s);
  if (s->p >= s->end) return -1;
  const char *st = s->p;
  char c = *s->p;
  if (c == '{' || c == '[') {
    if (depth >= JSCAN_MAX_DEPTH) return -1;
    s->p++;
    ws(s);
    char close = c == '{' ? '}' : ']';
    if (s->p < s->end && *s->p == close) {
      s->p++;
    } else {
      for (size_t idx = 0;; idx++) {
        size_t old;
        if (c == '{') {
          ws(s);
          const char *k;
          size_t kl;
          if (s->p >= s->end || *s->p != '"' || string(s, &k, &kl)) return -1;
          ws(s);
          if (s->p >= s->end || *s->p != ':') return -1;
          s->p++;
          old = push(s, k, kl);
        } else {
          char num[24];
          int nl = 0;
          size_t v = idx;
          do num[sizeof num - 1 - nl++] = (char)('0' + v % 10), v /= 10;
          while (v && nl < (int)sizeof num);
          old = push(s, num + sizeof num - nl, (size_t)nl);
        }
        int rc = value(s, depth + 1);
        pop(s, old);
        if (rc) return -1;
        ws(s);
        if (s->p >= s->end) return -1;
        if (*s->p == ',') {
          s->p++;
          continue;
        }
        if (*s->p != close) return -1;
        s->p++;
        break;
      }
    }
    record(s, c == '{' ? JSCAN_OBJECT : JSCAN_ARRAY, st, (size_t)(s->p - st));
    return 0;
  }
  if (c == '"') {
    const char *raw;
    size_t len;
    if (string(s, &raw, &len)) return -1;
    record(s, JSCAN_STRING, raw, len);
    return 0;
  }
  static const struct {
    const char *w;
    size_t n;
    jscan_type t;
  } lits[] = {{"true", 4, JSCAN_BOOL}, {"false", 5, JSCAN_BOOL}, {"null", 4, JSCAN_NULL}};
  for (size_t i = 0; i < 3; i++)
    if (c == lits[i].w[0]) {
      if ((size_t)(s->end - s->p) < lits[i].n || memcmp(s->p, lits[i].w, lits[i].n)) return -1;
      s->p += lits[i].n;
      record(s, lits[i].t, st, lits[i].n);
      return 0;
    }
  if (c == '-' || (c >= '0' && c <= '9')) {
    if (number(s)) return -1;
    record(s, JSCAN_NUMBER, st, (size_t)(s->p - st));
    return 0;
  }
  return -1;
}

int jscan(const char *text, size_t n, jscan_field *fields, size_t n_fields) {
  for (size_t i = 0; i < n_fields; i++) fields[i].type = JSCAN_ABSENT, fields[i].raw = NULL, fields[i].raw_len = 0;
  scan s = {.p = text, .end = text + n, .f = fields, .nf = n_fields};
  ws(&s);
  if (s.p >= s.end || (*s.p != '{' && *s.p != '[')) return -1; /* like json_loadb: a container */
  if (value(&s, 0)) return -1;
  ws(&s);
  return s.p == s.end ? 0 : -1;
}

int jscan_string(const jscan_field *f, sk_buf *out) {
  const char *p = f->raw, *end = f->raw + f->raw_len;
  while (p < end) {
    const char *q = p;
    while (q < end && *q != '\\') q++;
    if (q > p && sk_buf_append(out, p, (size_t)(q - p))) return -1;
    if (q >= end) break;
    q++; /* validated by jscan: an escape follows */
    char c = *q, e;
    if (c == 'u') {
      uint32_t cp;
      size_t k = uescape(q, end, &cp);
      char u[4];
      size_t ul = k ? sk_utf8_encode(cp, u) : 0;
      if (!ul || sk_buf_append(out, u, ul)) return -1;
      p = q + k;
      continue;
    }
    e = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
    if (sk_buf_append_byte(out, e)) return -1;
    p = q + 1;
  }
  return 0;
}

int64_t jscan_int(const jscan_field *f) {
  if (f->type != JSCAN_NUMBER) return 0;
  const char *p = f->raw, *end = f->raw + f->raw_len;
  int neg = p < end && *p == '-';
  uint64_t v = 0;
  for (p += neg; p < end; p++) {
    if (*p < '0' || *p > '9') return 0; /* a real */
    v = v * 10 + (uint64_t)(*p - '0');   /* in range: jscan refused larger integers */
  }
  return neg ? (int64_t)(0 - v) : (int64_t)v;
}
