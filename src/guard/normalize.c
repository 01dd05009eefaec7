/* normalize.c — see normalize.h. One pass; output is at most a few times the input (NFKC of a
 * single code point is at most 18 code points), so the buffer grows geometrically. */
#include "guard/normalize.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/utf8.h"

/* Longest NFKC expansion of one code point, in code points (utf8proc documents 18 for NFKD). */
#define NORM_MAX_EXPANSION 18

typedef struct nb {
  char *s;
  uint32_t *map;
  size_t len, cap;
} nb;

static int nb_reserve(nb *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  char *s = sk_realloc(b->s, cap);
  if (!s) return SK_ENOMEM;
  b->s = s;
  uint32_t *m = sk_realloc(b->map, cap * sizeof *m);
  if (!m) return SK_ENOMEM;
  b->map = m;
  b->cap = cap;
  return 0;
}

static inline void nb_put(nb *b, char c, uint32_t orig) {
  b->s[b->len] = c;
  b->map[b->len++] = orig;
}

static bool is_digit_cp(uint32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 0xFF10 && cp <= 0xFF19);
}

static bool is_dash_cp(uint32_t cp) {
  return (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE63 || cp == 0xFF0D ||
         cp == 0xFF70;
}

/* NFKC of one code point that needs no context (everything but 「ー」), into out (at most
 * 4 * NORM_MAX_EXPANSION bytes); returns the byte count. */
static size_t norm_cp(uint32_t cp, const char *orig, size_t k, char *out) {
  if (cp == 0x3000) {
    out[0] = ' ';
    return 1;
  }
  if (cp >= 0xFF10 && cp <= 0xFF19) {
    out[0] = (char)(cp - 0xFF10 + '0');
    return 1;
  }
  if (is_dash_cp(cp)) {
    out[0] = '-';
    return 1;
  }
  if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FFF)) {
    memcpy(out, orig, k); /* NFKC-stable */
    return k;
  }
  if (cp >= 0xFF01 && cp <= 0xFF5E) {
    out[0] = (char)(cp - 0xFEE0);
    return 1;
  }
  const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
  if (p->decomp_seqindex == UINT16_MAX) {
    memcpy(out, orig, k);
    return k;
  }
  utf8proc_int32_t tmp[NORM_MAX_EXPANSION];
  int last_bc = 0;
  utf8proc_ssize_t m = utf8proc_decompose_char((utf8proc_int32_t)cp, tmp, NORM_MAX_EXPANSION,
                                               UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STABLE, &last_bc);
  if (m <= 0 || m > NORM_MAX_EXPANSION) {
    memcpy(out, orig, k);
    return k;
  }
  m = utf8proc_normalize_utf32(tmp, m, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
  size_t o = 0;
  for (utf8proc_ssize_t q = 0; q < m; q++) {
    size_t el = sk_utf8_encode((uint32_t)tmp[q], out + o);
    if (el == 1 && out[o] == 0) out[o] = ' ';
    o += el;
  }
  return o;
}

/* One bit per BMP code point with a 3-byte UTF-8 form (U+0800..U+FFFF) that norm_cp leaves
 * unchanged (kana, kanji, 「」。、 and most of the BMP). Computed once from norm_cp itself, so
 * the fast path below copies exactly what the slow path would produce; 「ー」 (context) and
 * surrogates are never set. */
static uint64_t g_stable[0x10000 / 64];
static pthread_once_t g_stable_once = PTHREAD_ONCE_INIT;

static void stable_init(void) {
  for (uint32_t cp = 0x800; cp <= 0xFFFF; cp++) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x30FC) continue;
    char in[4], out[4 * NORM_MAX_EXPANSION];
    size_t k = sk_utf8_encode(cp, in);
    size_t o = norm_cp(cp, in, k, out);
    if (o == k && !memcmp(in, out, k)) g_stable[cp >> 6] |= (uint64_t)1 << (cp & 63);
  }
}

int pii_norm_build(pii_norm *n, const char *text, size_t len) {
  memset(n, 0, sizeof *n);
  pthread_once(&g_stable_once, stable_init);
  nb b = {0};
  if (nb_reserve(&b, len + 16)) goto oom;
  size_t i = 0;
  while (i < len) {
    /* fast path: ASCII and NFKC-stable 3-byte code points are copied byte for byte; the output
     * is never longer than the input here, so the reservation above (and after each slow step)
     * covers it: check once per code point, grow rarely */
    if (b.len + 4 > b.cap && nb_reserve(&b, 4)) goto oom;
    const unsigned char *u = (const unsigned char *)text + i;
    unsigned char c = u[0];
    if (c < 0x80) {
      nb_put(&b, c == 0 ? ' ' : (char)c, (uint32_t)i);
      i++;
      continue;
    }
    uint32_t cp;
    size_t k;
    if ((c & 0xF0) == 0xE0 && i + 3 <= len && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80 &&
        (cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F)) >= 0x800) {
      k = 3;
      if ((g_stable[cp >> 6] >> (cp & 63)) & 1) { /* never a surrogate: those bits are clear */
        nb_put(&b, (char)u[0], (uint32_t)i);
        nb_put(&b, (char)u[1], (uint32_t)i);
        nb_put(&b, (char)u[2], (uint32_t)i);
        i += 3;
        continue;
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) k = 0; /* encoded surrogate: invalid */
    } else {
      k = sk_utf8_decode(text + i, len - i, &cp);
    }
    if (k == 0) { /* invalid byte: one '?' per byte keeps the map simple */
      nb_put(&b, '?', (uint32_t)i);
      i++;
      continue;
    }
    if (nb_reserve(&b, 4 * NORM_MAX_EXPANSION)) goto oom;
    uint32_t o = (uint32_t)i;
    if (cp == 0x30FC) { /* ー: a dash only between digits (not in カード) */
      uint32_t nx = 0;
      bool prev_digit = b.len > 0 && b.s[b.len - 1] >= '0' && b.s[b.len - 1] <= '9';
      if (prev_digit && i + k < len && sk_utf8_decode(text + i + k, len - i - k, &nx) &&
          is_digit_cp(nx))
        nb_put(&b, '-', o);
      else
        for (size_t j = 0; j < k; j++) nb_put(&b, text[i + j], o);
    } else {
      char out[4 * NORM_MAX_EXPANSION];
      size_t m = norm_cp(cp, text + i, k, out);
      for (size_t j = 0; j < m; j++) nb_put(&b, out[j], o);
    }
    i += k;
  }
  if (nb_reserve(&b, 1)) goto oom;
  b.s[b.len] = '\0';
  b.map[b.len] = (uint32_t)len;
  n->s = b.s;
  n->map = b.map;
  n->len = b.len;
  n->orig_len = len;
  return 0;
oom:
  sk_free(b.s);
  sk_free(b.map);
  return SK_ENOMEM;
}

void pii_norm_release(pii_norm *n) {
  sk_free(n->s);
  sk_free(n->map);
  memset(n, 0, sizeof *n);
}

void pii_norm_span(const pii_norm *n, size_t a, size_t b, size_t *oa, size_t *ob) {
  *oa = n->map[a];
  if (b >= n->len) {
    *ob = n->orig_len;
    return;
  }
  if (b > a && n->map[b] == n->map[b - 1]) { /* b falls inside one code point's expansion */
    size_t k = b;
    while (k < n->len && n->map[k] == n->map[b - 1]) k++;
    *ob = k < n->len ? n->map[k] : n->orig_len;
    return;
  }
  *ob = n->map[b];
}
