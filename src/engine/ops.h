/* ops.h — building blocks of the forward passes in arch/. Activations are row-major
 * [n_tok][dim] F32 arrays in the context's scratch; weights are eng_w views of the mapping.
 * Numerics follow llama.cpp's CPU backend (sums of squares in double, float RoPE tables) so
 * the exact path lands within ~1e-4 of its F32 results. Nothing here allocates. Prefill
 * (more than one token) splits every per-token operation by tokens across the thread pool. */
#ifndef SK_ENGINE_OPS_H
#define SK_ENGINE_OPS_H

#include "engine/ctx_impl.h"

/* out[t] = x[t] / rms(x[t]) * w (w->t may be NULL: no weight). out may equal x. */
void ops_rmsnorm(const eng_ctx *c, float *out, const float *x, const eng_w *w, int n_tok, int dim,
                 float eps);
/* In place, per head of head_dim: x[t][h] = rmsnorm(x[t][h]) * w (qwen3/gemma3 q/k norm). */
void ops_rmsnorm_heads(const eng_ctx *c, float *x, const eng_w *w, int n_tok, int n_head,
                       int head_dim, float eps);
/* Rotates the first n_rot dims of every head of x[t] by the position of batch token t. */
void ops_rope(const eng_ctx *c, float *x, int n_tok, int n_head, const eng_layer *L);
/* out[t][r] = w[r] · x[t] for the n_tok rows of x (out[n_tok][w->n_out]); threads split rows. */
void ops_matmul(eng_ctx *c, float *out, const eng_w *w, const float *x, int n_tok);
/* out[i] = w[i] · x for n_w (1..3) products of the same input (q/k/v, gate/up): x is quantised
 * once and all products run in one pass of the thread pool. */
void ops_matmul_n(eng_ctx *c, int n_w, float *const *out, const eng_w *const *w, const float *x,
                  int n_tok);
void ops_add_bias(float *x, const eng_w *b, int n_tok);
void ops_add(float *x, const float *y, size_t n);              /* x += y */
void ops_scale(float *x, float s, size_t n);                   /* x *= s */
void ops_softcap(float *x, float cap, size_t n);               /* x = cap * tanh(x / cap) */
/* gate = silu(gate) * up, resp. gelu_tanh(gate) * up, over [n_tok][n_ff]. */
void ops_silu_mul(const eng_ctx *c, float *gate, const float *up, int n_tok, int n_ff);
void ops_gelu_mul(const eng_ctx *c, float *gate, const float *up, int n_tok, int n_ff);
/* gate = Wg x, up = Wu x, then gate = silu(gate) * up (resp. gelu_tanh): the activation runs in
 * the same pool pass, each thread on the rows it just computed (decode would otherwise run it
 * on one thread between two products). Same arithmetic as ops_matmul_n + ops_silu_mul. */
void ops_ffn_silu(eng_ctx *c, float *gate, float *up, const eng_w *wg, const eng_w *wu,
                  const float *x, int n_tok);
void ops_ffn_gelu(eng_ctx *c, float *gate, float *up, const eng_w *wg, const eng_w *wu,
                  const float *x, int n_tok);
/* x[t] = row tok[t].token of the embedding matrix, dequantised. */
void ops_get_rows(const eng_ctx *c, float *x, const eng_w *emb);
/* Stores the batch's new keys/values (kc, vc) of layer il in the cache. */
void ops_kv_store(eng_ctx *c, uint32_t il);
/* Causal (and, for swa layers, sliding-window) attention of every batch token over its own
 * sequence's cells, grouped-query: att[t] = softmax(scale * q·K (+softcap)) V. */
void ops_attention(eng_ctx *c, uint32_t il, const float *q, float *att);
/* Final norm and output projection for the tokens that want logits. */
void ops_logits(eng_ctx *c, const float *x);

#endif
