/* cli.h — shared context and conventions for `sekisho` subcommands.
 *
 * Each subcommand lives in its own file cli/cmd_<name>.c as
 *   int cmd_<name>(const sk_cli *cli, int argc, char **argv);   // argv[0] is the subcommand
 * is declared below and listed in the table in main.c. It parses its options with getopt_long
 * (optind is reset by main), prints `--help` text to stdout, and returns an exit code:
 * 0 success, 1 failure (message on stderr saying what went wrong and what to do), 2 usage error.
 * `--data-dir DIR` is taken out of argv by main, wherever it appears, and lands in cli->data_dir. */
#ifndef SK_CLI_CLI_H
#define SK_CLI_CLI_H

typedef struct sk_cli {
  const char *data_dir; /* resolved: --data-dir, $SEKISHO_DATA_DIR, or ./sekisho-data */
  int verbose;          /* number of -v given before the subcommand */
} sk_cli;

typedef int (*sk_cmd_fn)(const sk_cli *cli, int argc, char **argv);

#define SK_EXIT_OK 0
#define SK_EXIT_FAIL 1
#define SK_EXIT_USAGE 2

/* Prints "sekisho <cmd>: <message>" and a hint to use --help, returns SK_EXIT_USAGE. */
int sk_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "sekisho <cmd>: error: <message>" to stderr, returns SK_EXIT_FAIL. */
int sk_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Subcommands (alphabetical). */
int cmd_audit(const sk_cli *cli, int argc, char **argv);
int cmd_bench(const sk_cli *cli, int argc, char **argv);
int cmd_gguf_synth(const sk_cli *cli, int argc, char **argv);
int cmd_chat(const sk_cli *cli, int argc, char **argv);
int cmd_info(const sk_cli *cli, int argc, char **argv);
int cmd_ingest(const sk_cli *cli, int argc, char **argv);
int cmd_retrieve(const sk_cli *cli, int argc, char **argv);
int cmd_serve(const sk_cli *cli, int argc, char **argv);
int cmd_keys(const sk_cli *cli, int argc, char **argv);
int cmd_redact(const sk_cli *cli, int argc, char **argv);
int cmd_scan(const sk_cli *cli, int argc, char **argv);
int cmd_ledger(const sk_cli *cli, int argc, char **argv);
int cmd_logits(const sk_cli *cli, int argc, char **argv);
int cmd_run(const sk_cli *cli, int argc, char **argv);
int cmd_tokenize(const sk_cli *cli, int argc, char **argv);
int cmd_verify(const sk_cli *cli, int argc, char **argv);
int cmd_version(const sk_cli *cli, int argc, char **argv);

#endif
