/* metrics.h — server counters and histograms, rendered as Prometheus text (GET /metrics).
 * Thread-safe (one mutex); nothing here ever holds request content. */
#ifndef SK_API_METRICS_H
#define SK_API_METRICS_H

#include <stdint.h>

#include "api/sched.h"
#include "base/buf.h"

typedef enum api_endpoint {
  API_EP_CHAT = 0,
  API_EP_COMPLETIONS,
  API_EP_MESSAGES,
  API_EP_MODELS,
  API_EP_HEALTH,
  API_EP_METRICS,
  API_EP_OTHER,
  API_EP_COUNT
} api_endpoint;

typedef struct api_metrics api_metrics;

/* *out owned by the caller (api_metrics_free). NULL when out of memory. */
api_metrics *api_metrics_new(void);
void api_metrics_free(api_metrics *m);
void api_metrics_request(api_metrics *m, api_endpoint ep, int status);
/* One finished generation: tokens in/out, time to first token and decode rate. */
void api_metrics_generation(api_metrics *m, int32_t n_prompt, int32_t n_gen, double ttft_ms,
                            double gen_ms);
/* Appends the exposition text (stats: the scheduler's gauges, may be NULL). */
int api_metrics_render(api_metrics *m, const sched_stats *stats, sk_buf *out);

#endif
