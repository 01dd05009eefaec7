#include "ledger/u128.h"

#include <string.h>

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int u128_parse(const char *s, size_t len, u128 *out) {
  if (!s || len == 0) return -1;
  u128 v = 0;
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (len - 2 > 32) return -1;
    for (size_t i = 2; i < len; i++) {
      int h = hexval(s[i]);
      if (h < 0) return -1;
      v = (v << 4) | (u128)h;
    }
    *out = v;
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    u128 d = (u128)(s[i] - '0');
    if (v > (U128_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int u128_parse_amount(const char *s, size_t len, unsigned scale, u128 *out) {
  if (!s || len == 0) return -1;
  size_t dot = len;
  for (size_t i = 0; i < len; i++)
    if (s[i] == '.') {
      dot = i;
      break;
    }
  if (dot == 0) return -1;
  size_t frac = dot < len ? len - dot - 1 : 0;
  if (dot < len && frac == 0) return -1; /* "1." is a typo, not an amount */
  if (frac > scale) return -1;
  u128 v = 0;
  for (size_t i = 0; i < len; i++) {
    if (i == dot) continue;
    if (s[i] < '0' || s[i] > '9') return -1;
    u128 d = (u128)(s[i] - '0');
    if (v > (U128_MAX - d) / 10) return -2;
    v = v * 10 + d;
  }
  for (size_t k = frac; k < scale; k++) {
    if (v > U128_MAX / 10) return -2;
    v *= 10;
  }
  *out = v;
  return 0;
}

char *u128_format(u128 v, char *out) {
  char tmp[U128_STR_MAX];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return out;
}

char *u128_format_amount(u128 v, unsigned scale, char *out) {
  if (scale == 0) return u128_format(v, out);
  char digits[U128_STR_MAX];
  u128_format(v, digits);
  size_t n = strlen(digits), w = 0;
  if (n <= scale) {
    out[w++] = '0';
    out[w++] = '.';
    for (size_t k = n; k < scale; k++) out[w++] = '0';
    memcpy(out + w, digits, n);
    w += n;
  } else {
    memcpy(out, digits, n - scale);
    w = n - scale;
    out[w++] = '.';
    memcpy(out + w, digits + n - scale, scale);
    w += scale;
  }
  while (out[w - 1] == '0') w--;
  if (out[w - 1] == '.') w--;
  out[w] = '\0';
  return out;
}

void u128_to_be(u128 v, unsigned char out[16]) {
  for (int i = 15; i >= 0; i--) {
    out[i] = (unsigned char)(v & 0xff);
    v >>= 8;
  }
}

u128 u128_from_be(const unsigned char in[16]) {
  u128 v = 0;
  for (int i = 0; i < 16; i++) v = (v << 8) | in[i];
  return v;
}
