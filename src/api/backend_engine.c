/* backend_engine.c — sched_backend over the local engine: eng_decode for batched forward
 * passes, the GGUF's tokenizer and chat template. */
#include <stdio.h>
#include <string.h>

#include "api/backend.h"
#include "base/alloc.h"
#include "engine/chat_template.h"
#include "engine/engine.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

typedef struct engb {
  eng_model *m;
  eng_ctx *c;
  const tok_vocab *v;
  tok_vocab *own_vocab; /* loaded here when the model has none attached */
  chat_template *tmpl;
  char id[API_MAX_MODEL_ID + 1];
} engb;

static int e_decode(void *impl, const eng_batch_tok *t, size_t n, sk_err *err) {
  return eng_decode(((engb *)impl)->c, t, n, err);
}
static const float *e_logits(void *impl, size_t i) { return eng_logits(((engb *)impl)->c, i); }
static void e_kv_seq_rm(void *impl, int32_t seq, int32_t p0, int32_t p1) {
  eng_kv_seq_rm(((engb *)impl)->c, seq, p0, p1);
}
static int e_is_eog(void *impl, int32_t tok) { return tok_is_eog(((engb *)impl)->v, tok); }

static int e_piece(void *impl, int32_t tok, char *out, size_t cap) {
  size_t len = 0;
  const char *p = tok_piece(((engb *)impl)->v, tok, 0, &len);
  if (!p) return len ? SK_EINVAL : 0;
  if (len > cap) return SK_ELIMIT;
  memcpy(out, p, len);
  return (int)len;
}

static int e_tokenize(void *impl, const char *text, size_t len, int add_special, int32_t **out,
                      size_t *n_out, sk_err *err) {
  engb *b = impl;
  /* Upper bound: one token per byte plus BOS/EOS. */
  size_t cap = len + 4;
  *out = sk_malloc(cap * sizeof **out);
  if (!*out) return sk_err_set(err, SK_ENOMEM, "out of memory");
  /* parse_special: chat templates put control tokens (<|im_start|>) in the text on purpose. */
  int rc = tok_encode(b->v, text, len, add_special, 1, *out, cap, n_out, err);
  if (rc) {
    sk_free(*out);
    *out = NULL;
  }
  return rc;
}

static int e_format_chat(void *impl, const api_message *m, size_t n, sk_buf *out, sk_err *err) {
  engb *b = impl;
  chat_msg stack[16] = {{0}};
  chat_msg *msgs = n <= 16 ? stack : sk_calloc(n, sizeof *msgs);
  if (!msgs) return sk_err_set(err, SK_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) msgs[i] = (chat_msg){api_role_name(m[i].role), m[i].content};
  int rc = chat_render(b->tmpl, msgs, n, 1, out, err);
  if (msgs != stack) sk_free(msgs);
  return rc;
}

static void e_close(void *impl) {
  engb *b = impl;
  if (!b) return;
  chat_template_free(b->tmpl);
  tok_free(b->own_vocab);
  eng_ctx_free(b->c);
  eng_model_close(b->m);
  sk_free(b);
}

static const char *tok_str_or_null(const tok_vocab *v, int32_t id, char *buf, size_t cap) {
  size_t len = 0;
  const char *t = id >= 0 ? tok_text(v, id, &len) : NULL;
  if (!t || len >= cap) return NULL;
  memcpy(buf, t, len);
  buf[len] = 0;
  return buf;
}

int backend_engine_new(const char *path, const backend_engine_params *p, sched_backend *out,
                       sk_err *err) {
  memset(out, 0, sizeof *out);
  engb *b = sk_calloc(1, sizeof *b);
  if (!b) return sk_err_set(err, SK_ENOMEM, "out of memory");
  eng_model_params mp = {0};
  int rc = eng_model_open(path, &mp, &b->m, err);
  if (rc) {
    sk_free(b);
    return rc;
  }
  b->v = eng_model_vocab(b->m);
  gguf_file *gf = NULL;
  if ((rc = gguf_open(path, &gf, err))) {
    e_close(b);
    return rc;
  }
  if (!b->v) { /* the engine did not attach the tokenizer: load it from the same file */
    rc = tok_load_gguf(gf, &b->own_vocab, err);
    b->v = b->own_vocab;
  }
  if (!rc && !p->chat_template) {
    rc = chat_template_from_gguf(gf, NULL, NULL, &b->tmpl, err);
    if (rc == SK_ENOTFOUND || rc == SK_ENOTSUP) rc = SK_OK; /* fall back below */
  }
  gguf_close(gf);
  if (rc) {
    e_close(b);
    return sk_err_wrap(err, "%s: ", path);
  }
  eng_ctx_params cp = {.n_ctx = p->n_ctx, .n_seq = p->n_seq, .n_batch = p->n_batch ? p->n_batch : 512,
                       .n_threads = p->n_threads, .precision = ENG_PRECISION_FAST};
  if ((rc = eng_ctx_new(b->m, &cp, &b->c, err))) {
    e_close(b);
    return rc;
  }
  char bos[128], eos[128];
  const char *bs = tok_str_or_null(b->v, tok_bos(b->v), bos, sizeof bos);
  const char *es = tok_str_or_null(b->v, tok_eos(b->v), eos, sizeof eos);
  rc = SK_OK;
  if (p->chat_template) rc = chat_template_by_name(p->chat_template, bs, es, &b->tmpl, err);
  else if (!b->tmpl) rc = chat_template_by_name("chatml", bs, es, &b->tmpl, err); /* no usable template */
  if (rc) {
    e_close(b);
    return rc;
  }
  if (p->model_id) {
    snprintf(b->id, sizeof b->id, "%s", p->model_id);
  } else {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(b->id, sizeof b->id, "%s", base);
    size_t l = strlen(b->id);
    if (l > 5 && !strcmp(b->id + l - 5, ".gguf")) b->id[l - 5] = 0;
  }
  *out = (sched_backend){.impl = b,
                         .model_id = b->id,
                         .n_vocab = (int32_t)eng_model_hparams(b->m)->n_vocab,
                         .n_ctx = eng_ctx_n_ctx(b->c),
                         .n_batch = cp.n_batch,
                         .n_seq = p->n_seq,
                         .decode = e_decode,
                         .logits = e_logits,
                         .kv_seq_rm = e_kv_seq_rm,
                         .is_eog = e_is_eog,
                         .piece = e_piece,
                         .tokenize = e_tokenize,
                         .format_chat = e_format_chat,
                         .close = e_close};
  return SK_OK;
}
