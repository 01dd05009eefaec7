/* cmd_redact.c — placeholder replaced below */
#include "cli/cli.h"
int cmd_redact(const sk_cli *cli, int argc, char **argv) { (void)cli; (void)argc; (void)argv; return 1; }
