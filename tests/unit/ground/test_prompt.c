#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "ground/prompt.h"

static void prompt_numbers_sources_and_cites_map_back(void **state) {
  (void)state;
  ground_hit h[2] = {{.chunk_id = 59, .source = "銀行法.txt", .label = "第五条（資本金の額）", .text = "銀行の資本金の額は、十億円以上。"},
                     {.chunk_id = 918, .source = "個人情報.txt", .label = "第十五条", .text = "利用目的を特定する。"}};
  char *p = NULL;
  assert_int_equal(ground_build_prompt(h, 2, "資本金は？", &p, NULL), SK_OK);
  assert_non_null(strstr(p, "[1] 銀行法.txt 第五条（資本金の額）\n銀行の資本金の額は"));
  assert_non_null(strstr(p, "[2] 個人情報.txt"));
  assert_non_null(strstr(p, "質問: 資本金は？"));
  sk_free(p);
  const char *ans = "資本金は十億円以上です。[1] 利用目的は特定します［2］。根拠のない文です[7]。";
  ground_cite *c = NULL;
  size_t n = 0;
  assert_int_equal(ground_cite_answer(ans, strlen(ans), h, 2, &c, &n, NULL), SK_OK);
  assert_int_equal(n, 3);
  assert_int_equal(c[0].n, 1);
  assert_int_equal(c[0].chunk_ids[0], 59);
  assert_int_equal(c[1].n, 1);
  assert_int_equal(c[1].chunk_ids[0], 918);
  assert_int_equal(c[2].n, 0); /* [7] is outside 1..2 */
  sk_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(prompt_numbers_sources_and_cites_map_back)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
