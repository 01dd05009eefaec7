/* date_of_birth.c — DATE_OF_BIRTH: a date that the context says is a birth date.
 * Date forms recognised (on normalised text, so full-width digits are ASCII):
 *   YYYY年M月D日, 昭和60年4月1日 / 平成元年5月3日 (明治 大正 昭和 平成 令和), S60.4.1 (M T S H R),
 *   YYYY/M/D, YYYY-MM-DD, YYYY.M.D, "April 1, 1985", "Apr. 1, 1985", "1 April 1985".
 * Birth context (any one): a birth keyword before it (生年月日, 誕生日, 生まれ, DOB, date of birth,
 * birth, born) that is nearer than a keyword of another kind of date (契約, 期限, 死亡, 入社,
 * 設立, 発行, 有効, 確認日 …); 生/生まれ right after it; an age (NN歳) right after it; or a table
 * column headed 生年月日 / DOB. Dates with none of these are not birth dates. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "guard/internal.h"

static const char *const k_birth[] = {"生年月日", "誕生日", "生まれ", "dob", "date of birth", "birth",
                                      "born", "生年", NULL};
static const char *const k_other[] = {"契約", "期限", "死亡", "逝去", "入社", "設立", "発行", "有効",
                                      "確認日", "受付", "申込日", "届出日", "期間", "満了", "支払",
                                      "入院", "退院", "取引", "更新", "交付", "作成", "記入日",
                                      "due", "expir", "issued", "contract", "hired", "joined",
                                      "meeting", "died", "death", NULL};
static const char *const k_era[] = {"明治", "大正", "昭和", "平成", "令和", NULL};
static const char *const k_month[] = {"january", "february", "march", "april", "may", "june",
                                      "july", "august", "september", "october", "november",
                                      "december", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.",
                                      "aug.", "sep.", "sept.", "oct.", "nov.", "dec.", "jan",
                                      "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec", NULL};

/* Reads 1..max digits at *i; returns the value or -1. */
static int digits(const char *s, size_t len, size_t *i, int max) {
  int v = 0, n = 0;
  while (*i < len && ch_digit(s[*i]) && n < max) {
    v = v * 10 + (s[*i] - '0');
    (*i)++;
    n++;
  }
  if (n == 0 || (*i < len && ch_digit(s[*i]))) return -1;
  return v;
}

static bool lit(const char *s, size_t len, size_t *i, const char *w) {
  size_t l = strlen(w);
  if (*i + l > len || memcmp(s + *i, w, l)) return false;
  *i += l;
  return true;
}

static void sp(const char *s, size_t len, size_t *i) {
  while (*i < len && s[*i] == ' ') (*i)++;
}

static bool md_ok(int m, int dd) { return m >= 1 && m <= 12 && dd >= 1 && dd <= 31; }

static size_t month_at(const char *s, size_t len, size_t i) {
  char c0 = s[i];
  if (c0 >= 'A' && c0 <= 'Z') c0 = (char)(c0 + 32);
  if (!strchr("jfmasond", c0) || c0 == '\0') return 0; /* first letters of the month names */
  for (const char *const *m = k_month; *m; m++) {
    size_t l = strlen(*m);
    if (i + l > len) continue;
    bool eq = true;
    for (size_t k = 0; k < l && eq; k++) {
      char c = s[i + k];
      if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
      eq = c == (*m)[k];
    }
    if (eq && (i + l >= len || !ch_alpha(s[i + l]))) return l;
  }
  return 0;
}

/* Tries every date form at i; returns the end or 0. */
static size_t date_at(const char *s, size_t len, size_t i) {
  size_t j = i;
  /* era kanji (non-ASCII first byte) */
  for (const char *const *e = k_era; (unsigned char)s[i] >= 0x80 && *e; e++) {
    j = i;
    if (lit(s, len, &j, *e)) {
      sp(s, len, &j);
      if (!lit(s, len, &j, "元") && digits(s, len, &j, 2) < 0) return 0;
      sp(s, len, &j);
      if (!lit(s, len, &j, "年")) return 0;
      sp(s, len, &j);
      int m = digits(s, len, &j, 2);
      sp(s, len, &j);
      if (m < 0 || !lit(s, len, &j, "月")) return 0;
      sp(s, len, &j);
      int dd = digits(s, len, &j, 2);
      sp(s, len, &j);
      if (dd < 0 || !lit(s, len, &j, "日") || !md_ok(m, dd)) return 0;
      return j;
    }
  }
  j = i;
  if (ch_digit(s[i])) {
    if (i > 0 && (ch_digit(s[i - 1]) || ch_alpha(s[i - 1]))) return 0;
    int y = digits(s, len, &j, 4);
    if (y >= 0 && j - i == 4 && y >= 1868 && y <= 2100) {
      size_t k = j;
      sp(s, len, &k);
      if (lit(s, len, &k, "年")) {
        sp(s, len, &k);
        int m = digits(s, len, &k, 2);
        sp(s, len, &k);
        if (m < 0 || !lit(s, len, &k, "月")) return 0;
        sp(s, len, &k);
        int dd = digits(s, len, &k, 2);
        sp(s, len, &k);
        if (dd < 0 || !lit(s, len, &k, "日") || !md_ok(m, dd)) return 0;
        return k;
      }
      char sep = j < len ? s[j] : 0;
      if (sep == '/' || sep == '-' || sep == '.') {
        k = j + 1;
        int m = digits(s, len, &k, 2);
        if (m < 0 || k >= len || s[k] != sep) return 0;
        k++;
        int dd = digits(s, len, &k, 2);
        if (dd < 0 || !md_ok(m, dd)) return 0;
        if (k < len && (ch_alnum(s[k]) || ((s[k] == sep || s[k] == '.') && k + 1 < len && ch_digit(s[k + 1]))))
          return 0;
        return k;
      }
      return 0;
    }
    /* "1 April 1985" */
    j = i;
    int dd = digits(s, len, &j, 2);
    if (dd < 1 || dd > 31 || j >= len || s[j] != ' ') return 0;
    j++;
    size_t ml = month_at(s, len, j);
    if (!ml) return 0;
    j += ml;
    sp(s, len, &j);
    size_t ys = j;
    int y2 = digits(s, len, &j, 4);
    if (y2 < 1868 || j - ys != 4) return 0;
    return j;
  }
  /* S60.4.1 */
  if ((s[i] == 'M' || s[i] == 'T' || s[i] == 'S' || s[i] == 'H' || s[i] == 'R') && i + 1 < len &&
      ch_digit(s[i + 1]) && (i == 0 || !ch_alnum(s[i - 1]))) {
    j = i + 1;
    int y = digits(s, len, &j, 2);
    if (y < 1 || j >= len || (s[j] != '.' && s[j] != '/' && s[j] != '-')) return 0;
    char sep = s[j++];
    int m = digits(s, len, &j, 2);
    if (m < 0 || j >= len || s[j] != sep) return 0;
    j++;
    int dd = digits(s, len, &j, 2);
    if (dd < 0 || !md_ok(m, dd) || (j < len && ch_alnum(s[j]))) return 0;
    return j;
  }
  /* "April 1, 1985" / "Apr. 1, 1985" */
  if (ch_alpha(s[i]) && (i == 0 || !ch_alpha(s[i - 1]))) {
    size_t ml = month_at(s, len, i);
    if (!ml) return 0;
    j = i + ml;
    sp(s, len, &j);
    int dd = digits(s, len, &j, 2);
    if (dd < 1 || dd > 31) return 0;
    if (j < len && s[j] == ',') j++;
    sp(s, len, &j);
    size_t ys = j;
    int y = digits(s, len, &j, 4);
    if (y < 1868 || j - ys != 4) return 0;
    return j;
  }
  return 0;
}

/* Birth keywords sit in a label a few words before the value: "生年月日（西暦）：". */
#define DOB_WINDOW_BYTES 80

static bool is_birth(pii_doc *d, size_t st, size_t en) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  size_t hs, he, cs, ce;
  if (ctx_table_cell(d, st, &hs, &he, &cs, &ce)) {
    if (ctx_span_has(d, hs, he, k_birth)) return true;
  }
  size_t k = en;
  sp(s, len, &k);
  if (k + 3 <= len && !memcmp(s + k, "生", 3)) return true;
  /* an age right after: （26歳） / (26) */
  size_t q = k;
  if (q < len && s[q] == '(') q++;
  size_t q0 = q;
  while (q < len && ch_digit(s[q]) && q - q0 < 3) q++;
  if (q > q0 && q + 3 <= len && !memcmp(s + q, "歳", 3)) return true;
  /* a deadline or an approximate date is never a birth date: "2024/11/30頃", "…までに" */
  static const char *const k_not_after[] = {"まで", "頃", "以降", "以内", "以前", "付", "から", "に", NULL};
  for (const char *const *w = k_not_after; *w; w++)
    if (k + strlen(*w) <= len && !memcmp(s + k, *w, strlen(*w))) return false;
  long b = ctx_left(d, st, DOB_WINDOW_BYTES, k_birth);
  if (b < 0) return false;
  long o = ctx_left(d, st, DOB_WINDOW_BYTES, k_other);
  return o < 0 || b <= o;
}

static inline bool date_lead(const char *s, size_t len, size_t i) {
  unsigned char c = (unsigned char)s[i];
  if (c < 0x80) return (unsigned)(c - '0') < 10u || (unsigned)((c | 32) - 'a') < 26u;
  if ((unsigned)(c - 0xE4) >= 3u || i + 3 > len) return false;
  /* 明 E6 98 8E, 大 E5 A4 A7, 昭 E6 98 AD, 平 E5 B9 B3, 令 E4 BB A4 */
  uint32_t w = ((uint32_t)c << 16) | ((uint32_t)(unsigned char)s[i + 1] << 8) | (unsigned char)s[i + 2];
  return w == 0xE6988E || w == 0xE5A4A7 || w == 0xE698AD || w == 0xE5B9B3 || w == 0xE4BBA4;
}

/* First position p >= i (i at a code point start) where date_lead holds, or len. Only ASCII
 * bytes and the lead bytes E4..E6 can start a date, and neither is ever a continuation byte, so
 * the text is read as bytes, 8 at a time: a mask of the ASCII and E4..E6 bytes (prose is mostly
 * kana and other kanji) names the only positions date_lead is asked about. Same positions as
 * stepping code point by code point. */
static size_t date_skip(const char *s, size_t len, size_t i) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  for (; i + 8 <= len; i += 8) {
    uint64_t x; /* byte k of the text is byte k of x (lowest first), as ctz below expects */
    memcpy(&x, s + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    uint64_t y = x ^ (0xE4 * ones);             /* bytes E4 E5 E6 become 0 1 2 */
    uint64_t m = ~x & high;                     /* ASCII bytes */
    m |= ~(((y | high) - 3 * ones) | y) & high; /* bytes of y below 3 (no borrow crosses bytes) */
    for (; m; m &= m - 1) {
      size_t p = i + ((size_t)__builtin_ctzll(m) >> 3);
      if (date_lead(s, len, p)) return p;
    }
  }
  for (; i < len; i++)
    if (date_lead(s, len, i)) return i;
  return len;
}

void rec_date_of_birth(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  for (size_t i = 0; i < len; i++) {
    /* a date starts only at an ASCII letter or digit or at one of the era kanji 明大昭平令 */
    i = date_skip(s, len, i);
    if (i >= len) break;
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) {
      /* the normalised text is valid UTF-8: only the lead bytes of 明大昭平令 (E4-E6) matter */
      if (c < 0xE4 || c > 0xE6) {
        i += c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        continue;
      }
      uint32_t cp;
      size_t k = ch_at(s, len, i, &cp);
      if (cp != 0x660E && cp != 0x5927 && cp != 0x662D && cp != 0x5E73 && cp != 0x4EE4) { /* 明大昭平令 */
        i += k - 1;
        continue;
      }
    } else if (!(ch_digit((char)c) || ch_alpha((char)c))) {
      continue;
    }
    size_t en = date_at(s, len, i);
    if (!en) {
      if (ch_alpha((char)c)) while (i + 1 < len && ch_alpha(s[i + 1])) i++;
      continue;
    }
    if (is_birth(d, i, en)) pii_emit(d, PII_DATE_OF_BIRTH, i, en, 0.9f);
    i = en - 1;
  }
}
