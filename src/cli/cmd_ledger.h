/* cmd_ledger.h — shared helpers of the `sekisho ledger` subcommand files. */
#ifndef SK_CLI_CMD_LEDGER_H
#define SK_CLI_CMD_LEDGER_H

#include <jansson.h>

#include "cli/cli.h"
#include "ledger/ledger.h"

/* Opens <data-dir>/ledger/ledger.db; prints the error and returns an exit code on failure. */
int lc_open(const sk_cli *cli, ledger **out);
/* Parse helpers: print a usage error and return -1 on bad input. */
int lc_parse_id(const char *what, const char *s, u128 *out);
int lc_parse_amount(const char *what, const char *s, uint32_t ledger_no, u128 *out);
/* Prints j compactly on one line and releases it. */
void lc_print_json(json_t *j);

int lc_history(const sk_cli *cli, int argc, char **argv);
int lc_pending(const sk_cli *cli, int argc, char **argv);
int lc_approve(const sk_cli *cli, int argc, char **argv);
int lc_void(const sk_cli *cli, int argc, char **argv);
int lc_wallet(const sk_cli *cli, int argc, char **argv);
int lc_settle(const sk_cli *cli, int argc, char **argv);
int lc_reconcile(const sk_cli *cli, int argc, char **argv);

#endif
