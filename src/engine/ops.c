/* ops.c — shared building blocks of the forward passes (see ops.h). */
#include "engine/ops.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "engine/attn_prefill.h"
#include "engine/gtype.h"

/* ---- threading helpers ---------------------------------------------------------------------- */

/* Prefill work on activations is split by tokens across the pool; a single token (decode) stays
 * on the calling thread, where a pool wake-up would cost more than the work. */
typedef void (*tok_fn)(const void *arg, int t0, int t1);
typedef struct tok_job {
  tok_fn fn;
  const void *arg;
  int n_tok;
} tok_job;

static void tok_worker(void *arg, int ith, int nth) {
  const tok_job *j = arg;
  int t0 = (int)((int64_t)j->n_tok * ith / nth), t1 = (int)((int64_t)j->n_tok * (ith + 1) / nth);
  if (t1 > t0) j->fn(j->arg, t0, t1);
}

static void par_tokens(const eng_ctx *c, int n_tok, tok_fn fn, const void *arg) {
  if (n_tok < 2 || c->n_threads < 2) {
    fn(arg, 0, n_tok);
    return;
  }
  tok_job j = {fn, arg, n_tok};
  sk_pool_run(c->pool, tok_worker, &j);
}

static void rmsnorm_rows(float *out, const float *x, const float *wd, int t0, int t1, int dim,
                         float eps) {
  for (int t = t0; t < t1; t++) {
    const float *xr = x + (size_t)t * dim;
    float *o = out + (size_t)t * dim;
    double sum = 0;
    for (int i = 0; i < dim; i++) sum += (double)(xr[i] * xr[i]);
    float mean = (float)(sum / dim);
    float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < dim; i++) o[i] = xr[i] * scale * (wd ? wd[i] : 1.0f);
  }
}

typedef struct rms_job {
  float *out;
  const float *x, *wd;
  int dim;
  float eps;
} rms_job;

static void rms_tokens(const void *arg, int t0, int t1) {
  const rms_job *j = arg;
  rmsnorm_rows(j->out, j->x, j->wd, t0, t1, j->dim, j->eps);
}

void ops_rmsnorm(const eng_ctx *c, float *out, const float *x, const eng_w *w, int n_tok, int dim,
                 float eps) {
  rms_job j = {out, x, w && w->t ? (const float *)w->data : NULL, dim, eps};
  par_tokens(c, n_tok, rms_tokens, &j);
}

void ops_rmsnorm_heads(const eng_ctx *c, float *x, const eng_w *w, int n_tok, int n_head,
                       int head_dim, float eps) {
  if (n_tok < 2) /* decode: a few heads of 64..256 values, less work than a pool wake-up */
    rmsnorm_rows(x, x, w && w->t ? (const float *)w->data : NULL, 0, n_head, head_dim, eps);
  else
    ops_rmsnorm(c, x, x, w, n_tok * n_head, head_dim, eps);
}

/* RoPE as ggml computes it: theta advances by a float factor per pair; cos/sin in float. */
typedef struct rope_job {
  const eng_ctx *c;
  float *x;
  int n_head;
  const eng_layer *L;
} rope_job;

static void rope_tokens(const void *arg, int t0, int t1) {
  const rope_job *j = arg;
  const eng_ctx *c = j->c;
  const eng_layer *L = j->L;
  float *x = j->x;
  int n_head = j->n_head;
  const eng_model *m = c->m;
  int hd = (int)m->hp.head_dim, n_rot = (int)m->n_rot;
  float theta_scale = powf(L->rope_base, -2.0f / (float)n_rot);
  float cs[ENG_MAX_HEAD_DIM];
  for (int t = t0; t < t1; t++) {
    float theta = (float)c->toks[t].pos;
    for (int i0 = 0; i0 < n_rot; i0 += 2) {
      float ff = m->rope_freqs ? m->rope_freqs[i0 / 2] : 1.0f;
      float th = L->rope_freq_scale * (theta / ff);
      cs[i0] = cosf(th);
      cs[i0 + 1] = sinf(th);
      theta *= theta_scale;
    }
    for (int h = 0; h < n_head; h++) {
      float *v = x + ((size_t)t * n_head + h) * hd;
      for (int i0 = 0; i0 < n_rot; i0 += 2) {
        int a = m->rope_type == ENG_ROPE_NORM ? i0 : i0 / 2;
        int b = m->rope_type == ENG_ROPE_NORM ? i0 + 1 : i0 / 2 + n_rot / 2;
        float x0 = v[a], x1 = v[b];
        v[a] = x0 * cs[i0] - x1 * cs[i0 + 1];
        v[b] = x0 * cs[i0 + 1] + x1 * cs[i0];
      }
    }
  }
}

void ops_rope(const eng_ctx *c, float *x, int n_tok, int n_head, const eng_layer *L) {
  rope_job j = {c, x, n_head, L};
  par_tokens(c, n_tok, rope_tokens, &j);
}

/* ---- matrix products --------------------------------------------------------------------------- */

#define MM_MAX_W 3 /* q, k, v: the most products that share one input */

typedef struct mm_job {
  eng_ctx *c;
  float *const *out;
  const eng_w *const *w;
  int n_w;
  const float *x;
  int n_tok;
} mm_job;

static void quant_tokens(const void *arg, int t0, int t1) {
  const mm_job *j = arg;
  const eng_ctx *c = j->c;
  int64_t n_in = j->w[0]->n_in;
  uint32_t at = cpu_act_type(j->w[0]->type);
  for (int t = t0; t < t1; t++)
    c->kern->quantize_act(at, j->x + (size_t)t * n_in, c->act + (size_t)t * c->act_stride, n_in);
}

static void mm_worker(void *arg, int ith, int nth) {
  const mm_job *j = arg;
  const eng_ctx *c = j->c;
  const cpu_kernels *k = c->kern;
  for (int wi = 0; wi < j->n_w; wi++) {
    const eng_w *w = j->w[wi];
    float *out = j->out[wi];
    int64_t r0 = w->n_out * ith / nth, r1 = w->n_out * (ith + 1) / nth;
    if (c->precision == ENG_PRECISION_EXACT) {
      float *row = c->deq + (size_t)ith * c->m->max_in;
      for (int64_t r = r0; r < r1; r++) {
        k->dequantize_row(w->type, w->data + (size_t)r * w->row_bytes, row, w->n_in);
        for (int t = 0; t < j->n_tok; t++)
          out[(size_t)t * w->n_out + r] = k->dot_f32(row, j->x + (size_t)t * w->n_in, w->n_in);
      }
    } else if (r1 > r0) {
      /* Each thread streams its own contiguous slice of the weight rows; the tile kernel keeps
       * a few rows in cache while all tokens of the batch pass over them. */
      k->gemm(w->type, w->data + (size_t)r0 * w->row_bytes, w->row_bytes, (int)(r1 - r0), c->act,
              c->act_stride, j->n_tok, out + r0, (size_t)w->n_out, w->n_in);
    }
  }
}

void ops_matmul_n(eng_ctx *c, int n_w, float *const *out, const eng_w *const *w, const float *x,
                  int n_tok) {
  assert(n_w >= 1 && n_w <= MM_MAX_W);
  /* One quantisation of x and one pool run serve every product whose weights take the same
   * activation type; otherwise they run one by one. */
  for (int i = 1; i < n_w; i++)
    if (cpu_act_type(w[i]->type) != cpu_act_type(w[0]->type)) {
      for (int k = 0; k < n_w; k++) ops_matmul_n(c, 1, &out[k], &w[k], x, n_tok);
      return;
    }
  mm_job j = {c, out, w, n_w, x, n_tok};
  if (c->precision == ENG_PRECISION_FAST) par_tokens(c, n_tok, quant_tokens, &j);
  sk_pool_run(c->pool, mm_worker, &j);
}

void ops_matmul(eng_ctx *c, float *out, const eng_w *w, const float *x, int n_tok) {
  ops_matmul_n(c, 1, &out, &w, x, n_tok);
}

void ops_add_bias(float *x, const eng_w *b, int n_tok) {
  if (!b->t) return;
  const float *bd = (const float *)b->data;
  for (int t = 0; t < n_tok; t++)
    for (int64_t i = 0; i < b->n_in; i++) x[(size_t)t * b->n_in + i] += bd[i];
}

void ops_add(float *x, const float *y, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] += y[i];
}

void ops_scale(float *x, float s, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] *= s;
}

void ops_softcap(float *x, float cap, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = cap * tanhf(x[i] / cap);
}

typedef struct glu_job {
  float *gate;
  const float *up;
  int n_ff;
} glu_job;

static void silu_tokens(const void *arg, int t0, int t1) {
  const glu_job *j = arg;
  for (size_t i = (size_t)t0 * j->n_ff; i < (size_t)t1 * j->n_ff; i++)
    j->gate[i] = j->gate[i] / (1.0f + expf(-j->gate[i])) * j->up[i];
}

static void gelu_tokens(const void *arg, int t0, int t1) {
  const glu_job *j = arg;
  const float k = 0.79788456080286535587989211986876f; /* sqrt(2/pi) */
  for (size_t i = (size_t)t0 * j->n_ff; i < (size_t)t1 * j->n_ff; i++) {
    float v = j->gate[i];
    j->gate[i] = 0.5f * v * (1.0f + tanhf(k * v * (1.0f + 0.044715f * v * v))) * j->up[i];
  }
}

void ops_silu_mul(const eng_ctx *c, float *gate, const float *up, int n_tok, int n_ff) {
  glu_job j = {gate, up, n_ff};
  par_tokens(c, n_tok, silu_tokens, &j);
}

void ops_gelu_mul(const eng_ctx *c, float *gate, const float *up, int n_tok, int n_ff) {
  glu_job j = {gate, up, n_ff};
  par_tokens(c, n_tok, gelu_tokens, &j);
}

void ops_get_rows(const eng_ctx *c, float *x, const eng_w *emb) {
  for (size_t t = 0; t < c->n_toks; t++)
    c->kern->dequantize_row(emb->type, emb->data + (size_t)c->toks[t].token * emb->row_bytes,
                            x + t * emb->n_in, emb->n_in);
}

void ops_kv_store(eng_ctx *c, uint32_t il) {
  for (size_t t = 0; t < c->n_toks; t++) {
    memcpy(kv_k(c, il, c->toks[t].seq, c->toks[t].pos), c->kc + t * c->kv_dim,
           c->kv_dim * sizeof(float));
    memcpy(kv_v(c, il, c->toks[t].seq, c->toks[t].pos), c->vc + t * c->kv_dim,
           c->kv_dim * sizeof(float));
  }
}

typedef struct att_job {
  eng_ctx *c;
  uint32_t il;
  const float *q;
  float *att;
} att_job;

static void att_worker(void *arg, int ith, int nth) {
  const att_job *j = arg;
  const eng_ctx *c = j->c;
  const eng_model *m = c->m;
  const eng_layer *L = &m->layers[j->il];
  int hd = (int)m->hp.head_dim, n_head = (int)m->hp.n_head;
  int group = n_head / (int)m->hp.n_head_kv;
  float *sc = c->att_work + (size_t)ith * c->n_ctx;
  size_t n_tasks = c->n_toks * (size_t)n_head;
  for (size_t task = (size_t)ith; task < n_tasks; task += (size_t)nth) {
    size_t t = task / (size_t)n_head;
    int h = (int)(task % (size_t)n_head), hk = h / group;
    const eng_batch_tok *bt = &c->toks[t];
    const float *qh = j->q + (t * (size_t)n_head + (size_t)h) * hd;
    float *out = j->att + (t * (size_t)n_head + (size_t)h) * hd;
    const uint8_t *cells = c->cell + (size_t)bt->seq * c->n_ctx;
    int32_t lo = 0;
    if (L->swa && m->n_swa && bt->pos >= (int32_t)m->n_swa) lo = bt->pos - (int32_t)m->n_swa + 1;
    float mx = -INFINITY;
    for (int32_t p = lo; p <= bt->pos; p++) {
      if (cells[p] == KV_EMPTY) continue;
      float s = c->kern->dot_f32(qh, kv_k(c, j->il, bt->seq, p) + (size_t)hk * hd, hd);
      s *= m->q_scale;
      if (m->attn_softcap > 0) s = m->attn_softcap * tanhf(s / m->attn_softcap);
      sc[p] = s;
      if (s > mx) mx = s;
    }
    double sum = 0;
    for (int32_t p = lo; p <= bt->pos; p++) {
      if (cells[p] == KV_EMPTY) continue;
      float e = expf(sc[p] - mx);
      sc[p] = e;
      sum += e;
    }
    float inv = sum > 0 ? (float)(1.0 / sum) : 0.0f;
    memset(out, 0, (size_t)hd * sizeof *out);
    for (int32_t p = lo; p <= bt->pos; p++) {
      if (cells[p] == KV_EMPTY) continue;
      const float *vv = kv_v(c, j->il, bt->seq, p) + (size_t)hk * hd;
      float wgt = sc[p] * inv;
      for (int i = 0; i < hd; i++) out[i] += wgt * vv[i];
    }
  }
}

void ops_attention(eng_ctx *c, uint32_t il, const float *q, float *att) {
  if (attn_prefill(c, il, q, att)) return; /* prefill batches: blocked (attn_prefill.c) */
  att_job j = {c, il, q, att};
  sk_pool_run(c->pool, att_worker, &j);
}

void ops_logits(eng_ctx *c, const float *x) {
  const eng_model *m = c->m;
  size_t E = m->hp.n_embd;
  if (c->n_out == 0) return;
  for (size_t r = 0; r < c->n_out; r++)
    memcpy(c->out_x + r * E, x + (size_t)c->out_tok[r] * E, E * sizeof(float));
  ops_rmsnorm(c, c->out_x, c->out_x, &m->output_norm, (int)c->n_out, (int)E, m->hp.rms_eps);
  ops_matmul(c, c->logits, &m->output, c->out_x, (int)c->n_out);
  if (m->final_softcap > 0) ops_softcap(c->logits, m->final_softcap, c->n_out * m->hp.n_vocab);
}
