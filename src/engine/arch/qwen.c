/* qwen.c — the Qwen2 / Qwen2.5 and Qwen3 forward passes. Llama's shape with three differences:
 *
 *   qwen2: q, k, v projections carry biases;
 *   qwen3: no biases, but each head of q and k is RMS-normalised (its own head_dim weight)
 *          before RoPE, and head_dim is explicit (key_length), so n_head * head_dim ≠ n_embd;
 *   both:  RoPE rotates the pairs (i, i + n_rot/2) ("NEOX"), chosen by the model (rope_type).
 *
 *   x = embed(token)
 *   per layer:  h = rmsnorm(x) ; q,k,v = Wq h + bq, Wk h + bk, Wv h + bv
 *               [qwen3] q, k = rmsnorm_per_head(q), rmsnorm_per_head(k)
 *               rope(q, k) ; x += Wo attention(q, K, V)
 *               h = rmsnorm(x) ; x += Wdown (silu(Wgate h) * Wup h)
 *   logits = Wout rmsnorm(x) */
#include "engine/ops.h"

void arch_qwen_forward(eng_ctx *c) {
  const eng_model *m = c->m;
  const eng_hparams *hp = &m->hp;
  int n = (int)c->n_toks, E = (int)hp->n_embd, D = (int)hp->head_dim;
  size_t nE = (size_t)n * E;

  ops_get_rows(c, c->x, &m->tok_embd);
  for (uint32_t il = 0; il < hp->n_layer; il++) {
    const eng_layer *L = &m->layers[il];
    /* attention */
    ops_rmsnorm(c, c->xb, c->x, &L->attn_norm, n, E, hp->rms_eps);
    ops_matmul_n(c, 3, (float *const[]){c->q, c->kc, c->vc},
                 (const eng_w *const[]){&L->wq, &L->wk, &L->wv}, c->xb, n);
    ops_add_bias(c->q, &L->bq, n); /* no-ops when the tensors are absent (qwen3) */
    ops_add_bias(c->kc, &L->bk, n);
    ops_add_bias(c->vc, &L->bv, n);
    if (m->arch == ENG_ARCH_QWEN3) {
      ops_rmsnorm_heads(c, c->q, &L->q_norm, n, (int)hp->n_head, D, hp->rms_eps);
      ops_rmsnorm_heads(c, c->kc, &L->k_norm, n, (int)hp->n_head_kv, D, hp->rms_eps);
    }
    ops_rope(c, c->q, n, (int)hp->n_head, L);
    ops_rope(c, c->kc, n, (int)hp->n_head_kv, L);
    ops_kv_store(c, il);
    ops_attention(c, il, c->q, c->att);
    ops_matmul(c, c->xb2, &L->wo, c->att, n);
    ops_add(c->x, c->xb2, nE);
    /* feed-forward (SwiGLU) */
    ops_rmsnorm(c, c->xb, c->x, &L->ffn_norm, n, E, hp->rms_eps);
    ops_ffn_silu(c, c->hb, c->hb2, &L->ffn_gate, &L->ffn_up, c->xb, n);
    ops_matmul(c, c->xb2, &L->ffn_down, c->hb, n);
    ops_add(c->x, c->xb2, nE);
  }
  ops_logits(c, c->x);
}
