/* request.h — the protocol-neutral request every API adapter produces, and the error record
 * every adapter renders in its own JSON shape.
 *
 *   body ──openai_parse_* / anthropic_parse_messages──▶ api_request ──(hook)──▶ scheduler
 *
 * The gateway inserts its checks (authenticate, scan, policy, budget) between parsing and
 * scheduling; nothing in api_request depends on which protocol it came from except `proto`,
 * which only selects how the answer is rendered. */
#ifndef SK_API_REQUEST_H
#define SK_API_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/* Bounds on untrusted input (each a named constant with its reason). */
/* 4 MiB: long enough for a 100k-token prompt in Japanese (~3 bytes/char), refuses floods. */
#define API_MAX_BODY_BYTES (4u * 1024u * 1024u)
/* Chat histories longer than this are not conversations but abuse of the parser. */
#define API_MAX_MESSAGES 512
/* OpenAI allows 4 stop strings; Anthropic does not state a bound: 16 is ample. */
#define API_MAX_STOP_OPENAI 4
#define API_MAX_STOP_ANTHROPIC 16
/* A stop string is a short marker; matches engine/stop.h STOP_MAX_LEN. */
#define API_MAX_STOP_LEN 1024
/* Tokens one request may ask to generate: bounds a single slot's occupancy. */
#define API_MAX_GEN_TOKENS 32768
/* Default generation budget when the request does not say (OpenAI's max_tokens is optional). */
#define API_DEFAULT_GEN_TOKENS 512
/* Model ids are short names; anything longer is not one of ours. */
#define API_MAX_MODEL_ID 256

typedef enum api_proto {
  API_PROTO_OPENAI_CHAT = 0,   /* POST /v1/chat/completions */
  API_PROTO_OPENAI_COMPLETION, /* POST /v1/completions */
  API_PROTO_ANTHROPIC,         /* POST /v1/messages */
} api_proto;

typedef enum api_role { API_ROLE_SYSTEM = 0, API_ROLE_USER, API_ROLE_ASSISTANT } api_role;

typedef struct api_message {
  api_role role;
  char *content; /* UTF-8, owned by the request */
} api_message;

/* Grounded chat: chunks retrieved per request (default, and most a client may ask for: each
 * chunk adds up to ~4 KiB to the prompt). */
#define API_GROUND_TOP_K_DEFAULT 5
#define API_GROUND_TOP_K_MAX 20
/* Longest collection name (the file DATA/ground/NAME.db). */
#define API_GROUND_NAME_MAX 64

typedef struct api_request {
  api_proto proto;
  char *model;           /* requested model id */
  api_message *messages; /* chat: system first (if any), then the turns */
  size_t n_messages;
  char *prompt;          /* completions: raw prompt text (no template) */
  char **stop;           /* stop strings, each non-empty */
  size_t n_stop;
  int32_t max_tokens;    /* generation budget (already defaulted and bounded) */
  double temperature;    /* >= 0; 0 = greedy */
  double top_p;          /* (0, 1] */
  int has_seed;
  uint64_t seed;
  int stream;
  int include_usage;     /* OpenAI stream_options.include_usage */
  /* Grounded chat (`"sekisho": {"collection": NAME, "top_k": K}` in an OpenAI chat body): NULL
   * when absent. The collection name is already checked against [A-Za-z0-9_-]{1,64}. */
  char *ground_collection;
  int32_t ground_top_k;  /* 1..API_GROUND_TOP_K_MAX, default API_GROUND_TOP_K_DEFAULT */
  /* `"sekisho": {"truncate": "start"}`: a prompt longer than the context drops its oldest turns
   * (system messages kept) instead of being refused; see api/prompt.h. 0: never truncate. */
  int truncate_start;
} api_request;

/* Error categories; each adapter maps them to its own type strings and status codes. */
typedef enum api_err_kind {
  API_ERR_INVALID = 0,  /* 400: malformed JSON or a bad field (param names it) */
  API_ERR_AUTH,         /* 401: reserved for the perimeter (gate) */
  API_ERR_PERMISSION,   /* 403: reserved for the perimeter (gate) */
  API_ERR_NOT_FOUND,    /* 404: unknown model or route */
  API_ERR_TOO_LARGE,    /* 413: body over API_MAX_BODY_BYTES */
  API_ERR_RATE_LIMIT,   /* 429: queue full; Retry-After set */
  API_ERR_INTERNAL,     /* 500: a real fault */
  API_ERR_UNAVAILABLE,  /* 503: shutting down */
  API_ERR_METHOD,       /* 405 */
} api_err_kind;

typedef struct api_error {
  api_err_kind kind;
  char param[64];    /* offending field ("messages[2].content") or "" */
  char message[512]; /* what went wrong and what to do */
  double retry_after_s; /* 429: how long the client should wait (0: HTTP_RETRY_AFTER_S); api_err sets 0 */
} api_error;

/* Why generation ended. */
typedef enum api_finish {
  API_FINISH_NONE = 0,   /* still running */
  API_FINISH_EOS,        /* the model ended its turn */
  API_FINISH_LENGTH,     /* max_tokens or the context limit */
  API_FINISH_STOP,       /* a stop string matched (stop_index says which) */
  API_FINISH_CANCELLED,  /* client went away or shutdown deadline */
  API_FINISH_ERROR,      /* engine fault */
} api_finish;

/* A finished (or streaming) generation, as the renderers see it. Borrowed pointers. */
typedef struct api_result {
  const char *id;        /* "chatcmpl-…", "cmpl-…", "msg_…" */
  const char *model;
  int64_t created;       /* unix seconds */
  const char *text;
  size_t text_len;
  api_finish finish;
  const char *stop_seq;  /* the matched stop string for API_FINISH_STOP, else NULL */
  int32_t n_prompt;
  int32_t n_gen;
  struct json_t *citations; /* grounded chat: the "citations" array (borrowed), else NULL */
} api_result;

/* HTTP status for kind. */
int api_err_status(api_err_kind kind);
/* Fills e and returns -1, so parsers can `return api_err(e, ...)`. */
int api_err(api_error *e, api_err_kind kind, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void api_request_init(api_request *r);
/* Frees everything the request owns and re-initialises it. */
void api_request_release(api_request *r);

const char *api_role_name(api_role role);

#endif
