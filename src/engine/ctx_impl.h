/* ctx_impl.h — internals of an inference context: KV cache, scratch, thread pool, and the
 * batch being evaluated. Shared by ctx.c, kv.c, ops.c and arch/. Not public. */
#ifndef SK_ENGINE_CTX_IMPL_H
#define SK_ENGINE_CTX_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "base/pool.h"
#include "engine/cpu/cpu.h"
#include "engine/engine.h"
#include "engine/model_impl.h"

/* KV cell states, per (sequence, position): the cell index is the position. */
enum { KV_EMPTY = 0, KV_FULL = 1, KV_PENDING = 2 /* written by the batch being decoded */ };

struct eng_ctx {
  const eng_model *m;
  uint32_t n_ctx, n_seq, n_batch;
  eng_precision precision;
  const cpu_kernels *kern;
  sk_pool *pool;
  int n_threads;

  /* KV cache (kv.c): k/v[((layer * n_seq + seq) * n_ctx + pos) * kv_dim + i], F32, or F16
   * (kv_f16: eng_ctx_params.kv_type, fast path only) with its own attention (ops.c). */
  size_t kv_dim;
  int kv_f16;
  void *k, *v;
  uint8_t *cell;      /* [seq * n_ctx + pos]: KV_EMPTY / KV_FULL / KV_PENDING */
  int32_t *seq_count; /* cached positions per sequence */

  /* Scratch for up to n_batch tokens, allocated once. */
  float *x;   /* residual stream  [n_batch][n_embd] */
  float *xb;  /* normed input     [n_batch][n_embd] */
  float *xb2; /* block output     [n_batch][n_embd] */
  float *q;   /* queries          [n_batch][n_head * head_dim] */
  float *kc;  /* new keys         [n_batch][kv_dim] */
  float *vc;  /* new values       [n_batch][kv_dim] */
  float *att; /* attention output [n_batch][n_head * head_dim] */
  float *hb;  /* ffn gate         [n_batch][n_ff] */
  float *hb2; /* ffn up           [n_batch][n_ff] */
  float *att_work; /* [n_threads][n_ctx] attention scores */
  float *deq;      /* [n_threads][max_in] a dequantised weight row (exact path) */
  uint8_t *act;    /* [n_batch][act_stride] activations in the weight's dot type (fast path) */
  size_t act_stride;

  /* The batch being decoded and its logits. */
  const eng_batch_tok *toks;
  size_t n_toks;
  int32_t *out_index; /* [n_batch]: row in logits of batch token i, or -1 */
  int32_t *out_tok;   /* [n_batch]: batch token of logits row r */
  size_t n_out;
  float *out_x;       /* [n_batch][n_embd]: final hidden states of the output rows */
  float *logits;      /* [logits_cap][n_vocab], grown when a batch asks for more rows */
  size_t logits_cap;

  size_t mem_bytes; /* everything above that this context allocated */
};

/* kv.c */
int kv_init(eng_ctx *c, sk_err *err);
void kv_release(eng_ctx *c);
/* The kv_dim keys / values of one cell: float *, or uint16_t * (F16) when c->kv_f16. */
void *kv_k(const eng_ctx *c, uint32_t layer, int32_t seq, int32_t pos);
void *kv_v(const eng_ctx *c, uint32_t layer, int32_t seq, int32_t pos);
/* Marks the batch's cells KV_PENDING after checking them; on error nothing is changed. */
int kv_reserve_batch(eng_ctx *c, const eng_batch_tok *toks, size_t n, sk_err *err);
/* KV_PENDING → KV_FULL (commit = 1) or → KV_EMPTY (commit = 0). */
void kv_finish_batch(eng_ctx *c, const eng_batch_tok *toks, size_t n, int commit);

/* arch/: one forward pass per family. Evaluate c->toks (validated, cells reserved), fill
 * c->logits rows for the tokens that want them. */
void arch_llama_forward(eng_ctx *c);
void arch_qwen_forward(eng_ctx *c);
void arch_gemma_forward(eng_ctx *c);

#endif
