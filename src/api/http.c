#include "api/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/anthropic.h"
#include "api/ground_chat.h"
#include "api/openai.h"
#include "api/prompt.h"
#include "base/alloc.h"

/* After the scheduler has ended every job, how long streams get to write their last event
 * before connections are closed. */
#define HTTP_DRAIN_MS 3000
/* Output chunk the library asks the stream callback to fill. */
#define HTTP_STREAM_BLOCK 16384

struct api_server {
  api_server_params p;
  struct MHD_Daemon *d;
  uint16_t port;
  atomic_ulong next_id;
  atomic_int live; /* generations with an HTTP answer still being written */
  uint64_t id_salt;
};

struct api_conn {
  struct MHD_Connection *c;
};

const char *api_conn_header(const api_conn *c, const char *name) {
  return MHD_lookup_connection_value(c->c, MHD_HEADER_KIND, name);
}

int api_conn_loopback(const api_conn *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return 0;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
    return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
  }
  return 0;
}

/* Per-request state across the library's calls of the access handler. */
typedef struct req_ctx {
  sk_buf body;
  int too_large;
  api_endpoint ep;
} req_ctx;

/* ---- small helpers ---------------------------------------------------------------------- */

static double wall_s(void) { return (double)time(NULL); }

static void make_id(api_server *s, const char *prefix, char *out, size_t n) {
  unsigned long k = atomic_fetch_add(&s->next_id, 1);
  snprintf(out, n, "%s%016llx%08lx", prefix, (unsigned long long)s->id_salt, k);
}

static enum MHD_Result respond(struct MHD_Connection *c, int status, const char *ctype,
                               const char *body, size_t len, int retry_after) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", ctype);
  if (retry_after > 0) {
    char v[16];
    snprintf(v, sizeof v, "%d", retry_after);
    MHD_add_response_header(r, "Retry-After", v);
  }
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result respond_error(api_server *s, struct MHD_Connection *c, req_ctx *rc, api_proto proto,
                                     const api_error *e) {
  sk_buf b;
  sk_buf_init(&b, 64 * 1024);
  if (proto == API_PROTO_ANTHROPIC) anthropic_render_error(e, &b);
  else openai_render_error(e, &b);
  int status = api_err_status(e->kind);
  api_metrics_request(s->p.metrics, rc ? rc->ep : API_EP_OTHER, status);
  int retry = 0;
  if (e->kind == API_ERR_RATE_LIMIT) /* whole seconds, rounded up, never 0 (RFC 9110 delay-seconds) */
    retry = e->retry_after_s <= 0 ? HTTP_RETRY_AFTER_S
            : e->retry_after_s >= HTTP_MAX_RETRY_AFTER_S ? HTTP_MAX_RETRY_AFTER_S
                                                         : (int)e->retry_after_s + (e->retry_after_s > (int)e->retry_after_s);
  enum MHD_Result ret = respond(c, status, "application/json", b.data ? b.data : "{}", b.len, retry);
  sk_buf_release(&b);
  return ret;
}

/* 1 when the peer has closed its side (or the socket failed). */
static int client_gone(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!ci) return 0;
  struct pollfd pf = {.fd = ci->connect_fd, .events = POLLRDHUP};
  if (poll(&pf, 1, 0) <= 0) return 0;
  return (pf.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static uint64_t random_seed(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) v = (uint64_t)time(NULL) ^ (uint64_t)clock();
  return v;
}

/* ---- generation ------------------------------------------------------------------------- */

typedef struct stream {
  api_server *s;
  struct MHD_Connection *c;
  api_request req;
  sched_job *job;
  char id[64];
  api_result res;
  sk_buf out; /* bytes rendered, not yet handed to the library */
  size_t off;
  int done;
  void *ticket;    /* the perimeter's per-request state, or NULL */
  api_gen_src ext; /* ext.poll: an external generation instead of job */
  sched_job_info info;
  api_ground *ground; /* grounded chat: the retrieved chunks, else NULL */
  sk_buf answer;      /* grounded streams: the whole answer, for the citations */
  json_t *cites;      /* the citations array once the answer is complete */
} stream;

static int gen_poll(stream *st, int timeout_ms, sk_buf *text, sched_job_info *info) {
  if (st->ext.poll) return st->ext.poll(st->ext.impl, timeout_ms, text, info);
  return sched_job_poll(st->job, timeout_ms, text, info);
}

static void gen_cancel(stream *st) {
  if (st->job) sched_job_cancel(st->job);
}

/* Ends an admitted request's life in the perimeter (audit "completed", budget settled). */
static void gate_finish(api_server *s, void *ticket, const sched_job_info *info) {
  if (ticket && s->p.gops && s->p.gops->finish) s->p.gops->finish(s->p.gops_ud, ticket, info);
}

static void add_gate_headers(api_server *s, struct MHD_Response *r, void *ticket) {
  if (!ticket || !s->p.gops || !s->p.gops->header) return;
  const char *n, *v;
  for (int i = 0; s->p.gops->header(s->p.gops_ud, ticket, i, &n, &v); i++) MHD_add_response_header(r, n, v);
}

static int render_begin(stream *st) {
  return st->req.proto == API_PROTO_ANTHROPIC ? anthropic_stream_begin(&st->req, &st->res, &st->out)
                                              : openai_stream_begin(&st->req, &st->res, &st->out);
}

static int render_delta(stream *st, const char *t, size_t n) {
  return st->req.proto == API_PROTO_ANTHROPIC ? anthropic_stream_delta(&st->req, &st->res, t, n, &st->out)
                                              : openai_stream_delta(&st->req, &st->res, t, n, &st->out);
}

static void finish_error(const sched_job_info *info, api_error *e) {
  if (info->finish == API_FINISH_CANCELLED)
    api_err(e, API_ERR_UNAVAILABLE, "", "the generation was cancelled (server shutting down)");
  else
    api_err(e, API_ERR_INTERNAL, "", "the engine failed: %s", info->error);
}

/* Grounded chat: the citations of the complete answer, handed to the renderers and (as verdict
 * counts only) to the perimeter's audit record. */
static void attach_citations(stream *st, const char *answer, size_t len) {
  if (!st->ground || st->cites) return;
  st->cites = api_ground_citations(st->ground, answer ? answer : "", answer ? len : 0);
  st->res.citations = st->cites;
  if (st->ticket && st->s->p.gops && st->s->p.gops->ground) {
    uint32_t counts[3], n_chunks;
    api_ground_counts(st->ground, counts, &n_chunks);
    st->s->p.gops->ground(st->s->p.gops_ud, st->ticket, counts, n_chunks);
  }
}

/* Copies how the generation ended into the result the renderers read. */
static void result_finish(stream *st, const sched_job_info *info) {
  st->res.finish = info->finish;
  st->res.n_gen = info->n_gen;
  st->res.stop_seq = info->finish == API_FINISH_STOP && info->stop_index >= 0 &&
                             (size_t)info->stop_index < st->req.n_stop
                         ? st->req.stop[info->stop_index]
                         : NULL;
}

static void render_end(stream *st, const sched_job_info *info) {
  result_finish(st, info);
  if (info->finish == API_FINISH_ERROR || info->finish == API_FINISH_CANCELLED) {
    api_error e;
    finish_error(info, &e);
    if (st->req.proto == API_PROTO_ANTHROPIC) anthropic_stream_error(&e, &st->out);
    else openai_stream_error(&e, &st->out);
    return;
  }
  if (st->req.proto == API_PROTO_ANTHROPIC) anthropic_stream_end(&st->req, &st->res, &st->out);
  else openai_stream_end(&st->req, &st->res, &st->out);
}

static void record(api_server *s, const sched_job_info *info) {
  api_metrics_generation(s->p.metrics, info->n_prompt, info->n_gen, info->ttft_ms, info->gen_ms);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  stream *st = cls;
  for (;;) {
    if (st->off < st->out.len) {
      size_t n = st->out.len - st->off;
      if (n > max) n = max;
      memcpy(buf, st->out.data + st->off, n);
      st->off += n;
      if (st->off == st->out.len) {
        sk_buf_reset(&st->out);
        st->off = 0;
      }
      return (ssize_t)n;
    }
    if (st->done) return MHD_CONTENT_READER_END_OF_STREAM;
    if (client_gone(st->c)) {
      gen_cancel(st);
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    sk_buf text;
    sk_buf_init(&text, SIZE_MAX / 2);
    sched_job_info info;
    int fin = gen_poll(st, HTTP_POLL_MS, &text, &info);
    if (text.len) render_delta(st, text.data, text.len);
    if (text.len && st->ground) sk_buf_append(&st->answer, text.data, text.len);
    sk_buf_release(&text);
    if (fin) {
      if (st->ext.poll) st->res.n_prompt = info.n_prompt;
      attach_citations(st, st->answer.data, st->answer.len);
      render_end(st, &info);
      record(st->s, &info);
      st->info = info;
      st->done = 1;
    }
  }
}

static void stream_free(void *cls) {
  stream *st = cls;
  atomic_fetch_sub(&st->s->live, 1);
  if (st->job) sched_job_release(st->job); /* cancels if the client left early */
  if (st->ext.release) st->ext.release(st->ext.impl);
  gate_finish(st->s, st->ticket, st->done ? &st->info : NULL);
  api_request_release(&st->req);
  sk_buf_release(&st->out);
  sk_buf_release(&st->answer);
  json_decref(st->cites);
  api_ground_free(st->ground);
  sk_free(st);
}

/* Tells the client what truncation (asked for with sekisho.truncate) removed. */
static void add_cut_header(struct MHD_Response *r, const api_prompt_cut *cut) {
  if (!cut->n_before) return;
  char v[128];
  snprintf(v, sizeof v, "messages=%d; bytes=%zu; tokens_before=%d", cut->dropped_messages, cut->dropped_bytes,
           cut->n_before);
  MHD_add_response_header(r, "X-Sekisho-Prompt-Truncated", v);
}

static enum MHD_Result handle_generate(api_server *s, struct MHD_Connection *c, req_ctx *rc,
                                       api_proto proto) {
  api_request req;
  api_request_init(&req);
  api_error e;
  memset(&e, 0, sizeof e);
  int bad;
  if (proto == API_PROTO_ANTHROPIC) bad = anthropic_parse_messages(rc->body.data, rc->body.len, &req, &e);
  else if (proto == API_PROTO_OPENAI_CHAT) bad = openai_parse_chat(rc->body.data, rc->body.len, &req, &e);
  else bad = openai_parse_completion(rc->body.data, rc->body.len, &req, &e);
  api_conn ac = {c};
  if (bad) {
    if (s->p.gops && s->p.gops->reject) s->p.gops->reject(s->p.gops_ud, &ac, proto, &e);
    return respond_error(s, c, rc, proto, &e);
  }
  /* grounded chat: retrieve and rewrite the question before the perimeter sees the request, so
   * that its scan and pseudonymisation cover the retrieved chunks too */
  api_ground *ground = NULL;
  if (req.ground_collection && api_ground_prepare(s->p.data_dir, &req, &ground, &e)) {
    if (s->p.gops && s->p.gops->reject) s->p.gops->reject(s->p.gops_ud, &ac, proto, &e);
    api_request_release(&req);
    return respond_error(s, c, rc, proto, &e);
  }
  void *ticket = NULL;
  api_gen_src ext = {0};
  if (s->p.gops && s->p.gops->admit && s->p.gops->admit(s->p.gops_ud, &ac, &req, &e, &ticket, &ext)) {
    api_ground_free(ground);
    api_request_release(&req);
    return respond_error(s, c, rc, proto, &e);
  }

  /* ---- the gate seam: parse → (hook) → schedule ---- */
  if (s->p.gate) {
    if (s->p.gate(s->p.gate_ud, &ac, &req, &e)) {
      gate_finish(s, ticket, NULL);
      if (ext.release) ext.release(ext.impl);
      api_ground_free(ground);
      api_request_release(&req);
      return respond_error(s, c, rc, proto, &e);
    }
  }

  sched_job *job = NULL;
  size_t n_toks = 0;
  api_prompt_cut cut = {0};
  if (ext.poll) goto admitted; /* the perimeter relays this one from an external provider */
  if (strcmp(req.model, s->p.be->model_id)) {
    api_err(&e, API_ERR_NOT_FOUND, "model", "model '%.200s' does not exist; this server serves '%s' (GET /v1/models)",
            req.model, s->p.be->model_id);
    gate_finish(s, ticket, NULL);
    api_ground_free(ground);
    api_request_release(&req);
    return respond_error(s, c, rc, proto, &e);
  }
  int32_t *toks = NULL;
  if (api_prompt_build(s->p.be, &req, &toks, &n_toks, &cut, &e)) {
    gate_finish(s, ticket, NULL);
    api_ground_free(ground);
    api_request_release(&req);
    return respond_error(s, c, rc, proto, &e);
  }
  sampler_params sp = sampler_params_default();
  sp.temperature = (float)req.temperature;
  sp.top_p = (float)req.top_p;
  sp.top_k = 0;
  sp.min_p = 0.0f;
  sp.repeat_penalty = 1.0f;
  sp.repeat_last_n = 0;
  sp.seed = req.has_seed ? req.seed : random_seed();
  sched_job_params jp = {.prompt = toks,
                         .n_prompt = n_toks,
                         .max_tokens = req.max_tokens,
                         .sampling = sp,
                         .stop = (const char *const *)req.stop,
                         .n_stop = req.n_stop};
  sk_err err;
  sk_err_clear(&err);
  int src = sched_submit(s->p.sched, &jp, &job, &err);
  sk_free(toks);
  if (src) {
    gate_finish(s, ticket, NULL);
    api_err_kind k = src == SK_EBUSY ? API_ERR_RATE_LIMIT
                     : src == SK_EDENIED ? API_ERR_UNAVAILABLE
                     : src == SK_ENOMEM ? API_ERR_INTERNAL
                                        : API_ERR_INVALID;
    api_err(&e, k, k == API_ERR_INVALID ? "messages" : "", "%s", err.msg);
    api_ground_free(ground);
    api_request_release(&req);
    return respond_error(s, c, rc, proto, &e);
  }

admitted:;
  stream *st = sk_calloc(1, sizeof *st);
  if (!st) {
    if (job) sched_job_release(job);
    if (ext.release) ext.release(ext.impl);
    gate_finish(s, ticket, NULL);
    api_ground_free(ground);
    api_request_release(&req);
    api_err(&e, API_ERR_INTERNAL, "", "out of memory");
    return respond_error(s, c, rc, proto, &e);
  }
  st->s = s;
  atomic_fetch_add(&s->live, 1);
  st->c = c;
  st->req = req; /* moves ownership */
  st->job = job;
  st->ticket = ticket;
  st->ext = ext;
  st->ground = ground;
  sk_buf_init(&st->answer, SIZE_MAX / 2);
  make_id(s, proto == API_PROTO_ANTHROPIC ? "msg_" : proto == API_PROTO_OPENAI_CHAT ? "chatcmpl-" : "cmpl-",
          st->id, sizeof st->id);
  st->res = (api_result){.id = st->id, .model = ext.poll ? st->req.model : s->p.be->model_id, .created = (int64_t)wall_s(),
                         .n_prompt = (int32_t)n_toks};
  sk_buf_init(&st->out, SIZE_MAX / 2);

  if (st->req.stream) {
    render_begin(st);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK,
                                                               stream_read, st, stream_free);
    if (!r) {
      stream_free(st);
      return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    add_gate_headers(s, r, ticket);
    add_cut_header(r, &cut);
    api_metrics_request(s->p.metrics, rc->ep, 200);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
  }

  /* Non-streaming: wait here (this connection's own thread), watching for a disconnect. */
  sk_buf text;
  sk_buf_init(&text, SIZE_MAX / 2);
  sched_job_info info;
  for (;;) {
    if (gen_poll(st, HTTP_POLL_MS, &text, &info)) break;
    if (client_gone(c)) {
      gen_cancel(st);
      sk_buf_release(&text);
      stream_free(st);
      return MHD_NO; /* nobody to answer */
    }
  }
  record(s, &info);
  st->info = info;
  st->done = 1;
  if (ext.poll) st->res.n_prompt = info.n_prompt;
  enum MHD_Result ret;
  if (info.finish == API_FINISH_ERROR || info.finish == API_FINISH_CANCELLED) {
    finish_error(&info, &e);
    ret = respond_error(s, c, rc, proto, &e);
  } else {
    st->res.text = text.data ? text.data : "";
    st->res.text_len = text.len;
    attach_citations(st, text.data, text.len);
    result_finish(st, &info);
    if (proto == API_PROTO_ANTHROPIC) anthropic_render_result(&st->req, &st->res, &st->out);
    else openai_render_result(&st->req, &st->res, &st->out);
    api_metrics_request(s->p.metrics, rc->ep, 200);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(st->out.len, st->out.data ? st->out.data : (void *)"{}", MHD_RESPMEM_MUST_COPY);
    if (!r) ret = MHD_NO;
    else {
      MHD_add_response_header(r, "Content-Type", "application/json");
      add_gate_headers(s, r, ticket);
      add_cut_header(r, &cut);
      ret = MHD_queue_response(c, 200, r);
      MHD_destroy_response(r);
    }
  }
  sk_buf_release(&text);
  stream_free(st);
  return ret;
}

/* ---- routing ---------------------------------------------------------------------------- */

static enum MHD_Result handle_simple(api_server *s, struct MHD_Connection *c, req_ctx *rc,
                                     const char *url) {
  sk_buf b;
  sk_buf_init(&b, 1 << 20);
  enum MHD_Result ret;
  if (rc->ep == API_EP_HEALTH) {
    sched_stats st;
    sched_get_stats(s->p.sched, &st);
    sk_buf_printf(&b, "{\"status\":\"ok\",\"model\":\"%s\",\"label\":\"%s\",\"active\":%u,\"queued\":%u,\"parallel\":%u}",
                  s->p.be->model_id, s->p.model_label ? s->p.model_label : "", st.active, st.queued,
                  st.n_parallel);
    api_metrics_request(s->p.metrics, rc->ep, 200);
    ret = respond(c, 200, "application/json", b.data, b.len, 0);
  } else if (rc->ep == API_EP_METRICS) {
    sched_stats st;
    sched_get_stats(s->p.sched, &st);
    api_metrics_request(s->p.metrics, rc->ep, 200);
    if (s->p.metrics) api_metrics_render(s->p.metrics, &st, &b);
    if (s->p.gops && s->p.gops->metrics) s->p.gops->metrics(s->p.gops_ud, &b);
    ret = respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.data ? b.data : "", b.len, 0);
  } else {
    const char *id = s->p.be->model_id;
    if (!strncmp(url, "/v1/models/", 11) && strcmp(url + 11, id)) {
      api_error e;
      api_err(&e, API_ERR_NOT_FOUND, "model", "model '%.200s' does not exist; this server serves '%s'", url + 11, id);
      sk_buf_release(&b);
      return respond_error(s, c, rc, API_PROTO_OPENAI_CHAT, &e);
    }
    if (!strncmp(url, "/v1/models/", 11))
      sk_buf_printf(&b, "{\"id\":\"%s\",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"sekisho\"}", id,
                    (long long)wall_s());
    else
      openai_render_models(id, (long long)wall_s(), &b);
    api_metrics_request(s->p.metrics, rc->ep, 200);
    ret = respond(c, 200, "application/json", b.data, b.len, 0);
  }
  sk_buf_release(&b);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  api_server *s = cls;
  req_ctx *rc = *con_cls;
  int is_post = !strcmp(method, "POST");
  if (!rc) {
    rc = sk_calloc(1, sizeof *rc);
    if (!rc) return MHD_NO;
    sk_buf_init(&rc->body, API_MAX_BODY_BYTES);
    if (!strcmp(url, "/v1/chat/completions")) rc->ep = API_EP_CHAT;
    else if (!strcmp(url, "/v1/completions")) rc->ep = API_EP_COMPLETIONS;
    else if (!strcmp(url, "/v1/messages")) rc->ep = API_EP_MESSAGES;
    else if (!strcmp(url, "/v1/models") || !strncmp(url, "/v1/models/", 11)) rc->ep = API_EP_MODELS;
    else if (!strcmp(url, "/health")) rc->ep = API_EP_HEALTH;
    else if (!strcmp(url, "/metrics")) rc->ep = API_EP_METRICS;
    else rc->ep = API_EP_OTHER;
    *con_cls = rc;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (is_post && cl && strtoull(cl, NULL, 10) > API_MAX_BODY_BYTES) {
      /* refuse before reading: the library closes the connection after this answer */
      api_error e;
      api_err(&e, API_ERR_TOO_LARGE, "", "request body of %s bytes exceeds the limit of %u bytes", cl,
              API_MAX_BODY_BYTES);
      rc->too_large = 2;
      if (s->p.gops && s->p.gops->reject) {
        api_conn ac = {c};
        s->p.gops->reject(s->p.gops_ud, &ac, rc->ep == API_EP_MESSAGES ? API_PROTO_ANTHROPIC : API_PROTO_OPENAI_CHAT, &e);
      }
      return respond_error(s, c, rc, rc->ep == API_EP_MESSAGES ? API_PROTO_ANTHROPIC : API_PROTO_OPENAI_CHAT, &e);
    }
    return MHD_YES;
  }
  if (*upload_size) {
    if (!rc->too_large && sk_buf_append(&rc->body, upload, *upload_size)) rc->too_large = 1;
    *upload_size = 0;
    return MHD_YES;
  }
  if (rc->too_large == 2) return MHD_YES; /* already answered */
  api_proto proto = rc->ep == API_EP_MESSAGES ? API_PROTO_ANTHROPIC
                    : rc->ep == API_EP_COMPLETIONS ? API_PROTO_OPENAI_COMPLETION
                                                   : API_PROTO_OPENAI_CHAT;
  api_error e;
  if (rc->too_large) {
    api_err(&e, API_ERR_TOO_LARGE, "", "request body exceeds the limit of %u bytes", API_MAX_BODY_BYTES);
    if (s->p.gops && s->p.gops->reject) {
      api_conn ac = {c};
      s->p.gops->reject(s->p.gops_ud, &ac, proto, &e);
    }
    return respond_error(s, c, rc, proto, &e);
  }
  int gen = rc->ep == API_EP_CHAT || rc->ep == API_EP_COMPLETIONS || rc->ep == API_EP_MESSAGES;
  if (rc->ep == API_EP_OTHER && !strncmp(url, "/admin/", 7) && s->p.gops && s->p.gops->admin) {
    api_conn ac = {c};
    sk_buf b;
    sk_buf_init(&b, 1 << 20);
    int st = s->p.gops->admin(s->p.gops_ud, &ac, method, url, rc->body.data, rc->body.len, &b);
    api_metrics_request(s->p.metrics, rc->ep, st);
    enum MHD_Result ret = respond(c, st, "application/json", b.data ? b.data : "{}", b.len, 0);
    sk_buf_release(&b);
    return ret;
  }
  if (rc->ep == API_EP_OTHER && !strcmp(url, "/v1/sekisho/verify")) {
    if (!is_post) {
      api_err(&e, API_ERR_METHOD, "", "%s is not allowed on %.200s (use POST)", method, url);
      return respond_error(s, c, rc, API_PROTO_OPENAI_CHAT, &e);
    }
    sk_buf b;
    sk_buf_init(&b, SIZE_MAX / 2);
    if (api_ground_verify(rc->body.data ? rc->body.data : "", rc->body.len, &b, &e)) {
      sk_buf_release(&b);
      return respond_error(s, c, rc, API_PROTO_OPENAI_CHAT, &e);
    }
    api_metrics_request(s->p.metrics, rc->ep, 200);
    enum MHD_Result ret = respond(c, 200, "application/json", b.data ? b.data : "{}", b.len, 0);
    sk_buf_release(&b);
    return ret;
  }
  if (rc->ep == API_EP_OTHER) {
    api_err(&e, API_ERR_NOT_FOUND, "", "no route for %s %.200s", method, url);
    return respond_error(s, c, rc, proto, &e);
  }
  if (gen ? !is_post : strcmp(method, "GET") && strcmp(method, "HEAD")) {
    api_err(&e, API_ERR_METHOD, "", "%s is not allowed on %.200s (use %s)", method, url, gen ? "POST" : "GET");
    return respond_error(s, c, rc, proto, &e);
  }
  return gen ? handle_generate(s, c, rc, proto) : handle_simple(s, c, rc, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  req_ctx *rc = *con_cls;
  if (!rc) return;
  sk_buf_release(&rc->body);
  sk_free(rc);
  *con_cls = NULL;
}

int api_server_start(const api_server_params *p, api_server **out, sk_err *err) {
  *out = NULL;
  if (!p->sched || !p->be) return sk_err_set(err, SK_EINVAL, "server needs a scheduler and a model");
  api_server *s = sk_calloc(1, sizeof *s);
  if (!s) return sk_err_set(err, SK_ENOMEM, "out of memory");
  s->p = *p;
  s->id_salt = random_seed();
  const char *host = p->host ? p->host : "127.0.0.1";
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                   MHD_USE_POLL;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(p->port);
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(p->port);
    flags |= MHD_USE_IPv6;
  } else {
    sk_free(s);
    return sk_err_set(err, SK_EINVAL, "--host '%s' is not a numeric IPv4 or IPv6 address", host);
  }
  s->d = MHD_start_daemon(flags, p->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MAX_HEADER_BYTES,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->d) {
    sk_free(s);
    return sk_err_set(err, SK_EIO, "cannot listen on %s:%u (port in use, or not allowed?)", host, p->port);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : p->port;
  *out = s;
  return SK_OK;
}

uint16_t api_server_port(const api_server *s) { return s->port; }

void api_server_stop(api_server *s, int deadline_ms) {
  if (!s) return;
  MHD_socket fd = MHD_quiesce_daemon(s->d); /* stop accepting */
  if (fd != MHD_INVALID_SOCKET) close(fd);
  sched_shutdown(s->p.sched, deadline_ms); /* finish or cancel in-flight generations */
  /* let every stream write its final event before connections are closed */
  for (int waited = 0; atomic_load(&s->live) > 0 && waited < HTTP_DRAIN_MS; waited += 10) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(s->d);                   /* streams have ended: join connection threads */
  sk_free(s);
}
