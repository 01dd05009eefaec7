/* numrun.c — splits the normalised text into digit runs ("03-1234-5678", "4111 1111 1111 1111",
 * "(03)1234-5678", "+81 90 1234 5678", "10.0.0.1") and lets every digit recogniser bid on each
 * contiguous range of groups; the best bid wins and scanning resumes after it. */
#include <string.h>

#include "guard/internal.h"

/* Longest digit group we consider: a 16-digit PAN written without separators. Longer runs are
 * not identifiers of ours (hashes, serials) and are skipped whole. */
#define NUM_MAX_GROUP_DIGITS 20
/* Most digits in one candidate (an ungrouped credit card, 16; slack for +81...). */
#define NUM_MAX_DIGITS 24

static bool is_sep(char c) { return c == '-' || c == ' ' || c == '.' || c == '/' || c == '(' || c == ')'; }

bool num_next(const pii_doc *d, size_t *pos, num_run *r) {
  const char *s = d->n.s;
  size_t len = d->n.len, i = *pos;
  while (i < len) {
    /* to the next digit: class bytes mark digits and capitals (CL_ASCII_UD) */
    while ((i = cls_skip(d->cls, i, len, CL_ASCII_UD)) < len && !ch_digit(s[i])) i++;
    if (i >= len) break;
    memset(r, 0, sizeof *r);
    r->start = i;
    if (i > 0 && (s[i - 1] == '+' || s[i - 1] == '(')) r->start = i - 1;
    if (i > 1 && s[i - 1] == '(' && s[i - 2] == '+') r->start = i - 2;
    size_t j = i;
    for (;;) {
      size_t gs = j;
      while (j < len && ch_digit(s[j])) j++;
      if (r->n < NUM_MAX_GROUPS) {
        r->g[r->n].start = gs;
        r->g[r->n].end = j;
        r->n++;
      }
      /* separator: 1..3 chars from is_sep with at most one space/hyphen/dot/slash "class" */
      size_t k = j;
      char cls = 0;
      while (k < len && k - j < 3 && is_sep(s[k])) {
        if (s[k] != '(' && s[k] != ')') {
          if (cls && s[k] != ' ') break;
          if (!cls) cls = s[k];
        }
        k++;
      }
      if (k == j || k >= len || !ch_digit(s[k]) || r->n >= NUM_MAX_GROUPS) break;
      char sc = cls ? cls : s[j];
      for (size_t q = j; q < k; q++)
        if (s[q] == '(' || s[q] == ')') sc = sc == ' ' || sc == ')' || sc == '(' ? s[q] : sc;
      r->sep[r->n - 1] = sc;
      j = k;
    }
    r->end = j;
    *pos = j;
    return true;
  }
  *pos = len;
  return false;
}

size_t num_digits(const pii_doc *d, const num_run *r, int a, int b, char *out, size_t cap) {
  size_t n = 0;
  for (int g = a; g <= b; g++)
    for (size_t i = r->g[g].start; i < r->g[g].end; i++) {
      if (n + 1 >= cap) {
        out[n] = '\0';
        return n + 1; /* signals "too long" to callers that compare with their length */
      }
      out[n++] = d->n.s[i];
    }
  out[n] = '\0';
  return n;
}

typedef float (*digit_rec)(pii_doc *, const num_run *, int, int, const char *, size_t);

static const struct {
  pii_type type;
  digit_rec fn;
} k_digit_recs[] = {
    {PII_CREDIT_CARD, rec_credit_card},       {PII_JP_MY_NUMBER, rec_my_number},
    {PII_DRIVERS_LICENSE, rec_drivers_license}, {PII_JP_CORPORATE_NUMBER, rec_corporate_number},
    {PII_PHONE_NUMBER, rec_phone},            {PII_POSTAL_CODE, rec_postal_code},
    {PII_BANK_ACCOUNT, rec_bank_account},     {PII_HEALTH_INSURANCE, rec_health_insurance},
    {PII_IP_ADDRESS, rec_ip_v4},
};

void rec_numbers(pii_doc *d) {
  size_t pos = 0;
  num_run r;
  char dg[NUM_MAX_DIGITS + 2];
  while (num_next(d, &pos, &r)) {
    int a = 0;
    while (a < r.n) {
      if (r.g[a].end - r.g[a].start > NUM_MAX_GROUP_DIGITS) {
        a++;
        continue;
      }
      float best = 0;
      int best_b = -1;
      pii_type best_t = PII_PHONE_NUMBER;
      for (int b = r.n - 1; b >= a; b--) {
        size_t nd = num_digits(d, &r, a, b, dg, sizeof dg);
        if (nd > NUM_MAX_DIGITS) continue;
        for (size_t k = 0; k < sizeof k_digit_recs / sizeof k_digit_recs[0]; k++) {
          float sc = k_digit_recs[k].fn(d, &r, a, b, dg, nd);
          if (sc > best) {
            best = sc;
            best_b = b;
            best_t = k_digit_recs[k].type;
          }
        }
        if (best > 0) break; /* longest range that anything accepts */
      }
      if (best_b < 0) {
        a++;
        continue;
      }
      size_t st = r.g[a].start, en = r.g[best_b].end;
      if (best_t == PII_PHONE_NUMBER && a == 0) {
        if (r.start < st && d->n.s[r.start] == '+') st = r.start;
        else if (r.start < st && (d->n.s[st - 1] == '(' || (st >= 2 && d->n.s[st - 2] == '(')) &&
                 r.sep[0] == ')')
          st = r.start;
        if (st < r.g[a].start && d->n.s[st] == '+' && d->n.s[st + 1] == '(') st = r.start;
      }
      pii_emit(d, best_t, st, en, best);
      a = best_b + 1;
    }
  }
}

bool num_seps_all(const num_run *r, int a, int b, char c) {
  for (int g = a; g < b; g++)
    if (r->sep[g] != c) return false;
  return true;
}

bool num_isolated(const pii_doc *d, const num_run *r, int a, int b) {
  const char *s = d->n.s;
  size_t st = r->g[a].start, en = r->g[b].end;
  if (a > 0 && r->sep[a - 1] != ' ') return false;
  if (b < r->n - 1 && r->sep[b] != ' ') return false;
  if (a == 0 && st > 0) {
    char p = s[st - 1];
    if (ch_alpha(p) || p == '_') return false;
    if ((p == '-' || p == '.' || p == '/' || p == '#') && st > 1 && ch_alnum(s[st - 2])) return false;
  }
  if (en < d->n.len) {
    char c = s[en];
    if (ch_alpha(c) || c == '_') return false;
    if ((c == '-' || c == '.' || c == '/') && en + 1 < d->n.len && ch_alnum(s[en + 1])) return false;
  }
  return true;
}
