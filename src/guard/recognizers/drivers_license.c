/* drivers_license.c — DRIVERS_LICENSE: the 12-digit 運転免許証番号.
 * Rule: 12 digits (ungrouped or 4-4-4) with a licence keyword nearby (免許, license) that is
 * nearer than any My Number keyword. No check digit exists (the 12th digit is not public), so
 * the context is required. Inside 第…号 the span is the digits only. */
#include "guard/internal.h"

static const char *const k_kw[] = {"免許", "license", "licence", NULL};
static const char *const k_mn[] = {"個人番号", "マイナンバー", "my number", "individual number", NULL};
#define LIC_WINDOW_BYTES 90

float rec_drivers_license(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  (void)dg;
  if (nd != 12 || !num_isolated(d, r, a, b)) return 0;
  int k = b - a + 1;
  if (!(k == 1 || (k == 3 && num_glen(r, a) == 4 && num_glen(r, a + 1) == 4))) return 0;
  long kl = ctx_near(d, r->g[a].start, LIC_WINDOW_BYTES, k_kw);
  if (kl < 0) return 0;
  long km = ctx_near(d, r->g[a].start, LIC_WINDOW_BYTES, k_mn);
  if (km >= 0 && km < kl) return 0;
  return 0.96f;
}
