/* credit_card.c — CREDIT_CARD: payment card numbers (PAN).
 * Rule: 16 digits (ungrouped or 4-4-4-4) for Visa 4, Mastercard 51-55 / 2221-2720, JCB
 * 3528-3589, Discover 6011/65; 15 digits (ungrouped or 4-6-5) for Amex 34/37; 14 digits
 * (4-6-4) for Diners 36/300-305. The Luhn check must pass. No context is needed: gift, point
 * and membership numbers fail Luhn or the issuer prefix. */
#include <string.h>

#include "guard/internal.h"

static int prefix_num(const char *dg, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (dg[i] - '0');
  return v;
}

static bool issuer_ok(const char *dg, size_t nd) {
  int p2 = prefix_num(dg, 2), p4 = prefix_num(dg, 4), p3 = prefix_num(dg, 3);
  if (nd == 16)
    return dg[0] == '4' || (p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720) ||
           (p4 >= 3528 && p4 <= 3589) || p4 == 6011 || p2 == 65;
  if (nd == 15) return p2 == 34 || p2 == 37;
  if (nd == 14) return p2 == 36 || (p3 >= 300 && p3 <= 305);
  return false;
}

float rec_credit_card(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  if (nd < 14 || nd > 16 || !num_isolated(d, r, a, b)) return 0;
  int k = b - a + 1;
  if (k > 1) {
    if (!(num_seps_all(r, a, b, ' ') || num_seps_all(r, a, b, '-'))) return 0;
    size_t l[4] = {0};
    if (k > 4) return 0;
    for (int g = 0; g < k; g++) l[g] = num_glen(r, a + g);
    bool ok = (nd == 16 && k == 4 && l[0] == 4 && l[1] == 4 && l[2] == 4) ||
              (nd == 15 && k == 3 && l[0] == 4 && l[1] == 6) ||
              (nd == 14 && k == 3 && l[0] == 4 && l[1] == 6);
    if (!ok) return 0;
  }
  if (!issuer_ok(dg, nd) || !chk_luhn(dg, nd)) return 0;
  return 0.95f;
}
