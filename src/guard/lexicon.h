/* lexicon.h — person-name lexicon built from the MeCab system dictionary (mecab-ipadic-utf8).
 *
 * IPADIC tags ~13,000 surnames (名詞,固有名詞,人名,姓) and ~19,000 given names (人名,名), each with
 * its katakana reading. At load time we read those entries straight out of the compiled
 * sys.dic feature strings and index every name under four spellings: the written form
 * (山田), katakana (ヤマダ), hiragana (やまだ) and lower-case Hepburn romaji (yamada, plus the
 * long-vowel-dropped form: satou → sato). Lookups are exact, by byte string. */
#ifndef SK_GUARD_LEXICON_H
#define SK_GUARD_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum {
  LEX_SURNAME = 1 << 0,
  LEX_GIVEN = 1 << 1,
  LEX_KANJI = 1 << 2,  /* the written form (may contain kana: もも香) */
  LEX_KANA = 1 << 3,   /* katakana or hiragana reading */
  LEX_ROMAJI = 1 << 4, /* lower-case ASCII */
  LEX_PREFIX = 1 << 5, /* a proper prefix of some written or kana form: keep reading */
};

/* Dictionary file we refuse to read past: IPADIC's sys.dic is ~50 MB. */
#define LEX_MAX_DIC_BYTES ((size_t)256 << 20)
/* Longest name form we index, in bytes (8 kanji / 10 katakana). */
#define LEX_MAX_NAME_BYTES 40

typedef struct pii_lexicon pii_lexicon;

/* Loads names from the compiled dictionary at sys_dic_path. Caller owns *out. */
int lex_load(const char *sys_dic_path, pii_lexicon **out, sk_err *err);
/* Builds a lexicon from "S,written,reading" / "G,written,reading" lines (tests, fallbacks). */
int lex_load_lines(const char *text, pii_lexicon **out, sk_err *err);
void lex_free(pii_lexicon *lx);
/* Flags for s[0..n) (0 when absent). ASCII is matched case-insensitively. */
unsigned lex_lookup(const pii_lexicon *lx, const char *s, size_t n);
size_t lex_count(const pii_lexicon *lx);

/* Incremental lookups, for callers that grow a candidate one code point at a time (person.c):
 * h = LEX_HASH_INIT, then h = lex_hash_extend(h, new bytes) after each step, and
 * lex_lookup_hashed(lx, s, n, h) == lex_lookup(lx, s, n) without rehashing the prefix. */
#define LEX_HASH_INIT 2166136261u
static inline uint32_t lex_hash_extend(uint32_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    h = (h ^ c) * 16777619u;
  }
  return h;
}
unsigned lex_lookup_hashed(const pii_lexicon *lx, const char *s, size_t n, uint32_t h);

#endif
