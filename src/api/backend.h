/* backend.h — the models the server can put behind the scheduler (sched_backend).
 *
 *   toy:    a deterministic, dependency-free stand-in (model id "sekisho-toy") for tests of the
 *           HTTP, streaming and batching paths: its next-token logits are a hash of the whole
 *           sequence so far (so a wrong position or a mixed-up sequence changes the text), it
 *           emits Japanese characters split across byte tokens (to exercise UTF-8 hold-back),
 *           and each decode call costs a fixed delay like a real forward pass.
 *   engine: a GGUF model through engine/engine.h (see backend_engine.c).
 *
 * Ownership: the *_new functions fill a caller-owned sched_backend; free it with be->close(be->impl). */
#ifndef SK_API_BACKEND_H
#define SK_API_BACKEND_H

#include "api/sched.h"
#include "base/err.h"

#define TOY_MODEL_ID "sekisho-toy"

typedef struct backend_toy_params {
  uint32_t n_ctx;          /* per sequence; 0: 2048 */
  uint32_t n_seq;          /* 0: ENG_MAX_SEQ */
  uint32_t n_batch;        /* 0: 512 */
  uint32_t decode_us;      /* simulated cost of one decode call */
  uint32_t decode_tok_us;  /* simulated cost per token in a call */
} backend_toy_params;

int backend_toy_new(const backend_toy_params *p, sched_backend *out, sk_err *err);

typedef struct backend_engine_params {
  const char *model_id;   /* id clients use; NULL: the file name without ".gguf" */
  uint32_t n_ctx;         /* per sequence; 0: min(n_ctx_train, 4096) */
  uint32_t n_seq;         /* sequences = parallel slots */
  uint32_t n_batch;       /* tokens per decode; 0: 512 */
  uint32_t n_threads;     /* 0: all CPUs */
  const char *chat_template; /* built-in template name to force, or NULL: the model's own */
} backend_engine_params;

/* Opens the GGUF at path with the engine (model + one context of n_seq sequences), its
 * tokenizer and chat template (the model's, else ChatML with a note in *note if non-NULL). */
int backend_engine_new(const char *path, const backend_engine_params *p, sched_backend *out,
                       sk_err *err);

#endif
