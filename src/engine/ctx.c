/* ctx.c — inference contexts: allocation of the KV cache and of a scratch area bounded by
 * n_batch (nothing is allocated per token), and eng_decode, which validates a batch, reserves
 * its KV cells, runs the architecture's forward pass and commits the cells. */
#include <string.h>

#include "base/alloc.h"
#include "engine/ctx_impl.h"

/* Bounds on a context's parameters beyond engine.h's. */
#define ENG_MAX_THREADS 256 /* more threads than this would only contend */

static void *scratch(eng_ctx *c, size_t count, size_t elem, int *bad) {
  size_t n;
  if (sk_mul_size(count, elem, &n)) {
    *bad = 1;
    return NULL;
  }
  void *p = sk_calloc(1, n ? n : 1);
  if (!p) *bad = 1;
  c->mem_bytes += n;
  return p;
}

int eng_ctx_new(const eng_model *m, const eng_ctx_params *params, eng_ctx **out, sk_err *err) {
  *out = NULL;
  eng_ctx_params p = params ? *params : (eng_ctx_params){0};
  const eng_hparams *hp = &m->hp;
  if (p.n_ctx == 0) p.n_ctx = hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096;
  if (p.n_ctx == 0) p.n_ctx = 4096;
  if (p.n_ctx > ENG_MAX_CTX)
    return sk_err_set(err, SK_ELIMIT, "n_ctx %u exceeds the limit of %u", p.n_ctx, ENG_MAX_CTX);
  if (p.n_seq == 0) p.n_seq = 1;
  if (p.n_seq > ENG_MAX_SEQ)
    return sk_err_set(err, SK_ELIMIT, "n_seq %u exceeds the limit of %u", p.n_seq, ENG_MAX_SEQ);
  if (p.n_batch == 0) p.n_batch = 512;
  if (p.n_batch > ENG_MAX_BATCH)
    return sk_err_set(err, SK_ELIMIT, "n_batch %u exceeds the limit of %u", p.n_batch,
                      ENG_MAX_BATCH);
  if (p.n_threads == 0) p.n_threads = (uint32_t)sk_pool_cpu_count();
  if (p.n_threads > ENG_MAX_THREADS) p.n_threads = ENG_MAX_THREADS;
  if (p.precision != ENG_PRECISION_FAST && p.precision != ENG_PRECISION_EXACT)
    return sk_err_set(err, SK_EINVAL, "unknown precision %d", (int)p.precision);
  if (p.kv_type != ENG_KV_F32 && p.kv_type != ENG_KV_F16)
    return sk_err_set(err, SK_EINVAL, "unknown KV cache type %u (0: F32, 1: F16)", p.kv_type);

  eng_ctx *c = sk_calloc(1, sizeof *c);
  if (!c) return sk_err_set(err, SK_ENOMEM, "out of memory for a context");
  c->m = m;
  c->n_ctx = p.n_ctx;
  c->n_seq = p.n_seq;
  c->n_batch = p.n_batch;
  c->precision = p.precision;
  c->kv_f16 = p.kv_type == ENG_KV_F16 && p.precision == ENG_PRECISION_FAST;
  c->kern = cpu_kernels_get();
  int rc = sk_pool_new((int)p.n_threads, &c->pool, err);
  if (rc) goto fail;
  c->n_threads = sk_pool_n_threads(c->pool);
  if ((rc = kv_init(c, err))) goto fail;

  size_t B = c->n_batch, E = hp->n_embd, QD = (size_t)hp->n_head * hp->head_dim;
  int bad = 0;
  c->x = scratch(c, B * E, sizeof(float), &bad);
  c->xb = scratch(c, B * E, sizeof(float), &bad);
  c->xb2 = scratch(c, B * E, sizeof(float), &bad);
  c->out_x = scratch(c, B * E, sizeof(float), &bad);
  c->q = scratch(c, B * QD, sizeof(float), &bad);
  c->att = scratch(c, B * QD, sizeof(float), &bad);
  c->kc = scratch(c, B * c->kv_dim, sizeof(float), &bad);
  c->vc = scratch(c, B * c->kv_dim, sizeof(float), &bad);
  c->hb = scratch(c, B * hp->n_ff, sizeof(float), &bad);
  c->hb2 = scratch(c, B * hp->n_ff, sizeof(float), &bad);
  c->att_work = scratch(c, (size_t)c->n_threads * c->n_ctx, sizeof(float), &bad);
  c->deq = scratch(c, (size_t)c->n_threads * m->max_in, sizeof(float), &bad);
  /* Activation rows in any dot type are at most 4 bytes per element (F32) plus block headers. */
  c->act_stride = m->max_in * sizeof(float) + 64;
  c->act = scratch(c, B, c->act_stride, &bad);
  c->out_index = scratch(c, B, sizeof(int32_t), &bad);
  c->out_tok = scratch(c, B, sizeof(int32_t), &bad);
  if (bad) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory for the scratch of %u batch tokens", p.n_batch);
    goto fail;
  }
  *out = c;
  return SK_OK;
fail:
  eng_ctx_free(c);
  return rc;
}

void eng_ctx_free(eng_ctx *c) {
  if (!c) return;
  sk_pool_free(c->pool);
  kv_release(c);
  float *bufs[] = {c->x, c->xb, c->xb2, c->out_x, c->q, c->att, c->kc, c->vc,
                   c->hb, c->hb2, c->att_work, c->deq, c->logits};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) sk_free(bufs[i]);
  sk_free(c->act);
  sk_free(c->out_index);
  sk_free(c->out_tok);
  sk_free(c);
}

uint32_t eng_ctx_n_ctx(const eng_ctx *c) { return c->n_ctx; }
size_t eng_ctx_memory_bytes(const eng_ctx *c) { return c->mem_bytes; }

/* Grows the logits buffer to rows (amortised: only when a batch asks for more than ever). */
static int ensure_logits(eng_ctx *c, size_t rows, sk_err *err) {
  if (rows <= c->logits_cap) return SK_OK;
  size_t cap = c->logits_cap ? c->logits_cap : 1;
  while (cap < rows) cap *= 2;
  if (cap > c->n_batch) cap = c->n_batch;
  size_t n;
  if (sk_mul_size(cap, (size_t)c->m->hp.n_vocab * sizeof(float), &n))
    return sk_err_set(err, SK_ELIMIT, "logits buffer size overflows");
  float *l = sk_realloc(c->logits, n);
  if (!l) return sk_err_set(err, SK_ENOMEM, "out of memory for %zu rows of logits", cap);
  c->mem_bytes += n - c->logits_cap * c->m->hp.n_vocab * sizeof(float);
  c->logits = l;
  c->logits_cap = cap;
  return SK_OK;
}

int eng_decode(eng_ctx *c, const eng_batch_tok *toks, size_t n, sk_err *err) {
  if (n == 0) return SK_OK;
  if (!toks) return sk_err_set(err, SK_EINVAL, "batch is NULL");
  if (n > c->n_batch)
    return sk_err_set(err, SK_ELIMIT, "batch of %zu tokens exceeds n_batch %u; split it", n,
                      c->n_batch);
  size_t n_out = 0;
  for (size_t i = 0; i < n; i++) {
    if (toks[i].token < 0 || (uint32_t)toks[i].token >= c->m->hp.n_vocab)
      return sk_err_set(err, SK_EINVAL, "batch token %zu: id %d outside the vocabulary of %u", i,
                        toks[i].token, c->m->hp.n_vocab);
    if (toks[i].want_logits) n_out++;
  }
  int rc = ensure_logits(c, n_out, err);
  if (rc) return rc;
  c->n_toks = 0; /* the previous batch's logits are gone from here on */
  if ((rc = kv_reserve_batch(c, toks, n, err))) return rc;
  c->toks = toks;
  c->n_toks = n;
  c->n_out = 0;
  for (size_t i = 0; i < n; i++) {
    c->out_index[i] = -1;
    if (!toks[i].want_logits) continue;
    c->out_index[i] = (int32_t)c->n_out;
    c->out_tok[c->n_out++] = (int32_t)i;
  }
  switch (c->m->arch) {
  case ENG_ARCH_LLAMA: arch_llama_forward(c); break;
  case ENG_ARCH_QWEN2:
  case ENG_ARCH_QWEN3: arch_qwen_forward(c); break;
  case ENG_ARCH_GEMMA2:
  case ENG_ARCH_GEMMA3: arch_gemma_forward(c); break;
  }
  kv_finish_batch(c, toks, n, 1);
  c->toks = NULL;
  return SK_OK;
}

const float *eng_logits(const eng_ctx *c, size_t i) {
  if (i >= c->n_toks || c->out_index[i] < 0) return NULL;
  return c->logits + (size_t)c->out_index[i] * c->m->hp.n_vocab;
}
