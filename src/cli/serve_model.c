/* serve_model.c — which backend `sekisho serve` puts behind the scheduler: a GGUF model through
 * the engine, or the generated demo model. Until the engine's forward pass and tokenizer are
 * merged, both paths report that clearly. */
#include <stdio.h>

#include "api/backend.h"
#include "cli/cli.h"

int serve_demo_backend(const sk_cli *cli, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                       const char **label, sk_err *err);
int serve_model_backend(const char *path, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                        sk_err *err);

int serve_model_backend(const char *path, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                        sk_err *err) {
  (void)n_ctx;
  (void)n_seq;
  (void)be;
  return sk_err_set(err, SK_ENOTSUP, "%s: this build has no engine forward pass yet; use --toy", path);
}

int serve_demo_backend(const sk_cli *cli, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                       const char **label, sk_err *err) {
  (void)cli;
  backend_toy_params tp = {.n_ctx = n_ctx, .n_seq = n_seq, .decode_us = 2000, .decode_tok_us = 20};
  *label = "DEMO: deterministic toy model, not a language model";
  return backend_toy_new(&tp, be, err);
}
