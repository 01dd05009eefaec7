/* cmd_logits.c — `sekisho logits`: evaluates a prompt file and prints JSON shaped like the
 * oracle's prompt entries (tokens, positions[] with token/lse/top, greedy with tokens and
 * steps_top5), so the engine can be compared with llama.cpp's outputs by a script. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/utf8.h"
#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/tokenizer/tok.h"

#define LOGITS_MAX_FILE (1u << 20) /* a prompt file larger than 1 MiB is a mistake */
#define LOGITS_MAX_TOP 1000        /* more top entries than this are unreadable anyway */
#define LOGITS_MAX_GREEDY 4096

static const char *k_cmd = "logits";

static void help(void) {
  printf("usage: sekisho logits -m MODEL -f PROMPT_FILE [--top N] [--greedy N] [--precision exact|fast]\n"
         "\n"
         "Evaluates the file's bytes as one prompt (BOS per the model, special tokens parsed) and\n"
         "prints JSON: tokens, positions[] {token, lse, top: [[id, logit], ...]} and greedy\n"
         "{tokens, steps_top5, text}: N tokens decoded one at a time through the KV cache.\n"
         "\n"
         "  -m, --model FILE       GGUF model\n"
         "  -f, --file FILE        prompt file (\"-\": stdin)\n"
         "      --top N            entries per position (default 20; ties to the lower id)\n"
         "      --greedy N         greedy steps after the prompt (default 32; 0: none)\n"
         "      --precision P      exact (F32 on dequantised weights) or fast (default)\n"
         "  -t, --threads N        threads (default: all CPUs)\n");
}

/* The k best (logit desc, id asc) ids of l into ids (k ≤ n). */
static void top_k(const float *l, int n, int k, int32_t *ids) {
  int have = 0;
  for (int i = 0; i < n; i++) {
    if (have == k && !(l[i] > l[ids[k - 1]])) continue;
    int j = have < k ? have++ : k - 1;
    while (j > 0 && l[i] > l[ids[j - 1]]) {
      ids[j] = ids[j - 1];
      j--;
    }
    ids[j] = i;
  }
}

static double lse(const float *l, int n) {
  double mx = l[0], s = 0;
  for (int i = 1; i < n; i++)
    if (l[i] > mx) mx = l[i];
  for (int i = 0; i < n; i++) s += exp((double)l[i] - mx);
  return mx + log(s);
}

static void print_top(const float *l, int n, int k, int32_t *ids) {
  top_k(l, n, k, ids);
  putchar('[');
  for (int i = 0; i < k; i++) printf("%s[%d,%.9g]", i ? "," : "", ids[i], (double)l[ids[i]]);
  putchar(']');
}

/* JSON string; bytes that are not valid UTF-8 (random models emit them) become U+FFFD. */
static void print_json_str(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x80) {
      uint32_t cp;
      size_t k = sk_utf8_decode(s + i, n - i, &cp);
      if (k == 0 || cp == 0xFFFD) {
        printf("\\ufffd");
        continue;
      }
      fwrite(s + i, 1, k, stdout);
      i += k - 1;
      continue;
    }
    if (ch == '"' || ch == '\\') printf("\\%c", ch);
    else if (ch == '\n') printf("\\n");
    else if (ch < 0x20 || ch == 0x7f) printf("\\u%04x", ch);
    else putchar(ch);
  }
  putchar('"');
}

int cmd_logits(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  const char *model = NULL, *file = NULL;
  long n_top = 20, n_greedy = 32, n_threads = 0;
  eng_precision prec = ENG_PRECISION_FAST;
  static const struct option opts[] = {
      {"model", required_argument, 0, 'm'}, {"file", required_argument, 0, 'f'},
      {"top", required_argument, 0, 'T'},   {"greedy", required_argument, 0, 'g'},
      {"precision", required_argument, 0, 'p'}, {"threads", required_argument, 0, 't'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  int ch;
  char *end;
  while ((ch = getopt_long(argc, argv, "m:f:t:h", opts, NULL)) != -1) {
    switch (ch) {
    case 'm': model = optarg; break;
    case 'f': file = optarg; break;
    case 'T':
      n_top = strtol(optarg, &end, 10);
      if (*end || n_top < 1 || n_top > LOGITS_MAX_TOP)
        return sk_cli_usage_error(k_cmd, "--top wants 1..%d", LOGITS_MAX_TOP);
      break;
    case 'g':
      n_greedy = strtol(optarg, &end, 10);
      if (*end || n_greedy < 0 || n_greedy > LOGITS_MAX_GREEDY)
        return sk_cli_usage_error(k_cmd, "--greedy wants 0..%d", LOGITS_MAX_GREEDY);
      break;
    case 'p':
      if (!strcmp(optarg, "exact")) prec = ENG_PRECISION_EXACT;
      else if (!strcmp(optarg, "fast")) prec = ENG_PRECISION_FAST;
      else return sk_cli_usage_error(k_cmd, "--precision is exact or fast, not '%s'", optarg);
      break;
    case 't':
      n_threads = strtol(optarg, &end, 10);
      if (*end || n_threads < 1 || n_threads > 256)
        return sk_cli_usage_error(k_cmd, "--threads wants 1..256");
      break;
    case 'h': help(); return SK_EXIT_OK;
    default: return sk_cli_usage_error(k_cmd, "unknown option");
    }
  }
  if (!model || !file) return sk_cli_usage_error(k_cmd, "-m MODEL and -f PROMPT_FILE are required");
  sk_err err;
  char *text = NULL;
  size_t text_len = 0;
  if (sk_read_file(file, LOGITS_MAX_FILE, &text, &text_len, &err))
    return sk_cli_fail(k_cmd, "%s", err.msg);
  eng_model *m = NULL;
  eng_ctx *c = NULL;
  int32_t *toks = NULL, *ids = NULL, *gen = NULL;
  eng_batch_tok *bt = NULL;
  int rc = SK_EXIT_FAIL;
  if (eng_model_open(model, NULL, &m, &err)) {
    sk_cli_fail(k_cmd, "%s", err.msg);
    goto out;
  }
  const eng_hparams *hp = eng_model_hparams(m);
  const tok_vocab *v = eng_model_vocab(m);
  int n_vocab = (int)hp->n_vocab;
  if (n_top > n_vocab) n_top = n_vocab;
  size_t cap = text_len + 8, n_tok = 0;
  toks = sk_malloc(cap * sizeof *toks);
  ids = sk_malloc((size_t)(n_top > 5 ? n_top : 5) * sizeof *ids);
  gen = sk_malloc(((size_t)n_greedy + 1) * sizeof *gen);
  if (!toks || !ids || !gen) {
    sk_cli_fail(k_cmd, "out of memory");
    goto out;
  }
  if (tok_encode(v, text, text_len, 1, 1, toks, cap, &n_tok, &err)) {
    sk_cli_fail(k_cmd, "tokenizing %s: %s", file, err.msg);
    goto out;
  }
  if (n_tok == 0) {
    sk_cli_fail(k_cmd, "%s gives no tokens", file);
    goto out;
  }
  size_t n_ctx = n_tok + (size_t)n_greedy + 1;
  if (n_ctx > ENG_MAX_CTX) {
    sk_cli_fail(k_cmd, "prompt of %zu tokens plus %ld greedy steps exceeds %u", n_tok, n_greedy,
                ENG_MAX_CTX);
    goto out;
  }
  uint32_t n_batch = n_tok < ENG_MAX_BATCH ? (uint32_t)n_tok : ENG_MAX_BATCH;
  eng_ctx_params cp = {.n_ctx = (uint32_t)n_ctx, .n_seq = 1, .n_batch = n_batch,
                       .n_threads = (uint32_t)n_threads, .precision = prec};
  if (eng_ctx_new(m, &cp, &c, &err)) {
    sk_cli_fail(k_cmd, "%s", err.msg);
    goto out;
  }
  bt = sk_calloc(n_tok, sizeof *bt);
  if (!bt) {
    sk_cli_fail(k_cmd, "out of memory");
    goto out;
  }
  printf("{\"model\":");
  print_json_str(model, strlen(model));
  printf(",\"precision\":\"%s\",\"n_vocab\":%d,\"tokens\":[",
         prec == ENG_PRECISION_EXACT ? "exact" : "fast", n_vocab);
  for (size_t i = 0; i < n_tok; i++) printf("%s%d", i ? "," : "", toks[i]);
  printf("],\"positions\":[");
  const float *last = NULL;
  for (size_t b0 = 0; b0 < n_tok; b0 += n_batch) {
    size_t nb = n_tok - b0 < n_batch ? n_tok - b0 : n_batch;
    for (size_t i = 0; i < nb; i++)
      bt[i] = (eng_batch_tok){toks[b0 + i], (int32_t)(b0 + i), 0, 1};
    if (eng_decode(c, bt, nb, &err)) {
      fflush(stdout);
      sk_cli_fail(k_cmd, "%s", err.msg);
      goto out;
    }
    for (size_t i = 0; i < nb; i++) {
      const float *l = eng_logits(c, i);
      printf("%s{\"token\":%d,\"lse\":%.9g,\"top\":", b0 + i ? "," : "", toks[b0 + i],
             lse(l, n_vocab));
      print_top(l, n_vocab, (int)n_top, ids);
      putchar('}');
    }
    last = eng_logits(c, nb - 1);
  }
  printf("],\"greedy\":{\"steps_top5\":[");
  int k5 = n_vocab < 5 ? n_vocab : 5;
  for (long k = 0; k < n_greedy; k++) {
    if (k) putchar(',');
    print_top(last, n_vocab, k5, ids);
    gen[k] = ids[0];
    eng_batch_tok one = {ids[0], (int32_t)(n_tok + (size_t)k), 0, 1};
    if (eng_decode(c, &one, 1, &err)) {
      fflush(stdout);
      sk_cli_fail(k_cmd, "%s", err.msg);
      goto out;
    }
    last = eng_logits(c, 0);
  }
  printf("],\"tokens\":[");
  for (long k = 0; k < n_greedy; k++) printf("%s%d", k ? "," : "", gen[k]);
  printf("],\"text\":");
  sk_buf txt;
  sk_buf_init(&txt, 1u << 20);
  if (tok_detokenize(v, gen, (size_t)n_greedy, 0, 0, &txt) == SK_OK)
    print_json_str(txt.data ? txt.data : "", txt.len);
  else
    printf("null");
  sk_buf_release(&txt);
  printf("}}\n");
  rc = SK_EXIT_OK;
out:
  sk_free(bt);
  sk_free(gen);
  sk_free(ids);
  sk_free(toks);
  eng_ctx_free(c);
  eng_model_close(m);
  sk_free(text);
  return rc;
}
