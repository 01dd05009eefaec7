#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "ground/chunk.h"
#include "ground/facts.h"
#include "ground/text.h"

static void sentences_split_on_japanese_ends(void **state) {
  (void)state;
  const char *t = "銀行は免許を受ける。「確認せよ。」と言った！本当か？ Yes. ok\n次の行";
  ground_span *s = NULL;
  size_t n = 0;
  assert_int_equal(ground_split_sentences(t, strlen(t), &s, &n, NULL), SK_OK);
  assert_int_equal(n, 4);
  assert_memory_equal(t + s[0].start, "銀行は免許を受ける。", s[0].end - s[0].start);
  /* 。 inside 「…」 ends no sentence */
  assert_memory_equal(t + s[1].start, "「確認せよ。」と言った！", s[1].end - s[1].start);
  /* a line ending in ASCII text is a wrapped English line: it continues */
  assert_memory_equal(t + s[3].start, "Yes. ok\n次の行", s[3].end - s[3].start);
  sk_free(s);
}

static void chunks_follow_articles_and_pages(void **state) {
  (void)state;
  const char *t = "（目的）\n第一条\n　この法律は、目的を定める。\n（定義）\n第二条\n　銀行とは、免許を受けた者をいう。\f"
                  "第三条　次のページの条文である。";
  ground_chunk *c = NULL;
  size_t n = 0;
  assert_int_equal(ground_chunk_text(t, strlen(t), 0, &c, &n, NULL), SK_OK);
  assert_int_equal(n, 3);
  assert_string_equal(c[0].label, "第一条（目的）");
  assert_string_equal(c[1].label, "第二条（定義）");
  assert_true(strstr(t + c[1].start, "銀行とは") != NULL);
  assert_int_equal(c[0].page, 1);
  assert_int_equal(c[2].page, 2);
  assert_string_equal(c[2].label, "第三条");
  for (size_t i = 0; i < n; i++) assert_true(c[i].start < c[i].end && c[i].end <= strlen(t));
  sk_free(c);
}

static void huge_line_is_cut_at_code_points(void **state) {
  (void)state;
  size_t n = 3 * 100000;
  char *t = sk_malloc(n + 1);
  for (size_t i = 0; i < n; i += 3) memcpy(t + i, "あ", 3);
  t[n] = 0;
  ground_chunk *c = NULL;
  size_t nc = 0;
  assert_int_equal(ground_chunk_text(t, n, 0, &c, &nc, NULL), SK_OK);
  assert_true(nc > 100);
  for (size_t i = 0; i < nc; i++) {
    assert_true(c[i].end - c[i].start <= GROUND_CHUNK_DEFAULT_BYTES + GROUND_SENTENCE_MAX_BYTES);
    assert_int_equal(c[i].start % 3, 0); /* never inside あ */
  }
  sk_free(c);
  sk_free(t);
}

static void normalize_nfkc_and_bigrams(void **state) {
  (void)state;
  char *n = NULL;
  size_t nl = 0;
  assert_int_equal(ground_normalize("ＡＢＣ１２ｶﾅ", strlen("ＡＢＣ１２ｶﾅ"), &n, &nl, NULL), SK_OK);
  assert_string_equal(n, "abc12カナ");
  sk_buf b;
  sk_buf_init(&b, 1024);
  assert_int_equal(ground_bigrams("銀行法、a", strlen("銀行法、a"), &b), SK_OK);
  assert_string_equal(b.data, "銀行 行法 a ");
  sk_buf_release(&b);
  sk_free(n);
  sk_err err;
  assert_int_equal(ground_normalize("\xff\xfe", 2, &n, &nl, &err), SK_EFORMAT);
}

static void query_bigrams_drop_question_form(void **state) {
  (void)state;
  ground_tagger *t = NULL;
  sk_err err;
  if (ground_tagger_new(&t, &err) != SK_OK) skip(); /* no MeCab dictionary here */
  const char *q = "日本の首都はどこでしたか";
  sk_buf b;
  sk_buf_init(&b, 1024);
  assert_int_equal(ground_query_bigrams(t, q, strlen(q), &b, &err), SK_OK);
  /* content bigrams and those touching content stay; どこ/でし/たか (function only) go */
  assert_non_null(strstr(b.data, "日本 "));
  assert_non_null(strstr(b.data, "首都 "));
  assert_non_null(strstr(b.data, "本の "));
  assert_null(strstr(b.data, "どこ"));
  assert_null(strstr(b.data, "たか"));
  sk_buf_reset(&b);
  assert_int_equal(ground_query_bigrams(NULL, q, strlen(q), &b, &err), SK_OK); /* no tagger: all */
  assert_non_null(strstr(b.data, "どこ "));
  sk_buf_release(&b);
  ground_tagger_free(t);
}

static void facts_numbers_eras_percent(void **state) {
  (void)state;
  ground_fact f[GROUND_FACTS_MAX];
  const char *s = "令和8年に金利1.5%、百分の五十、三十日以内、1,000円、平成元年。";
  size_t n = ground_facts_extract(s, strlen(s), f);
  int date8 = 0, pct15 = 0, pct50 = 0, days30 = 0, yen = 0, h1 = 0;
  for (size_t i = 0; i < n; i++) {
    if (f[i].kind == GROUND_FACT_DATE && f[i].value == 8 && !strcmp(f[i].unit, "令和")) date8 = 1;
    if (f[i].kind == GROUND_FACT_DATE && f[i].value == 1 && !strcmp(f[i].unit, "平成")) h1 = 1;
    if (f[i].kind == GROUND_FACT_PERCENT && f[i].value == 1.5) pct15 = 1;
    if (f[i].kind == GROUND_FACT_PERCENT && f[i].value == 50) pct50 = 1;
    if (f[i].kind == GROUND_FACT_NUMBER && f[i].value == 30 && !strcmp(f[i].unit, "日")) days30 = 1;
    if (f[i].kind == GROUND_FACT_NUMBER && f[i].value == 1000 && !strcmp(f[i].unit, "円")) yen = 1;
  }
  assert_true(date8 && pct15 && pct50 && days30 && yen && h1);
  double v = 0;
  assert_true(ground_kanji_number("二千三百四十五万六千七", strlen("二千三百四十五万六千七"), &v));
  assert_true(v == 23456007.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sentences_split_on_japanese_ends), cmocka_unit_test(chunks_follow_articles_and_pages),
      cmocka_unit_test(huge_line_is_cut_at_code_points), cmocka_unit_test(normalize_nfkc_and_bigrams),
      cmocka_unit_test(query_bigrams_drop_question_form),
      cmocka_unit_test(facts_numbers_eras_percent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
