/* sched.h — continuous-batching scheduler: one thread drives the model's context; up to
 * n_parallel jobs share every decode call (prefill chunks of newly admitted jobs are interleaved
 * with one decode token of each running job); a bounded queue holds the rest.
 *
 *   HTTP thread                         scheduler thread
 *   sched_submit ──▶ queue (bounded) ──▶ slot ─▶ decode/sample/detokenize/stop ─▶ job output
 *   sched_job_poll ◀──────────────────────────────────────────────── text, finish, counts
 *   sched_job_cancel / release ──▶ slot freed before the next decode step
 *
 * The model sits behind sched_backend (the engine in production, a deterministic toy in tests).
 * Output text is UTF-8-safe: a character split across tokens is held back until complete, bytes
 * that can never form a character become U+FFFD, and stop strings are matched across tokens. */
#ifndef SK_API_SCHED_H
#define SK_API_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "base/buf.h"
#include "base/err.h"
#include "engine/engine.h"
#include "engine/sampler.h"

/* Jobs waiting for a slot beyond n_parallel: a full queue answers 429 rather than wait unbounded.
 * Default 64: with 4 slots and a few hundred tokens per answer, the 64th waiter starts within
 * tens of seconds, about what an interactive client will wait. */
#define SCHED_DEFAULT_QUEUE 64
/* Upper bound for --queue: each waiter holds an HTTP thread (HTTP_MAX_CONNECTIONS caps those
 * anyway) and its prompt tokens; beyond a few thousand a wait is no longer a service. */
#define SCHED_MAX_QUEUE 4096
/* Longest text one token can decode to (a byte-fallback or merged token is a few bytes). */
#define SCHED_MAX_PIECE 256

/* What the scheduler needs from a model. decode/logits/kv_seq_rm are called only from the
 * scheduler thread; tokenize and format_chat from any thread (they must be thread-safe). */
typedef struct sched_backend {
  void *impl;
  const char *model_id;  /* the id clients use ("sekisho-demo") */
  int32_t n_vocab;
  uint32_t n_ctx;        /* KV cells per sequence */
  uint32_t n_batch;      /* max tokens per decode */
  uint32_t n_seq;        /* sequences the context holds (>= n_parallel) */
  int (*decode)(void *impl, const eng_batch_tok *toks, size_t n, sk_err *err);
  const float *(*logits)(void *impl, size_t i); /* i: index in the last batch */
  void (*kv_seq_rm)(void *impl, int32_t seq, int32_t p0, int32_t p1);
  int (*is_eog)(void *impl, int32_t tok);
  /* Raw bytes of tok's text into out[0..cap); returns the length or a negative sk_code. */
  int (*piece)(void *impl, int32_t tok, char *out, size_t cap);
  /* Tokens of text (special tokens added for a whole prompt when add_special); *out sk_malloc'd. */
  int (*tokenize)(void *impl, const char *text, size_t len, int add_special, int32_t **out,
                  size_t *n_out, sk_err *err);
  /* Renders chat messages through the model's template, ending with the assistant prefix. */
  int (*format_chat)(void *impl, const api_message *msgs, size_t n, sk_buf *out, sk_err *err);
  void (*close)(void *impl);
} sched_backend;

typedef struct sched_params {
  uint32_t n_parallel; /* slots (1..min(ENG_MAX_SEQ, backend n_seq)) */
  uint32_t max_queue;  /* 0: SCHED_DEFAULT_QUEUE */
} sched_params;

typedef struct sched sched;
typedef struct sched_job sched_job;

typedef struct sched_job_params {
  const int32_t *prompt; /* copied */
  size_t n_prompt;
  int32_t max_tokens;
  sampler_params sampling;
  const char *const *stop; /* copied */
  size_t n_stop;
} sched_job_params;

typedef struct sched_job_info {
  api_finish finish;     /* API_FINISH_NONE while running */
  int stop_index;        /* for API_FINISH_STOP */
  int32_t n_prompt;
  int32_t n_gen;
  double ttft_ms;        /* submit → first token sampled; < 0 before */
  double gen_ms;         /* first token → finish */
  char error[SK_ERR_MSG_MAX]; /* for API_FINISH_ERROR */
} sched_job_info;

/* Starts the scheduler thread over be (borrowed: must outlive the sched). *out owned by the
 * caller (sched_free). */
int sched_new(const sched_backend *be, const sched_params *p, sched **out, sk_err *err);
/* Stops accepting; lets running jobs finish for up to deadline_ms, then cancels the rest and
 * joins the thread. Idempotent. */
void sched_shutdown(sched *s, int deadline_ms);
void sched_free(sched *s);

/* Queues a job. SK_EBUSY: queue full (answer 429); SK_ELIMIT: prompt does not fit the context
 * (message gives both lengths); SK_EDENIED: shutting down; SK_EINVAL / SK_ENOMEM. On success
 * *out holds one reference for the caller (sched_job_release). */
int sched_submit(sched *s, const sched_job_params *p, sched_job **out, sk_err *err);
/* Waits up to timeout_ms for new output or the end; appends new text to out (may be none);
 * fills info. Returns 1 when the job has finished and all its text was taken, else 0. */
int sched_job_poll(sched_job *j, int timeout_ms, sk_buf *out, sched_job_info *info);
/* Asks the scheduler to stop the job; its slot is freed before the next decode step. */
void sched_job_cancel(sched_job *j);
/* Drops the caller's reference (cancelling the job if it is still running). */
void sched_job_release(sched_job *j);

typedef struct sched_stats {
  uint32_t queued;
  uint32_t active;
  uint32_t n_parallel;
  uint64_t decode_calls;
  uint64_t decode_tokens;
} sched_stats;
void sched_get_stats(sched *s, sched_stats *out);

#endif
