/* sampler.c — see sampler.h. The chain mirrors llama.cpp's common sampler (penalties, top-k,
 * top-p, min-p, temperature, dist); each stage narrows `cand[0..n)` in place. */
#include "engine/sampler.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

typedef struct cand {
  float logit;
  int32_t id;
} cand;

struct sampler {
  sampler_params p;
  int32_t n_vocab;
  cand *cand;      /* n_vocab scratch candidates */
  int32_t *counts; /* occurrences of each token in the history window */
  int32_t *ring;   /* last repeat_last_n accepted tokens */
  int32_t ring_head, ring_len;
  uint64_t rng[4];
};

/* ---- PRNG: splitmix64 seeds xoshiro256** (public-domain algorithms by Vigna). ---- */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(uint64_t s[4]) {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(uint64_t s[4]) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

static void rng_seed(sampler *s) {
  uint64_t x = s->p.seed;
  for (int i = 0; i < 4; i++) s->rng[i] = splitmix64(&x);
}

sampler_params sampler_params_default(void) {
  sampler_params p = {0};
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.min_p = 0.05f;
  p.repeat_penalty = 1.0f;
  p.repeat_last_n = 64;
  p.presence_penalty = 0.0f;
  p.frequency_penalty = 0.0f;
  p.seed = 0;
  return p;
}

int sampler_new(const sampler_params *params, int32_t n_vocab, sampler **out, sk_err *err) {
  *out = NULL;
  if (!params) return sk_err_set(err, SK_EINVAL, "sampler: params is NULL");
  if (n_vocab <= 0 || n_vocab > SAMPLER_MAX_VOCAB)
    return sk_err_set(err, SK_ERANGE, "sampler: n_vocab %d outside 1..%d", (int)n_vocab,
                      SAMPLER_MAX_VOCAB);
  sampler_params p = *params;
  if (!isfinite(p.temperature) || !isfinite(p.top_p) || !isfinite(p.min_p) ||
      !isfinite(p.repeat_penalty) || !isfinite(p.presence_penalty) ||
      !isfinite(p.frequency_penalty))
    return sk_err_set(err, SK_EINVAL, "sampler: parameters must be finite numbers");
  if (p.top_p < 0.0f) return sk_err_set(err, SK_ERANGE, "sampler: top_p %g < 0", p.top_p);
  if (p.min_p > 1.0f) return sk_err_set(err, SK_ERANGE, "sampler: min_p %g > 1", p.min_p);
  if (p.repeat_penalty <= 0.0f)
    return sk_err_set(err, SK_ERANGE, "sampler: repeat_penalty %g must be > 0", p.repeat_penalty);
  if (p.repeat_last_n == -1) p.repeat_last_n = SAMPLER_MAX_LAST_N;
  if (p.repeat_last_n < 0 || p.repeat_last_n > SAMPLER_MAX_LAST_N)
    return sk_err_set(err, SK_ERANGE, "sampler: repeat_last_n %d outside -1..%d",
                      (int)p.repeat_last_n, SAMPLER_MAX_LAST_N);

  sampler *s = sk_calloc(1, sizeof *s);
  if (!s) return sk_err_set(err, SK_ENOMEM, "sampler: out of memory");
  s->p = p;
  s->n_vocab = n_vocab;
  s->cand = sk_malloc((size_t)n_vocab * sizeof *s->cand);
  s->counts = sk_calloc((size_t)n_vocab, sizeof *s->counts);
  s->ring = sk_malloc((size_t)(p.repeat_last_n > 0 ? p.repeat_last_n : 1) * sizeof *s->ring);
  if (!s->cand || !s->counts || !s->ring) {
    sampler_free(s);
    return sk_err_set(err, SK_ENOMEM, "sampler: out of memory for %d-token scratch",
                      (int)n_vocab);
  }
  rng_seed(s);
  *out = s;
  return SK_OK;
}

void sampler_free(sampler *s) {
  if (!s) return;
  sk_free(s->cand);
  sk_free(s->counts);
  sk_free(s->ring);
  sk_free(s);
}

const sampler_params *sampler_get_params(const sampler *s) { return &s->p; }

void sampler_reset(sampler *s) {
  memset(s->counts, 0, (size_t)s->n_vocab * sizeof *s->counts);
  s->ring_head = s->ring_len = 0;
  rng_seed(s);
}

int sampler_accept(sampler *s, int32_t token) {
  if (token < 0 || token >= s->n_vocab) return SK_EINVAL;
  int32_t cap = s->p.repeat_last_n;
  if (cap == 0) return SK_OK;
  if (s->ring_len == cap) { /* evict the oldest */
    int32_t old = s->ring[s->ring_head];
    assert(s->counts[old] > 0);
    s->counts[old]--;
    s->ring[s->ring_head] = token;
    s->ring_head = (s->ring_head + 1) % cap;
  } else {
    s->ring[(s->ring_head + s->ring_len) % cap] = token;
    s->ring_len++;
  }
  s->counts[token]++;
  return SK_OK;
}

/* llama.cpp's penalties: divide positive logits (multiply negative ones) by repeat_penalty,
 * then subtract count * frequency + presence, once per distinct token in the window. Each
 * distinct token is visited once by negating its count while processed. */
static void apply_penalties(sampler *s) {
  const sampler_params *p = &s->p;
  if (s->ring_len == 0) return;
  if (p->repeat_penalty == 1.0f && p->presence_penalty == 0.0f && p->frequency_penalty == 0.0f)
    return;
  int32_t cap = p->repeat_last_n;
  for (int32_t i = 0; i < s->ring_len; i++) {
    int32_t t = s->ring[(s->ring_head + i) % cap];
    int32_t c = s->counts[t];
    if (c <= 0) continue; /* already applied */
    float *l = &s->cand[t].logit;
    if (*l <= 0.0f)
      *l *= p->repeat_penalty;
    else
      *l /= p->repeat_penalty;
    *l -= (float)c * p->frequency_penalty + p->presence_penalty;
    s->counts[t] = -c;
  }
  for (int32_t i = 0; i < s->ring_len; i++) {
    int32_t t = s->ring[(s->ring_head + i) % cap];
    if (s->counts[t] < 0) s->counts[t] = -s->counts[t];
  }
}

/* Total order: higher logit first, then lower id (so ties go to the lower id everywhere). */
static int cand_before(const cand *a, const cand *b) {
  return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  return cand_before(a, b) ? -1 : cand_before(b, a) ? 1 : 0;
}

/* Min-heap (by cand_before) of the best k so far, then sorted descending: O(n log k). */
static void heap_sift_down(cand *h, int32_t n, int32_t i) {
  for (;;) {
    int32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && cand_before(&h[m], &h[l])) m = l;
    if (r < n && cand_before(&h[m], &h[r])) m = r;
    if (m == i) return;
    cand t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

static void select_top_k(cand *c, int32_t n, int32_t k) {
  assert(k > 0 && k < n);
  /* build a heap on c[0..k): the root is the worst of the kept */
  for (int32_t i = k / 2 - 1; i >= 0; i--) heap_sift_down(c, k, i);
  for (int32_t i = k; i < n; i++) {
    if (cand_before(&c[i], &c[0])) { /* swap, so c[0..n) stays a permutation */
      cand t = c[0];
      c[0] = c[i];
      c[i] = t;
      heap_sift_down(c, k, 0);
    }
  }
  qsort(c, (size_t)k, sizeof *c, cand_cmp);
}

int sampler_sample(sampler *s, const float *logits, int32_t *out_token) {
  const sampler_params *p = &s->p;
  cand *c = s->cand;
  int32_t n = s->n_vocab;
  for (int32_t i = 0; i < n; i++) {
    float l = logits[i];
    c[i].logit = isnan(l) ? -INFINITY : l;
    c[i].id = i;
  }
  apply_penalties(s);

  if (p->temperature <= 0.0f) {
    int32_t best = 0;
    float best_logit = c[0].logit;
    for (int32_t i = 1; i < n; i++)
      if (c[i].logit > best_logit) {
        best_logit = c[i].logit;
        best = i;
      }
    *out_token = best;
    return SK_OK;
  }

  int sorted = 0;
  if (p->top_k > 0 && p->top_k < n) {
    select_top_k(c, n, p->top_k);
    n = p->top_k;
    sorted = 1;
  }

  if (p->top_p < 1.0f && n > 1) {
    /* The nucleus is found among the best m candidates for growing m (sorting the whole
     * vocabulary costs ~50 ms at 152k tokens; real distributions put the mass in a few). */
    double max = c[0].logit, sum = 0.0;
    if (!sorted)
      for (int32_t i = 1; i < n; i++)
        if (c[i].logit > max) max = c[i].logit;
    if (isfinite(max)) {
      for (int32_t i = 0; i < n; i++) sum += exp((double)c[i].logit - max);
      double target = (double)p->top_p * sum;
      for (int32_t m = sorted ? n : 256;; m *= 16) {
        if (m >= n) {
          m = n;
          if (!sorted) qsort(c, (size_t)n, sizeof *c, cand_cmp);
        } else {
          select_top_k(c, n, m);
        }
        double cum = 0.0;
        int32_t keep = -1;
        for (int32_t i = 0; i < m; i++) {
          cum += exp((double)c[i].logit - max);
          if (cum >= target) { /* min_keep = 1: i + 1 >= 1 always */
            keep = i + 1;
            break;
          }
        }
        if (keep > 0 || m == n) {
          n = keep > 0 ? keep : n;
          break;
        }
      }
      sorted = 1;
    }
  }

  if (p->min_p > 0.0f && n > 1) {
    float max = c[0].logit;
    if (!sorted)
      for (int32_t i = 1; i < n; i++)
        if (c[i].logit > max) max = c[i].logit;
    if (isfinite(max)) {
      float min_logit = max + logf(p->min_p);
      int32_t m = 0;
      for (int32_t i = 0; i < n; i++)
        if (c[i].logit >= min_logit) c[m++] = c[i];
      assert(m >= 1); /* the maximum itself always passes */
      n = m;
    }
  }

  /* temperature, then softmax and one draw */
  double inv_t = 1.0 / (double)p->temperature;
  double max = -INFINITY;
  int32_t best = 0;
  for (int32_t i = 0; i < n; i++)
    if (cand_before(&c[i], &c[best])) best = i;
  max = (double)c[best].logit * inv_t;
  if (!isfinite(max)) {
    *out_token = c[best].id;
    return SK_OK;
  }
  double sum = 0.0;
  for (int32_t i = 0; i < n; i++) sum += exp((double)c[i].logit * inv_t - max);
  double u = rng_uniform(s->rng) * sum, cum = 0.0;
  for (int32_t i = 0; i < n; i++) {
    cum += exp((double)c[i].logit * inv_t - max);
    if (u < cum) {
      *out_token = c[i].id;
      return SK_OK;
    }
  }
  *out_token = c[best].id; /* rounding left u == sum: the most likely token */
  return SK_OK;
}
