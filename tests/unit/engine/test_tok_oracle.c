/* Tokenizer vs llama.cpp on the oracle models: for every model in ../shared/oracle/models/ with
 * a reference ../shared/oracle/ref/<model>.json, each prompt's `tokens` (BOS per metadata,
 * special tokens parsed) and `tokens_no_special` (plain text, no BOS) must match exactly, the
 * detokenised text (`detok`, special tokens rendered) too, and the greedy continuation's pieces
 * and text. Skips with the reason when the oracle is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

#define ORACLE "../shared/oracle/"

static const char *k_models[] = {
    "llama-spm-Q8_0",  "llama-spm-F16",  "llama-spm-e256-Q4_K_M", "llama-spm-e256-Q6_K",
    "llama-bpe-Q4_0",  "qwen2-Q8_0",     "qwen3-Q4_K_M",          "stories260K-f32",
    "stories260K-Q8_0",
};

static size_t unhex(const char *h, char *out) {
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned x;
    sscanf(h + 2 * i, "%2x", &x);
    out[i] = (char)x;
  }
  return n;
}

static int ids_equal(const json_t *want, const int32_t *got, size_t n) {
  if (json_array_size(want) != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (json_integer_value(json_array_get(want, i)) != got[i]) return 0;
  return 1;
}

static int check_model(const char *name, int *n_checks) {
  char gpath[256], rpath[256];
  snprintf(gpath, sizeof gpath, ORACLE "models/%s.gguf", name);
  snprintf(rpath, sizeof rpath, ORACLE "ref/%s.json", name);
  json_error_t jerr;
  json_t *ref = json_load_file(rpath, 0, &jerr);
  if (!ref) {
    printf("SKIP %s: reference %s absent\n", name, rpath);
    return -1;
  }
  sk_err err;
  gguf_file *g = NULL;
  if (gguf_open(gpath, &g, &err)) {
    printf("SKIP %s: %s\n", name, err.msg);
    json_decref(ref);
    return -1;
  }
  tok_vocab *v = NULL;
  assert_int_equal(tok_load_gguf(g, &v, &err), SK_OK);
  gguf_close(g);
  assert_int_equal(tok_add_bos(v), json_is_true(json_object_get(ref, "add_bos")));
  assert_int_equal(tok_bos(v), json_integer_value(json_object_get(ref, "bos")));
  assert_int_equal(tok_eos(v), json_integer_value(json_object_get(ref, "eos")));
  assert_int_equal(tok_n_vocab(v), json_integer_value(json_object_get(ref, "n_vocab")));

  int fails = 0, checks = 0;
  json_t *prompts = json_object_get(ref, "prompts");
  size_t cap = 1 << 14;
  int32_t *ids = malloc(cap * sizeof *ids);
  char *text = malloc(1 << 20), *want = malloc(1 << 20);
  sk_buf b;
  sk_buf_init(&b, 1 << 20);
  for (size_t i = 0; i < json_array_size(prompts); i++) {
    json_t *p = json_array_get(prompts, i);
    size_t tlen = unhex(json_string_value(json_object_get(p, "text_hex")), text);
    size_t n;
    /* default: BOS per metadata, special tokens parsed */
    assert_int_equal(tok_encode(v, text, tlen, 1, 1, ids, cap, &n, &err), SK_OK);
    int ok = ids_equal(json_object_get(p, "tokens"), ids, n);
    checks++;
    if (!ok) printf("  FAIL %s prompt %zu: tokens differ\n", name, i), fails++;
    /* detok of the evaluated tokens, special tokens rendered */
    sk_buf_reset(&b);
    assert_int_equal(tok_detokenize(v, ids, n, 0, 1, &b), SK_OK);
    size_t wl = unhex(json_string_value(json_object_get(p, "detok_hex")), want);
    checks++;
    if (b.len != wl || memcmp(b.data, want, wl) != 0)
      printf("  FAIL %s prompt %zu: detok differs\n", name, i), fails++;
    /* raw: no BOS, no special parsing */
    assert_int_equal(tok_encode(v, text, tlen, 0, 0, ids, cap, &n, &err), SK_OK);
    checks++;
    if (!ids_equal(json_object_get(p, "tokens_no_special"), ids, n))
      printf("  FAIL %s prompt %zu: tokens_no_special differ\n", name, i), fails++;
    /* greedy continuation: pieces and text */
    json_t *gr = json_object_get(p, "greedy");
    json_t *gt = json_object_get(gr, "tokens"), *ph = json_object_get(gr, "pieces_hex");
    size_t ng = json_array_size(gt);
    for (size_t k = 0; k < ng && k < cap; k++) {
      ids[k] = (int32_t)json_integer_value(json_array_get(gt, k));
      size_t pl;
      const char *pc = tok_piece(v, ids[k], 1, &pl);
      size_t hl = unhex(json_string_value(json_array_get(ph, k)), want);
      checks++;
      if (!pc || pl != hl || memcmp(pc, want, hl) != 0)
        printf("  FAIL %s prompt %zu: piece of %d differs\n", name, i, ids[k]), fails++;
    }
    sk_buf_reset(&b);
    assert_int_equal(tok_detokenize(v, ids, ng, 0, 1, &b), SK_OK);
    wl = unhex(json_string_value(json_object_get(gr, "text_hex")), want);
    checks++;
    if (b.len != wl || memcmp(b.data, want, wl) != 0)
      printf("  FAIL %s prompt %zu: greedy text differs\n", name, i), fails++;
  }
  printf("%s %s: %d/%d checks match (%zu prompts)\n", fails ? "FAIL" : "PASS", name,
         checks - fails, checks, json_array_size(prompts));
  sk_buf_release(&b);
  free(ids);
  free(text);
  free(want);
  tok_free(v);
  json_decref(ref);
  *n_checks = checks;
  return fails;
}

static void oracle_models_tokenize_exactly(void **state) {
  (void)state;
  int fails = 0;
  for (size_t i = 0; i < sizeof k_models / sizeof k_models[0]; i++) {
    int n = 0, f = check_model(k_models[i], &n);
    if (f > 0) fails += f;
  }
  assert_int_equal(fails, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(oracle_models_tokenize_exactly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
