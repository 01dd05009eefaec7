/* normalize.h — NFKC-style folding with a byte offset map back to the original text.
 *
 * The normalised text is what recognisers read: NFKC per code point (utf8proc) so full-width
 * digits/letters/punctuation become ASCII, the ideographic space U+3000 becomes ' ', NUL becomes
 * ' ', every byte of invalid UTF-8 becomes '?', and any dash (U+2010..2015, U+2212, U+FE63,
 * half-width ｰ, and 「ー」 U+30FC when it stands between two digits) becomes '-'. Kana and kanji
 * pass through untouched (fast path). */
#ifndef SK_GUARD_NORMALIZE_H
#define SK_GUARD_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

typedef struct pii_norm {
  char *s;        /* normalised text, NUL-terminated, valid UTF-8 */
  size_t len;
  uint32_t *map;  /* len+1 entries: original offset of the code point that produced byte i */
  uint8_t *cls;   /* len+1+CL_PAD class bytes of s (CL_* in internal.h), built in the same pass */
  size_t orig_len;
} pii_norm;

/* Normalises text[0..len) into n (caller releases with pii_norm_release). len must fit in 32
 * bits (the caller enforces PII_MAX_TEXT_BYTES). Returns 0 or SK_ENOMEM. */
int pii_norm_build(pii_norm *n, const char *text, size_t len);
void pii_norm_release(pii_norm *n);
/* Maps a normalised span [a,b) to the original span; b == n->len maps to orig_len. */
void pii_norm_span(const pii_norm *n, size_t a, size_t b, size_t *oa, size_t *ob);

#endif
