#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "ground/verify.h"

static const char k_src[] =
    "第五条　銀行の資本金の額は、十億円を下回つてはならない。\n"
    "第六条　金利は年1.2%とする。\n"
    "第七条　この規定は令和7年四月一日から施行する。\n"
    "第八条　銀行は、内閣総理大臣の認可を受けて、その業務を他の者に委託することができる。\n"
    "第九条　個人情報取扱事業者は、利用目的をできる限り特定しなければならない。\n";

static ground_verdict verdict_of(const char *claim, char *reason, size_t rl) {
  ground_doc d = {"src", k_src, strlen(k_src)};
  ground_claim *c = NULL;
  size_t n = 0;
  assert_int_equal(ground_verify(&d, 1, claim, strlen(claim), &c, &n, NULL), SK_OK);
  assert_int_equal(n, 1);
  ground_verdict v = c[0].verdict;
  snprintf(reason, rl, "%s", c[0].reason);
  if (v == GROUND_SUPPORTED) {
    assert_true(c[0].n_ev >= 1);
    assert_true(c[0].ev[0].end <= strlen(k_src));
  }
  sk_free(c);
  return v;
}

static void verdicts(void **state) {
  (void)state;
  char why[GROUND_REASON_MAX];
  assert_int_equal(verdict_of("金利は年1.2%とする。", why, sizeof why), GROUND_SUPPORTED);
  assert_int_equal(verdict_of("金利は年1.5%とする。", why, sizeof why), GROUND_CONTRADICTED);
  assert_non_null(strstr(why, "1.5%"));
  assert_int_equal(verdict_of("この規定は令和8年四月一日から施行する。", why, sizeof why), GROUND_CONTRADICTED);
  assert_int_equal(verdict_of("この規定は令和7年4月1日から施行する。", why, sizeof why), GROUND_SUPPORTED);
  assert_int_equal(verdict_of("銀行の資本金の額は、20億円を下回つてはならない。", why, sizeof why), GROUND_CONTRADICTED);
  assert_int_equal(verdict_of("銀行は、内閣総理大臣の認可を受けて、その業務を他の者に委託することができない。", why, sizeof why),
                   GROUND_CONTRADICTED);
  assert_int_equal(verdict_of("銀行は、財務大臣の認可を受けて、その業務を他の者に委託することができる。", why, sizeof why),
                   GROUND_CONTRADICTED);
  assert_int_equal(verdict_of("個人情報取扱事業者は、利用目的をできる限り特定しなくてもよい。", why, sizeof why),
                   GROUND_CONTRADICTED);
  assert_int_equal(verdict_of("東京タワーは高さ三百三十三メートルの電波塔である。", why, sizeof why), GROUND_UNSUPPORTED);
}

static void hostile_inputs_are_errors(void **state) {
  (void)state;
  ground_doc d = {"bad", "\xc3\x28", 2};
  ground_claim *c = NULL;
  size_t n = 0;
  sk_err err;
  assert_int_equal(ground_verify(&d, 1, "a。", 4, &c, &n, &err), SK_EFORMAT);
  assert_non_null(strstr(err.msg, "invalid UTF-8"));
  ground_doc ok = {"ok", k_src, strlen(k_src)};
  assert_int_equal(ground_verify(&ok, 1, "\xff", 1, &c, &n, &err), SK_EFORMAT);
  assert_int_equal(ground_verify(&ok, 1, "", 0, &c, &n, &err), SK_OK);
  assert_int_equal(n, 0);
  sk_free(c);
}

static int judge_calls;
static int fake_judge(void *user, const char *claim, size_t cl, const char *ev, size_t el, ground_verdict *v, sk_err *err) {
  (void)user, (void)claim, (void)cl, (void)err;
  judge_calls++;
  assert_true(el > 0 && memmem(ev, el, "業務", 6) != NULL); /* gets the best evidence */
  *v = GROUND_SUPPORTED;
  return SK_OK;
}

static void judge_decides_only_ambiguous(void **state) {
  (void)state;
  ground_doc d = {"src", k_src, strlen(k_src)};
  /* partly covered (ambiguous) and a clean copy: only the first reaches the judge */
  const char *t = "銀行は、内閣総理大臣の認可を受けて、その業務を外部に任せる場合がある。\n金利は年1.2%とする。\n";
  ground_verify_opts o = {fake_judge, NULL};
  ground_claim *c = NULL;
  size_t n = 0;
  judge_calls = 0;
  assert_int_equal(ground_verify_ex(&d, 1, t, strlen(t), &o, &c, &n, NULL), SK_OK);
  assert_int_equal(n, 2);
  assert_true(c[0].ambiguous); /* coverage ~0.55 */
  assert_int_equal(judge_calls, 1);
  assert_int_equal(c[0].verdict, GROUND_SUPPORTED);
  assert_non_null(strstr(c[0].reason, "judge:"));
  ground_claim *c2 = NULL;
  assert_int_equal(ground_verify(&d, 1, t, strlen(t), &c2, &n, NULL), SK_OK);
  assert_int_equal(c2[0].verdict, GROUND_UNSUPPORTED); /* without a judge */
  sk_free(c2);
  assert_int_equal(c[1].verdict, GROUND_SUPPORTED);
  sk_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(verdicts), cmocka_unit_test(hostile_inputs_are_errors),
                                     cmocka_unit_test(judge_decides_only_ambiguous)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
