/* table.c — columns of comma/tab tables whose header names them. In a table the header row is
 * the only context a cell has ("No,氏名,フリガナ,生年月日,…"), so a cell under 氏名/フリガナ/Name is
 * a PERSON and a cell under 住所/Address an ADDRESS (when it holds a block number). Number
 * columns (電話, 郵便番号, 生年月日) are left to the digit recognisers, which read the same header
 * through ctx_near(). */
#include <string.h>

#include "guard/internal.h"

static const char *const k_name_hdr[] = {"氏名", "名前", "フリガナ", "ふりがな", "カナ", "name", "契約者",
                                         "顧客名", "担当者", NULL};
static const char *const k_not_name_hdr[] = {"会社", "法人", "銀行", "支店", "商品", "品名", "mail",
                                             "ファイル", "file", NULL};
static const char *const k_addr_hdr[] = {"住所", "所在地", "address", NULL};

/* A table cell longer than this is prose, not a name or an address. */
#define TABLE_MAX_CELL_BYTES 160

void rec_table(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  size_t i = 0;
  while (i < len) {
    const char *nl = memchr(s + i, '\n', len - i);
    size_t le = nl ? (size_t)(nl - s) : len;
    size_t hs, he, cs, ce;
    /* one probe per cell of this line */
    size_t p = i;
    while (p < le) {
      if (!ctx_table_cell(d, p, &hs, &he, &cs, &ce)) break;
      while (cs < ce && s[cs] == ' ') cs++;
      size_t e = ce;
      while (e > cs && s[e - 1] == ' ') e--;
      if (e > cs && e - cs <= TABLE_MAX_CELL_BYTES) {
        bool has_digit = false, has_at = false;
        for (size_t k = cs; k < e; k++) {
          has_digit |= ch_digit(s[k]);
          has_at |= s[k] == '@';
        }
        if (!has_digit && !has_at && ctx_span_has(d, hs, he, k_name_hdr) &&
            !ctx_span_has(d, hs, he, k_not_name_hdr))
          pii_emit(d, PII_PERSON, cs, e, 0.9f);
        else if (has_digit && ctx_span_has(d, hs, he, k_addr_hdr))
          pii_emit(d, PII_ADDRESS, cs, e, 0.9f);
      }
      p = ce + 1;
    }
    i = le + 1;
  }
}
