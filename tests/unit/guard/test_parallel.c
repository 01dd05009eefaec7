/* test_parallel.c — pii_scan_parallel finds exactly what one pii_scan of the whole text finds:
 * on the Aozora novels (skipped with a reason when ../shared/data/aozora is absent), on
 * PII-dense business records, on comma tables whose header sits far above a chunk cut, and on
 * long lines with no newline (no cut possible). Small chunks (4 KB) force many cuts. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "guard/guard.h"

static pii_scanner *g_sc;

static int setup(void **state) {
  (void)state;
  sk_err err;
  return pii_scanner_new(NULL, &g_sc, &err);
}
static int teardown(void **state) {
  (void)state;
  pii_scanner_free(g_sc);
  return 0;
}

static void same_findings(const char *text, size_t len, int threads, size_t chunk) {
  pii_findings a, b;
  pii_findings_init(&a);
  pii_findings_init(&b);
  sk_err err;
  assert_int_equal(pii_scan(g_sc, text, len, &a, &err), 0);
  assert_int_equal(pii_scan_parallel(g_sc, text, len, threads, chunk, &b, &err), 0);
  if (a.count != b.count) fail_msg("whole text: %zu findings, %d threads: %zu", a.count, threads, b.count);
  for (size_t i = 0; i < a.count; i++) {
    const pii_finding *x = &a.items[i], *y = &b.items[i];
    if (x->type != y->type || x->start != y->start || x->end != y->end || x->score != y->score)
      fail_msg("finding %zu differs: %s [%zu,%zu) vs %s [%zu,%zu)", i, pii_type_name(x->type), x->start,
               x->end, pii_type_name(y->type), y->start, y->end);
  }
  pii_findings_release(&a);
  pii_findings_release(&b);
}

static void business_records_and_tables(void **state) {
  (void)state;
  static const char *const recs[] = {
      "顧客名：山田 太郎様（ヤマダ タロウ）\n生年月日：1985年4月1日\n住所：〒100-0001 東京都千代田区丸の内一丁目1番1号\n",
      "電話：03-1234-5678 携帯：090-1234-5678 mail: taro.yamada@example.co.jp\n個人番号：9832 0567 3214\n",
      "お振込先：三井住友銀行 渋谷支店 普通 1234567。担当の佐藤が承りました。\n\n",
      "Mr. Tanaka called from 203.0.113.45; card 4111 1111 1111 1111. 田中様\n",
      "運転免許証番号 123456789012 の確認。旅券番号 TK1234567、在留カード AB12345678CD\n",
  };
  sk_buf b;
  sk_buf_init(&b, (size_t)16 << 20);
  /* a table: header, then 60 rows, so cuts fall between the header and its rows */
  assert_int_equal(sk_buf_append_str(&b, "No,氏名,フリガナ,生年月日,電話,住所\n"), 0);
  char row[512];
  for (int r = 0; r < 60; r++) {
    snprintf(row, sizeof row, "%d,佐藤 花子,サトウ ハナコ,1990/%d/%d,03-%04d-%04d,大阪府大阪市北区梅田%d-%d-%d\n", r,
             r % 12 + 1, r % 28 + 1, 1000 + r, 2000 + r, r % 9 + 1, r % 20 + 1, r % 30 + 1);
    assert_int_equal(sk_buf_append_str(&b, row), 0);
  }
  for (int rep = 0; rep < 400; rep++)
    assert_int_equal(sk_buf_append_str(&b, recs[rep % 5]), 0);
  /* 64 threads on ~60 KB: ~1 KB chunks, so cuts fall inside the table too */
  for (int t = 2; t <= 64; t *= 4) {
    same_findings(b.data, b.len, t, 4096);
    same_findings(b.data, b.len, t, 1024);
  }
  /* no newline at all: no cut, one scan */
  sk_buf_reset(&b);
  for (int rep = 0; rep < 2000; rep++) assert_int_equal(sk_buf_append_str(&b, "佐藤様 03-1234-5678 "), 0);
  same_findings(b.data, b.len, 4, 4096);
  sk_buf_release(&b);
}

/* Long lines next to tables: a chunk that starts after a long line of prose keeps only
 * CTX_BYTES of it as context (a barrier for the table-header walk), one after a long line with
 * two commas (full-width, so only the normaliser makes them commas) keeps the whole lines. */
static void long_lines_and_tables(void **state) {
  (void)state;
  static const char *const prose[] = {"山田太郎さんは東京都港区芝公園4-2-8に住む。", "担当の佐藤が承りました。",
                                      "電話は090-1234-5678です。", "中村悠真の件で鈴木様に連絡した。",
                                      "[10:03] 田中: 了解です。", "昭和60年4月1日生まれ。"};
  sk_buf b;
  sk_buf_init(&b, (size_t)16 << 20);
  unsigned x = 12345;
  char row[512];
  for (int blk = 0; blk < 60; blk++) {
    x = x * 1103515245u + 12345u;
    int kind = (int)((x >> 16) % 4);
    if (kind == 0) { /* a table */
      assert_int_equal(sk_buf_append_str(&b, "No,氏名,電話\n"), 0);
      for (int r = 0; r < (int)((x >> 8) % 80); r++) {
        snprintf(row, sizeof row, "%d,佐藤 花子,03-%04d-%04d\n", r, 1000 + r, 2000 + r);
        assert_int_equal(sk_buf_append_str(&b, row), 0);
      }
    } else if (kind == 1 || kind == 2) { /* one long line, 1-6 KB, with or without two commas */
      int n = (int)((x >> 4) % 150) + 30;
      for (int k = 0; k < n; k++) {
        assert_int_equal(sk_buf_append_str(&b, prose[(k + blk) % 6]), 0);
        if (kind == 2 && (k == 3 || k == n - 2)) assert_int_equal(sk_buf_append_str(&b, "氏名，"), 0);
      }
      assert_int_equal(sk_buf_append_str(&b, "\n"), 0);
    } else { /* rows without a header right after whatever came before */
      for (int r = 0; r < 5; r++) assert_int_equal(sk_buf_append_str(&b, "1,山田 太郎,03-1111-2222\n"), 0);
    }
  }
  for (int t = 2; t <= 32; t *= 2) {
    same_findings(b.data, b.len, t, 1024);
    same_findings(b.data, b.len, t, 3000);
  }
  sk_buf_release(&b);
}

static void novels(void **state) {
  (void)state;
  glob_t g = {0};
  if (glob("../shared/data/aozora/*.txt", 0, NULL, &g) != 0) {
    printf("SKIP: ../shared/data/aozora/*.txt absent\n");
    skip();
  }
  /* the two largest are enough under ASan */
  size_t done = 0;
  for (size_t i = 0; i < g.gl_pathc && done < 2; i++) {
    if (!strstr(g.gl_pathv[i], "kokoro") && !strstr(g.gl_pathv[i], "bocchan")) continue;
    char *p;
    size_t n;
    sk_err err;
    assert_int_equal(sk_read_file(g.gl_pathv[i], (size_t)64 << 20, &p, &n, &err), 0);
    same_findings(p, n, 16, 16384);
    sk_free(p);
    done++;
  }
  /* the smaller novels as one text: lines of 1-3 KB and whole novels without a newline */
  sk_buf all;
  sk_buf_init(&all, (size_t)64 << 20);
  for (size_t i = 0; i < g.gl_pathc; i++) {
    if (strstr(g.gl_pathv[i], "kokoro") || strstr(g.gl_pathv[i], "bocchan") || strstr(g.gl_pathv[i], "sanshiro"))
      continue;
    char *p;
    size_t n;
    sk_err err;
    assert_int_equal(sk_read_file(g.gl_pathv[i], (size_t)64 << 20, &p, &n, &err), 0);
    assert_int_equal(sk_buf_append(&all, p, n), 0);
    sk_free(p);
  }
  same_findings(all.data, all.len, 8, 16384);
  sk_buf_release(&all);
  globfree(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(business_records_and_tables), cmocka_unit_test(long_lines_and_tables),
                                     cmocka_unit_test(novels)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
