/* residence_card.c — RESIDENCE_CARD: 在留カード番号, 2 letters + 8 digits + 2 letters
 * (e.g. AB12345678CD), not glued to other letters or digits. The shape is distinctive enough
 * that no keyword is required. */
#include "guard/internal.h"

void rec_residence_card(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  for (size_t i = 0; i + 12 <= len; i++) {
    i = cls_skip(d->cls, i, len, CL_ASCII_UD); /* to the next capital or digit */
    if (i + 12 > len) break;
    if (!ch_upper(s[i + 1])) { /* neither i nor i+1 can start one */
      i++;
      continue;
    }
    if (!ch_upper(s[i])) continue;
    if (i > 0 && (ch_alnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '_')) continue;
    bool ok = true;
    for (int k = 2; k < 10 && ok; k++) ok = ch_digit(s[i + k]);
    if (!ok || !ch_upper(s[i + 10]) || !ch_upper(s[i + 11])) continue;
    if (i + 12 < len && (ch_alnum(s[i + 12]) || s[i + 12] == '-' || s[i + 12] == '_')) continue;
    pii_emit(d, PII_RESIDENCE_CARD, i, i + 12, 0.95f);
    i += 11;
  }
}
