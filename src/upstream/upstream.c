#include "upstream/upstream.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/jsonw.h"
#include "upstream/jscan.h"

struct up_call {
  CURLM *multi;
  CURL *easy;
  struct curl_slist *hdrs;
  char *body;
  up_provider prov;
  sk_buf line;     /* partial SSE line */
  sk_buf errbody;  /* non-2xx body */
  sk_buf *out;     /* the poll's output buffer (valid during up_poll) */
  up_info info;
  int done;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLSH *g_share;
static pthread_mutex_t g_locks[CURL_LOCK_DATA_LAST];

static void lock_cb(CURL *h, curl_lock_data d, curl_lock_access a, void *u) {
  (void)h, (void)a, (void)u;
  pthread_mutex_lock(&g_locks[d]);
}
static void unlock_cb(CURL *h, curl_lock_data d, void *u) {
  (void)h, (void)u;
  pthread_mutex_unlock(&g_locks[d]);
}
static void global_init(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&g_locks[i], NULL);
  g_share = curl_share_init();
  if (!g_share) return;
  curl_share_setopt(g_share, CURLSHOPT_LOCKFUNC, lock_cb);
  curl_share_setopt(g_share, CURLSHOPT_UNLOCKFUNC, unlock_cb);
  curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

/* Pool of (multi, easy) pairs of finished calls. */
static pthread_mutex_t g_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static CURLM *g_pool_multi[UP_HANDLE_POOL];
static CURL *g_pool_easy[UP_HANDLE_POOL];
static int g_pool_n;

static size_t on_data(char *p, size_t sz, size_t nm, void *ud);

static void handles_get(up_call *c) {
  pthread_mutex_lock(&g_pool_mu);
  if (g_pool_n > 0) {
    g_pool_n--;
    c->multi = g_pool_multi[g_pool_n];
    c->easy = g_pool_easy[g_pool_n];
  }
  pthread_mutex_unlock(&g_pool_mu);
  /* A pooled handle keeps its options: up_start sets every per-call option again, and the
   * options that never change are set once, on a new handle (curl_easy_reset and setting them
   * all again cost more than the rest of the call's setup). */
  if (c->easy) return;
  c->easy = curl_easy_init();
  c->multi = curl_multi_init();
  if (c->multi) curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, UP_MAX_IDLE_CONNECTIONS);
  if (!c->easy) return;
  curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, UP_CONNECT_TIMEOUT_MS);
  if (g_share) curl_easy_setopt(c->easy, CURLOPT_SHARE, g_share);
}

/* Returns the handles of a call (detached from each other) to the pool, or frees them. */
static void handles_put(up_call *c) {
  if (c->multi && c->easy) curl_multi_remove_handle(c->multi, c->easy);
  int kept = 0;
  if (c->multi && c->easy) {
    pthread_mutex_lock(&g_pool_mu);
    if (g_pool_n < UP_HANDLE_POOL) {
      g_pool_multi[g_pool_n] = c->multi;
      g_pool_easy[g_pool_n] = c->easy;
      g_pool_n++;
      kept = 1;
    }
    pthread_mutex_unlock(&g_pool_mu);
  }
  if (!kept) {
    if (c->easy) curl_easy_cleanup(c->easy);
    if (c->multi) curl_multi_cleanup(c->multi);
  }
  c->easy = NULL;
  c->multi = NULL;
}

static void set_finish(up_call *c, const char *reason) {
  if (!reason) return;
  c->info.finish = !strcmp(reason, "max_tokens") || !strcmp(reason, "length") ? UP_LENGTH : UP_STOP;
}

static int jis(const jscan_field *f, const char *s) {
  size_t n = strlen(s);
  return f->type == JSCAN_STRING && f->raw_len == n && !memcmp(f->raw, s, n);
}

/* A string field decoded into a small buffer (for finish reasons and error messages). */
static const char *jstr(const jscan_field *f, char *buf, size_t cap) {
  if (f->type != JSCAN_STRING) return NULL;
  sk_buf b;
  sk_buf_init(&b, cap - 1);
  if (jscan_string(f, &b) && !b.len) {
    sk_buf_release(&b);
    return NULL;
  }
  snprintf(buf, cap, "%s", b.data ? b.data : "");
  sk_buf_release(&b);
  return buf;
}

static void upstream_error(up_call *c, const jscan_field *msg) {
  char m[200];
  const char *s = jstr(msg, m, sizeof m);
  c->info.finish = UP_ERROR;
  snprintf(c->info.error, sizeof c->info.error, "upstream error: %s", s ? s : "unknown");
}

/* One SSE data payload: the fields the relay needs, read in one pass (see jscan.h). */
static void on_event(up_call *c, const char *data, size_t n) {
  if (c->prov == UP_OPENAI && n == 6 && !memcmp(data, "[DONE]", 6)) {
    if (!c->info.finish) c->info.finish = UP_STOP;
    return;
  }
  char fin[64];
  if (c->prov == UP_ANTHROPIC) {
    enum { TYPE, TEXT, IN_TOK, OUT_TOK, STOP, ERRMSG, NF };
    jscan_field f[NF] = {{"type"}, {"delta.text"}, {"message.usage.input_tokens"}, {"usage.output_tokens"},
                         {"delta.stop_reason"}, {"error.message"}};
    if (jscan(data, n, f, NF)) return;
    if (jis(&f[TYPE], "content_block_delta")) {
      if (f[TEXT].type == JSCAN_STRING) jscan_string(&f[TEXT], c->out);
    } else if (jis(&f[TYPE], "message_start")) {
      c->info.in_tokens = jscan_int(&f[IN_TOK]);
    } else if (jis(&f[TYPE], "message_delta")) {
      if (f[OUT_TOK].type != JSCAN_ABSENT) c->info.out_tokens = jscan_int(&f[OUT_TOK]);
      set_finish(c, jstr(&f[STOP], fin, sizeof fin));
    } else if (jis(&f[TYPE], "message_stop")) {
      if (!c->info.finish) c->info.finish = UP_STOP;
    } else if (jis(&f[TYPE], "error")) {
      upstream_error(c, &f[ERRMSG]);
    }
  } else {
    enum { TEXT, FINISH, USAGE, IN_TOK, OUT_TOK, ERR, ERRMSG, NF };
    jscan_field f[NF] = {{"choices.0.delta.content"}, {"choices.0.finish_reason"}, {"usage"},
                         {"usage.prompt_tokens"}, {"usage.completion_tokens"}, {"error"}, {"error.message"}};
    if (jscan(data, n, f, NF)) return;
    if (f[TEXT].type == JSCAN_STRING) jscan_string(&f[TEXT], c->out);
    const char *fr = jstr(&f[FINISH], fin, sizeof fin);
    if (fr) set_finish(c, fr);
    if (f[USAGE].type == JSCAN_OBJECT) {
      c->info.in_tokens = jscan_int(&f[IN_TOK]);
      c->info.out_tokens = jscan_int(&f[OUT_TOK]);
    }
    if (f[ERR].type != JSCAN_ABSENT) upstream_error(c, &f[ERRMSG]);
  }
}

/* One complete SSE line (without its newline). */
static void on_line(up_call *c, const char *l, size_t len) {
  if (len && l[len - 1] == '\r') len--;
  if (len > 5 && !memcmp(l, "data:", 5)) {
    const char *d = l + 5;
    size_t dl = len - 5;
    if (dl && *d == ' ') d++, dl--;
    on_event(c, d, dl);
  }
}

static size_t on_data(char *p, size_t sz, size_t nm, void *ud) {
  up_call *c = ud;
  size_t n = sz * nm;
  long status = 0;
  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status && (status < 200 || status > 299)) {
    size_t room = UP_MAX_ERROR_BODY - c->errbody.len;
    sk_buf_append(&c->errbody, p, n < room ? n : room);
    return n;
  }
  const char *s = p, *end = p + n;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) { /* a partial line: kept for the next chunk */
      if (sk_buf_append(&c->line, s, (size_t)(end - s))) return 0; /* line too long: abort the transfer */
      break;
    }
    if (c->line.len) {
      if (sk_buf_append(&c->line, s, (size_t)(nl - s))) return 0;
      on_line(c, c->line.data, c->line.len);
      sk_buf_reset(&c->line);
    } else {
      if ((size_t)(nl - s) > UP_MAX_LINE_BYTES) return 0;
      on_line(c, s, (size_t)(nl - s));
    }
    s = nl + 1;
  }
  return n;
}

/* The provider request, written straight as JSON text (no tree). NULL on invalid UTF-8 or
 * out of memory. */
static char *build_body(const up_params *p) {
  sk_buf b;
  sk_buf_init(&b, SIZE_MAX / 2);
  int rc = sk_buf_append_byte(&b, '{');
  rc = rc ? rc : sk_json_key(&b, "model");
  rc = rc ? rc : sk_json_cstr(&b, p->model ? p->model : "");
  rc = rc ? rc : sk_json_key(&b, "messages");
  rc = rc ? rc : sk_buf_append_byte(&b, '[');
  size_t n_sys = 0;
  for (size_t i = 0; i < p->n_msgs && !rc; i++) {
    if (p->provider == UP_ANTHROPIC && !strcmp(p->msgs[i].role, "system")) {
      n_sys++;
      continue;
    }
    rc = sk_buf_append_byte(&b, '{');
    rc = rc ? rc : sk_json_key(&b, "role");
    rc = rc ? rc : sk_json_cstr(&b, p->msgs[i].role);
    rc = rc ? rc : sk_json_key(&b, "content");
    rc = rc ? rc : sk_json_cstr(&b, p->msgs[i].content ? p->msgs[i].content : "");
    rc = rc ? rc : sk_buf_append_byte(&b, '}');
  }
  rc = rc ? rc : sk_buf_append_byte(&b, ']');
  if (n_sys && !rc) { /* Anthropic takes system prompts apart: joined by blank lines */
    sk_buf cat;
    sk_buf_init(&cat, SIZE_MAX / 2);
    size_t k = 0;
    for (size_t i = 0; i < p->n_msgs && !rc; i++)
      if (!strcmp(p->msgs[i].role, "system")) rc = sk_buf_printf(&cat, "%s%s", k++ ? "\n\n" : "", p->msgs[i].content ? p->msgs[i].content : "");
    rc = rc ? rc : sk_json_key(&b, "system");
    rc = rc ? rc : sk_json_str(&b, cat.data ? cat.data : "", cat.len);
    sk_buf_release(&cat);
  }
  rc = rc ? rc : sk_buf_printf(&b, ",\"max_tokens\":%ld,\"stream\":true", (long)p->max_tokens);
  if (p->provider == UP_OPENAI && !rc) rc = sk_buf_append_str(&b, ",\"stream_options\":{\"include_usage\":true}");
  if (p->temperature >= 0 && !rc) rc = sk_buf_printf(&b, ",\"temperature\":%.17g", p->temperature);
  if (p->top_p > 0 && p->top_p < 1 && !rc) rc = sk_buf_printf(&b, ",\"top_p\":%.17g", p->top_p);
  if (p->n_stop && !rc) {
    rc = sk_json_key(&b, p->provider == UP_ANTHROPIC ? "stop_sequences" : "stop");
    rc = rc ? rc : sk_buf_append_byte(&b, '[');
    for (size_t i = 0; i < p->n_stop && !rc; i++) {
      if (i) rc = sk_buf_append_byte(&b, ',');
      rc = rc ? rc : sk_json_cstr(&b, p->stop[i]);
    }
    rc = rc ? rc : sk_buf_append_byte(&b, ']');
  }
  rc = rc ? rc : sk_buf_append_byte(&b, '}');
  if (rc) {
    sk_buf_release(&b);
    return NULL;
  }
  return sk_buf_detach(&b);
}

int up_start(const up_params *p, up_call **out, sk_err *err) {
  *out = NULL;
  pthread_once(&g_once, global_init);
  up_call *c = sk_calloc(1, sizeof *c);
  if (!c) return sk_err_set(err, SK_ENOMEM, "out of memory");
  c->prov = p->provider;
  sk_buf_init(&c->line, UP_MAX_LINE_BYTES);
  sk_buf_init(&c->errbody, UP_MAX_ERROR_BODY + 1);
  c->body = build_body(p);
  handles_get(c);
  char url[1024], hdr[600];
  const char *base = p->base_url;
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  snprintf(url, sizeof url, "%.*s%s", (int)bl, base,
           p->provider == UP_ANTHROPIC ? "/v1/messages" : "/v1/chat/completions");
  if (!c->body || !c->easy || !c->multi) {
    up_free(c);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
  c->hdrs = curl_slist_append(c->hdrs, "Accept: text/event-stream");
  /* no "Expect: 100-continue" round trip before a large (> 1 MiB) prompt is sent */
  c->hdrs = curl_slist_append(c->hdrs, "Expect:");
  if (p->provider == UP_ANTHROPIC) {
    c->hdrs = curl_slist_append(c->hdrs, "anthropic-version: 2023-06-01");
    if (p->api_key) {
      snprintf(hdr, sizeof hdr, "x-api-key: %.500s", p->api_key);
      c->hdrs = curl_slist_append(c->hdrs, hdr);
    }
  } else if (p->api_key) {
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %.500s", p->api_key);
    c->hdrs = curl_slist_append(c->hdrs, hdr);
  }
  /* every option a call sets differently is set here, on every call (pooled handles keep theirs) */
  curl_easy_setopt(c->easy, CURLOPT_URL, url);
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
  curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(c->body));
  curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
  curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, p->timeout_ms ? p->timeout_ms : UP_DEFAULT_TIMEOUT_MS);
  if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
    up_free(c);
    return sk_err_set(err, SK_EIO, "cannot start the upstream request");
  }
  *out = c;
  return 0;
}

int up_poll(up_call *c, int timeout_ms, sk_buf *out, up_info *info) {
  if (!c->done) {
    c->out = out;
    int running = 0;
    curl_multi_perform(c->multi, &running);
    if (running && !out->len) {
      curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL);
      curl_multi_perform(c->multi, &running);
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
      if (m->msg != CURLMSG_DONE) continue;
      long status = 0;
      curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
      c->info.http_status = (int)status;
      if (m->data.result != CURLE_OK) {
        c->info.finish = UP_ERROR;
        snprintf(c->info.error, sizeof c->info.error, "upstream unreachable: %s", curl_easy_strerror(m->data.result));
      } else if (status < 200 || status > 299) {
        c->info.finish = UP_ERROR;
        snprintf(c->info.error, sizeof c->info.error, "upstream answered HTTP %ld: %.200s", status,
                 c->errbody.data ? c->errbody.data : "");
      } else if (!c->info.finish) {
        c->info.finish = UP_ERROR;
        snprintf(c->info.error, sizeof c->info.error, "upstream stream ended without a finish event");
      }
      c->done = 1;
    }
    c->out = NULL;
  }
  *info = c->info;
  return c->done;
}

void up_free(up_call *c) {
  if (!c) return;
  handles_put(c);
  curl_slist_free_all(c->hdrs);
  sk_free(c->body);
  sk_buf_release(&c->line);
  sk_buf_release(&c->errbody);
  sk_free(c);
}
