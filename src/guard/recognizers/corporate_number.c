/* corporate_number.c — JP_CORPORATE_NUMBER: the 13-digit 法人番号, also inside the invoice
 * registration number "T" + 13 digits (the T is not part of the span).
 * Rule: 13 digits (any single-separator grouping), valid check digit (first digit =
 * 9 - Σ mod 9), and either the T prefix or a keyword nearby (法人番号, 登録番号, Corporate
 * Number, 適格請求書/インボイス). JAN/ISBN codes of 13 digits fail the check or lack the keyword. */
#include "guard/internal.h"

static const char *const k_kw[] = {"法人番号", "登録番号", "corporate number", "corporate no",
                                   "registration number", "インボイス", "適格請求書", NULL};
#define CORP_WINDOW_BYTES 90

float rec_corporate_number(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  if (nd != 13 || !chk_corporate(dg)) return 0;
  const char *s = d->n.s;
  size_t st = r->g[a].start;
  bool t_prefix = a == 0 && st > 0 && (s[st - 1] == 'T' || s[st - 1] == 't') &&
                  (st == 1 || !ch_alnum(s[st - 2]));
  if (!t_prefix && !num_isolated(d, r, a, b)) return 0;
  if (t_prefix && st + 13 < d->n.len && ch_alnum(s[r->g[b].end])) return 0;
  if (t_prefix) return 0.95f;
  return ctx_near(d, st, CORP_WINDOW_BYTES, k_kw) >= 0 ? 0.95f : 0;
}
