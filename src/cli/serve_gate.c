/* serve_gate.c — wires the perimeter (gate/) into the HTTP server's seam (api/http.h): converts the
 * parsed api_request into a gate_call, maps denials to the client's protocol, relays external
 * generations, and reports completion. The order of the checks lives in gate/pipeline.c. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/http.h"
#include "base/alloc.h"
#include "gate/pipeline.h"

typedef struct serve_gate {
  gate *g;
  const char *local_model;
} serve_gate;

static const char *credential(const api_conn *c) {
  const char *a = api_conn_header(c, "Authorization");
  if (a && !strncasecmp(a, "Bearer ", 7)) return a + 7;
  return api_conn_header(c, "x-api-key");
}

static api_err_kind kind_of(int status) {
  switch (status) {
  case 401: return API_ERR_AUTH;
  case 403: return API_ERR_PERMISSION;
  case 404: return API_ERR_NOT_FOUND;
  case 413: return API_ERR_TOO_LARGE;
  case 429: return API_ERR_RATE_LIMIT;
  case 400: return API_ERR_INVALID;
  case 503: return API_ERR_UNAVAILABLE;
  default: return API_ERR_INTERNAL;
  }
}

static const char *endpoint_of(api_proto p) {
  return p == API_PROTO_ANTHROPIC ? "anthropic.messages" : p == API_PROTO_OPENAI_CHAT ? "openai.chat" : "openai.completions";
}

static int ext_poll(void *impl, int timeout_ms, sk_buf *out, sched_job_info *info) {
  gate_usage u;
  int done = gate_upstream_poll(impl, timeout_ms, out, &u);
  memset(info, 0, sizeof *info);
  info->ttft_ms = -1;
  if (!done) return 0;
  info->finish = u.ok ? (u.length ? API_FINISH_LENGTH : API_FINISH_EOS) : API_FINISH_ERROR;
  info->n_prompt = (int32_t)u.in_tokens;
  info->n_gen = (int32_t)u.out_tokens;
  snprintf(info->error, sizeof info->error, "%s", u.error);
  return 1;
}
static void ext_release(void *impl) { (void)impl; /* the ticket is freed by finish */ }

static int sg_admit(void *ud, const api_conn *c, api_request *req, api_error *e, void **ticket, api_gen_src *ext) {
  serve_gate *sg = ud;
  size_t n = req->proto == API_PROTO_OPENAI_COMPLETION ? 1 : req->n_messages;
  gate_msg *msgs = sk_calloc(n ? n : 1, sizeof *msgs);
  if (!msgs) return api_err(e, API_ERR_INTERNAL, "", "out of memory");
  if (req->proto == API_PROTO_OPENAI_COMPLETION) {
    msgs[0].role = 1;
    msgs[0].content = req->prompt;
  } else {
    for (size_t i = 0; i < n; i++) msgs[i].role = (int)req->messages[i].role, msgs[i].content = req->messages[i].content;
  }
  gate_call call = {.credential = credential(c), .loopback = api_conn_loopback(c), .endpoint = endpoint_of(req->proto),
                    .model = req->model, .msgs = msgs, .n_msgs = n, .max_tokens = req->max_tokens,
                    .temperature = req->temperature, .top_p = req->top_p, .stop = (const char *const *)req->stop,
                    .n_stop = req->n_stop};
  gate_ticket *t = NULL;
  gate_denial d;
  int rc = gate_admit(sg->g, &call, &t, &d);
  /* the gate may have replaced message texts (pseudonymised): hand them back to the request */
  if (req->proto == API_PROTO_OPENAI_COMPLETION) req->prompt = msgs[0].content;
  else
    for (size_t i = 0; i < n; i++) req->messages[i].content = msgs[i].content;
  if (!rc && gate_ticket_external(t)) rc = gate_upstream_start(sg->g, t, &call, &d);
  sk_free(msgs);
  if (rc) {
    if (t) gate_complete(sg->g, t, NULL);
    api_err_kind k = kind_of(d.status);
    api_err(e, k, k == API_ERR_NOT_FOUND ? "model" : "", "%s", d.message);
    e->retry_after_s = d.retry_after_s; /* the gate's own estimate (token bucket refill, budget) */
    return -1;
  }
  if (gate_ticket_external(t)) {
    ext->impl = t;
    ext->poll = ext_poll;
    ext->release = ext_release;
  } else {
    /* local route (requested, or rerouted): the one local model answers */
    char *m = sk_strdup(sg->local_model);
    if (m) {
      sk_free(req->model);
      req->model = m;
    }
  }
  *ticket = t;
  return 0;
}

static int sg_header(void *ud, void *ticket, int i, const char **name, const char **value) {
  (void)ud;
  return gate_ticket_header(ticket, i, name, value);
}

static void sg_finish(void *ud, void *ticket, const sched_job_info *info) {
  serve_gate *sg = ud;
  gate_usage u = {0};
  if (info) {
    u.finished = 1;
    u.ok = info->finish == API_FINISH_EOS || info->finish == API_FINISH_LENGTH || info->finish == API_FINISH_STOP;
    u.length = info->finish == API_FINISH_LENGTH;
    u.in_tokens = info->n_prompt;
    u.out_tokens = info->n_gen;
    snprintf(u.error, sizeof u.error, "%.250s", info->finish == API_FINISH_ERROR ? info->error : "");
  }
  gate_complete(sg->g, ticket, info ? &u : NULL);
}

static void sg_reject(void *ud, const api_conn *c, api_proto proto, const api_error *e) {
  serve_gate *sg = ud;
  gate_reject(sg->g, credential(c), endpoint_of(proto), api_err_status(e->kind), e->message);
}

static int sg_admin(void *ud, const api_conn *c, const char *method, const char *url, const char *body, size_t len,
                    sk_buf *out) {
  serve_gate *sg = ud;
  return gate_admin(sg->g, credential(c), method, url, body, len, out);
}

static void sg_metrics(void *ud, sk_buf *out) {
  serve_gate *sg = ud;
  gate_metrics_render(sg->g, out);
}

static void sg_ground(void *ud, void *ticket, const uint32_t counts[3], uint32_t n_chunks) {
  (void)ud;
  gate_ticket_grounding(ticket, counts, n_chunks);
}

static const api_gate_ops k_ops = {sg_admit, sg_header, sg_finish, sg_reject, sg_admin, sg_metrics, sg_ground};

static serve_gate g_sg;

const api_gate_ops *serve_gate_ops(gate *g, const char *local_model, void **ud) {
  g_sg.g = g;
  g_sg.local_model = local_model;
  *ud = &g_sg;
  return &k_ops;
}
