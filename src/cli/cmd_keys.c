/* cmd_keys.c — `sekisho keys create|list|rotate|revoke`: API keys of the perimeter (gate/keys.h).
 * Works on DATA/gate/keys.json directly; a running server picks the change up within a second. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/fs.h"
#include "cli/cli.h"
#include "gate/keys.h"

static void usage(FILE *o) {
  fprintf(o, "usage: sekisho keys create --tenant T [--user U] [--role admin|user|auditor|agent] [--residency onprem|any]\n"
             "       sekisho keys list [--tenant T]\n"
             "       sekisho keys rotate ID\n"
             "       sekisho keys revoke ID\n"
             "\n"
             "API keys of the perimeter. A key belongs to one tenant and user and carries a role and a\n"
             "residency class (onprem keys never reach external models). create and rotate print\n"
             "{\"id\":...,\"key\":\"sk-sekisho-...\"} once: only a keyed hash is stored (DATA/gate/keys.json).\n");
}

int cmd_keys(const sk_cli *cli, int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
  }
  const char *sub = argv[1];
  const char *tenant = NULL, *user = "", *role = "user", *res = "onprem";
  static const struct option lo[] = {{"tenant", required_argument, 0, 't'}, {"user", required_argument, 0, 'u'},
                                     {"role", required_argument, 0, 'r'},   {"residency", required_argument, 0, 'R'},
                                     {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  int ch;
  optind = 2;
  while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (ch) {
    case 't': tenant = optarg; break;
    case 'u': user = optarg; break;
    case 'r': role = optarg; break;
    case 'R': res = optarg; break;
    case 'h': usage(stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("keys", "unknown option (see sekisho keys --help)");
    }
  }
  char dir[4096];
  if (sk_path_join(dir, sizeof dir, cli->data_dir, "gate")) return sk_cli_fail("keys", "data dir path too long");
  gate_keys *k = NULL;
  sk_err err;
  if (gate_keys_open(dir, &k, &err)) return sk_cli_fail("keys", "cannot open the key store: %s", err.msg);
  int rc = SK_EXIT_OK;
  gate_key key;
  char tok[GATE_MAX_TOKEN];
  if (!strcmp(sub, "create")) {
    int r = gate_role_parse(role), rs = gate_residency_parse(res);
    if (!tenant) rc = sk_cli_usage_error("keys", "create needs --tenant");
    else if (r < 0) rc = sk_cli_usage_error("keys", "--role must be admin, user, auditor or agent");
    else if (rs < 0) rc = sk_cli_usage_error("keys", "--residency must be onprem or any");
    else if (gate_keys_create(k, tenant, user, (gate_role)r, (gate_residency)rs, &key, tok, &err))
      rc = sk_cli_fail("keys", "%s", err.msg);
    else
      printf("{\"id\":\"%s\",\"key\":\"%s\",\"tenant\":\"%s\",\"role\":\"%s\",\"residency\":\"%s\"}\n", key.id, tok,
             key.tenant, gate_role_name(key.role), gate_residency_name(key.residency));
  } else if (!strcmp(sub, "list")) {
    sk_buf b;
    sk_buf_init(&b, 1 << 24);
    gate_keys_list_json(k, tenant, &b);
    printf("%.*s\n", (int)b.len, b.data ? b.data : "[]");
    sk_buf_release(&b);
  } else if (!strcmp(sub, "rotate") || !strcmp(sub, "revoke")) {
    if (optind >= argc) rc = sk_cli_usage_error("keys", "%s needs a key ID (see sekisho keys list)", sub);
    else if (!strcmp(sub, "rotate")) {
      if (gate_keys_rotate(k, argv[optind], &key, tok, &err)) rc = sk_cli_fail("keys", "%s", err.msg);
      else printf("{\"id\":\"%s\",\"key\":\"%s\"}\n", key.id, tok);
    } else if (gate_keys_revoke(k, argv[optind], &err)) rc = sk_cli_fail("keys", "%s", err.msg);
    else printf("{\"id\":\"%s\",\"revoked\":true}\n", argv[optind]);
  } else {
    rc = sk_cli_usage_error("keys", "unknown subcommand '%s' (create, list, rotate, revoke)", sub);
  }
  gate_keys_close(k);
  return rc;
}
