/* test_pseudonym.c — pseudonymise -> re-identify restores the text byte for byte, also when the
 * pseudonymised text arrives in random chunks (tokens split anywhere); tokens are deterministic
 * per key+tenant+type+value and differ across tenants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "guard/guard.h"
#include "guard/pseudonym.h"

static const char *const k_texts[] = {
    "お客様（酒井 由香様、登録電話 090-7518-6276）から、個人番号：6523-3242-6270 の件。酒井 由香様へ。",
    "〒100-0001 東京都千代田区丸の内一丁目1番1号 taro.yamada@example.co.jp <not a token> <PERSON_zz",
    "Mr. Tanaka called from 203.0.113.45; card 4111 1111 1111 1111. 田中様 < > <<>>",
    "",
};

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

static void pseudonymise(const char *text, pii_vault *v, const char *tenant, sk_buf *out) {
  pii_findings f;
  pii_findings_init(&f);
  sk_err err;
  pii_key key;
  pii_key_from_secret(&key, "test secret", tenant);
  assert_int_equal(pii_scan(g_sc, text, strlen(text), &f, &err), 0);
  assert_int_equal(pii_apply(text, strlen(text), &f, PII_ACT_PSEUDO, &key, v, out, &err), 0);
  pii_findings_release(&f);
}

static void round_trip_with_random_splits(void **state) {
  (void)state;
  srand(12345);
  for (size_t t = 0; t < sizeof k_texts / sizeof k_texts[0]; t++) {
    pii_vault *v;
    assert_int_equal(pii_vault_new(&v), 0);
    sk_buf ps;
    sk_buf_init(&ps, 1 << 20);
    pseudonymise(k_texts[t], v, "bank-a", &ps);
    if (strlen(k_texts[t]) > 0 && t < 3) assert_true(pii_vault_count(v) > 0);
    const char *p = ps.data ? ps.data : "";
    for (int trial = 0; trial < 300; trial++) {
      pii_reid r;
      pii_reid_init(&r, v);
      sk_buf out;
      sk_buf_init(&out, 1 << 20);
      size_t pos = 0;
      while (pos < ps.len) {
        size_t n = 1 + (size_t)rand() % (trial % 3 == 0 ? 3 : 40);
        if (n > ps.len - pos) n = ps.len - pos;
        assert_int_equal(pii_reid_feed(&r, p + pos, n, &out), 0);
        pos += n;
      }
      assert_int_equal(pii_reid_finish(&r, &out), 0);
      assert_int_equal(out.len, strlen(k_texts[t]));
      if (out.len) assert_memory_equal(out.data, k_texts[t], out.len);
      sk_buf_release(&out);
    }
    sk_buf_release(&ps);
    pii_vault_free(v);
  }
}

static void tokens_are_consistent_and_scoped(void **state) {
  (void)state;
  pii_vault *v1, *v2;
  pii_vault_new(&v1);
  pii_vault_new(&v2);
  sk_buf a, b, c;
  sk_buf_init(&a, 1 << 16);
  sk_buf_init(&b, 1 << 16);
  sk_buf_init(&c, 1 << 16);
  pseudonymise(k_texts[0], v1, "bank-a", &a);
  pseudonymise(k_texts[0], v2, "bank-a", &b);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len); /* deterministic */
  assert_null(strstr(a.data, "酒井"));          /* originals are gone */
  assert_null(strstr(a.data, "6523"));
  /* the same name twice gets the same token: the count of distinct tokens is below findings */
  const char *first = strstr(a.data, "<PERSON_");
  assert_non_null(first);
  assert_non_null(strstr(first + 1, "<PERSON_"));
  assert_memory_equal(first, strstr(first + 1, "<PERSON_"), 17);
  pii_vault *v3;
  pii_vault_new(&v3);
  pseudonymise(k_texts[0], v3, "bank-b", &c);
  assert_true(c.len != a.len || memcmp(a.data, c.data, a.len) != 0); /* tenants differ */
  sk_buf_release(&a);
  sk_buf_release(&b);
  sk_buf_release(&c);
  pii_vault_free(v1);
  pii_vault_free(v2);
  pii_vault_free(v3);
}

static void mask_and_redact(void **state) {
  (void)state;
  const char *t = "電話 090-7518-6276 まで";
  pii_findings f;
  pii_findings_init(&f);
  sk_err err;
  assert_int_equal(pii_scan(g_sc, t, strlen(t), &f, &err), 0);
  sk_buf o;
  sk_buf_init(&o, 1 << 16);
  assert_int_equal(pii_apply(t, strlen(t), &f, PII_ACT_MASK, NULL, NULL, &o, &err), 0);
  assert_string_equal(o.data, "電話 ***-****-**** まで");
  sk_buf_reset(&o);
  assert_int_equal(pii_apply(t, strlen(t), &f, PII_ACT_REDACT, NULL, NULL, &o, &err), 0);
  assert_string_equal(o.data, "電話 <PHONE_NUMBER> まで");
  assert_int_equal(pii_apply(t, strlen(t), &f, PII_ACT_PSEUDO, NULL, NULL, &o, &err), SK_EINVAL);
  sk_buf_release(&o);
  pii_findings_release(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(round_trip_with_random_splits),
                                     cmocka_unit_test(tokens_are_consistent_and_scoped),
                                     cmocka_unit_test(mask_and_redact)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
