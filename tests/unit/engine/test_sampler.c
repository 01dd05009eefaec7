/* Sampler tests: exact checks where the answer is determined (greedy, top-k=1, ties, the
 * nucleus boundary) and statistical checks (chi-square-style bounds) where it is random. The
 * statistical bounds are wide enough to hold for any correct implementation with very high
 * probability (> 6 sigma) yet fail for a wrong distribution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "engine/sampler.h"

static sampler_params plain(float temp) {
  sampler_params p = sampler_params_default();
  p.temperature = temp;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.0f;
  p.seed = 1234;
  return p;
}

static sampler *mk(const sampler_params *p, int32_t n) {
  sampler *s = NULL;
  sk_err e;
  assert_int_equal(sampler_new(p, n, &s, &e), SK_OK);
  return s;
}

static int32_t draw(sampler *s, const float *l) {
  int32_t t = -1;
  assert_int_equal(sampler_sample(s, l, &t), SK_OK);
  return t;
}

static void greedy_is_argmax_ties_to_lower_id(void **state) {
  (void)state;
  sampler_params p = plain(0.0f);
  float l[6] = {0.5f, 2.0f, -1.0f, 3.0f, 3.0f, NAN};
  sampler *s = mk(&p, 6);
  assert_int_equal(draw(s, l), 3);
  l[3] = 2.5f;
  assert_int_equal(draw(s, l), 4);
  sampler_free(s);
}

static void top_k_1_equals_greedy(void **state) {
  (void)state;
  enum { N = 1000 };
  static float l[N];
  uint64_t x = 99;
  sampler_params pg = plain(0.0f), pk = plain(1.5f);
  pk.top_k = 1;
  sampler *g = mk(&pg, N), *k = mk(&pk, N);
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < N; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      l[i] = (float)((x >> 40) % 64) / 8.0f; /* many ties on purpose */
    }
    assert_int_equal(draw(g, l), draw(k, l));
  }
  sampler_free(g);
  sampler_free(k);
}

/* Counts draws over many trials and compares to expected probabilities. */
static void frequencies(const sampler_params *p, const float *l, int32_t n, int trials,
                        int *counts) {
  sampler *s = mk(p, n);
  memset(counts, 0, (size_t)n * sizeof *counts);
  for (int i = 0; i < trials; i++) counts[draw(s, l)]++;
  sampler_free(s);
}

static void check_within(const int *counts, const double *probs, int32_t n, int trials) {
  for (int32_t i = 0; i < n; i++) {
    double mean = probs[i] * trials;
    double sd = sqrt(trials * probs[i] * (1.0 - probs[i]));
    double tol = 6.0 * sd + 1.0;
    if (fabs(counts[i] - mean) > tol)
      fail_msg("token %d: %d draws, expected %.1f +- %.1f", (int)i, counts[i], mean, tol);
  }
}

static void softmax(const float *l, int32_t n, float temp, double *p) {
  double mx = -INFINITY, sum = 0;
  for (int32_t i = 0; i < n; i++)
    if (l[i] / temp > mx) mx = l[i] / temp;
  for (int32_t i = 0; i < n; i++) sum += (p[i] = exp(l[i] / temp - mx));
  for (int32_t i = 0; i < n; i++) p[i] /= sum;
}

static void distribution_matches_softmax_with_temperature(void **state) {
  (void)state;
  float l[5] = {1.0f, 2.0f, 0.0f, 1.5f, -1.0f};
  double probs[5];
  int counts[5];
  const int trials = 40000;
  float temps[2] = {1.0f, 0.5f};
  for (int t = 0; t < 2; t++) {
    sampler_params p = plain(temps[t]);
    softmax(l, 5, temps[t], probs);
    frequencies(&p, l, 5, trials, counts);
    check_within(counts, probs, 5, trials);
  }
}

static void top_p_excludes_tail_mass(void **state) {
  (void)state;
  /* probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625: top_p 0.7 keeps {0, 1} (0.75 >= 0.7) */
  float l[5] = {logf(0.5f), logf(0.25f), logf(0.125f), logf(0.0625f), logf(0.0625f)};
  sampler_params p = plain(1.0f);
  p.top_p = 0.7f;
  int counts[5];
  const int trials = 30000;
  frequencies(&p, l, 5, trials, counts);
  assert_int_equal(counts[2] + counts[3] + counts[4], 0);
  double probs[5] = {2.0 / 3.0, 1.0 / 3.0, 0, 0, 0};
  check_within(counts, probs, 5, trials);
  /* 0.76 needs the third token too */
  p.top_p = 0.76f;
  frequencies(&p, l, 5, trials, counts);
  assert_true(counts[2] > 0);
  assert_int_equal(counts[3] + counts[4], 0);
}

static void top_k_keeps_k_best(void **state) {
  (void)state;
  float l[6] = {0.0f, 5.0f, 1.0f, 4.0f, 3.0f, 2.0f};
  sampler_params p = plain(1.0f);
  p.top_k = 3;
  int counts[6];
  const int trials = 30000;
  frequencies(&p, l, 6, trials, counts);
  assert_int_equal(counts[0] + counts[2] + counts[5], 0);
  double probs[6] = {0};
  float kept[3] = {5.0f, 4.0f, 3.0f};
  double q[3];
  softmax(kept, 3, 1.0f, q);
  probs[1] = q[0];
  probs[3] = q[1];
  probs[4] = q[2];
  check_within(counts, probs, 6, trials);
}

static void min_p_cuts_relative_to_best(void **state) {
  (void)state;
  /* p: 0.5, 0.3, 0.15, 0.05; min_p 0.2 keeps p >= 0.1: {0, 1, 2} */
  float l[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
  sampler_params p = plain(1.0f);
  p.min_p = 0.2f;
  int counts[4];
  const int trials = 30000;
  frequencies(&p, l, 4, trials, counts);
  assert_int_equal(counts[3], 0);
  double probs[4] = {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0};
  check_within(counts, probs, 4, trials);
}

static void same_seed_same_stream(void **state) {
  (void)state;
  float l[50];
  for (int i = 0; i < 50; i++) l[i] = (float)(i % 7) * 0.3f;
  sampler_params p = plain(1.0f);
  sampler *a = mk(&p, 50), *b = mk(&p, 50);
  int32_t first[64];
  int differs = 0;
  for (int i = 0; i < 64; i++) {
    first[i] = draw(a, l);
    assert_int_equal(first[i], draw(b, l));
  }
  sampler_reset(a);
  for (int i = 0; i < 64; i++) assert_int_equal(draw(a, l), first[i]);
  p.seed = 1235;
  sampler *c = mk(&p, 50);
  for (int i = 0; i < 64; i++) differs += draw(c, l) != first[i];
  assert_true(differs > 0);
  sampler_free(a);
  sampler_free(b);
  sampler_free(c);
}

static void penalties_follow_llama_formula(void **state) {
  (void)state;
  /* greedy exposes the penalised logits: token 0 (2.0) is repeated twice, token 1 (1.5). */
  float l[3] = {2.0f, 1.5f, -0.5f};
  sampler_params p = plain(0.0f);
  p.repeat_penalty = 1.5f; /* 2.0 / 1.5 = 1.333 < 1.5 */
  p.repeat_last_n = 4;
  sampler *s = mk(&p, 3);
  assert_int_equal(draw(s, l), 0);
  assert_int_equal(sampler_accept(s, 0), SK_OK);
  assert_int_equal(draw(s, l), 1);
  sampler_free(s);

  /* frequency: 2.0 - 2 * 0.3 = 1.4 < 1.5; presence only: 2.0 - 0.4 = 1.6 > 1.5 */
  p = plain(0.0f);
  p.repeat_last_n = 8;
  p.frequency_penalty = 0.3f;
  s = mk(&p, 3);
  sampler_accept(s, 0);
  assert_int_equal(draw(s, l), 0); /* 1.7 */
  sampler_accept(s, 0);
  assert_int_equal(draw(s, l), 1); /* 1.4 */
  sampler_free(s);
  p.frequency_penalty = 0.0f;
  p.presence_penalty = 0.4f;
  s = mk(&p, 3);
  sampler_accept(s, 0);
  sampler_accept(s, 0);
  assert_int_equal(draw(s, l), 0);
  sampler_free(s);

  /* a negative logit is multiplied: token 2 at -0.5 becomes -0.75, below token 1 penalised */
  float m[3] = {-3.0f, -0.6f, -0.5f};
  p = plain(0.0f);
  p.repeat_penalty = 1.5f;
  s = mk(&p, 3);
  sampler_accept(s, 2);
  assert_int_equal(draw(s, m), 1);
  sampler_free(s);
}

static void penalty_window_is_bounded(void **state) {
  (void)state;
  float l[3] = {2.0f, 1.5f, 0.0f};
  sampler_params p = plain(0.0f);
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  sampler *s = mk(&p, 3);
  sampler_accept(s, 0);
  assert_int_equal(draw(s, l), 1);
  sampler_accept(s, 2);
  sampler_accept(s, 2); /* token 0 falls out of the 2-token window */
  assert_int_equal(draw(s, l), 0);
  assert_int_equal(sampler_accept(s, 3), SK_EINVAL);
  assert_int_equal(sampler_accept(s, -1), SK_EINVAL);
  sampler_free(s);
}

static void penalties_reduce_repeats_in_generation(void **state) {
  (void)state;
  /* A toy "model" that prefers to repeat the last token: logit 3 for it, 0 for the others.
   * With a repeat penalty the run lengths must shrink. */
  enum { N = 16, STEPS = 4000 };
  float l[N];
  int repeats[2] = {0, 0};
  for (int pen = 0; pen < 2; pen++) {
    sampler_params p = plain(1.0f);
    p.repeat_penalty = pen ? 8.0f : 1.0f;
    p.repeat_last_n = 4;
    p.presence_penalty = pen ? 2.0f : 0.0f;
    sampler *s = mk(&p, N);
    int32_t last = 0;
    for (int i = 0; i < STEPS; i++) {
      for (int j = 0; j < N; j++) l[j] = j == last ? 3.0f : 0.0f;
      int32_t t = draw(s, l);
      repeats[pen] += t == last;
      sampler_accept(s, t);
      last = t;
    }
    sampler_free(s);
  }
  /* no penalty: p(repeat) = e^3/(e^3+15) ~ 0.57; with penalty ~ 0.03 */
  assert_true(repeats[0] > STEPS / 2 - 200);
  assert_true(repeats[1] < STEPS / 10);
}

static void rejects_bad_params(void **state) {
  (void)state;
  sampler *s = NULL;
  sk_err e;
  sampler_params p = plain(1.0f);
  assert_int_equal(sampler_new(&p, 0, &s, &e), SK_ERANGE);
  p.top_p = NAN;
  assert_int_equal(sampler_new(&p, 10, &s, &e), SK_EINVAL);
  p = plain(1.0f);
  p.repeat_last_n = SAMPLER_MAX_LAST_N + 1;
  assert_int_equal(sampler_new(&p, 10, &s, &e), SK_ERANGE);
  p = plain(1.0f);
  p.repeat_penalty = 0.0f;
  assert_int_equal(sampler_new(&p, 10, &s, &e), SK_ERANGE);
  assert_null(s);
  p = plain(1.0f);
  sk_alloc_fail_after(2);
  assert_int_equal(sampler_new(&p, 10, &s, &e), SK_ENOMEM);
  sk_alloc_fail_after(0);
  assert_null(s);
}

/* Large vocabularies: the nucleus is searched among the best 256, then 4096, ... candidates;
 * the cut must be the same as with a full sort. Logits decrease with the id, so the nucleus is
 * exactly the ids below K. */
static void top_p_large_vocab_matches_full_sort(void **state) {
  (void)state;
  enum { N = 20000 };
  static float l[N];
  float slopes[2] = {0.05f, 0.0002f}; /* nucleus ~ 60 tokens, then ~ 6000 tokens */
  for (int c = 0; c < 2; c++) {
    double sum = 0, cum = 0;
    for (int i = 0; i < N; i++) sum += exp((double)(l[i] = -slopes[c] * (float)i));
    int K = 0;
    while (cum < 0.6 * sum) cum += exp((double)l[K++]);
    sampler_params p = plain(1.0f);
    p.top_p = 0.6f;
    sampler *s = mk(&p, N);
    int max_seen = -1;
    for (int i = 0; i < 4000; i++) {
      int32_t t = draw(s, l);
      if (t >= K) fail_msg("case %d: drew %d outside the nucleus of %d", c, (int)t, K);
      if (t > max_seen) max_seen = t;
    }
    assert_true(max_seen > K * 8 / 10); /* the tail of the nucleus is reachable */
    sampler_free(s);
  }
}

static void all_minus_inf_does_not_crash(void **state) {
  (void)state;
  float l[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  sampler_params p = sampler_params_default();
  sampler *s = mk(&p, 4);
  int32_t t = draw(s, l);
  assert_true(t >= 0 && t < 4);
  sampler_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(greedy_is_argmax_ties_to_lower_id),
      cmocka_unit_test(top_k_1_equals_greedy),
      cmocka_unit_test(distribution_matches_softmax_with_temperature),
      cmocka_unit_test(top_p_excludes_tail_mass),
      cmocka_unit_test(top_k_keeps_k_best),
      cmocka_unit_test(min_p_cuts_relative_to_best),
      cmocka_unit_test(same_seed_same_stream),
      cmocka_unit_test(penalties_follow_llama_formula),
      cmocka_unit_test(penalty_window_is_bounded),
      cmocka_unit_test(penalties_reduce_repeats_in_generation),
      cmocka_unit_test(rejects_bad_params),
      cmocka_unit_test(top_p_large_vocab_matches_full_sort),
      cmocka_unit_test(all_minus_inf_does_not_crash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
