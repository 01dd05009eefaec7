/* cmd_tokenize.c — `sekisho tokenize -m MODEL [--raw] [-f FILE | TEXT]`: prints the token ids
 * of the text as one JSON line {"tokens":[...]}. Default: BOS as the model's metadata says and
 * special tokens (<|im_start|> ...) parsed; --raw: neither. Only the tokenizer is loaded. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: sekisho tokenize -m MODEL [--raw] [-f FILE | TEXT]\n"
          "\n"
          "Prints the token ids of TEXT (or of the bytes of FILE; '-' reads stdin) as one line\n"
          "of JSON: {\"tokens\":[...]}. Tokenization matches llama.cpp's exactly.\n"
          "\n"
          "options:\n"
          "  -m, --model MODEL  GGUF file whose tokenizer to use (only the tokenizer is read)\n"
          "  -f, --file FILE    tokenize the contents of FILE instead of TEXT\n"
          "      --raw          no BOS and no special-token parsing (plain text)\n"
          "                     default: BOS as the model's metadata says, special tokens such\n"
          "                     as <|im_start|> parsed\n"
          "  -h, --help         this help\n");
}

static int read_stdin(char **out, size_t *len) {
  sk_buf b;
  sk_buf_init(&b, TOK_MAX_INPUT_BYTES);
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, stdin)) > 0) {
    int rc = sk_buf_append(&b, tmp, n);
    if (rc) {
      sk_buf_release(&b);
      return rc;
    }
  }
  *len = b.len;
  *out = b.data ? sk_buf_detach(&b) : sk_strdup("");
  return *out ? SK_OK : SK_ENOMEM;
}

int cmd_tokenize(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                       {"file", required_argument, 0, 'f'},
                                       {"raw", no_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *model = NULL, *file = NULL;
  int raw = 0, c;
  while ((c = getopt_long(argc, argv, "m:f:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': model = optarg; break;
    case 'f': file = optarg; break;
    case 'r': raw = 1; break;
    case 'h': usage(stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("tokenize", "unknown option");
    }
  }
  if (!model) return sk_cli_usage_error("tokenize", "-m MODEL is required");
  if (file && optind < argc)
    return sk_cli_usage_error("tokenize", "give either -f FILE or TEXT, not both");
  if (!file && optind >= argc) return sk_cli_usage_error("tokenize", "no TEXT and no -f FILE");
  if (optind + 1 < argc)
    return sk_cli_usage_error("tokenize", "one TEXT argument expected (quote it), got %d",
                              argc - optind);

  sk_err err;
  sk_err_clear(&err);
  char *text = NULL;
  size_t len = 0;
  if (file) {
    int rc = strcmp(file, "-") == 0 ? read_stdin(&text, &len)
                                    : sk_read_file(file, TOK_MAX_INPUT_BYTES, &text, &len, &err);
    if (rc)
      return sk_cli_fail("tokenize", "cannot read %s: %s", file,
                         err.msg[0] ? err.msg : sk_code_str(rc));
  }
  gguf_file *g = NULL;
  if (gguf_open(model, &g, &err)) {
    sk_free(text);
    return sk_cli_fail("tokenize", "cannot open model %s: %s", model, err.msg);
  }
  tok_vocab *v = NULL;
  int rc = tok_load_gguf(g, &v, &err);
  gguf_close(g);
  if (rc) {
    sk_free(text);
    return sk_cli_fail("tokenize", "%s: %s", model, err.msg);
  }
  const char *src = file ? text : argv[optind];
  if (!file) len = strlen(src);
  size_t cap = len + 16, n = 0; /* usually enough; else retry with the exact count */
  int32_t *ids = sk_malloc(cap * sizeof *ids);
  rc = ids ? tok_encode(v, src, len, !raw, !raw, ids, cap, &n, &err) : SK_ENOMEM;
  if (rc == SK_ELIMIT && n > cap) {
    sk_free(ids);
    cap = n;
    ids = sk_malloc(cap * sizeof *ids);
    rc = ids ? tok_encode(v, src, len, !raw, !raw, ids, cap, &n, &err) : SK_ENOMEM;
  }
  int exit_code = SK_EXIT_OK;
  if (rc) {
    exit_code = sk_cli_fail("tokenize", "%s", rc == SK_ENOMEM ? "out of memory" : err.msg);
  } else {
    fputs("{\"tokens\":[", stdout);
    for (size_t i = 0; i < n; i++) printf(i ? ",%d" : "%d", ids[i]);
    fputs("]}\n", stdout);
    if (fflush(stdout) != 0) exit_code = sk_cli_fail("tokenize", "cannot write the output");
  }
  sk_free(ids);
  sk_free(text);
  tok_free(v);
  return exit_code;
}
