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
#include "guard/internal.h"

/* Longest NFKC expansion of one code point, in code points (utf8proc documents 18 for NFKD). */
#define NORM_MAX_EXPANSION 18

typedef struct nb {
  char *s;
  uint32_t *map;
  uint8_t *cls; /* cap + CL_PAD bytes */
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
  uint8_t *c = sk_realloc(b->cls, cap + CL_PAD);
  if (!c) return SK_ENOMEM;
  b->cls = c;
  b->cap = cap;
  return 0;
}

/* ---- character classes (internal.h CL_*), written beside the text ---- */

static uint8_t cp_class(uint32_t cp) {
  uint8_t f = CL_START;
  if (cp_kanji(cp)) f |= CL_KANJI | CL_KANJIISH;
  if (cp == 0x30F6 || cp == 0x30B1) f |= CL_KANJIISH;
  if (cp_hiragana(cp)) f |= CL_HIRA | CL_KANA_W;
  if (cp_katakana(cp)) f |= CL_KATA;
  if (cp_katakana(cp) && cp != 0x30FC && cp != 0x30FB) f |= CL_KANA_W;
  if (cp_kanji_num(cp)) f |= CL_KANJI_NUM;
  return f;
}

static inline uint8_t ascii_class(unsigned char b) {
  return (uint8_t)(CL_START | (((b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) ? CL_ASCII_UD : 0));
}

/* Class byte of every code point with a 3-byte UTF-8 form (built with g_stable, once): one
 * table load per kana or kanji (64 KB, cache-resident on Japanese text). */
static uint8_t g_cls3[0x10000];

/* Classes of s[a,b): a and b on code point boundaries of valid UTF-8 (the slow path's output). */
static void cls_range(const char *s, size_t a, size_t b, uint8_t *c) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = a; i < b;) {
    unsigned char x = u[i];
    if (x < 0x80) {
      c[i++] = ascii_class(x);
      continue;
    }
    uint32_t cp;
    size_t k = ch_at(s, b, i, &cp);
    c[i] = (x >= 0xE0 && x < 0xF0 && k == 3) ? g_cls3[cp] : cp_class(cp);
    for (size_t j = 1; j < k; j++) c[i + j] = 0;
    i += k;
  }
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
  for (uint32_t cp = 0x800; cp <= 0xFFFF; cp++) g_cls3[cp] = cp_class(cp);
  for (uint32_t cp = 0x800; cp <= 0xFFFF; cp++) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x30FC) continue;
    char in[4], out[4 * NORM_MAX_EXPANSION];
    size_t k = sk_utf8_encode(cp, in);
    size_t o = norm_cp(cp, in, k, out);
    if (o == k && !memcmp(in, out, k)) g_stable[cp >> 6] |= (uint64_t)1 << (cp & 63);
  }
}

/* Copies the run of unchanged code points at t[i..] into b (ASCII other than NUL, eight bytes
 * at a time when a whole word is; NFKC-stable 3-byte code points by the table) with the same
 * map entries as one nb_put per byte; returns where the run ends (the first code point the slow
 * path must see). The caller has reserved room for the rest of the input. */
static size_t stable_run(nb *b, const unsigned char *t, size_t i, size_t len) {
  char *s = b->s;
  uint32_t *m = b->map;
  uint8_t *cl = b->cls;
  size_t o = b->len;
  while (i < len) {
    unsigned char c = t[i];
    if (c < 0x80) {
      if (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, t + i, 8);
        /* no byte >= 0x80 and no NUL byte (NUL becomes a space) */
        const uint64_t lo = 0x0101010101010101u, hi = 0x8080808080808080u;
        if (!(w & hi) && !((w - lo) & ~w & hi)) {
          memcpy(s + o, t + i, 8);
          for (unsigned j = 0; j < 8; j++) m[o + j] = (uint32_t)(i + j);
          for (unsigned j = 0; j < 8; j++) cl[o + j] = ascii_class(t[i + j]);
          o += 8;
          i += 8;
          continue;
        }
      }
      s[o] = c == 0 ? ' ' : (char)c;
      cl[o] = ascii_class((unsigned char)s[o]);
      m[o++] = (uint32_t)i++;
      continue;
    }
    if ((c & 0xF0) != 0xE0 || i + 3 > len || (t[i + 1] & 0xC0) != 0x80 || (t[i + 2] & 0xC0) != 0x80) break;
    uint32_t cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(t[i + 1] & 0x3F) << 6) | (t[i + 2] & 0x3F);
    /* overlong forms (< 0x800) and surrogates never have their bit set */
    if (!((g_stable[cp >> 6] >> (cp & 63)) & 1)) break;
    s[o] = (char)c;
    s[o + 1] = (char)t[i + 1];
    s[o + 2] = (char)t[i + 2];
    m[o] = m[o + 1] = m[o + 2] = (uint32_t)i;
    cl[o] = g_cls3[cp];
    cl[o + 1] = cl[o + 2] = 0;
    o += 3;
    i += 3;
  }
  b->len = o;
  return i;
}

int pii_norm_build(pii_norm *n, const char *text, size_t len) {
  memset(n, 0, sizeof *n);
  pthread_once(&g_stable_once, stable_init);
  nb b = {0};
  if (nb_reserve(&b, len + 16)) goto oom;
  size_t i = 0;
  size_t slow_from = SIZE_MAX; /* output of the last slow-path step, classified at the next */
  while (i < len) {
    if (slow_from != SIZE_MAX) {
      cls_range(b.s, slow_from, b.len, b.cls);
      slow_from = SIZE_MAX;
    }
    /* fast path: runs of ASCII and NFKC-stable 3-byte code points are copied byte for byte; the
     * output is never longer than the input there, so room for the rest of the input covers a
     * whole run */
    if (nb_reserve(&b, len - i + 4)) goto oom;
    i = stable_run(&b, (const unsigned char *)text, i, len);
    if (i >= len) break;
    slow_from = b.len;
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
  if (slow_from != SIZE_MAX) cls_range(b.s, slow_from, b.len, b.cls);
  if (nb_reserve(&b, 1)) goto oom;
  b.s[b.len] = '\0';
  b.map[b.len] = (uint32_t)len;
  memset(b.cls + b.len, 0, 1 + CL_PAD); /* cap >= len + 1: CL_PAD more were allocated */
  n->s = b.s;
  n->map = b.map;
  n->cls = b.cls;
  n->len = b.len;
  n->orig_len = len;
  return 0;
oom:
  sk_free(b.s);
  sk_free(b.map);
  sk_free(b.cls);
  return SK_ENOMEM;
}

void pii_norm_release(pii_norm *n) {
  sk_free(n->s);
  sk_free(n->map);
  sk_free(n->cls);
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
