/* sampler.h — token sampling from a logit vector, after llama.cpp's common sampler chain:
 *
 *   penalties (repeat / presence / frequency over the last repeat_last_n accepted tokens)
 *   → top-k → top-p → min-p → temperature → draw from the softmax with a seeded PRNG.
 *
 * temperature <= 0 selects greedy decoding: penalties, then argmax (ties to the lower id).
 * Same params (seed included) and the same sequence of calls give the same tokens. The random
 * stream is our own (xoshiro256** seeded by splitmix64), not llama.cpp's mt19937: draws match
 * llama.cpp in distribution, not token for token.
 *
 * Hot path: sampler_sample allocates nothing; its scratch (candidates, probabilities, history
 * counts) is allocated once by sampler_new and sized by n_vocab. Not thread-safe: one sampler
 * per sequence. */
#ifndef SK_ENGINE_SAMPLER_H
#define SK_ENGINE_SAMPLER_H

#include <stdint.h>

#include "base/err.h"

/* Largest vocabulary accepted: real vocabularies reach ~262k (Gemma 3); 4M is clearly hostile
 * and would make the scratch area (12 bytes a token) large. */
#define SAMPLER_MAX_VOCAB (1 << 22)
/* Longest penalty window. llama.cpp's -1 ("whole context") maps to this: 8k tokens of history
 * cost 32 KiB and cover any realistic repetition pattern. */
#define SAMPLER_MAX_LAST_N 8192

typedef struct sampler_params {
  float temperature;       /* <= 0: greedy */
  int32_t top_k;           /* <= 0: disabled */
  float top_p;             /* >= 1: disabled; (0, 1) keeps the smallest set with mass >= top_p */
  float min_p;             /* <= 0: disabled; keeps p >= min_p * p_max */
  float repeat_penalty;    /* 1: disabled; > 1 discourages tokens in the window */
  int32_t repeat_last_n;   /* window of accepted tokens for all penalties; 0 disables, -1 max */
  float presence_penalty;  /* subtracted once from tokens present in the window */
  float frequency_penalty; /* subtracted per occurrence in the window */
  uint64_t seed;           /* PRNG seed; the caller picks a random one if it wants one */
} sampler_params;

typedef struct sampler sampler;

/* llama.cpp's defaults: temp 0.8, top_k 40, top_p 0.95, min_p 0.05, repeat 1.0 over 64, seed 0. */
sampler_params sampler_params_default(void);

/* Validates params (finite values, ranges) and allocates the sampler with its scratch area.
 * On success *out is owned by the caller (sampler_free). SK_EINVAL / SK_ERANGE / SK_ENOMEM. */
int sampler_new(const sampler_params *params, int32_t n_vocab, sampler **out, sk_err *err);
void sampler_free(sampler *s);

/* Picks a token from logits[0..n_vocab) (not modified; NaN counts as -inf). Returns SK_OK and
 * *out_token; it does NOT record the token: call sampler_accept with what was actually used. */
int sampler_sample(sampler *s, const float *logits, int32_t *out_token);

/* Records token in the penalty history (a ring of repeat_last_n entries). SK_EINVAL when the
 * token is outside the vocabulary. Prompt tokens may be accepted too, as llama.cpp does. */
int sampler_accept(sampler *s, int32_t token);

/* Forgets the history and re-seeds the PRNG with the original seed. */
void sampler_reset(sampler *s);

/* Parameters in force (after -1 → SAMPLER_MAX_LAST_N mapping). */
const sampler_params *sampler_get_params(const sampler *s);

#endif
