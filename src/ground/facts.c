/* facts.c — number/date/percent/negation/name extraction (see facts.h). */
#include "ground/facts.h"

#include <string.h>

#include "base/utf8.h"

static const char *const k_eras[] = {"令和", "平成", "昭和", "大正", "明治"};
/* Suffixes that make a kanji/katakana run a name of an office, body or firm. */
static const char *const k_name_suffix[] = {"大臣", "長官", "委員会", "庁", "省", "銀行", "会社", "法人",
                                            "裁判所", "機構", "協会", "知事", "局", "組合", "取引所"};
/* Negation and permission markers (after NFKC). The three characters before one are its
 * context key. */
static const char *const k_neg[] = {"ない", "なく", "なけれ", "ません", "ず", "ぬ", "不可", "禁止",
                                    /* permission flips obligation/prohibition: しなくてもよい, してもよい */
                                    "もよい", "てよい", "も良い"};

static size_t dec(const char *s, size_t n, uint32_t *cp) {
  size_t l = sk_utf8_decode(s, n, cp);
  if (!l) { *cp = 0xFFFD; return 1; }
  return l;
}

static int kanji_digit(uint32_t cp) {
  static const uint32_t d[] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB, 0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D};
  for (int i = 0; i < 10; i++) if (d[i] == cp) return i;
  return -1;
}
static double kanji_mult(uint32_t cp) {
  switch (cp) {
  case 0x5341: return 10;     /* 十 */
  case 0x767E: return 100;    /* 百 */
  case 0x5343: return 1000;   /* 千 */
  case 0x4E07: return 1e4;    /* 万 */
  case 0x5104: return 1e8;    /* 億 */
  case 0x5146: return 1e12;   /* 兆 */
  default: return 0;
  }
}
static int is_kanji_num(uint32_t cp) { return kanji_digit(cp) >= 0 || kanji_mult(cp) > 0; }

int ground_kanji_number(const char *s, size_t n, double *v) {
  double total = 0, section = 0, cur = 0;
  int any = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    i += dec(s + i, n - i, &cp);
    int d = kanji_digit(cp);
    double m = kanji_mult(cp);
    if (d >= 0) cur = cur * 10 + d, any = 1;
    else if (m >= 1e4) total += (section + cur) * m, section = cur = 0, any = 1;
    else if (m > 0) section += (cur > 0 ? cur : 1) * m, cur = 0, any = 1;
    else return 0;
  }
  *v = total + section + cur;
  return any;
}

static int is_cjk(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || cp == 0x3005 /* 々 */ ||
         (cp >= 0x30A1 && cp <= 0x30FA) || cp == 0x30FC /* ー */;
}

static int at(const char *s, size_t n, size_t i, const char *lit) {
  size_t l = strlen(lit);
  return i + l <= n && !memcmp(s + i, lit, l);
}

static void copy_key(char *dst, const char *s, size_t n) {
  if (n >= GROUND_FACT_KEY_MAX) {
    n = GROUND_FACT_KEY_MAX - 1;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  memcpy(dst, s, n);
  dst[n] = 0;
}

/* Reads a number at s+i (Arabic with , and . or a kanji run); returns its byte length or 0. */
static size_t read_number(const char *s, size_t n, size_t i, double *v, int *kanji) {
  size_t j = i;
  *kanji = 0;
  if (j < n && s[j] >= '0' && s[j] <= '9') {
    double val = 0, frac = 0, scale = 1;
    int dot = 0;
    while (j < n) {
      char c = s[j];
      if (c >= '0' && c <= '9') {
        if (dot) scale /= 10, frac += (c - '0') * scale;
        else val = val * 10 + (c - '0');
        j++;
      } else if (c == ',' && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9' && !dot) j++;
      else if (c == '.' && !dot && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9') dot = 1, j++;
      else break;
    }
    *v = val + frac;
    /* 1万, 3億: a kanji multiplier right after Arabic digits */
    uint32_t cp;
    if (j < n) {
      size_t l = dec(s + j, n - j, &cp);
      double m = kanji_mult(cp);
      if (m >= 1e4) *v *= m, j += l;
    }
    return j - i;
  }
  while (j < n) {
    uint32_t cp;
    size_t l = dec(s + j, n - j, &cp);
    if (!is_kanji_num(cp)) break;
    j += l;
  }
  if (j == i || !ground_kanji_number(s + i, j - i, v)) return 0;
  *kanji = 1;
  return j - i;
}

static void add(ground_fact *f, size_t *nf, ground_fact_kind k, double v, const char *unit, size_t ul,
                const char *key, size_t kl) {
  if (*nf >= GROUND_FACTS_MAX) return;
  ground_fact *x = &f[(*nf)++];
  x->kind = k;
  x->value = v;
  copy_key(x->unit, unit, ul);
  copy_key(x->key, key, kl);
}

size_t ground_facts_extract(const char *s, size_t n, ground_fact *f) {
  size_t nf = 0;
  size_t i = 0;
  uint32_t prev = 0;
  while (i < n) {
    /* era dates: 令和8年, 平成二十五年, 令和元年 */
    int era = -1;
    for (int e = 0; e < 5; e++) if (at(s, n, i, k_eras[e])) era = e;
    if (era >= 0) {
      size_t j = i + 6;
      double v = 0;
      int kj = 0;
      size_t l = at(s, n, j, "元") ? 3 : read_number(s, n, j, &v, &kj);
      if (at(s, n, j, "元")) v = 1;
      if (l && at(s, n, j + l, "年")) {
        add(f, &nf, GROUND_FACT_DATE, v, k_eras[era], 6, s + i, j + l + 3 - i);
        i = j + l + 3;
        prev = 0x5E74;
        continue;
      }
    }
    /* 百分の五十 = 50% */
    if (at(s, n, i, "百分の")) {
      double v = 0;
      int kj = 0;
      size_t l = read_number(s, n, i + 9, &v, &kj);
      if (l) {
        add(f, &nf, GROUND_FACT_PERCENT, v, "%", 1, s + i, 9 + l);
        i += 9 + l;
        prev = 0;
        continue;
      }
    }
    double v = 0;
    int kj = 0;
    size_t l = read_number(s, n, i, &v, &kj);
    if (l) {
      size_t j = i + l;
      if (at(s, n, j, "%")) {
        add(f, &nf, GROUND_FACT_PERCENT, v, "%", 1, s + i, l + 1);
        i = j + 1;
      } else if (at(s, n, j, "パーセント")) {
        add(f, &nf, GROUND_FACT_PERCENT, v, "%", 1, s + i, l + 15);
        i = j + 15;
      } else if (at(s, n, j, "割")) {
        add(f, &nf, GROUND_FACT_PERCENT, v * 10, "%", 1, s + i, l + 3);
        i = j + 3;
      } else {
        /* unit: the next character when it is a kanji/katakana/symbol (not kana particles) */
        uint32_t cp = 0;
        size_t ul = j < n ? dec(s + j, n - j, &cp) : 0;
        /* conjunctions (及び, 又は, 並びに, 若しくは) follow numbers but are no unit */
        int conj = cp == 0x53CA || cp == 0x53C8 || cp == 0x4E26 || cp == 0x82E5;
        int has_unit = ul && !conj && (is_cjk(cp) || cp == '$' || cp == 0xFFE5 || cp == 0x5186);
        char unit[GROUND_FACT_KEY_MAX];
        size_t un = 0;
        if (prev == 0x7B2C /* 第 */) memcpy(unit, "第", 3), un = 3;
        if (has_unit) memcpy(unit + un, s + j, ul), un += ul;
        /* a lone kanji numeral without unit is part of a word (一般, 統一): skip it */
        if (!kj || has_unit || l > 3) add(f, &nf, GROUND_FACT_NUMBER, v, unit, un, s + i, l + (has_unit ? ul : 0));
        i = j;
      }
      prev = 0;
      continue;
    }
    /* negation with its context */
    int neg = 0;
    for (size_t k = 0; k < sizeof k_neg / sizeof k_neg[0]; k++)
      if (at(s, n, i, k_neg[k])) {
        size_t b = i;
        for (int c = 0; c < 3 && b > 0; c++) {
          b--;
          while (b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
        }
        add(f, &nf, GROUND_FACT_NEGATION, 0, s + i, strlen(k_neg[k]), s + b, i - b);
        i += strlen(k_neg[k]);
        neg = 1;
        break;
      }
    if (neg) { prev = 0; continue; }
    /* names: a maximal kanji/katakana run ending in a known suffix */
    uint32_t cp;
    size_t cl = dec(s + i, n - i, &cp);
    if (is_cjk(cp) && !is_cjk(prev)) {
      size_t j = i;
      while (j < n) {
        uint32_t c2;
        size_t l2 = dec(s + j, n - j, &c2);
        if (!is_cjk(c2)) break;
        j += l2;
      }
      for (size_t k = 0; k < sizeof k_name_suffix / sizeof k_name_suffix[0]; k++) {
        size_t sl = strlen(k_name_suffix[k]);
        if (j - i > sl && !memcmp(s + j - sl, k_name_suffix[k], sl)) {
          add(f, &nf, GROUND_FACT_NAME, 0, k_name_suffix[k], sl, s + i, j - i);
          break;
        }
      }
    }
    prev = cp;
    i += cl;
  }
  return nf;
}
