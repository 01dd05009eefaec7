#include "api/metrics.h"

#include <pthread.h>

#include "base/alloc.h"

/* Status codes tracked one by one; any other lands in "other". */
static const int k_codes[] = {200, 400, 401, 403, 404, 405, 413, 429, 500, 503};
#define N_CODES ((int)(sizeof k_codes / sizeof k_codes[0]) + 1)
static const char *const k_ep_names[API_EP_COUNT] = {"chat_completions", "completions", "messages",
                                                     "models", "health", "metrics", "other"};
static const double k_ttft_s[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define N_TTFT ((int)(sizeof k_ttft_s / sizeof k_ttft_s[0]))
static const double k_tps[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
#define N_TPS ((int)(sizeof k_tps / sizeof k_tps[0]))

typedef struct hist {
  uint64_t b[16]; /* cumulative at render time; per-bucket here */
  uint64_t count;
  double sum;
} hist;

struct api_metrics {
  pthread_mutex_t mu;
  uint64_t req[API_EP_COUNT][N_CODES];
  uint64_t tokens_in, tokens_out, generations;
  hist ttft, tps;
};

api_metrics *api_metrics_new(void) {
  api_metrics *m = sk_calloc(1, sizeof *m);
  if (m) pthread_mutex_init(&m->mu, NULL);
  return m;
}

void api_metrics_free(api_metrics *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->mu);
  sk_free(m);
}

void api_metrics_request(api_metrics *m, api_endpoint ep, int status) {
  if (!m || ep < 0 || ep >= API_EP_COUNT) return;
  int c = N_CODES - 1;
  for (int i = 0; i < N_CODES - 1; i++)
    if (k_codes[i] == status) c = i;
  pthread_mutex_lock(&m->mu);
  m->req[ep][c]++;
  pthread_mutex_unlock(&m->mu);
}

static void observe(hist *h, const double *bounds, int n, double v) {
  int i = 0;
  while (i < n && v > bounds[i]) i++;
  h->b[i]++; /* i == n: +Inf only */
  h->count++;
  h->sum += v;
}

void api_metrics_generation(api_metrics *m, int32_t n_prompt, int32_t n_gen, double ttft_ms,
                            double gen_ms) {
  if (!m) return;
  pthread_mutex_lock(&m->mu);
  m->generations++;
  m->tokens_in += n_prompt > 0 ? (uint64_t)n_prompt : 0;
  m->tokens_out += n_gen > 0 ? (uint64_t)n_gen : 0;
  if (ttft_ms >= 0) observe(&m->ttft, k_ttft_s, N_TTFT, ttft_ms / 1000.0);
  if (n_gen > 1 && gen_ms > 0) observe(&m->tps, k_tps, N_TPS, (n_gen - 1) / (gen_ms / 1000.0));
  pthread_mutex_unlock(&m->mu);
}

static int render_hist(sk_buf *o, const char *name, const char *help, const hist *h,
                       const double *bounds, int n) {
  int rc = sk_buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  uint64_t cum = 0;
  for (int i = 0; i < n && !rc; i++) {
    cum += h->b[i];
    rc = sk_buf_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
  }
  if (!rc)
    rc = sk_buf_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
                       (unsigned long long)h->count, name, h->sum, name, (unsigned long long)h->count);
  return rc;
}

int api_metrics_render(api_metrics *m, const sched_stats *st, sk_buf *o) {
  pthread_mutex_lock(&m->mu);
  int rc = sk_buf_printf(o, "# HELP sekisho_requests_total HTTP requests by endpoint and status.\n"
                            "# TYPE sekisho_requests_total counter\n");
  for (int e = 0; e < API_EP_COUNT && !rc; e++)
    for (int c = 0; c < N_CODES && !rc; c++) {
      if (!m->req[e][c]) continue;
      if (c < N_CODES - 1)
        rc = sk_buf_printf(o, "sekisho_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n", k_ep_names[e],
                           k_codes[c], (unsigned long long)m->req[e][c]);
      else
        rc = sk_buf_printf(o, "sekisho_requests_total{endpoint=\"%s\",code=\"other\"} %llu\n",
                           k_ep_names[e], (unsigned long long)m->req[e][c]);
    }
  if (!rc)
    rc = sk_buf_printf(o,
                       "# HELP sekisho_generations_total Finished generations.\n"
                       "# TYPE sekisho_generations_total counter\nsekisho_generations_total %llu\n"
                       "# HELP sekisho_tokens_in_total Prompt tokens processed.\n"
                       "# TYPE sekisho_tokens_in_total counter\nsekisho_tokens_in_total %llu\n"
                       "# HELP sekisho_tokens_out_total Tokens generated.\n"
                       "# TYPE sekisho_tokens_out_total counter\nsekisho_tokens_out_total %llu\n",
                       (unsigned long long)m->generations, (unsigned long long)m->tokens_in,
                       (unsigned long long)m->tokens_out);
  if (!rc && st)
    rc = sk_buf_printf(o,
                       "# HELP sekisho_queue_depth Requests waiting for a slot.\n"
                       "# TYPE sekisho_queue_depth gauge\nsekisho_queue_depth %u\n"
                       "# HELP sekisho_active_sequences Sequences being generated.\n"
                       "# TYPE sekisho_active_sequences gauge\nsekisho_active_sequences %u\n"
                       "# HELP sekisho_parallel_slots Configured parallel sequences.\n"
                       "# TYPE sekisho_parallel_slots gauge\nsekisho_parallel_slots %u\n"
                       "# HELP sekisho_decode_calls_total Batched forward passes.\n"
                       "# TYPE sekisho_decode_calls_total counter\nsekisho_decode_calls_total %llu\n"
                       "# HELP sekisho_decode_tokens_total Tokens evaluated in forward passes.\n"
                       "# TYPE sekisho_decode_tokens_total counter\nsekisho_decode_tokens_total %llu\n",
                       st->queued, st->active, st->n_parallel, (unsigned long long)st->decode_calls,
                       (unsigned long long)st->decode_tokens);
  if (!rc)
    rc = render_hist(o, "sekisho_time_to_first_token_seconds", "Submit to first generated token.",
                     &m->ttft, k_ttft_s, N_TTFT);
  if (!rc)
    rc = render_hist(o, "sekisho_generation_tokens_per_second", "Decode rate per request.", &m->tps,
                     k_tps, N_TPS);
  pthread_mutex_unlock(&m->mu);
  return rc;
}
