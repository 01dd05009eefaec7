#include "upstream/upstream.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

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

static void handles_get(up_call *c) {
  pthread_mutex_lock(&g_pool_mu);
  if (g_pool_n > 0) {
    g_pool_n--;
    c->multi = g_pool_multi[g_pool_n];
    c->easy = g_pool_easy[g_pool_n];
  }
  pthread_mutex_unlock(&g_pool_mu);
  if (c->easy) {
    curl_easy_reset(c->easy); /* options back to defaults; connections stay in the shared cache */
    return;
  }
  c->easy = curl_easy_init();
  c->multi = curl_multi_init();
  if (c->multi) curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, UP_MAX_IDLE_CONNECTIONS);
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

static void on_event(up_call *c, const char *data, size_t n) {
  if (c->prov == UP_OPENAI && n == 6 && !memcmp(data, "[DONE]", 6)) {
    if (!c->info.finish) c->info.finish = UP_STOP;
    return;
  }
  json_error_t je;
  json_t *j = json_loadb(data, n, 0, &je);
  if (!j) return;
  if (c->prov == UP_ANTHROPIC) {
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) type = "";
    if (!strcmp(type, "content_block_delta")) {
      const char *t = json_string_value(json_object_get(json_object_get(j, "delta"), "text"));
      if (t) sk_buf_append_str(c->out, t);
    } else if (!strcmp(type, "message_start")) {
      json_t *u = json_object_get(json_object_get(j, "message"), "usage");
      c->info.in_tokens = json_integer_value(json_object_get(u, "input_tokens"));
    } else if (!strcmp(type, "message_delta")) {
      json_t *u = json_object_get(j, "usage");
      if (json_object_get(u, "output_tokens")) c->info.out_tokens = json_integer_value(json_object_get(u, "output_tokens"));
      set_finish(c, json_string_value(json_object_get(json_object_get(j, "delta"), "stop_reason")));
    } else if (!strcmp(type, "message_stop")) {
      if (!c->info.finish) c->info.finish = UP_STOP;
    } else if (!strcmp(type, "error")) {
      c->info.finish = UP_ERROR;
      const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
      snprintf(c->info.error, sizeof c->info.error, "upstream error: %s", m ? m : "unknown");
    }
  } else {
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    const char *t = json_string_value(json_object_get(json_object_get(ch, "delta"), "content"));
    if (t) sk_buf_append_str(c->out, t);
    const char *fr = json_string_value(json_object_get(ch, "finish_reason"));
    if (fr) set_finish(c, fr);
    json_t *u = json_object_get(j, "usage");
    if (json_is_object(u)) {
      c->info.in_tokens = json_integer_value(json_object_get(u, "prompt_tokens"));
      c->info.out_tokens = json_integer_value(json_object_get(u, "completion_tokens"));
    }
    json_t *e = json_object_get(j, "error");
    if (e) {
      c->info.finish = UP_ERROR;
      const char *m = json_string_value(json_object_get(e, "message"));
      snprintf(c->info.error, sizeof c->info.error, "upstream error: %s", m ? m : "unknown");
    }
  }
  json_decref(j);
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
  for (size_t i = 0; i < n; i++) {
    if (p[i] != '\n') {
      if (sk_buf_append_byte(&c->line, p[i])) return 0; /* line too long: abort the transfer */
      continue;
    }
    size_t len = c->line.len;
    if (len && c->line.data[len - 1] == '\r') len--;
    if (len > 5 && !memcmp(c->line.data, "data:", 5)) {
      const char *d = c->line.data + 5;
      size_t dl = len - 5;
      if (dl && *d == ' ') d++, dl--;
      on_event(c, d, dl);
    }
    sk_buf_reset(&c->line);
  }
  return n;
}

static char *build_body(const up_params *p) {
  json_t *root = json_object(), *msgs = json_array();
  json_t *sys = NULL;
  for (size_t i = 0; i < p->n_msgs; i++) {
    if (p->provider == UP_ANTHROPIC && !strcmp(p->msgs[i].role, "system")) {
      if (!sys) sys = json_string(p->msgs[i].content);
      else {
        sk_buf cat;
        sk_buf_init(&cat, SIZE_MAX / 2);
        sk_buf_printf(&cat, "%s\n\n%s", json_string_value(sys), p->msgs[i].content);
        json_decref(sys);
        sys = json_stringn(cat.data ? cat.data : "", cat.len);
        sk_buf_release(&cat);
      }
      continue;
    }
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", p->msgs[i].role, "content", p->msgs[i].content));
  }
  json_object_set_new(root, "model", json_string(p->model));
  json_object_set_new(root, "messages", msgs);
  if (sys) json_object_set_new(root, "system", sys);
  json_object_set_new(root, "max_tokens", json_integer(p->max_tokens));
  json_object_set_new(root, "stream", json_true());
  if (p->provider == UP_OPENAI) json_object_set_new(root, "stream_options", json_pack("{s:b}", "include_usage", 1));
  if (p->temperature >= 0) json_object_set_new(root, "temperature", json_real(p->temperature));
  if (p->top_p > 0 && p->top_p < 1) json_object_set_new(root, "top_p", json_real(p->top_p));
  if (p->n_stop) {
    json_t *st = json_array();
    for (size_t i = 0; i < p->n_stop; i++) json_array_append_new(st, json_string(p->stop[i]));
    json_object_set_new(root, p->provider == UP_ANTHROPIC ? "stop_sequences" : "stop", st);
  }
  char *s = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  return s;
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
  curl_easy_setopt(c->easy, CURLOPT_URL, url);
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
  curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
  curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, UP_CONNECT_TIMEOUT_MS);
  curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, p->timeout_ms ? p->timeout_ms : UP_DEFAULT_TIMEOUT_MS);
  if (g_share) curl_easy_setopt(c->easy, CURLOPT_SHARE, g_share);
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
  free(c->body);
  sk_buf_release(&c->line);
  sk_buf_release(&c->errbody);
  sk_free(c);
}
