/* email.c — EMAIL: local@domain (RFC 5322 dot-atom subset used in practice).
 * Rule: local part of [A-Za-z0-9._%+-] (not starting or ending with '.'), '@', a domain of
 * labels [A-Za-z0-9-] joined by '.', at least two labels, the last alphabetic and >= 2 long.
 * Names inside the local part are covered by this span (no separate PERSON). */
#include <string.h>

#include "guard/internal.h"

static bool local_ch(char c) {
  return ch_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
static bool dom_ch(char c) { return ch_alnum(c) || c == '-' || c == '.'; }

/* RFC 5321: 64-byte local part, 255-byte domain. */
#define EMAIL_MAX_LOCAL 64
#define EMAIL_MAX_DOMAIN 255

void rec_email(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  for (size_t i = 1; i + 1 < len; i++) {
    if (s[i] != '@') {
      const char *at = memchr(s + i, '@', len - 1 - i); /* jump to the next '@' */
      if (!at) break;
      i = (size_t)(at - s);
    }
    size_t st = i;
    while (st > 0 && i - st < EMAIL_MAX_LOCAL && local_ch(s[st - 1])) st--;
    while (st < i && (s[st] == '.' || s[st] == '-')) st++;
    if (st == i || s[i - 1] == '.') continue;
    size_t en = i + 1;
    while (en < len && en - i <= EMAIL_MAX_DOMAIN && dom_ch(s[en])) en++;
    while (en > i + 1 && (s[en - 1] == '.' || s[en - 1] == '-')) en--;
    /* last label alphabetic, >= 2 chars, and at least one dot */
    size_t dot = en;
    while (dot > i + 1 && s[dot - 1] != '.') dot--;
    if (dot <= i + 2 || en - dot < 2) continue;
    bool alpha = true;
    for (size_t k = dot; k < en; k++) alpha = alpha && ch_alpha(s[k]);
    if (!alpha) continue;
    pii_emit(d, PII_EMAIL, st, en, 0.97f);
    i = en;
  }
}
