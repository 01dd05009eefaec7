/* u128.h — unsigned 128-bit amounts and ids: checked arithmetic, decimal/hex parsing and formatting.
 *
 * Amounts are integers in base units of their ledger: yen for JPY (scale 0) and 10^-18 JPYC for JPYC
 * (scale 18). Every sum goes through the checked helpers: an overflow is an error, never a wrap. */
#ifndef SK_LEDGER_U128_H
#define SK_LEDGER_U128_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)
/* Longest decimal u128 is 39 digits; with a sign, a decimal point and 18 fraction digits plus NUL
 * 64 bytes is always enough. */
#define U128_STR_MAX 64

/* Checked add/sub: return 0 and set *out, or -1 on overflow/underflow (*out untouched). */
static inline int u128_add(u128 a, u128 b, u128 *out) {
  if (a > U128_MAX - b) return -1;
  *out = a + b;
  return 0;
}
static inline int u128_sub(u128 a, u128 b, u128 *out) {
  if (b > a) return -1;
  *out = a - b;
  return 0;
}
static inline u128 u128_make(uint64_t hi, uint64_t lo) { return ((u128)hi << 64) | lo; }
static inline uint64_t u128_hi(u128 v) { return (uint64_t)(v >> 64); }
static inline uint64_t u128_lo(u128 v) { return (uint64_t)v; }

/* Parses a decimal ("12345") or hex ("0x1f") unsigned integer; the whole string of length len must
 * be consumed. Returns 0, or -1 on empty/garbage/overflow. */
int u128_parse(const char *s, size_t len, u128 *out);

/* Parses a decimal amount with at most `scale` fraction digits ("1.5" with scale 18 is
 * 1500000000000000000). Returns 0, -1 on malformed input or too many fraction digits, -2 on overflow. */
int u128_parse_amount(const char *s, size_t len, unsigned scale, u128 *out);

/* Writes v in decimal into out (at least U128_STR_MAX bytes); returns out. */
char *u128_format(u128 v, char *out);
/* Writes v as an amount with `scale` fraction digits, trailing zeros trimmed ("1.5"); returns out. */
char *u128_format_amount(u128 v, unsigned scale, char *out);

/* Big-endian 16-byte encoding (sorts like the number): used for storage. */
void u128_to_be(u128 v, unsigned char out[16]);
u128 u128_from_be(const unsigned char in[16]);

#endif
