/* attn_prefill.c — blocked attention for batches (fast precision, AVX-512 machines).
 *
 * The per-token attention of ops.c reads every cached K and V row once per query and head. Here
 * a block of up to AP_TB consecutive batch tokens of one sequence shares each K/V row load (the
 * rows stay in registers/L1 while the block's queries pass), the scores of a chunk of AP_PC
 * positions go through an online softmax (running maximum and sum, the partial output rescaled
 * when the maximum grows), and the dot products and V accumulation use 16-float vectors. Same
 * mask as ops.c (empty cells, causal position, sliding window), same scale and soft-cap; the
 * results differ from ops.c by float rounding (the summation order of the softmax), and a
 * token's result does not depend on the batch around it, so single tokens (decode) take this
 * path too: batched and one-at-a-time evaluation stay bit-identical (test_model_synth). Reads
 * the F32 cache or the F16 one (eng_ctx_params.kv_type), widening F16 rows as they load. */
#include "engine/attn_prefill.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AP_TB 8  /* queries per block: 8 × 64-float outputs stay in L1 */
#define AP_PC 64 /* positions per softmax chunk */

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")
#endif

static inline float dot_v(const float *a, const float *b, int n) {
  __m512 s = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s);
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s);
  }
  return _mm512_reduce_add_ps(s);
}

/* o[0..n) = o·f + e·v */
static inline void axpy_v(float *o, float e, const float *v, int n) {
  const __m512 ev = _mm512_set1_ps(e);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(o + i, _mm512_fmadd_ps(ev, _mm512_loadu_ps(v + i), _mm512_loadu_ps(o + i)));
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(o + i, m, _mm512_fmadd_ps(ev, _mm512_maskz_loadu_ps(m, v + i),
                                                     _mm512_maskz_loadu_ps(m, o + i)));
  }
}

/* The same over an F16 row (the F16 KV cache): 16 halves widened per load (F16C). */
static inline __m512 ld_h(const uint16_t *p, int n) { /* n < 16: masked tail */
  if (n >= 16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16((__mmask16)((1u << n) - 1), p));
}

static inline float dot_h(const float *a, const uint16_t *b, int n) {
  __m512 s = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), ld_h(b + i, 16), s);
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), ld_h(b + i, n - i), s);
  }
  return _mm512_reduce_add_ps(s);
}

static inline void axpy_h(float *o, float e, const uint16_t *v, int n) {
  const __m512 ev = _mm512_set1_ps(e);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(o + i, _mm512_fmadd_ps(ev, ld_h(v + i, 16), _mm512_loadu_ps(o + i)));
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(o + i, m, _mm512_fmadd_ps(ev, ld_h(v + i, n - i),
                                                     _mm512_maskz_loadu_ps(m, o + i)));
  }
}

static inline void scale_v(float *o, float f, int n) {
  for (int i = 0; i < n; i++) o[i] *= f;
}

/* o[0..16·nv) += Σ_pp s[pp]·v_pp over the positions with a row (vp[pp] != NULL) and a nonzero
 * weight, in position order: axpy_v/axpy_h's arithmetic with o held in nv registers. */
static inline __attribute__((always_inline)) void pv_regs(float *o, const float *s,
                                                          const void *const *vp, int np, int f16,
                                                          int nv) {
  __m512 a[16];
  for (int k = 0; k < nv; k++) a[k] = _mm512_loadu_ps(o + 16 * k);
  for (int pp = 0; pp < np; pp++) {
    if (s[pp] == 0.0f || !vp[pp]) continue;
    const __m512 ev = _mm512_set1_ps(s[pp]);
    if (f16)
      for (int k = 0; k < nv; k++)
        a[k] = _mm512_fmadd_ps(ev, ld_h((const uint16_t *)vp[pp] + 16 * k, 16), a[k]);
    else
      for (int k = 0; k < nv; k++)
        a[k] = _mm512_fmadd_ps(ev, _mm512_loadu_ps((const float *)vp[pp] + 16 * k), a[k]);
  }
  for (int k = 0; k < nv; k++) _mm512_storeu_ps(o + 16 * k, a[k]);
}

typedef struct ap_job {
  eng_ctx *c;
  uint32_t il;
  const float *q;
  float *att;
} ap_job;

/* Tokens [t0, t1) of one sequence, head h. */
static void ap_block(const ap_job *j, size_t t0, size_t t1, int h) {
  const eng_ctx *c = j->c;
  const eng_model *m = c->m;
  const eng_layer *L = &m->layers[j->il];
  const int hd = (int)m->hp.head_dim, n_head = (int)m->hp.n_head;
  const int hk = h / (n_head / (int)m->hp.n_head_kv), nb = (int)(t1 - t0);
  const int f16 = c->kv_f16; /* cache rows are F16 (uint16_t) instead of float */
  const size_t esz = f16 ? sizeof(uint16_t) : sizeof(float);
  const int32_t seq = c->toks[t0].seq;
  const uint8_t *cells = c->cell + (size_t)seq * c->n_ctx;
  int32_t lo[AP_TB], hi[AP_TB], pmin = INT32_MAX, pmax = -1;
  const float *qi[AP_TB];
  float mx[AP_TB], sum[AP_TB];
  float o[AP_TB][ENG_MAX_HEAD_DIM]; /* 32 KB of stack */
  float s[AP_TB][AP_PC];
  for (int i = 0; i < nb; i++) {
    const eng_batch_tok *bt = &c->toks[t0 + (size_t)i];
    hi[i] = bt->pos;
    lo[i] = L->swa && m->n_swa && bt->pos >= (int32_t)m->n_swa ? bt->pos - (int32_t)m->n_swa + 1 : 0;
    if (lo[i] < pmin) pmin = lo[i];
    if (hi[i] > pmax) pmax = hi[i];
    qi[i] = j->q + ((t0 + (size_t)i) * (size_t)n_head + (size_t)h) * hd;
    mx[i] = -INFINITY, sum[i] = 0.0f;
    memset(o[i], 0, (size_t)hd * sizeof(float));
  }
  /* chunks at absolute positions (multiples of AP_PC), so a token's arithmetic does not depend
   * on the other tokens of its block: a batch gives bit-identical results to one token at a
   * time (chunks where a token sees nothing leave its state untouched) */
  for (int32_t p0 = pmin / AP_PC * AP_PC; p0 <= pmax; p0 += AP_PC) {
    const int np = pmax - p0 + 1 < AP_PC ? pmax - p0 + 1 : AP_PC;
    for (int pp = 0; pp < np; pp++) {
      const int32_t p = p0 + pp;
      if (cells[p] == KV_EMPTY) {
        for (int i = 0; i < nb; i++) s[i][pp] = -INFINITY;
        continue;
      }
      const void *k = (const uint8_t *)kv_k(c, j->il, seq, p) + (size_t)hk * hd * esz;
      for (int i = 0; i < nb; i++) {
        if (p < lo[i] || p > hi[i]) {
          s[i][pp] = -INFINITY;
          continue;
        }
        float v = (f16 ? dot_h(qi[i], k, hd) : dot_v(qi[i], k, hd)) * m->q_scale;
        if (m->attn_softcap > 0) v = m->attn_softcap * tanhf(v / m->attn_softcap);
        s[i][pp] = v;
      }
    }
    for (int i = 0; i < nb; i++) {
      float cm = mx[i];
      for (int pp = 0; pp < np; pp++) cm = s[i][pp] > cm ? s[i][pp] : cm;
      if (cm == -INFINITY) { /* nothing visible yet */
        for (int pp = 0; pp < np; pp++) s[i][pp] = 0.0f;
        continue;
      }
      if (cm > mx[i]) {
        const float f = mx[i] == -INFINITY ? 0.0f : expf(mx[i] - cm);
        sum[i] *= f;
        scale_v(o[i], f, hd);
        mx[i] = cm;
      }
      for (int pp = 0; pp < np; pp++) {
        const float e = s[i][pp] == -INFINITY ? 0.0f : expf(s[i][pp] - cm);
        s[i][pp] = e;
        sum[i] += e;
      }
    }
    if (hd == 64 || hd == 128 || hd == 256) {
      /* query by query, the output row in registers over the chunk (V rows from L1): the same
       * fmadd per element and position, in the same order, as the loop below */
      const void *vp[AP_PC];
      for (int pp = 0; pp < np; pp++)
        vp[pp] = cells[p0 + pp] == KV_EMPTY
                     ? NULL
                     : (const uint8_t *)kv_v(c, j->il, seq, p0 + pp) + (size_t)hk * hd * esz;
      for (int i = 0; i < nb; i++) {
        if (hd == 64) pv_regs(o[i], s[i], vp, np, f16, 4);
        else if (hd == 128) pv_regs(o[i], s[i], vp, np, f16, 8);
        else pv_regs(o[i], s[i], vp, np, f16, 16);
      }
      continue;
    }
    for (int pp = 0; pp < np; pp++) {
      const int32_t p = p0 + pp;
      if (cells[p] == KV_EMPTY) continue;
      const void *v = (const uint8_t *)kv_v(c, j->il, seq, p) + (size_t)hk * hd * esz;
      for (int i = 0; i < nb; i++)
        if (s[i][pp] != 0.0f) {
          if (f16) axpy_h(o[i], s[i][pp], v, hd);
          else axpy_v(o[i], s[i][pp], v, hd);
        }
    }
  }
  for (int i = 0; i < nb; i++) {
    float *out = j->att + ((t0 + (size_t)i) * (size_t)n_head + (size_t)h) * hd;
    const float inv = sum[i] > 0 ? 1.0f / sum[i] : 0.0f;
    for (int e = 0; e < hd; e++) out[e] = o[i][e] * inv;
  }
}

static void ap_worker(void *arg, int ith, int nth) {
  const ap_job *j = arg;
  const eng_ctx *c = j->c;
  const int n_head = (int)c->m->hp.n_head;
  const size_t n_blocks = (c->n_toks + AP_TB - 1) / AP_TB;
  for (size_t task = (size_t)ith; task < n_blocks * (size_t)n_head; task += (size_t)nth) {
    const size_t t0 = task / (size_t)n_head * AP_TB;
    const size_t t1 = t0 + AP_TB < c->n_toks ? t0 + AP_TB : c->n_toks;
    const int h = (int)(task % (size_t)n_head);
    size_t a = t0; /* split the block where the sequence changes */
    for (size_t t = t0 + 1; t <= t1; t++)
      if (t == t1 || c->toks[t].seq != c->toks[a].seq) {
        ap_block(j, a, t, h);
        a = t;
      }
  }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

int attn_prefill(eng_ctx *c, uint32_t il, const float *q, float *att) {
  if (c->precision != ENG_PRECISION_FAST || c->m->hp.head_dim > ENG_MAX_HEAD_DIM)
    return 0;
  const char *kn = c->kern->name;
  if (strcmp(kn, "avx512") != 0 && strcmp(kn, "amx") != 0) return 0;
  ap_job j = {c, il, q, att};
  sk_pool_run(c->pool, ap_worker, &j);
  return 1;
}

#else
int attn_prefill(eng_ctx *c, uint32_t il, const float *q, float *att) {
  (void)c, (void)il, (void)q, (void)att;
  return 0;
}
#endif
