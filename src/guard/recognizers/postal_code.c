/* postal_code.c — POSTAL_CODE: the 7-digit 郵便番号.
 * Rule: NNN-NNNN (hyphen or dash) stands on its own as a postal code; the ungrouped form
 * NNNNNNN needs a keyword nearby (〒, 郵便番号, postal, zip) or a table column headed so,
 * because a bare 7-digit number is as likely a bank account. */
#include <string.h>

#include "guard/internal.h"

static const char *const k_kw[] = {"〒", "郵便", "postal", "zip", "post code", "postcode", NULL};
static const char *const k_acct[] = {"口座", "普通", "当座", "預金", "account", NULL};
#define POSTAL_WINDOW_BYTES 24

float rec_postal_code(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  (void)dg;
  if (nd != 7 || !num_isolated(d, r, a, b)) return 0;
  const char *s = d->n.s;
  size_t st = r->g[a].start;
  if (st >= 3 && !memcmp(s + st - 3, "第", 3)) return 0;
  long kw = ctx_near(d, st, POSTAL_WINDOW_BYTES, k_kw);
  if (b == a + 1 && r->sep[a] == '-' && num_glen(r, a) == 3) return kw >= 0 ? 0.95f : 0.8f;
  if (b == a && kw >= 0) {
    long ac = ctx_near(d, st, POSTAL_WINDOW_BYTES, k_acct);
    if (ac >= 0 && ac < kw) return 0;
    return 0.9f;
  }
  return 0;
}
