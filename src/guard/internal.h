/* internal.h — what the scanner and the recognisers share (not part of the public API).
 *
 * Every recogniser works on the NORMALISED text (see normalize.h): full-width digits, letters
 * and punctuation are ASCII there, dashes between digits are '-', the ideographic space is ' '.
 * Recognisers report candidates in normalised offsets; scan.c resolves overlaps and maps spans
 * back to the original bytes. */
#ifndef SK_GUARD_INTERNAL_H
#define SK_GUARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guard/guard.h"
#include "guard/lexicon.h"
#include "guard/normalize.h"

typedef struct pii_scanner {
  pii_options opt;
  pii_lexicon *lex; /* names from the MeCab dictionary; NULL when unavailable */
  void *mecab_model; /* mecab_model_t*, NULL without MeCab */
  struct pii_mpool *mpool; /* idle MeCab taggers/lattices for the next scans (scan.c); may be NULL */
} pii_scanner_impl;

/* A MeCab tagger and lattice for one scan: taken from the scanner's pool (or created), given
 * back when the scan ends so short texts do not create and destroy them per call. Each pair is
 * used by one scan (one thread) at a time. take: false when none can be had. give: the pool
 * keeps at most PII_MECAB_POOL_MAX pairs and destroys the rest; NULLs are ignored. */
bool pii_mecab_take(const pii_scanner_impl *sc, void **tagger, void **lattice);
void pii_mecab_give(const pii_scanner_impl *sc, void *tagger, void *lattice);

/* One MeCab token of a cached sentence parse (person.c). */
typedef struct pii_mnode {
  uint32_t start, end; /* normalised offsets */
  uint8_t person;      /* 名詞,固有名詞,人名 */
  uint8_t proper;      /* 名詞,固有名詞 or unknown to the dictionary */
  uint8_t function;    /* サ変接続 noun, verb, particle or auxiliary: never inside a name */
} pii_mnode;

/* Character classes of the normalised text, one byte per byte (pii_doc.cls = pii_norm.cls,
 * built by the normaliser in the same pass as the text), computed once per
 * scan so that the recognisers that walk every code point (names, addresses) skip to the next
 * interesting one with a byte test instead of decoding UTF-8 at each step. Flags are set on the
 * FIRST byte of a code point only; continuation bytes are 0. */
enum {
  CL_START = 1 << 0,    /* a code point starts here */
  CL_KANJI = 1 << 1,    /* cp_kanji */
  CL_KANJIISH = 1 << 2, /* cp_kanji, ヶ or ケ (they write place and family names) */
  CL_HIRA = 1 << 3,     /* cp_hiragana */
  CL_KATA = 1 << 4,     /* cp_katakana (includes ー and ・) */
  CL_KANA_W = 1 << 5,   /* a kana that can start a word: hiragana, or katakana other than ー ・ */
  CL_KANJI_NUM = 1 << 6, /* 一二三四五六七八九十〇百千 */
  CL_ASCII_UD = 1 << 7   /* ASCII 'A'..'Z' or '0'..'9' (romaji names, block numbers) */
};
/* The class array has CL_PAD zero bytes after its n.len + 1 entries, so cls_skip reads whole
 * 8-byte words without a bounds test per byte. */
#define CL_PAD 8
/* First position p >= i with cls[p] & mask, or len when none: 8 class bytes per step (on novels
 * the walkers spend most of their time stepping over bytes they do not care about). */
static inline size_t cls_skip(const uint8_t *cls, size_t i, size_t len, uint8_t mask) {
  const uint64_t rep = 0x0101010101010101ull * mask;
  while (i < len) {
    uint64_t w;
    memcpy(&w, cls + i, 8);
    w &= rep;
    if (w) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      size_t p = i + ((size_t)__builtin_ctzll(w) >> 3); /* lowest address = lowest byte */
#else
      size_t p = i;
      while (!(cls[p] & mask)) p++;
#endif
      return p < len ? p : len;
    }
    i += 8;
  }
  return len;
}

/* IPADIC numbers its parts of speech 0..68; larger ids are classified without the cache. */
#define PII_POS_CACHE 256

/* One scan: the normalised text and the candidate list. */
typedef struct pii_doc {
  const pii_scanner *sc;
  pii_norm n;           /* normalised text + offset map */
  const uint8_t *cls;   /* n.len + 1 class bytes (CL_*), see above */
  pii_findings cands;   /* candidates, NORMALISED offsets */
  void *mecab_tagger;   /* created lazily, only when a name is plausible */
  void *mecab_lattice;
  /* MeCab parse of the last sentence, reused by every candidate inside it */
  size_t mc_start, mc_end;       /* normalised range parsed; mc_end == 0: none */
  struct pii_mnode *mc_nodes;    /* token spans and classes */
  size_t mc_count, mc_cap;
  struct pii_mmemo *memo;        /* parses of recent sentence windows (person.c) */
  unsigned mc_parses;            /* MeCab parses so far in this scan */
  uint8_t pos_cache[PII_POS_CACHE]; /* MeCab part-of-speech classes by posid (person.c) */
  struct pii_tcache *tc; /* table layout of the last line asked about (context.c) */
  int oom;              /* set when a candidate could not be stored */
} pii_doc;

/* Adds a candidate [start,end) in normalised offsets. Never fails loudly: on OOM or past
 * PII_MAX_FINDINGS it sets d->oom and drops the candidate. */
void pii_emit(pii_doc *d, pii_type t, size_t start, size_t end, float score);

/* ---- character helpers on the normalised text ---- */
static inline bool ch_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool ch_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline bool ch_upper(char c) { return c >= 'A' && c <= 'Z'; }
static inline bool ch_alnum(char c) { return ch_digit(c) || ch_alpha(c); }
/* Decodes the code point at s[i] (normalised text is valid UTF-8); returns its length (>=1).
 * Inline: every recogniser walks the text code point by code point, so the common 1- and
 * 3-byte forms are decoded here and anything else goes to the strict decoder. */
size_t ch_at_slow(const char *s, size_t len, size_t i, uint32_t *cp);
static inline size_t ch_at(const char *s, size_t len, size_t i, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s + i;
  if (u[0] < 0x80) {
    *cp = u[0];
    return 1;
  }
  if (i + 3 <= len) {
    /* lead 1110xxxx and two 10xxxxxx bytes, tested as one 24-bit word */
    uint32_t w = (uint32_t)u[0] | ((uint32_t)u[1] << 8) | ((uint32_t)u[2] << 16);
    uint32_t c = ((w & 0x0F) << 12) | ((w >> 2) & 0xFC0) | ((w >> 16) & 0x3F);
    if ((w & 0xC0C0F0u) == 0x8080E0u && c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
      *cp = c;
      return 3;
    }
  }
  return ch_at_slow(s, len, i, cp);
}
/* Start of the code point before i (i > 0). */
static inline size_t ch_prev(const char *s, size_t i) {
  const unsigned char *u = (const unsigned char *)s;
  /* the common case (kana, kanji) without the loop: a 3-byte lead and two continuation bytes */
  if (i >= 3 && (u[i - 3] & 0xF0) == 0xE0 && (u[i - 2] & 0xC0) == 0x80 && (u[i - 1] & 0xC0) == 0x80)
    return i - 3;
  size_t k = i - 1;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4) k--;
  return k;
}
static inline bool cp_kanji(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || cp == 0x3005 ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}
static inline bool cp_hiragana(uint32_t cp) { return cp >= 0x3041 && cp <= 0x309F; }
/* includes ー and ・ */
static inline bool cp_katakana(uint32_t cp) {
  return (cp >= 0x30A1 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF);
}
static inline bool cp_kanji_num(uint32_t cp) {
  switch (cp) { /* 一二三四五六七八九十〇百千 */
  case 0x4E00: case 0x4E8C: case 0x4E09: case 0x56DB: case 0x4E94: case 0x516D: case 0x4E03:
  case 0x516B: case 0x4E5D: case 0x5341: case 0x3007: case 0x767E: case 0x5343: return true;
  default: return false;
  }
}
static inline bool cp_japanese(uint32_t cp) {
  return cp_kanji(cp) || cp_hiragana(cp) || cp_katakana(cp) || (cp >= 0x3000 && cp <= 0x303F);
}

/* ---- context (context.c) ---- */
/* Distance in bytes from pos back to the END of the nearest occurrence of any keyword in
 * kws (NULL-terminated; ASCII compared case-insensitively) within window bytes before pos;
 * -1 when none. kws must be a STATIC list (at most 64 words): its prepared form is cached per
 * thread by address, for ctx_right and ctx_span_has too. */
long ctx_left(const pii_doc *d, size_t pos, size_t window, const char *const *kws);
/* Distance from end forward to the START of the nearest keyword within window; -1 if none. */
long ctx_right(const pii_doc *d, size_t end, size_t window, const char *const *kws);
/* When pos lies in a cell of a comma/tab table whose first row is a header, sets the header
 * cell's [hs,he) and the cell's [cs,ce) and returns true. */
bool ctx_table_cell(const pii_doc *d, size_t pos, size_t *hs, size_t *he, size_t *cs, size_t *ce);
/* True when any keyword occurs in s[hs,he). */
bool ctx_span_has(const pii_doc *d, size_t hs, size_t he, const char *const *kws);
/* Nearest-context helper for numbers: distance to the nearest keyword (left window, or 0 when
 * the table header has one); -1 when none. */
long ctx_near(const pii_doc *d, size_t pos, size_t window, const char *const *kws);

/* ---- numbers (numrun.c) ---- */
#define NUM_MAX_GROUPS 8 /* no identifier we know has more digit groups */
typedef struct num_group {
  size_t start, end; /* normalised offsets of the digits */
} num_group;
typedef struct num_run {
  num_group g[NUM_MAX_GROUPS];
  char sep[NUM_MAX_GROUPS]; /* sep[i]: separator class between g[i] and g[i+1]: '-',' ','(',')','.','/' */
  int n;
  size_t start, end; /* whole run incl. a leading '+' or '(' */
} num_run;
/* Finds the next digit run at or after *pos; returns false at the end. */
bool num_next(const pii_doc *d, size_t *pos, num_run *r);
/* True when groups [a,b] stand alone: not glued to letters or to a longer hyphen/dot code
 * ("INV-2025-004821", "v2.4.1"), and cut from the rest of the run only at spaces. */
bool num_isolated(const pii_doc *d, const num_run *r, int a, int b);
/* True when every separator between groups a..b is c. */
bool num_seps_all(const num_run *r, int a, int b, char c);
/* Length of group g. */
static inline size_t num_glen(const num_run *r, int g) { return r->g[g].end - r->g[g].start; }
/* Copies the digits of groups [a,b] into out (NUL-terminated, at most cap-1); returns count. */
size_t num_digits(const pii_doc *d, const num_run *r, int a, int b, char *out, size_t cap);

/* ---- recognisers (one file each under recognizers/): each appends candidates for its type(s) ---- */
void rec_numbers(pii_doc *d); /* dispatches number runs to the digit recognisers below */
/* Digit recognisers: given groups [a,b] of run r, return a score > 0 when it is this type. */
float rec_my_number(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_corporate_number(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_credit_card(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_phone(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_postal_code(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_bank_account(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_drivers_license(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_health_insurance(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
float rec_ip_v4(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd);
void rec_email(pii_doc *d);
void rec_ip_v6(pii_doc *d);
void rec_passport(pii_doc *d);
void rec_residence_card(pii_doc *d);
void rec_date_of_birth(pii_doc *d);
void rec_address(pii_doc *d);
void rec_person(pii_doc *d);
void pii_person_release(pii_doc *d); /* frees what rec_person keeps in d */
void rec_table(pii_doc *d);

/* Luhn / check digits (checks.c), digits as ASCII. */
bool chk_luhn(const char *dg, size_t n);
bool chk_my_number(const char *dg); /* 12 digits */
bool chk_corporate(const char *dg); /* 13 digits */

#endif
