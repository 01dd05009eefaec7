/* checks.c — check-digit rules.
 *  Luhn (ISO/IEC 7812): from the right, double every second digit, subtract 9 above 9, sum ≡ 0.
 *  My Number (行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 8条): weights
 *    6,5,4,3,2,7,6,5,4,3,2 on digits 1..11, r = Σ mod 11, check = r<=1 ? 0 : 11-r.
 *  Corporate number (法人番号): first digit = 9 - (Σ mod 9), Σ over digits 2..13 with weights
 *    1,2,1,2,... from the rightmost. */
#include "guard/internal.h"

bool chk_luhn(const char *dg, size_t n) {
  int sum = 0;
  for (size_t i = 0; i < n; i++) {
    int v = dg[n - 1 - i] - '0';
    if (i & 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return n > 0 && sum % 10 == 0;
}

bool chk_my_number(const char *dg) {
  static const int w[11] = {6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
  int s = 0;
  for (int i = 0; i < 11; i++) s += (dg[i] - '0') * w[i];
  int r = s % 11;
  int c = r <= 1 ? 0 : 11 - r;
  return dg[11] - '0' == c;
}

bool chk_corporate(const char *dg) {
  int s = 0;
  for (int i = 0; i < 12; i++) s += (dg[12 - i] - '0') * ((i & 1) ? 2 : 1);
  return dg[0] - '0' == 9 - s % 9;
}
