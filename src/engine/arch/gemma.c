/* gemma.c — the Gemma 2 and Gemma 3 forward passes.
 *
 * Norm weights: llama.cpp's converter stores Gemma's RMSNorm weights as (1 + w), so a plain
 * rmsnorm(x) * weight here is Gemma's x / rms(x) * (1 + w).
 *
 *   x = embed(token) * sqrt(n_embd)
 *   per layer:  h = rmsnorm(x) ; q,k,v = Wq h, Wk h, Wv h
 *               [gemma3] q, k = rmsnorm_per_head(q), rmsnorm_per_head(k)
 *               rope(q, k) NEOX, base per layer (gemma3 local layers: 10000, unscaled)
 *               a = attention(q, K, V): q·k scaled by query_pre_attn_scalar^-1/2,
 *                   [gemma2] soft-capped: 50 * tanh(s / 50); local layers see only the last
 *                   n_swa positions (gemma2: even layers; gemma3: five of every six)
 *               x += rmsnorm(Wo a) * post_attention_norm
 *               h = rmsnorm(x) ; x += rmsnorm(Wdown (gelu_tanh(Wgate h) * Wup h)) * post_ffw_norm
 *   logits = Wout rmsnorm(x) ; [gemma2] logits = 30 * tanh(logits / 30) */
#include "engine/ops.h"

void arch_gemma_forward(eng_ctx *c) {
  const eng_model *m = c->m;
  const eng_hparams *hp = &m->hp;
  int n = (int)c->n_toks, E = (int)hp->n_embd, D = (int)hp->head_dim;
  size_t nE = (size_t)n * E;

  ops_get_rows(c, c->x, &m->tok_embd);
  ops_scale(c->x, m->emb_scale, nE);
  for (uint32_t il = 0; il < hp->n_layer; il++) {
    const eng_layer *L = &m->layers[il];
    /* attention */
    ops_rmsnorm(c, c->xb, c->x, &L->attn_norm, n, E, hp->rms_eps);
    ops_matmul_n(c, 3, (float *const[]){c->q, c->kc, c->vc},
                 (const eng_w *const[]){&L->wq, &L->wk, &L->wv}, c->xb, n);
    if (m->arch == ENG_ARCH_GEMMA3) {
      ops_rmsnorm_heads(c, c->q, &L->q_norm, n, (int)hp->n_head, D, hp->rms_eps);
      ops_rmsnorm_heads(c, c->kc, &L->k_norm, n, (int)hp->n_head_kv, D, hp->rms_eps);
    }
    ops_rope(c, c->q, n, (int)hp->n_head, L);
    ops_rope(c, c->kc, n, (int)hp->n_head_kv, L);
    ops_kv_store(c, il);
    ops_attention(c, il, c->q, c->att); /* scale, soft-cap and window from the model */
    ops_matmul(c, c->xb2, &L->wo, c->att, n);
    ops_rmsnorm(c, c->xb2, c->xb2, &L->attn_post_norm, n, E, hp->rms_eps);
    ops_add(c->x, c->xb2, nE);
    /* feed-forward (GeGLU) */
    ops_rmsnorm(c, c->xb, c->x, &L->ffn_norm, n, E, hp->rms_eps);
    ops_ffn_gelu(c, c->hb, c->hb2, &L->ffn_gate, &L->ffn_up, c->xb, n);
    ops_matmul(c, c->xb2, &L->ffn_down, c->hb, n);
    ops_rmsnorm(c, c->xb2, c->xb2, &L->ffn_post_norm, n, E, hp->rms_eps);
    ops_add(c->x, c->xb2, nE);
  }
  ops_logits(c, c->x);
}
