/* phone.c — PHONE_NUMBER: Japanese telephone and fax numbers (総務省 電気通信番号計画).
 * Rule, on the national form (a leading +81 / +81 (0) is turned into the trunk 0):
 *   - starts with 0 and the second digit is not 0;
 *   - 070/080/090 (mobile), 050 (IP), 0800 (toll-free) and 020 (M2M) are 11 digits;
 *     0120/0570/0990 are 10 digits; every other number (landline 0X…) is 10 digits;
 *   - grouped forms: the first group (area code, 2..5 digits incl. the 0) may sit in
 *     parentheses "(03)1234-5678" / "092(569)6167"; separators are one of - or space, or the
 *     parentheses; at most 4 groups.
 * Numbers glued to letters or to a longer code (第3-1234-5678号 starts with 3, and anything
 * preceded by 第 is a citation) are rejected. Ungrouped digit strings score lower. */
#include <string.h>

#include "guard/internal.h"

static const char *const k_not_phone[] = {"会員番号", "顧客番号", "お客様番号", "口座番号", "id:", "id ",
                                          "注文番号", "管理番号", "受付番号", NULL};

float rec_phone(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  const char *s = d->n.s;
  size_t st = r->g[a].start;
  bool intl = a == 0 && r->start < st && s[r->start] == '+';
  char nat[32];
  size_t nn = 0;
  if (intl) {
    if (nd < 11 || dg[0] != '8' || dg[1] != '1') return 0;
    const char *p = dg + 2;
    if (*p == '0') p++; /* +81 (0)3-... */
    nat[nn++] = '0';
    while (*p && nn < sizeof nat - 1) nat[nn++] = *p++;
  } else {
    if (nd > 11) return 0;
    memcpy(nat, dg, nd);
    nn = nd;
  }
  nat[nn] = '\0';
  if (nn < 10 || nn > 11 || nat[0] != '0' || nat[1] == '0') return 0;
  size_t want = 10;
  if ((nat[1] == '7' || nat[1] == '8' || nat[1] == '9' || nat[1] == '5' || nat[1] == '2') && nat[2] == '0')
    want = 11;
  if (!strncmp(nat, "0800", 4)) want = 11;
  if (!strncmp(nat, "0120", 4) || !strncmp(nat, "0570", 4) || !strncmp(nat, "0990", 4)) want = 10;
  if (nn != want) return 0;
  int k = b - a + 1;
  if (k > 5) return 0;
  /* separators: '-', ' ', '(' / ')' only */
  for (int g = a; g < b; g++) {
    char c = r->sep[g];
    if (c != '-' && c != ' ' && c != '(' && c != ')') return 0;
  }
  if (!intl) {
    if (k > 1 && (num_glen(r, a) < 2 || num_glen(r, a) > 5)) return 0;
    if (k > 4) return 0;
  }
  /* left: not glued, not a citation (第…号) */
  if (a == 0) {
    size_t p = r->start;
    if (p > 0 && (ch_alpha(s[p - 1]) || s[p - 1] == '_')) return 0;
    if (p > 0 && (s[p - 1] == '-' || s[p - 1] == '.') && p > 1 && ch_alnum(s[p - 2])) return 0;
    if (p >= 3 && !memcmp(s + p - 3, "第", 3)) return 0;
  } else if (r->sep[a - 1] != ' ') {
    return 0;
  }
  size_t en = r->g[b].end;
  if (en < d->n.len && (ch_alpha(s[en]) || s[en] == '_')) return 0;
  if (en + 1 < d->n.len && (s[en] == '-' || s[en] == '.') && ch_digit(s[en + 1])) return 0;
  if (b < r->n - 1 && r->sep[b] != ' ') return 0;
  if (k == 1 && !intl) {
    long neg = ctx_near(d, st, 24, k_not_phone);
    if (neg >= 0) return 0;
    return 0.8f;
  }
  return 0.9f;
}
