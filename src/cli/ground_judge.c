/* ground_judge.c — one forward pass over "source / claim / はい or いいえ?" and a comparison of
 * the logits of the はい and いいえ tokens (see ground_judge.h). A raw prompt is used rather
 * than the chat template so that any GGUF (including `sekisho gguf-synth` test models) works;
 * the answer is read from logits, never generated, so the cost is one prompt evaluation. */
#include "cli/ground_judge.h"

#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/engine.h"
#include "engine/tokenizer/tok.h"

/* KV cells: evidence sentences are cut at 2 KiB, claims likewise: ~1,500 tokens at worst. */
#define JUDGE_CTX 2048
#define JUDGE_BATCH 512
#define JUDGE_PROMPT_MAX (3 * 4096)

/* Tokens of はい / いいえ kept (byte-level vocabularies spell them in up to 9 tokens). */
#define JUDGE_ANSWER_TOKENS 16

struct ground_model_judge {
  eng_model *m;
  eng_ctx *c;
  /* はい and いいえ may share leading tokens (byte vocabularies: both start with 0xE3): the
   * shared prefix is appended to the prompt and the first differing tokens are compared. */
  int32_t prefix[JUDGE_ANSWER_TOKENS];
  size_t n_prefix;
  int32_t yes, no;
};

static int answer_tokens(ground_model_judge *j, sk_err *err) {
  const tok_vocab *v = eng_model_vocab(j->m);
  int32_t a[JUDGE_ANSWER_TOKENS], b[JUDGE_ANSWER_TOKENS];
  size_t na = 0, nb = 0;
  int rc = tok_encode(v, "はい", strlen("はい"), 0, 0, a, JUDGE_ANSWER_TOKENS, &na, err);
  if (!rc) rc = tok_encode(v, "いいえ", strlen("いいえ"), 0, 0, b, JUDGE_ANSWER_TOKENS, &nb, err);
  if (rc) return rc;
  size_t k = 0;
  while (k < na && k < nb && a[k] == b[k]) k++;
  if (k == na || k == nb) return sk_err_set(err, SK_ENOTSUP, "the vocabulary cannot tell はい from いいえ");
  memcpy(j->prefix, a, k * sizeof *a);
  j->n_prefix = k;
  j->yes = a[k];
  j->no = b[k];
  return SK_OK;
}

int ground_model_judge_open(const char *model_path, ground_model_judge **out, sk_err *err) {
  *out = NULL;
  ground_model_judge *j = sk_calloc(1, sizeof *j);
  if (!j) return sk_err_set(err, SK_ENOMEM, "out of memory");
  eng_ctx_params cp = {.n_ctx = JUDGE_CTX, .n_seq = 1, .n_batch = JUDGE_BATCH, .n_threads = 0,
                       .precision = ENG_PRECISION_FAST};
  int rc = eng_model_open(model_path, NULL, &j->m, err);
  if (!rc) rc = eng_ctx_new(j->m, &cp, &j->c, err);
  if (!rc) rc = answer_tokens(j, err);
  if (rc) {
    ground_model_judge_free(j);
    return rc;
  }
  *out = j;
  return SK_OK;
}

void ground_model_judge_free(ground_model_judge *j) {
  if (!j) return;
  if (j->c) eng_ctx_free(j->c);
  if (j->m) eng_model_close(j->m);
  sk_free(j);
}

int ground_model_judge_fn(void *user, const char *claim, size_t claim_len, const char *evidence,
                          size_t evidence_len, ground_verdict *verdict, sk_err *err) {
  ground_model_judge *j = user;
  sk_buf p;
  sk_buf_init(&p, JUDGE_PROMPT_MAX);
  int rc = sk_buf_printf(&p, "資料: %.*s\n主張: %.*s\n質問: 資料は主張を裏付けていますか。「はい」か「いいえ」で答えてください。\n答え: ",
                         (int)evidence_len, evidence, (int)claim_len, claim);
  if (rc) { sk_buf_release(&p); return sk_err_set(err, rc, "judge prompt too long"); }
  const tok_vocab *v = eng_model_vocab(j->m);
  size_t cap = JUDGE_CTX, n = 0;
  int32_t *ids = sk_malloc(cap * sizeof *ids);
  eng_batch_tok *bt = sk_malloc(JUDGE_BATCH * sizeof *bt);
  if (!ids || !bt) rc = sk_err_set(err, SK_ENOMEM, "out of memory");
  if (!rc) rc = tok_encode(v, p.data, p.len, 1, 0, ids, cap - j->n_prefix, &n, err);
  sk_buf_release(&p);
  if (!rc) {
    memcpy(ids + n, j->prefix, j->n_prefix * sizeof *ids);
    n += j->n_prefix;
  }
  eng_kv_seq_rm(j->c, 0, 0, -1);
  const float *logits = NULL;
  for (size_t at = 0; !rc && at < n; at += JUDGE_BATCH) {
    size_t m = n - at < JUDGE_BATCH ? n - at : JUDGE_BATCH;
    for (size_t k = 0; k < m; k++)
      bt[k] = (eng_batch_tok){.token = ids[at + k], .pos = (int32_t)(at + k), .seq = 0, .want_logits = at + k + 1 == n};
    rc = eng_decode(j->c, bt, m, err);
    if (!rc && at + m == n) logits = eng_logits(j->c, m - 1);
  }
  if (!rc && !logits) rc = sk_err_set(err, SK_EINVAL, "empty judge prompt");
  if (!rc) *verdict = logits[j->yes] >= logits[j->no] ? GROUND_SUPPORTED : GROUND_UNSUPPORTED;
  eng_kv_seq_rm(j->c, 0, 0, -1);
  sk_free(ids);
  sk_free(bt);
  return rc;
}
