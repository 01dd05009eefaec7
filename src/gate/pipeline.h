/* pipeline.h — THE CHECKPOINT. Every generation request passes these stages in this order
 * (pipeline.c is the one place that knows it):
 *
 *   gate_admit:     1 authenticate  2 scan (guard)  3 rate limit  4 decide (policy)  5 budget hold
 *                   6 audit "admitted" (durable)  7 pseudonymise (external routes only)
 *   gate_upstream_start / local scheduler:  8 route
 *   gate_filter:    9 re-identify (permitted requesters, external routes)
 *   gate_complete: 10 audit "completed"  11 post the actual cost (release the rest of the hold)
 *
 * Fail closed: an error in any stage denies the request (and is audited as "denied"). Nothing
 * leaves the process before stage 6 returned, and only pseudonymised text leaves at all.
 * The HTTP layer (api/) adapts its parsed request into a gate_call and renders gate_denial in
 * the client's protocol; this module knows nothing of HTTP. All functions are thread-safe. */
#ifndef SK_GATE_PIPELINE_H
#define SK_GATE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "gate/config.h"
#include "gate/keys.h"

typedef struct gate gate;
typedef struct gate_ticket gate_ticket;

typedef struct gate_params {
  const char *data_dir;    /* keys, ledger, pseudonym key under DATA/gate; audit log in DATA/audit */
  gate_config *config;     /* taken (freed by the gate) */
  const char *config_path; /* watched for hot reload; NULL: none */
  const char *local_model; /* id of the locally served model */
  int disable_mecab;       /* guard without MeCab (tests) */
} gate_params;

typedef struct gate_msg {
  int role;      /* 0 system, 1 user, 2 assistant */
  char *content; /* sk_malloc'd, owned by the caller; gate_admit may replace it (pseudonymised) */
} gate_msg;

typedef struct gate_call {
  const char *credential; /* Authorization: Bearer / x-api-key value, or NULL */
  int loopback;           /* the client connected from 127.0.0.1/::1 (anonymous access) */
  const char *endpoint;   /* "openai.chat", "anthropic.messages", ... (audit) */
  const char *model;      /* as requested */
  gate_msg *msgs;
  size_t n_msgs;
  int32_t max_tokens;
  double temperature, top_p;
  const char *const *stop;
  size_t n_stop;
} gate_call;

typedef struct gate_denial {
  int status;             /* 401, 403, 404, 429, 500, 503 */
  double retry_after_s;   /* for 429 */
  char message[512];      /* what went wrong and what to do; never content */
} gate_denial;

typedef struct gate_usage {
  int finished;           /* 1 when the generation ended */
  int ok;                 /* ended normally */
  int length;             /* ended at max_tokens */
  int64_t in_tokens, out_tokens;
  char error[256];
} gate_usage;

/* Opens the key store, the audit log, the ledger and the guard. *out owned by the caller. */
int gate_open(const gate_params *p, gate **out, sk_err *err);
void gate_close(gate *g);
/* Re-reads the config file; on error the running config stays and err says why (with the line). */
int gate_reload(gate *g, sk_err *err);
/* Reloads when the file's modification time changed: call from a timer. 1 reloaded, 0 not, <0 error. */
int gate_reload_if_changed(gate *g, sk_err *err);
gate_keys *gate_get_keys(gate *g);

/* Stages 1–7. SK_OK with *t (owned by the caller until gate_complete) or SK_EDENIED with d. */
int gate_admit(gate *g, gate_call *call, gate_ticket **t, gate_denial *d);
int gate_ticket_external(const gate_ticket *t);
/* Grounded chat: per-sentence verdict counts of the answer ([0] supported, [1] unsupported,
 * [2] contradicted) and chunks retrieved, written as "grounding" into the "completed" record. */
void gate_ticket_grounding(gate_ticket *t, const uint32_t counts[3], uint32_t n_chunks);
/* The model that will answer (the local id after a reroute). */
const char *gate_ticket_model(const gate_ticket *t);
/* Response header i (0..): 1 with name/value set, 0 when there are no more. */
int gate_ticket_header(const gate_ticket *t, int i, const char **name, const char **value);

/* Stage 8 for external routes: starts the provider call with the (pseudonymised) messages. */
int gate_upstream_start(gate *g, gate_ticket *t, const gate_call *call, gate_denial *d);
/* Polls the provider: new text (already re-identified, stage 9) appended to out; 1 when done. */
int gate_upstream_poll(gate_ticket *t, int timeout_ms, sk_buf *out, gate_usage *u);
/* Stage 9 for any text the caller relays (local routes pass through). final=1 flushes. */
int gate_filter(gate_ticket *t, const char *text, size_t n, int final, sk_buf *out);
/* Stages 10–11; frees t. u may be NULL (the client went away before anything was generated). */
void gate_complete(gate *g, gate_ticket *t, const gate_usage *u);

/* Audits a request refused before it reached gate_admit (bad body, too large, wrong method). */
void gate_reject(gate *g, const char *credential, const char *endpoint, int status, const char *reason);

/* Appends Prometheus lines (sekisho_gate_*) to out. */
void gate_metrics_render(gate *g, sk_buf *out);

/* Admin API: /admin/keys (GET list, POST create), /admin/keys/ID/rotate (POST), /admin/keys/ID
 * (DELETE revoke), /admin/config/reload (POST). Needs an admin key (an admin sees every tenant).
 * Returns the HTTP status and a JSON body in out. Every call is audited. */
int gate_admin(gate *g, const char *credential, const char *method, const char *path, const char *body,
               size_t len, sk_buf *out);

#endif
