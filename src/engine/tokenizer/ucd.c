/* ucd.c — Unicode categories as llama.cpp's tokenizer sees them.
 *
 * llama.cpp derives its flags from UnicodeData.txt (general category -> letter, number, mark,
 * punctuation, symbol, separator, control; unassigned = "undefined") plus a fixed white-space
 * list (PropList White_Space). We take the categories from utf8proc and the same white-space
 * list. Code points below UCD_TABLE_CPS are cached in a byte table built once. */
#include <pthread.h>
#include <utf8proc.h>

#include "engine/tokenizer/tok_impl.h"

/* Covers the BMP and the supplementary planes that hold letters and CJK (SMP, SIP, TIP):
 * 256 KiB, built in ~10 ms on first use. */
#define UCD_TABLE_CPS 0x40000u

static uint8_t g_table[UCD_TABLE_CPS];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int is_whitespace(uint32_t cp) {
  /* the White_Space property list llama.cpp hard-codes */
  if (cp >= 0x09 && cp <= 0x0D) return 1;
  if (cp >= 0x2000 && cp <= 0x200A) return 1;
  switch (cp) {
  case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
  case 0x205F: case 0x3000: return 1;
  default: return 0;
  }
}

static uint8_t compute(uint32_t cp) {
  uint8_t f = 0;
  if (cp > 0x10FFFF) return UCD_OTHER;
  switch (utf8proc_category((utf8proc_int32_t)cp)) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: f = UCD_LETTER; break;
  case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: f = UCD_MARK; break;
  case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: f = UCD_NUMBER; break;
  case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
  case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
  case UTF8PROC_CATEGORY_PO: f = UCD_PUNCT; break;
  case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
  case UTF8PROC_CATEGORY_SO: f = UCD_SYMBOL; break;
  case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
  case UTF8PROC_CATEGORY_CO: f = UCD_CONTROL; break;
  default: f = UCD_OTHER; break; /* Cn, and Z* (all of which are also white space) */
  }
  if (is_whitespace(cp)) f = (uint8_t)((f & ~UCD_OTHER) | UCD_WHITESPACE);
  if (f == 0) f = UCD_OTHER;
  return f;
}

static void build_table(void) {
  for (uint32_t cp = 0; cp < UCD_TABLE_CPS; cp++) g_table[cp] = compute(cp);
}

uint8_t ucd_flags(uint32_t cp) {
  pthread_once(&g_once, build_table);
  return cp < UCD_TABLE_CPS ? g_table[cp] : compute(cp);
}

uint32_t ucd_tolower(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp > 0x10FFFF) return cp;
  return (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
}

uint32_t ucd_nfd_first(uint32_t cp) {
  if (cp < 0xC0 || cp > 0x10FFFF) return cp;
  utf8proc_int32_t buf[8];
  int last = 0;
  utf8proc_ssize_t n =
      utf8proc_decompose_char((utf8proc_int32_t)cp, buf, 8, UTF8PROC_DECOMPOSE, &last);
  if (n <= 0) return cp;
  return (uint32_t)buf[0];
}

size_t tok_utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  if (!(c & 0x80)) {
    *cp = c;
    return 1;
  }
  if (!(c & 0x40)) goto bad;
  if (!(c & 0x20)) {
    if (n < 2 || (s[1] & 0xC0) != 0x80) goto bad;
    *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    return 2;
  }
  if (!(c & 0x10)) {
    if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) goto bad;
    *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    return 3;
  }
  if (!(c & 0x08)) {
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
      goto bad;
    *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
          ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    /* llama.cpp would throw re-encoding a value past U+10FFFF; we read it as U+FFFD */
    if (*cp > 0x10FFFF) *cp = 0xFFFD;
    return 4;
  }
bad:
  *cp = 0xFFFD;
  return 1;
}

size_t tok_utf8_put(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp <= 0x7F) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp <= 0x7FF) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp <= 0xFFFF) { /* surrogates included, as llama.cpp */
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  if (cp > 0x10FFFF) cp = 0xFFFD;
  if (cp <= 0xFFFF) return tok_utf8_put(cp, out);
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}
