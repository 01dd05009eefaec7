/* http.h — the HTTP server (libmicrohttpd, one thread per connection) that routes
 *
 *   POST /v1/chat/completions   POST /v1/completions   GET /v1/models     (OpenAI)
 *   POST /v1/messages                                                     (Anthropic)
 *   GET  /health                GET  /metrics
 *   POST /v1/sekisho/verify     (the explainer; see ground_chat.h)
 *
 * Each generation request is parsed into an api_request, passed to the gate hook (the seam where
 * the gateway's checks go), then tokenized and scheduled. Streaming answers are SSE; a client
 * that disconnects has its job cancelled (slot freed before the next decode step).
 *
 * Bounds: body API_MAX_BODY_BYTES (413), headers HTTP_MAX_HEADER_BYTES (431 from the library),
 * connections HTTP_MAX_CONNECTIONS (further connections are refused by the library). */
#ifndef SK_API_HTTP_H
#define SK_API_HTTP_H

#include <stdint.h>

#include "api/metrics.h"
#include "api/request.h"
#include "api/sched.h"
#include "base/err.h"

/* Connection memory pool: holds request line + headers; beyond it the library answers 431. */
#define HTTP_MAX_HEADER_BYTES (64 * 1024)
/* One thread per connection: bounds threads (each ~8 MiB virtual stack) and file descriptors. */
#define HTTP_MAX_CONNECTIONS 256
/* An idle keep-alive connection is closed after this long. */
#define HTTP_IDLE_TIMEOUT_S 120
/* How often a waiting handler checks whether its client is still there. */
#define HTTP_POLL_MS 20
/* Seconds a client is told to wait after a 429 whose cause gave no better estimate — the
 * scheduler's queue being full: a slot frees whenever any of the --parallel running generations
 * ends, typically well within a second on a busy server, and the official SDKs honour
 * Retry-After and retry, so 1 s keeps their retries cheap without a thundering herd at
 * sub-second intervals. Whole seconds: the header's delta-seconds form. (The gate's rate and
 * budget limits give their own estimate, capped at HTTP_MAX_RETRY_AFTER_S.) */
#define HTTP_RETRY_AFTER_S 1
/* Longest Retry-After sent: a month-long budget period is ~2.7 million seconds; 32 days bounds it. */
#define HTTP_MAX_RETRY_AFTER_S (32 * 86400)

typedef struct api_server api_server;
typedef struct api_conn api_conn; /* the HTTP request being served (opaque) */

/* Value of a request header (case-insensitive name) or NULL; valid during the hook call. */
const char *api_conn_header(const api_conn *c, const char *name);

/* The gate seam: called after parsing, before routing/scheduling. Return 0 to admit, or -1 with
 * e filled (rendered in the request's own API shape). May rewrite req (e.g. redact). */
typedef int (*api_gate_fn)(void *ud, const api_conn *c, api_request *req, api_error *e);

/* 1 when the client connected over loopback (127.0.0.0/8 or ::1). */
int api_conn_loopback(const api_conn *c);

/* A generation produced elsewhere than the local scheduler (an external provider relayed by the
 * perimeter). poll has sched_job_poll's contract; release frees impl (called exactly once). */
typedef struct api_gen_src {
  void *impl;
  int (*poll)(void *impl, int timeout_ms, sk_buf *out, sched_job_info *info);
  void (*release)(void *impl);
} api_gen_src;

/* The perimeter's hooks (gate/, wired by `sekisho serve`); each may be NULL.
 *   admit:   after parsing. 0 admits: *ticket is the gate's per-request state, and ext->poll set
 *            means the answer comes from ext instead of the scheduler. -1 denies with e.
 *   header:  response header i of an admitted request (1 while there are more).
 *   finish:  once per admitted request when it ends (info NULL: it never produced an answer).
 *   reject:  a generation request refused before admission (malformed, too large, bad method).
 *   admin:   /admin/... requests: fills out with JSON, returns the HTTP status.
 *   metrics: appends Prometheus lines to /metrics. */
typedef struct api_gate_ops {
  int (*admit)(void *ud, const api_conn *c, api_request *req, api_error *e, void **ticket, api_gen_src *ext);
  int (*header)(void *ud, void *ticket, int i, const char **name, const char **value);
  void (*finish)(void *ud, void *ticket, const sched_job_info *info);
  void (*reject)(void *ud, const api_conn *c, api_proto proto, const api_error *e);
  int (*admin)(void *ud, const api_conn *c, const char *method, const char *url, const char *body, size_t len,
               sk_buf *out);
  void (*metrics)(void *ud, sk_buf *out);
  /* grounded chat: per-sentence verdict counts ([0] supported, [1] unsupported, [2] contradicted)
   * and chunks retrieved, once per admitted request before finish; never any text. */
  void (*ground)(void *ud, void *ticket, const uint32_t counts[3], uint32_t n_chunks);
} api_gate_ops;

typedef struct api_server_params {
  const char *host;       /* numeric IPv4/IPv6 address to bind; NULL: 127.0.0.1 */
  uint16_t port;          /* 0: pick a free port (see api_server_port) */
  sched *sched;           /* borrowed */
  const sched_backend *be; /* borrowed: model id, tokenizer, template */
  api_metrics *metrics;   /* borrowed, may be NULL */
  api_gate_fn gate;       /* may be NULL */
  void *gate_ud;
  const api_gate_ops *gops; /* the perimeter; may be NULL */
  void *gops_ud;
  const char *model_label; /* shown by /health and /v1/models (e.g. "demo model") or NULL */
  const char *data_dir;    /* grounded chat: collections in DATA/ground/NAME.db; NULL: "." */
} api_server_params;

int api_server_start(const api_server_params *p, api_server **out, sk_err *err);
uint16_t api_server_port(const api_server *s);
/* Stops accepting connections, lets in-flight generations finish for up to deadline_ms,
 * cancels the rest (streams end with an error event), then closes everything and frees s. */
void api_server_stop(api_server *s, int deadline_ms);

#endif
