/* canon.c — strict JSON into a flat tree; canonical compact dump with sorted keys. */
#include "audit/canon.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

typedef struct ps {
  canon_doc *d;
  const unsigned char *p, *start, *end;
  int max_depth;
  sk_err *err;
} ps;

void canon_init(canon_doc *d) { memset(d, 0, sizeof *d); }

void canon_release(canon_doc *d) {
  sk_free(d->nodes);
  sk_free(d->arena);
  sk_free(d->tmp);
  canon_init(d);
}

static int syntax(ps *s, const char *what) {
  return sk_err_set(s->err, SK_EFORMAT, "%s at byte %zu", what, (size_t)(s->p - s->start));
}

static int oom(ps *s) { return sk_err_set(s->err, SK_ENOMEM, "out of memory parsing JSON"); }

static int arena_reserve(ps *s, size_t extra) {
  canon_doc *d = s->d;
  if (d->arena_len + extra <= d->arena_cap) return SK_OK;
  size_t cap = d->arena_cap ? d->arena_cap : 1024;
  while (cap < d->arena_len + extra) cap *= 2;
  char *a = sk_realloc(d->arena, cap);
  if (!a) return oom(s);
  d->arena = a;
  d->arena_cap = cap;
  return SK_OK;
}

static int tmp_reserve(ps *s, size_t extra) {
  canon_doc *d = s->d;
  if (d->tmp_len + extra <= d->tmp_cap) return SK_OK;
  size_t cap = d->tmp_cap ? d->tmp_cap : 64;
  while (cap < d->tmp_len + extra) cap *= 2;
  uint32_t *t = sk_realloc(d->tmp, cap * sizeof *t);
  if (!t) return oom(s);
  d->tmp = t;
  d->tmp_cap = cap;
  return SK_OK;
}

static int new_node(ps *s, canon_type type, uint32_t *out) {
  canon_doc *d = s->d;
  if (d->n == d->cap) {
    uint32_t cap = d->cap ? d->cap * 2 : 64;
    canon_node *n = sk_realloc(d->nodes, (size_t)cap * sizeof *n);
    if (!n) return oom(s);
    d->nodes = n;
    d->cap = cap;
  }
  canon_node *n = &d->nodes[d->n];
  memset(n, 0, sizeof *n);
  n->type = type;
  n->child = n->next = CANON_NONE;
  *out = d->n++;
  return SK_OK;
}

static void skip_ws(ps *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++;
}

static int hex4(const unsigned char *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t n;
  uint32_t v;
  if (c >= 0xC2 && c <= 0xDF) n = 2, v = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, v = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, v = c & 0x07;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    v = v << 6 | (p[i] & 0x3F);
  }
  if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000)) return 0;
  return n;
}

/* At the opening quote: decodes the string into the arena. */
static int parse_string(ps *s, uint32_t *off, uint32_t *len) {
  canon_doc *d = s->d;
  s->p++;
  /* decoded text is never longer than its source */
  int rc = arena_reserve(s, (size_t)(s->end - s->p) + 1); /* + 1: never a NULL arena */
  if (rc) return rc;
  char *o = d->arena + d->arena_len, *o0 = o;
  for (;;) {
    const unsigned char *p = s->p;
    while (p < s->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') *o++ = (char)*p++;
    s->p = p;
    if (p >= s->end) return syntax(s, "unterminated string");
    unsigned c = *p;
    if (c == '"') {
      s->p++;
      break;
    }
    if (c < 0x20) return syntax(s, "control character in a string (escape it)");
    if (c >= 0x80) {
      size_t n = utf8_seq(p, s->end);
      if (!n) return syntax(s, "invalid UTF-8");
      memcpy(o, p, n);
      o += n;
      s->p += n;
      continue;
    }
    /* backslash */
    if (s->end - p < 2) return syntax(s, "unterminated string");
    c = p[1];
    s->p += 2;
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '/': *o++ = '/'; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      uint32_t cp, lo;
      if (s->end - s->p < 4 || hex4(s->p, &cp)) return syntax(s, "invalid \\u escape");
      s->p += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) || lo < 0xDC00 ||
            lo > 0xDFFF)
          return syntax(s, "unpaired surrogate in a \\u escape");
        s->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return syntax(s, "unpaired surrogate in a \\u escape");
      } else if (cp == 0) {
        return syntax(s, "\\u0000 is not allowed");
      }
      o += put_utf8(o, cp);
      break;
    }
    default:
      return syntax(s, "invalid escape");
    }
  }
  *off = (uint32_t)d->arena_len;
  *len = (uint32_t)(o - o0);
  d->arena_len += *len;
  return SK_OK;
}

static size_t put_i64(char *o, int64_t v) {
  char t[24];
  size_t n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do t[n++] = (char)('0' + u % 10);
  while (u /= 10);
  size_t k = 0;
  if (v < 0) o[k++] = '-';
  while (n) o[k++] = t[--n];
  return k;
}

static int is_digit(const ps *s) { return s->p < s->end && *s->p >= '0' && *s->p <= '9'; }

static int parse_number(ps *s, uint32_t node) {
  const unsigned char *t0 = s->p;
  int neg = 0, real = 0;
  if (*s->p == '-') neg = 1, s->p++;
  if (s->p < s->end && *s->p == '0') {
    s->p++;
    if (is_digit(s)) return syntax(s, "leading zero in a number");
  } else if (is_digit(s)) {
    while (is_digit(s)) s->p++;
  } else {
    return syntax(s, "invalid number");
  }
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (!is_digit(s)) return syntax(s, "invalid number");
    while (is_digit(s)) s->p++;
    real = 1;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (!is_digit(s)) return syntax(s, "invalid number");
    while (is_digit(s)) s->p++;
    real = 1;
  }
  size_t tl = (size_t)(s->p - t0);
  int rc = arena_reserve(s, tl + 48);
  if (rc) return rc;
  canon_doc *d = s->d;
  char *o = d->arena + d->arena_len;
  canon_node *n = &d->nodes[node];
  n->text = (uint32_t)d->arena_len;
  if (!real) {
    n->type = CANON_INT;
    uint64_t u = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (const unsigned char *q = t0 + neg; q < s->p; q++) {
      unsigned dg = (unsigned)(*q - '0');
      if (u > (lim - dg) / 10) return syntax(s, "integer out of range");
      u = u * 10 + dg;
    }
    n->ival = neg ? (int64_t)(0 - u) : (int64_t)u; /* 0 - 2^63 wraps to INT64_MIN */
    n->text_len = (uint32_t)put_i64(o, n->ival);
    d->arena_len += n->text_len;
    return SK_OK;
  }
  n->type = CANON_REAL;
  memcpy(o, t0, tl);
  o[tl] = '\0';
  errno = 0;
  double v = strtod(o, NULL);
  if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE) return syntax(s, "real number overflow");
  /* jansson's form: %.17g, ".0" when it reads as an integer, exponent without '+' or leading 0s */
  char b[48];
  int k = snprintf(b, sizeof b, "%.17g", v);
  assert(k > 0 && (size_t)k < sizeof b - 3);
  size_t bl = (size_t)k;
  char *e = memchr(b, 'e', bl);
  if (!e && !memchr(b, '.', bl)) {
    b[bl++] = '.';
    b[bl++] = '0';
  }
  size_t ol = 0;
  if (e) {
    size_t head = (size_t)(e - b) + 1, i = head;
    memcpy(o, b, head);
    ol = head;
    if (b[i] == '-') o[ol++] = b[i++];
    else if (b[i] == '+') i++;
    while (i + 1 < bl && b[i] == '0') i++;
    memcpy(o + ol, b + i, bl - i);
    ol += bl - i;
  } else {
    memcpy(o, b, bl);
    ol = bl;
  }
  n->text_len = (uint32_t)ol;
  d->arena_len += ol;
  return SK_OK;
}

static int key_cmp(const canon_doc *d, uint32_t a, uint32_t b) {
  const canon_node *x = &d->nodes[a], *y = &d->nodes[b];
  size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(d->arena + x->key, d->arena + y->key, m);
  if (c) return c;
  return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Stable bottom-up merge sort of v[0..n) by key, using w[0..n) as scratch; result in v. */
static void sort_members(const canon_doc *d, uint32_t *v, uint32_t *w, size_t n) {
  if (n <= 8) { /* small (the usual envelope's sub-objects): insertion sort */
    for (size_t i = 1; i < n; i++) {
      uint32_t x = v[i];
      size_t j = i;
      while (j > 0 && key_cmp(d, v[j - 1], x) > 0) v[j] = v[j - 1], j--;
      v[j] = x;
    }
    return;
  }
  uint32_t *src = v, *dst = w;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = key_cmp(d, src[j], src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, n * sizeof *v);
}

static int parse_value(ps *s, int depth, uint32_t *out);

static int parse_container(ps *s, int depth, uint32_t node, int obj) {
  canon_doc *d = s->d;
  s->p++;
  skip_ws(s);
  size_t base = d->tmp_len;
  unsigned char close = obj ? '}' : ']';
  int rc;
  if (s->p < s->end && *s->p == close) {
    s->p++;
    return SK_OK;
  }
  for (;;) {
    uint32_t koff = 0, klen = 0, c = 0;
    skip_ws(s);
    if (obj) {
      if (s->p >= s->end || *s->p != '"') return syntax(s, "expected a string key");
      if ((rc = parse_string(s, &koff, &klen))) return rc;
      skip_ws(s);
      if (s->p >= s->end || *s->p != ':') return syntax(s, "expected ':'");
      s->p++;
    }
    if ((rc = parse_value(s, depth + 1, &c))) return rc;
    d->nodes[c].key = koff;
    d->nodes[c].key_len = klen;
    if ((rc = tmp_reserve(s, 1))) return rc;
    d->tmp[d->tmp_len++] = c;
    skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == close) {
      s->p++;
      break;
    }
    return syntax(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  size_t n = d->tmp_len - base;
  if (obj) {
    if ((rc = tmp_reserve(s, n))) return rc;
    sort_members(d, d->tmp + base, d->tmp + base + n, n);
    for (size_t i = 1; i < n; i++)
      if (key_cmp(d, d->tmp[base + i - 1], d->tmp[base + i]) == 0) {
        const canon_node *k = &d->nodes[d->tmp[base + i]];
        return sk_err_set(s->err, SK_EFORMAT, "duplicate object key \"%.*s\"", (int)(k->key_len > 64 ? 64 : k->key_len),
                          d->arena + k->key);
      }
  }
  for (size_t i = 0; i + 1 < n; i++) d->nodes[d->tmp[base + i]].next = d->tmp[base + i + 1];
  d->nodes[node].child = d->tmp[base];
  d->nodes[node].n_child = (uint32_t)n;
  d->tmp_len = base;
  return SK_OK;
}

static int lit(ps *s, const char *word, size_t n) {
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return syntax(s, "invalid literal");
  s->p += n;
  return SK_OK;
}

static int parse_value(ps *s, int depth, uint32_t *out) {
  skip_ws(s);
  if (depth > s->max_depth)
    return sk_err_set(s->err, SK_ELIMIT, "JSON nests deeper than %d levels", s->max_depth);
  if (s->p >= s->end) return syntax(s, "unexpected end of input");
  uint32_t node = 0;
  int rc = new_node(s, CANON_NULL, &node);
  if (rc) return rc;
  *out = node;
  switch (*s->p) {
  case '{':
    s->d->nodes[node].type = CANON_OBJ;
    return parse_container(s, depth, node, 1);
  case '[':
    s->d->nodes[node].type = CANON_ARR;
    return parse_container(s, depth, node, 0);
  case '"': {
    uint32_t off, len;
    if ((rc = parse_string(s, &off, &len))) return rc;
    canon_node *n = &s->d->nodes[node];
    n->type = CANON_STR;
    n->text = off;
    n->text_len = len;
    return SK_OK;
  }
  case 't':
    s->d->nodes[node].type = CANON_TRUE;
    return lit(s, "true", 4);
  case 'f':
    s->d->nodes[node].type = CANON_FALSE;
    return lit(s, "false", 5);
  case 'n':
    return lit(s, "null", 4);
  default:
    if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return parse_number(s, node);
    return syntax(s, "unexpected character");
  }
}

int canon_parse(canon_doc *d, const char *json, size_t len, int max_depth, sk_err *err) {
  assert(max_depth >= 0 && max_depth <= CANON_MAX_DEPTH);
  d->n = 0;
  d->arena_len = 0;
  d->tmp_len = 0;
  if (len > CANON_MAX_INPUT)
    return sk_err_set(err, SK_ELIMIT, "JSON of %zu bytes; the limit is %u", len, CANON_MAX_INPUT);
  ps s = {d, (const unsigned char *)json, (const unsigned char *)json, (const unsigned char *)json + len,
          max_depth, err};
  skip_ws(&s);
  if (s.p >= s.end || (*s.p != '{' && *s.p != '[')) return syntax(&s, "'{' or '[' expected");
  uint32_t root = 0;
  int rc = parse_value(&s, 0, &root);
  if (rc) return rc;
  skip_ws(&s);
  if (s.p != s.end) return syntax(&s, "trailing characters after the JSON value");
  return SK_OK;
}

int canon_key_is(const canon_doc *d, const canon_node *n, const char *str) {
  size_t l = strlen(str);
  return n->key_len == l && memcmp(d->arena + n->key, str, l) == 0;
}

static int dump_str(sk_buf *out, const char *s, size_t n) {
  int rc = sk_buf_reserve(out, n + 2);
  if (rc || (rc = sk_buf_append_byte(out, '"'))) return rc;
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if ((rc = sk_buf_append(out, s + run, i - run))) return rc;
    char esc[8];
    size_t el = 2;
    esc[0] = '\\';
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default: {
      static const char hx[] = "0123456789ABCDEF";
      memcpy(esc + 1, "u00", 3);
      esc[4] = hx[c >> 4];
      esc[5] = hx[c & 15];
      el = 6;
    }
    }
    if ((rc = sk_buf_append(out, esc, el))) return rc;
    run = i + 1;
  }
  if ((rc = sk_buf_append(out, s + run, n - run))) return rc;
  return sk_buf_append_byte(out, '"');
}

int canon_dump(const canon_doc *d, uint32_t node, sk_buf *out) {
  const canon_node *n = &d->nodes[node];
  int rc;
  switch ((canon_type)n->type) {
  case CANON_NULL: return sk_buf_append(out, "null", 4);
  case CANON_TRUE: return sk_buf_append(out, "true", 4);
  case CANON_FALSE: return sk_buf_append(out, "false", 5);
  case CANON_INT:
  case CANON_REAL: return sk_buf_append(out, d->arena + n->text, n->text_len);
  case CANON_STR: return dump_str(out, d->arena + n->text, n->text_len);
  case CANON_ARR:
  case CANON_OBJ: {
    int obj = n->type == CANON_OBJ;
    if ((rc = sk_buf_append_byte(out, obj ? '{' : '['))) return rc;
    for (uint32_t c = n->child; c != CANON_NONE; c = d->nodes[c].next) {
      if (c != n->child && (rc = sk_buf_append_byte(out, ','))) return rc;
      if (obj) {
        if ((rc = dump_str(out, d->arena + d->nodes[c].key, d->nodes[c].key_len))) return rc;
        if ((rc = sk_buf_append_byte(out, ':'))) return rc;
      }
      if ((rc = canon_dump(d, c, out))) return rc;
    }
    return sk_buf_append_byte(out, obj ? '}' : ']');
  }
  }
  return SK_OK;
}
