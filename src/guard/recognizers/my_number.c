/* my_number.c — JP_MY_NUMBER: the 12-digit 個人番号.
 * Rule: 12 digits, ungrouped or 4-4-4 with one separator (space or hyphen), valid check digit
 * (checks.c), AND a My Number keyword nearby (個人番号, マイナンバー, 番号確認, My Number,
 * Individual Number) that is nearer than any driving-licence keyword: a licence number that
 * happens to pass the check (1 in 11) is a licence. */
#include "guard/internal.h"

static const char *const k_kw[] = {"個人番号", "マイナンバー", "番号確認", "my number", "mynumber",
                                   "individual number", "個人番号カード", NULL};
static const char *const k_lic[] = {"免許", "license", "licence", NULL};
/* Labels sit within a short phrase of the value: "個人番号（配偶者）：". */
#define MYNUM_WINDOW_BYTES 90

float rec_my_number(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  if (nd != 12 || !num_isolated(d, r, a, b)) return 0;
  int k = b - a + 1;
  if (!(k == 1 || (k == 3 && num_glen(r, a) == 4 && num_glen(r, a + 1) == 4 &&
                   (num_seps_all(r, a, b, ' ') || num_seps_all(r, a, b, '-')))))
    return 0;
  if (!chk_my_number(dg)) return 0;
  long km = ctx_near(d, r->g[a].start, MYNUM_WINDOW_BYTES, k_kw);
  if (km < 0) return 0;
  long kl = ctx_near(d, r->g[a].start, MYNUM_WINDOW_BYTES, k_lic);
  if (kl >= 0 && kl < km) return 0;
  return 0.97f;
}
