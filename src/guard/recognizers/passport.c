/* passport.c — PASSPORT: Japanese passport numbers, 2 capital letters + 7 digits.
 * Rule: [A-Z]{2}[0-9]{7} not glued to other letters/digits; issued series prefixes (TK, TR, TZ,
 * MZ, MU, TS, TT, MS, TH, TE, TG, TC, RE, XS…) are accepted on their own, any other two letters
 * need a passport keyword (旅券, パスポート, passport) nearby. */
#include <string.h>

#include "guard/internal.h"

static const char *const k_kw[] = {"旅券", "パスポート", "passport", NULL};
static const char *const k_series[] = {"TK", "TR", "TZ", "MZ", "MU", "TS", "TT", "MS", "TH", "TE",
                                       "TG", "TC", "TD", "TF", "ME", "MH", "RE", "XS", NULL};

void rec_passport(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  for (size_t i = 0; i + 9 <= len; i++) {
    i = cls_skip(d->cls, i, len, CL_ASCII_UD); /* to the next capital or digit */
    if (i + 9 > len) break;
    if (!ch_upper(s[i + 1])) { /* neither i nor i+1 can start one */
      i++;
      continue;
    }
    if (!ch_upper(s[i])) continue;
    if (i > 0 && (ch_alnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '_')) continue;
    bool ok = true;
    for (int k = 2; k < 9 && ok; k++) ok = ch_digit(s[i + k]);
    if (!ok) continue;
    if (i + 9 < len && (ch_alnum(s[i + 9]) || s[i + 9] == '-' || s[i + 9] == '_')) continue;
    bool series = false;
    for (const char *const *p = k_series; *p && !series; p++) series = !memcmp(s + i, *p, 2);
    long kw = ctx_near(d, i, 80, k_kw);
    if (series || kw >= 0) pii_emit(d, PII_PASSPORT, i, i + 9, kw >= 0 ? 0.95f : 0.85f);
    i += 8;
  }
}
