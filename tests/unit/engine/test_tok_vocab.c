/* Tokenizer vs llama.cpp's own test vectors: every ../shared/oracle/vocab/ *.gguf files with its
 * .inp/.out pair (and vocab/rebuilt/, including qwen3_ja) must tokenize exactly, without BOS and
 * without special-token parsing. Prints the pass count per file; skips (with the reason) files
 * that are absent or whose tokenizer this build does not implement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

#define VOCAB "../shared/oracle/vocab/"
#define SEP "\n__ggml_vocab_test__\n"

typedef struct pair {
  const char *gguf, *inp, *out;
} pair;

static const pair k_pairs[] = {
    {VOCAB "ggml-vocab-llama-spm.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-phi-3.gguf", NULL, NULL},
    {VOCAB "rebuilt/ggml-vocab-llama-bpe.gguf", NULL, NULL},
    {VOCAB "rebuilt/ggml-vocab-qwen2.gguf", NULL, NULL},
    {VOCAB "rebuilt/derived-ggml-vocab-qwen3.gguf", NULL, NULL},
    {VOCAB "rebuilt/derived-ggml-vocab-qwen3.gguf", VOCAB "rebuilt/qwen3_ja.inp",
     VOCAB "rebuilt/qwen3_ja.out"},
    {VOCAB "ggml-vocab-gpt-2.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-mpt.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-starcoder.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-refact.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-falcon.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-deepseek-llm.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-deepseek-coder.gguf", NULL, NULL},
    {VOCAB "ggml-vocab-bert-bge.gguf", NULL, NULL},
};

static int read_all(const char *path, char **buf, size_t *len) {
  sk_err err;
  return sk_read_file(path, 64u << 20, buf, len, &err);
}

/* Returns the number of failures; *n_cases gets the number of cases; -1 when skipped. */
static int run_pair(const pair *p, int *n_cases) {
  char inp_path[512], out_path[512];
  snprintf(inp_path, sizeof inp_path, "%s", p->inp ? p->inp : p->gguf);
  snprintf(out_path, sizeof out_path, "%s", p->out ? p->out : p->gguf);
  if (!p->inp) strcat(inp_path, ".inp");
  if (!p->out) strcat(out_path, ".out");
  char *inp = NULL, *out = NULL;
  size_t inp_len, out_len;
  if (read_all(inp_path, &inp, &inp_len) || read_all(out_path, &out, &out_len)) {
    printf("SKIP %s: test vectors absent\n", inp_path);
    free(inp);
    sk_free(inp);
    return -1;
  }
  sk_err err;
  gguf_file *g = NULL;
  if (gguf_open(p->gguf, &g, &err)) {
    printf("SKIP %s: %s\n", p->gguf, err.msg);
    sk_free(inp);
    sk_free(out);
    return -1;
  }
  tok_vocab *v = NULL;
  int rc = tok_load_gguf(g, &v, &err);
  gguf_close(g);
  if (rc == SK_ENOTSUP) {
    printf("SKIP %s: %s\n", p->gguf, err.msg);
    sk_free(inp);
    sk_free(out);
    return -1;
  }
  assert_int_equal(rc, SK_OK);

  int fails = 0, cases = 0;
  char *ip = inp, *iend = inp + inp_len, *op = out, *oend = out + out_len;
  size_t cap = 1 << 16;
  int32_t *ids = malloc(cap * sizeof *ids);
  while (ip < iend) {
    char *sep = memmem(ip, (size_t)(iend - ip), SEP, strlen(SEP));
    size_t tlen = sep ? (size_t)(sep - ip) : (size_t)(iend - ip);
    if (!sep && tlen == 0) break;
    char *nl = memchr(op, '\n', (size_t)(oend - op));
    if (!nl) nl = oend;
    /* expected ids */
    int32_t want[4096];
    size_t n_want = 0;
    for (char *q = op; q < nl;) {
      while (q < nl && *q == ' ') q++;
      if (q >= nl) break;
      want[n_want++] = (int32_t)strtol(q, &q, 10);
    }
    size_t n_got = 0;
    rc = tok_encode(v, ip, tlen, 0, 0, ids, cap, &n_got, &err);
    int ok = rc == SK_OK && n_got == n_want && memcmp(ids, want, n_want * sizeof *ids) == 0;
    if (!ok) {
      fails++;
      if (fails <= 3) {
        printf("  FAIL %s case %d: '%.*s'\n    want:", p->gguf, cases, (int)(tlen > 60 ? 60 : tlen), ip);
        for (size_t k = 0; k < n_want; k++) printf(" %d", want[k]);
        printf("\n    got: ");
        for (size_t k = 0; k < n_got && k < cap; k++) printf(" %d", ids[k]);
        printf("\n");
      }
    }
    cases++;
    op = nl < oend ? nl + 1 : oend;
    if (!sep) break;
    ip = sep + strlen(SEP);
  }
  printf("%s %s: %d/%d cases match\n", fails ? "FAIL" : "PASS", p->inp ? p->inp : p->gguf,
         cases - fails, cases);
  free(ids);
  tok_free(v);
  sk_free(inp);
  sk_free(out);
  *n_cases = cases;
  return fails;
}

/* Vocabularies we claim: must pass exactly. */
static void vocab_vectors_match(void **state) {
  (void)state;
  int total_fail = 0;
  for (size_t i = 0; i < sizeof k_pairs / sizeof k_pairs[0]; i++) {
    int n = 0;
    int f = run_pair(&k_pairs[i], &n);
    if (f > 0) total_fail += f;
  }
  assert_int_equal(total_fail, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(vocab_vectors_match),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
