/* bank_account.c — BANK_ACCOUNT: the 7-digit 口座番号 only (bank, branch and 店番 are not
 * personal data on their own).
 * Rule: exactly 7 digits, ungrouped, with an account keyword shortly before it (口座, 普通,
 * 当座, 預金, Account No) that is nearer than a postal keyword. */
#include "guard/internal.h"

static const char *const k_kw[] = {"口座", "普通", "当座", "預金", "貯蓄", "account", "a/c", "ordinary",
                                   "savings", "checking", NULL};
static const char *const k_postal[] = {"〒", "郵便", "postal", "zip", NULL};
/* "京都銀行 三軒茶屋支店 普通 5307701": the account type sits right before the number. */
#define ACCT_WINDOW_BYTES 40

float rec_bank_account(pii_doc *d, const num_run *r, int a, int b, const char *dg, size_t nd) {
  (void)dg;
  if (nd != 7 || a != b || !num_isolated(d, r, a, b)) return 0;
  size_t st = r->g[a].start;
  long kw = ctx_near(d, st, ACCT_WINDOW_BYTES, k_kw);
  if (kw < 0) return 0;
  long pc = ctx_near(d, st, ACCT_WINDOW_BYTES, k_postal);
  if (pc >= 0 && pc < kw) return 0;
  return 0.92f;
}
