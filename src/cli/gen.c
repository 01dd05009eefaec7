/* gen.c — generation shared by `run` and `chat` (see gen.h). */
#include "cli/gen.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "cli/cli.h"
#include "engine/tokenizer/tok.h"

#define GEN_MAX_TEXT (1u << 24) /* 16 MiB of generated or prompt text is far beyond any context */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int num(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out) {
  char *end;
  double v = strtod(s, &end);
  *out = 0;
  if (*end || !(v >= lo && v <= hi))
    return sk_cli_usage_error(cmd, "%s wants a number in %g..%g, not '%s'", opt, lo, hi, s);
  *out = v;
  return -1;
}

int gen_parse(const char *cmd, int argc, char **argv, gen_opts *o, void (*help)(void)) {
  memset(o, 0, sizeof *o);
  o->n_predict = -1;
  o->precision = ENG_PRECISION_FAST;
  o->sp = sampler_params_default();
  static const struct option opts[] = {
      {"model", required_argument, 0, 'm'},  {"prompt", required_argument, 0, 'p'},
      {"n-predict", required_argument, 0, 'n'}, {"temp", required_argument, 0, 'T'},
      {"top-k", required_argument, 0, 'K'},  {"top-p", required_argument, 0, 'P'},
      {"min-p", required_argument, 0, 'M'},  {"seed", required_argument, 0, 'S'},
      {"repeat-penalty", required_argument, 0, 'R'}, {"chat", no_argument, 0, 'C'},
      {"system", required_argument, 0, 'Y'}, {"chat-template", required_argument, 0, 'E'},
      {"ctx-size", required_argument, 0, 'c'}, {"threads", required_argument, 0, 't'},
      {"precision", required_argument, 0, 'X'}, {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int ch, rc;
  double v = 0;
  while ((ch = getopt_long(argc, argv, "m:p:n:c:t:h", opts, NULL)) != -1) {
    rc = -1;
    switch (ch) {
    case 'm': o->model = optarg; break;
    case 'p': o->prompt = optarg; break;
    case 'n': if ((rc = num(cmd, "-n", optarg, -1, 1 << 20, &v)) < 0) o->n_predict = (long)v; break;
    case 'T': if ((rc = num(cmd, "--temp", optarg, 0, 100, &v)) < 0) o->sp.temperature = (float)v; break;
    case 'K': if ((rc = num(cmd, "--top-k", optarg, 0, 1 << 22, &v)) < 0) o->sp.top_k = (int32_t)v; break;
    case 'P': if ((rc = num(cmd, "--top-p", optarg, 0, 1, &v)) < 0) o->sp.top_p = (float)v; break;
    case 'M': if ((rc = num(cmd, "--min-p", optarg, 0, 1, &v)) < 0) o->sp.min_p = (float)v; break;
    case 'S': if ((rc = num(cmd, "--seed", optarg, 0, 1.8e19, &v)) < 0) o->sp.seed = (uint64_t)v; break;
    case 'R': if ((rc = num(cmd, "--repeat-penalty", optarg, 0, 10, &v)) < 0) o->sp.repeat_penalty = (float)v; break;
    case 'C': o->chat = 1; break;
    case 'Y': o->system = optarg; break;
    case 'E': o->template_name = optarg; break;
    case 'c': if ((rc = num(cmd, "--ctx-size", optarg, 0, ENG_MAX_CTX, &v)) < 0) o->n_ctx = (long)v; break;
    case 't': if ((rc = num(cmd, "--threads", optarg, 1, 256, &v)) < 0) o->n_threads = (long)v; break;
    case 'X':
      if (!strcmp(optarg, "exact")) o->precision = ENG_PRECISION_EXACT;
      else if (strcmp(optarg, "fast")) return sk_cli_usage_error(cmd, "--precision is exact or fast");
      break;
    case 'h': help(); return SK_EXIT_OK;
    default: return sk_cli_usage_error(cmd, "unknown option");
    }
    if (rc >= 0) return rc;
  }
  if (optind < argc) return sk_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
  if (!o->model) return sk_cli_usage_error(cmd, "-m MODEL is required");
  return -1;
}

int gen_open(const char *cmd, const gen_opts *o, gen_session *g) {
  memset(g, 0, sizeof *g);
  sk_err err;
  if (eng_model_open(o->model, NULL, &g->m, &err)) return sk_cli_fail(cmd, "%s", err.msg);
  eng_ctx_params cp = {.n_ctx = (uint32_t)o->n_ctx, .n_seq = 1, .n_batch = 512,
                       .n_threads = (uint32_t)o->n_threads, .precision = o->precision};
  if (eng_ctx_new(g->m, &cp, &g->c, &err) ||
      sampler_new(&o->sp, (int32_t)eng_model_hparams(g->m)->n_vocab, &g->s, &err)) {
    gen_close(g);
    return sk_cli_fail(cmd, "%s", err.msg);
  }
  g->cap_hist = eng_ctx_n_ctx(g->c);
  g->hist = sk_malloc(g->cap_hist * sizeof *g->hist);
  if (!g->hist) {
    gen_close(g);
    return sk_cli_fail(cmd, "out of memory");
  }
  if (o->chat) {
    const tok_vocab *v = eng_model_vocab(g->m);
    size_t lb = 0, le = 0;
    const char *b = tok_bos(v) >= 0 ? tok_piece(v, tok_bos(v), 1, &lb) : "";
    const char *e = tok_eos(v) >= 0 ? tok_piece(v, tok_eos(v), 1, &le) : "";
    char *bos = sk_strndup(b, lb), *eos = sk_strndup(e, le);
    int rc;
    if (o->template_name) rc = chat_template_by_name(o->template_name, bos, eos, &g->tmpl, &err);
    else {
      const char *src = eng_model_chat_template(g->m);
      rc = src ? chat_template_from_string(src, strlen(src), bos, eos, &g->tmpl, &err)
               : sk_err_set(&err, SK_ENOTFOUND, "the model has no chat template");
      if (rc && src && chat_template_guess_name(src, strlen(src)))
        rc = chat_template_by_name(chat_template_guess_name(src, strlen(src)), bos, eos,
                                   &g->tmpl, &err);
    }
    sk_free(bos);
    sk_free(eos);
    if (rc) {
      gen_close(g);
      return sk_cli_fail(cmd, "%s; choose one with --chat-template NAME (%s)", err.msg,
                         chat_template_names);
    }
  }
  return -1;
}

void gen_close(gen_session *g) {
  chat_template_free(g->tmpl);
  sampler_free(g->s);
  eng_ctx_free(g->c);
  eng_model_close(g->m);
  sk_free(g->hist);
  memset(g, 0, sizeof *g);
}

int gen_tokenize(gen_session *g, const char *text, size_t len, int32_t **out, size_t *n,
                 sk_err *err) {
  const tok_vocab *v = eng_model_vocab(g->m);
  int add = 1;
  if (tok_bos(v) >= 0) {
    size_t lb;
    const char *b = tok_piece(v, tok_bos(v), 1, &lb);
    if (lb && len >= lb && !memcmp(text, b, lb)) add = 0; /* the template wrote BOS already */
  }
  size_t cap = len + 8;
  *out = sk_malloc(cap * sizeof **out);
  if (!*out) return sk_err_set(err, SK_ENOMEM, "out of memory");
  int rc = tok_encode(v, text, len, add, 1, *out, cap, n, err);
  if (rc) {
    sk_free(*out);
    *out = NULL;
  }
  return rc;
}

static int decode_span(gen_session *g, const int32_t *toks, size_t n, sk_err *err) {
  eng_batch_tok bt[64];
  for (size_t i = 0; i < n;) {
    size_t nb = n - i < 64 ? n - i : 64;
    for (size_t k = 0; k < nb; k++)
      bt[k] = (eng_batch_tok){toks[i + k], (int32_t)g->n_hist, 0, i + k + 1 == n};
    for (size_t k = 0; k < nb; k++) bt[k].pos = (int32_t)(g->n_hist + k);
    int rc = eng_decode(g->c, bt, nb, err);
    if (rc) return rc;
    memcpy(g->hist + g->n_hist, toks + i, nb * sizeof *toks);
    g->n_hist += nb;
    i += nb;
  }
  return SK_OK;
}

int gen_run(gen_session *g, const int32_t *toks, size_t n, long n_predict, FILE *out, char **reply,
            sk_err *err) {
  const tok_vocab *v = eng_model_vocab(g->m);
  size_t n_ctx = eng_ctx_n_ctx(g->c);
  if (n == 0) return sk_err_set(err, SK_EINVAL, "empty prompt");
  if (n >= n_ctx)
    return sk_err_set(err, SK_ELIMIT, "prompt of %zu tokens does not fit the context of %zu; "
                      "use --ctx-size", n, n_ctx);
  size_t keep = 0;
  while (keep < g->n_hist && keep + 1 < n && g->hist[keep] == toks[keep]) keep++;
  eng_kv_seq_rm(g->c, 0, (int32_t)keep, -1);
  g->n_hist = keep;
  double t0 = now_s();
  int rc = decode_span(g, toks + keep, n - keep, err);
  if (rc) return rc;
  g->prompt_s += now_s() - t0;
  g->n_prompt_eval += n - keep;
  sampler_reset(g->s);
  for (size_t i = 0; i < n; i++) sampler_accept(g->s, toks[i]);
  tok_stream ts;
  tok_stream_init(&ts, v, 0);
  sk_buf piece, all;
  sk_buf_init(&piece, GEN_MAX_TEXT);
  sk_buf_init(&all, GEN_MAX_TEXT);
  t0 = now_s();
  const float *logits = eng_logits(g->c, (n - keep - 1) % 64);
  for (long k = 0; n_predict < 0 || k < n_predict; k++) {
    if (g->n_hist >= n_ctx) break;
    int32_t t;
    sampler_sample(g->s, logits, &t);
    sampler_accept(g->s, t);
    if (tok_is_eog(v, t)) break;
    sk_buf_reset(&piece);
    tok_stream_push(&ts, t, &piece);
    if (piece.len) {
      fwrite(piece.data, 1, piece.len, out);
      fflush(out);
      sk_buf_append(&all, piece.data, piece.len);
    }
    g->n_gen++;
    if ((rc = decode_span(g, &t, 1, err))) break;
    logits = eng_logits(g->c, 0);
  }
  sk_buf_reset(&piece);
  tok_stream_flush(&ts, &piece);
  if (piece.len) {
    fwrite(piece.data, 1, piece.len, out);
    sk_buf_append(&all, piece.data, piece.len);
  }
  g->gen_s += now_s() - t0;
  sk_buf_release(&piece);
  if (reply) *reply = all.data ? sk_buf_detach(&all) : sk_strdup("");
  sk_buf_release(&all);
  return rc;
}
