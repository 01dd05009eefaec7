/* test_recognizers.c — each recogniser's rule on positive and negative cases, offsets in the
 * original bytes after normalisation, classification, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "guard/guard.h"
#include "guard/internal.h"

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

/* Returns the number of findings of type t whose span text equals want (NULL: any). */
static int count(const char *text, pii_type t, const char *want) {
  pii_findings f;
  pii_findings_init(&f);
  sk_err err;
  assert_int_equal(pii_scan(g_sc, text, strlen(text), &f, &err), 0);
  int n = 0;
  for (size_t i = 0; i < f.count; i++) {
    const pii_finding *x = &f.items[i];
    assert_true(x->start < x->end && x->end <= strlen(text));
    if (i > 0) assert_true(f.items[i - 1].end <= x->start); /* sorted, never overlapping */
    if (x->type != t) continue;
    if (!want || (strlen(want) == x->end - x->start && !memcmp(text + x->start, want, strlen(want)))) n++;
  }
  pii_findings_release(&f);
  return n;
}

static void check_digits(void **state) {
  (void)state;
  assert_true(chk_my_number("983205673214"));
  assert_false(chk_my_number("123456789013"));
  assert_true(chk_my_number("123456789018"));
  assert_true(chk_corporate("4011001098993"));
  assert_true(chk_corporate("2120901007402"));
  assert_false(chk_corporate("4011001098994"));
  assert_true(chk_luhn("4111111111111111", 16));
  assert_true(chk_luhn("378282246310005", 15));
  assert_false(chk_luhn("4111111111111112", 16));
}

static void my_number_needs_check_digit_and_context(void **state) {
  (void)state;
  assert_int_equal(count("個人番号：9832 0567 3214", PII_JP_MY_NUMBER, "9832 0567 3214"), 1);
  assert_int_equal(count("マイナンバー（９８３２－０５６７－３２１４）", PII_JP_MY_NUMBER,
                         "９８３２－０５６７－３２１４"), 1);
  assert_int_equal(count("取引ID 123456789013", PII_JP_MY_NUMBER, NULL), 0);
  assert_int_equal(count("個人番号 123456789013", PII_JP_MY_NUMBER, NULL), 0); /* bad check */
  assert_int_equal(count("注文 983205673214", PII_JP_MY_NUMBER, NULL), 0);     /* no context */
  /* a licence number that passes the My Number check is a licence */
  assert_int_equal(count("運転免許証番号 983205673214", PII_DRIVERS_LICENSE, "983205673214"), 1);
  assert_int_equal(count("運転免許証番号 983205673214", PII_JP_MY_NUMBER, NULL), 0);
  assert_int_equal(count("免許証番号：第１２３４５６７８９０１２号", PII_DRIVERS_LICENSE,
                         "１２３４５６７８９０１２"), 1);
}

static void corporate_card_phone_postal(void **state) {
  (void)state;
  assert_int_equal(count("登録番号：T4011001098993", PII_JP_CORPORATE_NUMBER, "4011001098993"), 1);
  assert_int_equal(count("JAN 4011001098993", PII_JP_CORPORATE_NUMBER, NULL), 0);
  assert_int_equal(count("カード 4111-1111-1111-1111 で", PII_CREDIT_CARD, "4111-1111-1111-1111"), 1);
  assert_int_equal(count("ポイントカード 4111-1111-1111-1112", PII_CREDIT_CARD, NULL), 0);
  assert_int_equal(count("Amex 3782 822463 10005", PII_CREDIT_CARD, "3782 822463 10005"), 1);
  assert_int_equal(count("TEL (03)1234-5678", PII_PHONE_NUMBER, "(03)1234-5678"), 1);
  assert_int_equal(count("TEL ０３（１２３４）５６７８", PII_PHONE_NUMBER, "０３（１２３４）５６７８"), 1);
  assert_int_equal(count("携帯 ０９０ー１２３４ー５６７８", PII_PHONE_NUMBER, "０９０ー１２３４ー５６７８"), 1);
  assert_int_equal(count("call +81 (0)3-1234-5678", PII_PHONE_NUMBER, "+81 (0)3-1234-5678"), 1);
  assert_int_equal(count("0120-123-456", PII_PHONE_NUMBER, "0120-123-456"), 1);
  assert_int_equal(count("平成15年法律第57号 第3-1234-5678号", PII_PHONE_NUMBER, NULL), 0);
  assert_int_equal(count("INV-2025-004821", PII_PHONE_NUMBER, NULL), 0);
  assert_int_equal(count("〒100-0001", PII_POSTAL_CODE, "100-0001"), 1);
  assert_int_equal(count("郵便番号 1000001", PII_POSTAL_CODE, "1000001"), 1);
  assert_int_equal(count("普通 1234567", PII_BANK_ACCOUNT, "1234567"), 1);
  assert_int_equal(count("数量 1234567", PII_BANK_ACCOUNT, NULL), 0);
}

static void others(void **state) {
  (void)state;
  assert_int_equal(count("mail: t-yamada@example.co.jp.", PII_EMAIL, "t-yamada@example.co.jp"), 1);
  assert_int_equal(count("from 203.0.113.45 at 10:30", PII_IP_ADDRESS, "203.0.113.45"), 1);
  assert_int_equal(count("version 10.0.19045.3803", PII_IP_ADDRESS, NULL), 0);
  assert_int_equal(count("src 2001:db8:85a3::8a2e:370:7334 ok", PII_IP_ADDRESS, "2001:db8:85a3::8a2e:370:7334"), 1);
  assert_int_equal(count("log 08:40:56 done", PII_IP_ADDRESS, NULL), 0);
  assert_int_equal(count("旅券番号 TK1234567", PII_PASSPORT, "TK1234567"), 1);
  assert_int_equal(count("在留カード AB12345678CD", PII_RESIDENCE_CARD, "AB12345678CD"), 1);
  assert_int_equal(count("生年月日：昭和60年4月1日", PII_DATE_OF_BIRTH, "昭和60年4月1日"), 1);
  assert_int_equal(count("DOB April 1, 1985", PII_DATE_OF_BIRTH, "April 1, 1985"), 1);
  assert_int_equal(count("契約日：2026年4月1日", PII_DATE_OF_BIRTH, NULL), 0);
  assert_int_equal(count("被保険者証 記号 1234 番号 56", PII_HEALTH_INSURANCE, "56"), 1);
  assert_int_equal(count("住所：大阪府大阪市北区梅田3-1-3 と", PII_ADDRESS, "大阪府大阪市北区梅田3-1-3"), 1);
  assert_int_equal(count("八王子市の世田谷区役所", PII_ADDRESS, NULL), 0);
}

static void person_names(void **state) {
  (void)state;
  if (!pii_scanner_has_mecab(g_sc)) skip();
  assert_int_equal(count("担当者：山田 太郎\n", PII_PERSON, "山田 太郎"), 1);
  assert_int_equal(count("田中様、ありがとうございます", PII_PERSON, "田中"), 1);
  assert_int_equal(count("氏名：加藤大輔（カトウ ダイスケ）", PII_PERSON, "カトウ ダイスケ"), 1);
  assert_int_equal(count("Mr. Tanaka will call.", PII_PERSON, "Tanaka"), 1);
  assert_int_equal(count("株式会社ヤマシタ工務店", PII_PERSON, NULL), 0);
  assert_int_equal(count("千葉銀行 横浜駅前支店", PII_PERSON, NULL), 0);
}

static void offsets_are_original_bytes(void **state) {
  (void)state;
  const char *t = "ＴＥＬ：０３－１２３４－５６７８";
  pii_findings f;
  pii_findings_init(&f);
  sk_err err;
  assert_int_equal(pii_scan(g_sc, t, strlen(t), &f, &err), 0);
  assert_int_equal(f.count, 1);
  assert_int_equal(f.items[0].start, 12); /* ＴＥＬ： is 4 code points x 3 bytes */
  assert_int_equal(f.items[0].end, strlen(t));
  pii_findings_release(&f);
}

static void classification(void **state) {
  (void)state;
  pii_findings f;
  pii_findings_init(&f);
  sk_err err;
  const char *a = "今日は晴れ";
  assert_int_equal(pii_scan(g_sc, a, strlen(a), &f, &err), 0);
  assert_int_equal(pii_classify(&f), PII_LEVEL_PUBLIC);
  const char *b = "個人番号 9832 0567 3214 電話 090-1234-5678";
  assert_int_equal(pii_scan(g_sc, b, strlen(b), &f, &err), 0);
  assert_int_equal(pii_classify(&f), PII_LEVEL_SPECIFIC);
  const char *c = "保険証 記号 12 番号 345";
  assert_int_equal(pii_scan(g_sc, c, strlen(c), &f, &err), 0);
  assert_int_equal(pii_classify(&f), PII_LEVEL_HIGHEST);
  pii_findings_release(&f);
}

static void hostile_input(void **state) {
  (void)state;
  pii_findings f;
  pii_findings_init(&f);
  sk_err err;
  const char bad[] = "\xff\xfe 090-1234-5678 \0 \xe3\x81 個人番号\xc0\x80 9832 0567 3214 \xe3";
  assert_int_equal(pii_scan(g_sc, bad, sizeof bad - 1, &f, &err), 0);
  assert_true(f.count >= 1);
  pii_findings_release(&f);
  /* 2 MB of pathological repetition: bounded time, no crash */
  size_t n = 2u << 20;
  char *big = sk_malloc(n);
  assert_non_null(big);
  const char *pat = "1-1-1 山田様 ＠@<< 0 ";
  size_t pl = strlen(pat);
  for (size_t i = 0; i < n; i++) big[i] = pat[i % pl];
  assert_int_equal(pii_scan(g_sc, big, n - (n % pl), &f, &err), 0);
  pii_findings_release(&f);
  memset(big, '1', n);
  assert_int_equal(pii_scan(g_sc, big, n, &f, &err), 0);
  pii_findings_release(&f);
  sk_free(big);
  assert_int_equal(pii_scan(g_sc, "x", PII_MAX_TEXT_BYTES + 1, &f, &err), SK_ELIMIT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(check_digits),          cmocka_unit_test(my_number_needs_check_digit_and_context),
      cmocka_unit_test(corporate_card_phone_postal), cmocka_unit_test(others),
      cmocka_unit_test(person_names),          cmocka_unit_test(offsets_are_original_bytes),
      cmocka_unit_test(classification),        cmocka_unit_test(hostile_input)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
