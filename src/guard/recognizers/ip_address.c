/* ip_address.c — IP_ADDRESS.
 * IPv4: four dot-separated decimal octets 0..255 without leading zeros, not part of a longer
 * dotted version string (10.0.19045.3803 is rejected because it has five parts / a part > 255).
 * IPv6 (RFC 4291 text forms): 2..8 colon-separated groups of 1..4 hex digits with at most one
 * "::", optionally ending in a dotted IPv4; needs either "::" or all 8 groups, and at least one
 * group with a letter or more than two groups, so times like 10:30 and 08:40:56 never match. */
#include <string.h>

#include "guard/internal.h"

float rec_ip_v4(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  (void)dg;
  (void)nd;
  if (b - a != 3 || !num_seps_all(r, a, b, '.')) return 0;
  if ((a > 0 && r->sep[a - 1] != ' ') || (b < r->n - 1 && r->sep[b] != ' ')) return 0;
  for (int g = a; g <= b; g++) {
    size_t l = num_glen(r, g);
    if (l < 1 || l > 3) return 0;
    const char *p = d->n.s + r->g[g].start;
    if (l > 1 && p[0] == '0') return 0;
    int v = 0;
    for (size_t i = 0; i < l; i++) v = v * 10 + (p[i] - '0');
    if (v > 255) return 0;
  }
  const char *s = d->n.s;
  size_t st = r->g[a].start, en = r->g[b].end;
  if (a == 0 && st > 0 && (ch_alnum(s[st - 1]) || s[st - 1] == '.')) return 0;
  if (en < d->n.len && (ch_alnum(s[en]) || (s[en] == '.' && en + 1 < d->n.len && ch_digit(s[en + 1]))))
    return 0;
  return 0.95f;
}

static int hexv(char c) {
  if (c >= '0' && c <= '9') return 1;
  if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) return 2;
  return 0;
}

/* Longest IPv6 text form we parse: 8 groups of 4 hex + 7 colons, or with an IPv4 tail. */
#define IPV6_MAX_CHARS 45

void rec_ip_v6(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != ':') {
      const char *c = memchr(s + i, ':', len - i); /* jump to the next ':' */
      if (!c) break;
      i = (size_t)(c - s);
    }
    /* find the start: walk back over hex digits and colons */
    size_t st = i;
    while (st > 0 && i - st < IPV6_MAX_CHARS && (hexv(s[st - 1]) || s[st - 1] == ':')) st--;
    if (st > 0 && (ch_alnum(s[st - 1]) || s[st - 1] == '.' || s[st - 1] == '_')) {
      /* glued to a word: skip the whole colon word */
      while (i < len && (hexv(s[i]) || s[i] == ':' || s[i] == '.')) i++;
      continue;
    }
    size_t en = st;
    int groups = 0, dbl = 0, letters = 0;
    bool bad = false;
    while (en < len && en - st <= IPV6_MAX_CHARS) {
      if (s[en] == ':') {
        if (en + 1 < len && s[en + 1] == ':') {
          if (dbl) {
            bad = true;
            break;
          }
          dbl = 1;
          en += 2;
          continue;
        }
        if (en == st) {
          bad = true;
          break;
        }
        en++;
        continue;
      }
      size_t g = en;
      while (g < len && hexv(s[g]) && g - en < 5) {
        if (hexv(s[g]) == 2) letters++;
        g++;
      }
      if (g == en) break;
      if (g - en > 4) {
        bad = true;
        break;
      }
      groups++;
      en = g;
      if (en >= len || s[en] != ':') break;
    }
    while (en > st && s[en - 1] == ':' && !(en >= 2 && s[en - 2] == ':')) en--;
    if (!bad && en < len && (ch_alnum(s[en]) || s[en] == '_')) bad = true;
    if (!bad && (dbl ? groups >= 2 && groups <= 7 : groups == 8) && (letters > 0 || groups > 3))
      pii_emit(d, PII_IP_ADDRESS, st, en, 0.95f);
    i = en > i ? en : i;
  }
}
