/* main.c — `sekisho` entry point: global options, then one subcommand from the table. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "base/log.h"
#include "cli/cli.h"

typedef struct sk_command {
  const char *name;
  sk_cmd_fn fn;
  const char *summary;
} sk_command;

/* The table: one line per subcommand, in the order `sekisho --help` lists them. */
static const sk_command k_commands[] = {
    {"audit", cmd_audit, "tamper-evident audit log: append, verify, prove, checkpoint, export, report"},
    {"bench", cmd_bench, "measure prompt and generation speed (tokens/s) like llama-bench"},
    {"info", cmd_info, "describe a GGUF model: architecture, hyper-parameters, tokenizer, tensors"},
    {"gguf-synth", cmd_gguf_synth, "write a deterministic random-weight GGUF model"},
    {"logits", cmd_logits, "evaluate a prompt file and print logits as JSON (oracle format)"},
    {"run", cmd_run, "generate text from a prompt with a local model"},
    {"chat", cmd_chat, "interactive multi-turn chat with a local model"},
    {"serve", cmd_serve, "serve local models over OpenAI/Anthropic-compatible HTTP APIs"},
    {"keys", cmd_keys, "API keys of the perimeter: create, list, rotate, revoke"},
    {"tokenize", cmd_tokenize, "print the token ids of a text as JSON (llama.cpp-exact)"},
    {"ingest", cmd_ingest, "add documents (text, Markdown, HTML, PDF) to a grounding collection"},
    {"retrieve", cmd_retrieve, "rank a collection's chunks for a question (BM25, citations)"},
    {"verify", cmd_verify, "check a text sentence by sentence against source documents"},
    {"scan", cmd_scan, "find Japanese personal data in a text (guard)"},
    {"redact", cmd_redact, "mask, redact or pseudonymise personal data (guard)"},
    {"ledger", cmd_ledger, "double-entry JPY/JPYC ledger: accounts, transfers, wallets, settle"},
    {"version", cmd_version, "print the version and build features"},
};

static void print_help(FILE *out) {
  fprintf(out,
          "sekisho — the on-premise checkpoint between AI and the institution (関所)\n"
          "\n"
          "usage: sekisho [-v] [--data-dir DIR] <command> [options]\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    fprintf(out, "  %-12s %s\n", k_commands[i].name, k_commands[i].summary);
  fprintf(out,
          "\n"
          "global options:\n"
          "  --data-dir DIR  where all state lives (databases, logs, keys, demo models);\n"
          "                  default $SEKISHO_DATA_DIR, else ./sekisho-data\n"
          "  -v              more output on stderr (repeat for debug)\n"
          "  -h, --help      this help; `sekisho <command> --help` for a command\n");
}

int sk_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sekisho %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'sekisho %s --help'.\n", cmd);
  va_end(ap);
  return SK_EXIT_USAGE;
}

int sk_cli_fail(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sekisho %s: error: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return SK_EXIT_FAIL;
}

int cmd_version(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: sekisho version\n\nPrints the version of this build.\n");
    return SK_EXIT_OK;
  }
  printf("sekisho %s\n", SK_VERSION);
  return SK_EXIT_OK;
}

/* Removes `--data-dir DIR` / `--data-dir=DIR` from anywhere in argv; returns the value or NULL. */
static const char *take_data_dir(int *argc, char **argv, int *bad) {
  const char *dir = NULL;
  int w = 0;
  for (int r = 0; r < *argc; r++) {
    if (!strcmp(argv[r], "--")) { /* stop: the rest is positional */
      while (r < *argc) argv[w++] = argv[r++];
      break;
    }
    if (!strcmp(argv[r], "--data-dir")) {
      if (r + 1 >= *argc) {
        *bad = 1;
        return NULL;
      }
      dir = argv[++r];
      continue;
    }
    if (!strncmp(argv[r], "--data-dir=", 11)) {
      dir = argv[r] + 11;
      continue;
    }
    argv[w++] = argv[r];
  }
  argv[w] = NULL;
  *argc = w;
  return dir;
}

int main(int argc, char **argv) {
  int bad = 0;
  const char *dir = take_data_dir(&argc, argv, &bad);
  if (bad) {
    fprintf(stderr, "sekisho: --data-dir needs a directory argument\n");
    return SK_EXIT_USAGE;
  }
  sk_cli cli = {.data_dir = sk_data_dir(dir), .verbose = 0};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      print_help(stdout);
      return SK_EXIT_OK;
    } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
      cli.verbose++;
    } else if (!strcmp(argv[i], "--version")) {
      printf("sekisho %s\n", SK_VERSION);
      return SK_EXIT_OK;
    } else {
      fprintf(stderr, "sekisho: unknown option '%s'\nTry 'sekisho --help'.\n", argv[i]);
      return SK_EXIT_USAGE;
    }
  }
  if (i >= argc) {
    print_help(stderr);
    return SK_EXIT_USAGE;
  }
  const char *env_level = getenv("SEKISHO_LOG");
  if (cli.verbose) sk_log_set_level(cli.verbose > 1 ? SK_LOG_DEBUG : SK_LOG_INFO);
  else if (env_level && !strcmp(env_level, "debug")) sk_log_set_level(SK_LOG_DEBUG);
  else if (env_level && !strcmp(env_level, "info")) sk_log_set_level(SK_LOG_INFO);
  for (size_t k = 0; k < sizeof k_commands / sizeof k_commands[0]; k++) {
    if (!strcmp(argv[i], k_commands[k].name)) {
      optind = 0; /* GNU getopt: full re-initialisation for the subcommand */
      return k_commands[k].fn(&cli, argc - i, argv + i);
    }
  }
  fprintf(stderr, "sekisho: unknown command '%s'\nTry 'sekisho --help'.\n", argv[i]);
  return SK_EXIT_USAGE;
}
