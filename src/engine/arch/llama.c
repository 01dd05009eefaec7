/* llama.c — the Llama forward pass (Llama 1/2/3, Mistral-style, Swallow, ELYZA, llm-jp):
 *
 *   x = embed(token)
 *   per layer:  h = rmsnorm(x) ; q,k,v = Wq h, Wk h, Wv h ; rope(q, k) adjacent pairs
 *               x += Wo attention(q, K, V)            (causal, grouped-query)
 *               h = rmsnorm(x) ; x += Wdown (silu(Wgate h) * Wup h)
 *   logits = Wout rmsnorm(x)
 *
 * Llama 3's rope scaling arrives as per-frequency divisors (rope_freqs.weight) used by ops_rope. */
#include "engine/ops.h"

void arch_llama_forward(eng_ctx *c) {
  const eng_model *m = c->m;
  const eng_hparams *hp = &m->hp;
  int n = (int)c->n_toks, E = (int)hp->n_embd;
  size_t nE = (size_t)n * E;

  ops_get_rows(c, c->x, &m->tok_embd);
  for (uint32_t il = 0; il < hp->n_layer; il++) {
    const eng_layer *L = &m->layers[il];
    /* attention */
    ops_rmsnorm(c, c->xb, c->x, &L->attn_norm, n, E, hp->rms_eps);
    ops_matmul_n(c, 3, (float *const[]){c->q, c->kc, c->vc},
                 (const eng_w *const[]){&L->wq, &L->wk, &L->wv}, c->xb, n);
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
