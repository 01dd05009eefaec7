/* utf8.h — strict UTF-8 helpers (RFC 3629: no overlongs, no surrogates, max U+10FFFF). */
#ifndef SK_BASE_UTF8_H
#define SK_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s[0..n). Returns its length in bytes (1..4) and sets *cp, or 0
 * when the bytes are not valid UTF-8 (truncated, overlong, surrogate, > U+10FFFF); n==0 gives 0. */
size_t sk_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Encodes cp into out (at least 4 bytes); returns the length, 0 for an invalid code point. */
size_t sk_utf8_encode(uint32_t cp, char *out);

/* 1 when all n bytes are valid UTF-8, else 0; *bad_offset (optional) gets the first bad byte. */
int sk_utf8_valid(const char *s, size_t n, size_t *bad_offset);

/* Length of the longest prefix of s[0..n) that does not end inside a multi-byte sequence that
 * could still be completed by more bytes: what a streaming writer may emit now. Invalid bytes
 * are not held back (they can never become valid). */
size_t sk_utf8_complete_prefix(const char *s, size_t n);

/* Expected sequence length from a lead byte: 1..4, or 0 for a continuation/invalid lead. */
size_t sk_utf8_seq_len(unsigned char lead);

#endif
