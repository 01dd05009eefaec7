/* upstream.h — calls to external model providers over HTTP (libcurl): the Anthropic Messages API
 * and any OpenAI-compatible /v1/chat/completions endpoint. Always streams from the provider and
 * hands text back chunk by chunk as it arrives, so the gateway relays it without buffering.
 *
 *   up_call *c;  up_start(&params, &c, &err);
 *   while (!up_poll(c, 20, &text, &info)) relay(text);   // text: new UTF-8 since the last poll
 *   up_free(c);
 *
 * One up_call is driven by one thread at a time (curl multi interface inside up_poll); calls share
 * a connection cache (keep-alive to the provider) across threads, and finished calls hand their
 * curl handles back to a small pool for the next call. The module never logs content. */
#ifndef SK_UPSTREAM_UPSTREAM_H
#define SK_UPSTREAM_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* An SSE line from a provider is one JSON event: 1 MiB is far beyond any real one. */
#define UP_MAX_LINE_BYTES (1u << 20)
/* Error bodies are read for the message only. */
#define UP_MAX_ERROR_BODY 8192
/* Whole call, connect to last byte: a generation longer than this is stuck, not slow. */
#define UP_DEFAULT_TIMEOUT_MS 300000L
#define UP_CONNECT_TIMEOUT_MS 10000L
/* Idle keep-alive connections kept to providers (all threads together). curl's default (4 per
 * multi handle) made concurrent calls close and reopen connections on every request. */
#define UP_MAX_IDLE_CONNECTIONS 256L
/* Finished calls' curl handles kept for reuse (a fresh multi handle costs a socketpair). */
#define UP_HANDLE_POOL 64

typedef enum up_provider { UP_ANTHROPIC = 1, UP_OPENAI = 2 } up_provider;

typedef struct up_msg {
  const char *role; /* "system", "user", "assistant" */
  const char *content;
} up_msg;

typedef struct up_params {
  up_provider provider;
  const char *base_url; /* e.g. https://api.anthropic.com (no trailing /v1) */
  const char *model;
  const char *api_key;  /* may be NULL */
  const up_msg *msgs;
  size_t n_msgs;
  int32_t max_tokens;
  double temperature;   /* < 0: not sent */
  double top_p;         /* <= 0 or >= 1: not sent */
  const char *const *stop;
  size_t n_stop;
  long timeout_ms;      /* 0: UP_DEFAULT_TIMEOUT_MS */
} up_params;

typedef enum up_finish { UP_RUNNING = 0, UP_STOP, UP_LENGTH, UP_ERROR } up_finish;

typedef struct up_info {
  up_finish finish;
  int http_status;
  int64_t in_tokens, out_tokens; /* as the provider reported them (0 if it did not) */
  char error[256];
} up_info;

typedef struct up_call up_call;

/* Builds the provider request and starts it. *out owned by the caller (up_free). */
int up_start(const up_params *p, up_call **out, sk_err *err);
/* Waits up to timeout_ms for data; appends new text to out; fills info. 1 when finished. */
int up_poll(up_call *c, int timeout_ms, sk_buf *out, up_info *info);
/* Aborts if running and frees. */
void up_free(up_call *c);

#endif
