/* health_insurance.c — HEALTH_INSURANCE: the 番号 of a 被保険者証 記号・番号 (1..8 digits), or
 * the 8-digit 被保険者番号 of 後期高齢者医療. Since the 2020 amendment of the Health Insurance
 * Act this number may not even be requested (告知要求制限), so it is always highest sensitivity.
 * Rule: 1..8 digits, ungrouped, directly after 番号 (allowing ':', a space, は or が between)
 * with an insurance keyword (保険) shortly before. The 記号 and the 枝番 are not annotated. */
#include <string.h>

#include "guard/internal.h"

static const char *const k_kw[] = {"保険", "insurance", NULL};
#define HI_WINDOW_BYTES 120

float rec_health_insurance(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  (void)dg;
  if (nd < 1 || nd > 8 || a != b || !num_isolated(d, r, a, b)) return 0;
  const char *s = d->n.s;
  size_t p = r->g[a].start;
  /* skip back over ':', spaces, は, が */
  for (int guard = 0; guard < 4 && p > 0; guard++) {
    if (s[p - 1] == ':' || s[p - 1] == ' ') p--;
    else if (p >= 3 && (!memcmp(s + p - 3, "は", 3) || !memcmp(s + p - 3, "が", 3))) p -= 3;
    else break;
  }
  if (p < 6 || memcmp(s + p - 6, "番号", 6)) {
    if (!(p >= 3 && !memcmp(s + p - 3, "番", 3) && p >= 6 && memcmp(s + p - 6, "枝", 3) == 0)) {
      /* English: "Insured No." */
    }
    return 0;
  }
  if (p >= 9 && !memcmp(s + p - 9, "枝番号", 9)) return 0;
  /* 記号 … 番号 on one line is the layout of the card itself */
  static const char *const k_symbol[] = {"記号", NULL};
  if (ctx_left(d, r->g[a].start, HI_WINDOW_BYTES, k_kw) < 0 && ctx_left(d, p, 40, k_symbol) < 0)
    return 0;
  return 0.93f;
}
