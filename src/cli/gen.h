/* gen.h — shared by `sekisho run` and `sekisho chat`: options, a loaded model with one
 * context, prompt evaluation with KV prefix reuse, and sampled generation streamed to stdout. */
#ifndef SK_CLI_GEN_H
#define SK_CLI_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/chat_template.h"
#include "engine/engine.h"
#include "engine/sampler.h"

typedef struct gen_opts {
  const char *model, *prompt, *system, *template_name;
  long n_predict;     /* -1: until end of generation or context */
  long n_ctx, n_threads;
  int chat;
  eng_precision precision;
  sampler_params sp;
} gen_opts;

typedef struct gen_session {
  eng_model *m;
  eng_ctx *c;
  sampler *s;
  chat_template *tmpl; /* only when chat */
  int32_t *hist;       /* tokens in the KV cache, in order */
  size_t n_hist, cap_hist;
  double prompt_s, gen_s;
  size_t n_prompt_eval, n_gen;
} gen_session;

/* Parses the options common to run and chat (getopt_long); returns -1 to go on, else an exit
 * code (help printed, usage error). */
int gen_parse(const char *cmd, int argc, char **argv, gen_opts *o, void (*help)(void));
int gen_open(const char *cmd, const gen_opts *o, gen_session *g);
void gen_close(gen_session *g);
/* Tokenizes text (BOS unless the text already starts with it; specials parsed). The caller frees
 * *out with sk_free. */
int gen_tokenize(gen_session *g, const char *text, size_t len, int32_t **out, size_t *n, sk_err *err);
/* Makes the KV cache hold exactly toks (reusing the common prefix), generates up to n_predict
 * tokens, streaming the text to out; *reply (may be NULL) receives the generated text. */
int gen_run(gen_session *g, const int32_t *toks, size_t n, long n_predict, FILE *out, char **reply,
            sk_err *err);

#endif
