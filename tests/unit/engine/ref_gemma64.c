/* ref_gemma64.c — an independent, deliberately plain float64 forward pass for Gemma 2 and
 * Gemma 3, written from the published model descriptions (not from the engine's code), to check
 * the engine where llama.cpp references do not exist. Included by test_model_synth.c.
 *
 * One sequence, positions 0..n-1, every position's logits. F32 weights only (synthetic models).
 * Norm weights are used as stored: llama.cpp's converter already stores Gemma's (1 + w). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/gtype.h"

typedef struct r64 {
  const gguf_file *f;
  int gemma3;
  int E, L, H, HKV, D, F, V, swa;
  double eps, base, base_swa, attn_cap, final_cap;
} r64;

static const float *r64_t(const r64 *r, const char *name, int il) {
  char full[128];
  if (il >= 0) snprintf(full, sizeof full, "blk.%d.%s", il, name);
  else snprintf(full, sizeof full, "%s", name);
  const gguf_tensor *t = gguf_find_tensor(r->f, full);
  if (!t || t->type != GTYPE_F32) {
    fprintf(stderr, "ref64: tensor %s missing or not F32\n", full);
    abort();
  }
  return t->data;
}

static double r64_key(const r64 *r, const char *suffix, double def) {
  char key[128];
  snprintf(key, sizeof key, "%s.%s", r->gemma3 ? "gemma3" : "gemma2", suffix);
  float v;
  if (gguf_get_f32(r->f, key, &v) == SK_OK) return v;
  uint32_t u;
  if (gguf_get_u32(r->f, key, &u) == SK_OK) return u;
  return def;
}

/* y = W x, W stored as n_out rows of n_in floats. */
static void r64_mv(double *y, const float *w, const double *x, int n_in, int n_out) {
  for (int o = 0; o < n_out; o++) {
    double s = 0;
    for (int i = 0; i < n_in; i++) s += (double)w[(size_t)o * n_in + i] * x[i];
    y[o] = s;
  }
}

static void r64_norm(double *y, const double *x, const float *w, int n, double eps) {
  double ss = 0;
  for (int i = 0; i < n; i++) ss += x[i] * x[i];
  double k = 1.0 / sqrt(ss / n + eps);
  for (int i = 0; i < n; i++) y[i] = x[i] * k * (double)w[i];
}

/* Rotates the halves (i, i + D/2) of one head by pos * base^(-2i/D). */
static void r64_rope(double *v, int D, int pos, double base) {
  for (int i = 0; i < D / 2; i++) {
    double th = pos * pow(base, -2.0 * i / D);
    double a = v[i], b = v[i + D / 2];
    v[i] = a * cos(th) - b * sin(th);
    v[i + D / 2] = a * sin(th) + b * cos(th);
  }
}

static double r64_gelu(double x) {
  return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

/* logits[n][V] for tokens[0..n). Returns 0, or -1 when the file is not a supported gemma. */
static int ref_gemma64(const gguf_file *f, const int32_t *tokens, int n, double *logits) {
  r64 r = {.f = f};
  gguf_str arch;
  if (gguf_get_str(f, "general.architecture", &arch)) return -1;
  r.gemma3 = gguf_str_eq(arch, "gemma3");
  if (!r.gemma3 && !gguf_str_eq(arch, "gemma2")) return -1;
  r.E = (int)r64_key(&r, "embedding_length", 0);
  r.L = (int)r64_key(&r, "block_count", 0);
  r.H = (int)r64_key(&r, "attention.head_count", 0);
  r.HKV = (int)r64_key(&r, "attention.head_count_kv", r.H);
  r.D = (int)r64_key(&r, "attention.key_length", r.E / r.H);
  r.F = (int)r64_key(&r, "feed_forward_length", 0);
  r.swa = (int)r64_key(&r, "attention.sliding_window", 4096);
  r.eps = r64_key(&r, "attention.layer_norm_rms_epsilon", 1e-6);
  r.base = r64_key(&r, "rope.freq_base", 10000);
  r.base_swa = r64_key(&r, "rope.freq_base_swa", 10000);
  r.attn_cap = r.gemma3 ? 0 : r64_key(&r, "attn_logit_softcapping", 50);
  r.final_cap = r.gemma3 ? 0 : r64_key(&r, "final_logit_softcapping", 30);
  r.V = (int)gguf_find_tensor(f, "token_embd.weight")->ne[1];
  int E = r.E, D = r.D, H = r.H, HKV = r.HKV, F = r.F;
  double *x = calloc((size_t)n * E, sizeof *x), *h = calloc((size_t)E, sizeof *h);
  double *q = calloc((size_t)n * H * D, sizeof *q), *k = calloc((size_t)n * HKV * D, sizeof *k);
  double *v = calloc((size_t)n * HKV * D, sizeof *v), *a = calloc((size_t)H * D, sizeof *a);
  double *o = calloc((size_t)E, sizeof *o), *g = calloc((size_t)F, sizeof *g);
  double *u = calloc((size_t)F, sizeof *u), *s = calloc((size_t)n, sizeof *s);
  const float *emb = r64_t(&r, "token_embd.weight", -1);
  for (int t = 0; t < n; t++)
    for (int i = 0; i < E; i++) x[(size_t)t * E + i] = emb[(size_t)tokens[t] * E + i] * sqrt((double)E);
  for (int il = 0; il < r.L; il++) {
    int local = r.gemma3 ? (il % 6 != 5) : (il % 2 == 0);
    double base = r.gemma3 && local ? r.base_swa : r.base;
    for (int t = 0; t < n; t++) {
      r64_norm(h, x + (size_t)t * E, r64_t(&r, "attn_norm.weight", il), E, r.eps);
      r64_mv(q + (size_t)t * H * D, r64_t(&r, "attn_q.weight", il), h, E, H * D);
      r64_mv(k + (size_t)t * HKV * D, r64_t(&r, "attn_k.weight", il), h, E, HKV * D);
      r64_mv(v + (size_t)t * HKV * D, r64_t(&r, "attn_v.weight", il), h, E, HKV * D);
      for (int hh = 0; hh < H; hh++) {
        double *qh = q + ((size_t)t * H + hh) * D;
        if (r.gemma3) r64_norm(qh, qh, r64_t(&r, "attn_q_norm.weight", il), D, r.eps);
        r64_rope(qh, D, t, base);
      }
      for (int hh = 0; hh < HKV; hh++) {
        double *kh = k + ((size_t)t * HKV + hh) * D;
        if (r.gemma3) r64_norm(kh, kh, r64_t(&r, "attn_k_norm.weight", il), D, r.eps);
        r64_rope(kh, D, t, base);
      }
    }
    for (int t = 0; t < n; t++) {
      for (int hh = 0; hh < H; hh++) {
        int kvh = hh / (H / HKV);
        const double *qh = q + ((size_t)t * H + hh) * D;
        double mx = -1e300;
        for (int p = 0; p <= t; p++) {
          if (local && t - p >= r.swa) continue;
          double d = 0;
          for (int i = 0; i < D; i++) d += qh[i] * k[((size_t)p * HKV + kvh) * D + i];
          d /= sqrt((double)D); /* query_pre_attn_scalar = head_dim */
          if (r.attn_cap > 0) d = r.attn_cap * tanh(d / r.attn_cap);
          s[p] = d;
          if (d > mx) mx = d;
        }
        double z = 0;
        for (int p = 0; p <= t; p++)
          if (!(local && t - p >= r.swa)) z += (s[p] = exp(s[p] - mx));
        for (int i = 0; i < D; i++) {
          double acc = 0;
          for (int p = 0; p <= t; p++)
            if (!(local && t - p >= r.swa)) acc += s[p] / z * v[((size_t)p * HKV + kvh) * D + i];
          a[hh * D + i] = acc;
        }
      }
      double *xt = x + (size_t)t * E;
      r64_mv(o, r64_t(&r, "attn_output.weight", il), a, H * D, E);
      r64_norm(o, o, r64_t(&r, "post_attention_norm.weight", il), E, r.eps);
      for (int i = 0; i < E; i++) xt[i] += o[i];
      r64_norm(h, xt, r64_t(&r, "ffn_norm.weight", il), E, r.eps);
      r64_mv(g, r64_t(&r, "ffn_gate.weight", il), h, E, F);
      r64_mv(u, r64_t(&r, "ffn_up.weight", il), h, E, F);
      for (int i = 0; i < F; i++) g[i] = r64_gelu(g[i]) * u[i];
      r64_mv(o, r64_t(&r, "ffn_down.weight", il), g, F, E);
      r64_norm(o, o, r64_t(&r, "post_ffw_norm.weight", il), E, r.eps);
      for (int i = 0; i < E; i++) xt[i] += o[i];
    }
  }
  const gguf_tensor *out_t = gguf_find_tensor(f, "output.weight");
  const float *wout = out_t ? (const float *)out_t->data : emb;
  for (int t = 0; t < n; t++) {
    r64_norm(h, x + (size_t)t * E, r64_t(&r, "output_norm.weight", -1), E, r.eps);
    r64_mv(logits + (size_t)t * r.V, wout, h, E, r.V);
    if (r.final_cap > 0)
      for (int i = 0; i < r.V; i++)
        logits[(size_t)t * r.V + i] = r.final_cap * tanh(logits[(size_t)t * r.V + i] / r.final_cap);
  }
  free(x), free(h), free(q), free(k), free(v), free(a), free(o), free(g), free(u), free(s);
  return 0;
}
