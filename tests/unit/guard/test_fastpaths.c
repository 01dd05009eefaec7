/* test_fastpaths.c — the speed paths of the scanner give what the plain paths give: the
 * normaliser's stable-code-point table (compatibility characters still folded), the lexicon's
 * one-character table and presence filter (same flags as the hash table), and the per-scan
 * MeCab parse memo (a record repeated N times yields N copies of its findings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "guard/guard.h"
#include "guard/internal.h"
#include "guard/lexicon.h"
#include "guard/normalize.h"

static void expect_norm(const char *in, const char *want) {
  pii_norm n;
  assert_int_equal(pii_norm_build(&n, in, strlen(in)), 0);
  assert_int_equal(n.len, strlen(want));
  assert_memory_equal(n.s, want, n.len);
  pii_norm_release(&n);
}

static void normaliser_folds_compat_keeps_stable(void **state) {
  (void)state;
  expect_norm("「山田」、。〜", "「山田」、。〜");                      /* stable: copied */
  expect_norm("①２㈱", "12(株)");                                        /* compatibility forms */
  expect_norm("ｶﾀｶﾅ℡〶", "カタカナTEL〒");                                /* half-width kana, symbols */
  expect_norm("０３ー１２３４　カード", "03-1234 カード");                /* ー only between digits */
  expect_norm("\xed\xa0\x80x", "???x");                                   /* encoded surrogate */
  /* offsets stay in the original bytes */
  pii_norm n;
  const char *t = "①a";
  assert_int_equal(pii_norm_build(&n, t, strlen(t)), 0);
  assert_int_equal(n.map[0], 0);
  assert_int_equal(n.map[1], 3);
  pii_norm_release(&n);
}

static void lexicon_tables_match_hash(void **state) {
  (void)state;
  pii_lexicon *lx;
  sk_err err;
  assert_int_equal(lex_load_lines("S,林,ハヤシ\nG,陽,ヨウ\nS,佐藤,サトウ\nG,花子,ハナコ\n", &lx, &err), 0);
  assert_true((lex_lookup(lx, "林", 3) & (LEX_SURNAME | LEX_KANJI)) == (LEX_SURNAME | LEX_KANJI));
  assert_true(lex_lookup(lx, "陽", 3) & LEX_GIVEN);
  assert_true(lex_lookup(lx, "佐", 3) & LEX_PREFIX);
  assert_false(lex_lookup(lx, "佐", 3) & LEX_SURNAME);
  assert_int_equal(lex_lookup(lx, "藤", 3), 0);
  assert_true(lex_lookup(lx, "佐藤", 6) & LEX_SURNAME);
  assert_true(lex_lookup(lx, "花子", 6) & LEX_GIVEN);
  assert_int_equal(lex_lookup(lx, "花瓶", 6), 0);
  assert_true(lex_lookup(lx, "サトウ", 9) & LEX_KANA);
  assert_true(lex_lookup(lx, "SATO", 4) & LEX_ROMAJI);
  assert_int_equal(lex_lookup(lx, "\xe6\x9e", 2), 0); /* a cut character is not a name */
  /* incremental hashing reaches the same answers */
  uint32_t h = lex_hash_extend(LEX_HASH_INIT, "佐", 3);
  assert_true(lex_lookup_hashed(lx, "佐", 3, h) & LEX_PREFIX);
  h = lex_hash_extend(h, "藤", 3);
  assert_true(lex_lookup_hashed(lx, "佐藤", 6, h) & LEX_SURNAME);
  lex_free(lx);
}

/* Findings of rec repeated n times equal n shifted copies of rec's own findings. */
static void repeated_records_same_findings(void **state) {
  (void)state;
  pii_scanner *sc;
  sk_err err;
  assert_int_equal(pii_scanner_new(NULL, &sc, &err), 0);
  if (!pii_scanner_has_mecab(sc)) {
    pii_scanner_free(sc);
    skip();
  }
  static const char *const recs[] = {
      "お客様の林陽斗です。渋谷支店 普通 1234567 へ。担当の佐藤が承りました。\n",
      "中村悠真の件、西側が新築の芝居小屋です。山田 太郎様 090-1234-5678\n",
  };
  for (size_t r = 0; r < sizeof recs / sizeof *recs; r++) {
    const char *rec = recs[r];
    size_t rl = strlen(rec), n = 700; /* more windows than the memo has slots */
    pii_findings one, all;
    pii_findings_init(&one);
    pii_findings_init(&all);
    assert_int_equal(pii_scan(sc, rec, rl, &one, &err), 0);
    assert_true(one.count > 0);
    char *big = sk_malloc(rl * n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++) memcpy(big + i * rl, rec, rl);
    assert_int_equal(pii_scan(sc, big, rl * n, &all, &err), 0);
    assert_int_equal(all.count, one.count * n);
    for (size_t i = 0; i < all.count; i++) {
      const pii_finding *a = &all.items[i], *o = &one.items[i % one.count];
      size_t base = (i / one.count) * rl;
      assert_int_equal(a->type, o->type);
      assert_int_equal(a->start, o->start + base);
      assert_int_equal(a->end, o->end + base);
    }
    sk_free(big);
    pii_findings_release(&one);
    pii_findings_release(&all);
  }
  pii_scanner_free(sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(normaliser_folds_compat_keeps_stable),
                                     cmocka_unit_test(lexicon_tables_match_hash),
                                     cmocka_unit_test(repeated_records_same_findings)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
