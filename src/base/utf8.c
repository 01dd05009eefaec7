#include "base/utf8.h"

size_t sk_utf8_seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

size_t sk_utf8_decode(const char *str, size_t n, uint32_t *cp) {
  const unsigned char *s = (const unsigned char *)str;
  if (n == 0) return 0;
  size_t len = sk_utf8_seq_len(s[0]);
  if (len == 0 || len > n) return 0;
  uint32_t c;
  switch (len) {
  case 1: *cp = s[0]; return 1;
  case 2:
    if ((s[1] & 0xC0) != 0x80) return 0;
    *cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    return 2;
  case 3:
    if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    c = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return 3;
  default:
    if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
    c = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
        ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    if (c < 0x10000 || c > 0x10FFFF) return 0;
    *cp = c;
    return 4;
  }
}

size_t sk_utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  if (cp <= 0x10FFFF) {
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
  }
  return 0;
}

int sk_utf8_valid(const char *s, size_t n, size_t *bad_offset) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t l = sk_utf8_decode(s + i, n - i, &cp);
    if (l == 0) {
      if (bad_offset) *bad_offset = i;
      return 0;
    }
    i += l;
  }
  return 1;
}

size_t sk_utf8_complete_prefix(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  /* Look back at most 3 bytes for a lead byte whose sequence is cut off by the end. */
  size_t back = n < 3 ? n : 3;
  for (size_t k = 1; k <= back; k++) {
    unsigned char c = s[n - k];
    if ((c & 0xC0) == 0x80) continue; /* continuation: keep looking for the lead */
    size_t need = sk_utf8_seq_len(c);
    if (need > k) {
      /* Check the bytes present so far are valid continuations; if not, nothing to wait for. */
      for (size_t j = 1; j < k; j++)
        if ((s[n - k + j] & 0xC0) != 0x80) return n;
      return n - k;
    }
    return n;
  }
  return n;
}
