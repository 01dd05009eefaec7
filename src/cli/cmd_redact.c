/* cmd_redact.c — `sekisho redact`: mask, redact or pseudonymise personal data; re-identify.
 *
 *   sekisho redact --mode mask|redact|pseudo [--tenant T] [--vault FILE] [-f FILE | TEXT]
 *   sekisho redact --restore --vault FILE [-f FILE]      (streams: tokens may span reads)
 *
 * The pseudonym key is $SEKISHO_PSEUDO_KEY when set, else DATA_DIR/guard/pseudo.key (32 random
 * bytes, created 0600 on first use). The vault file (JSON token -> original) is written 0600:
 * it is the only place originals are kept. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "guard/guard.h"
#include "guard/pseudonym.h"

/* Output of one redaction: the input plus token overhead, bounded. */
#define REDACT_MAX_OUTPUT_BYTES ((size_t)256 << 20)
/* Vault files are small: one entry per distinct identifier. */
#define REDACT_MAX_VAULT_BYTES ((size_t)64 << 20)
/* Read size for --restore: small, so streaming behaviour is exercised by ordinary use. */
#define REDACT_CHUNK_BYTES 4096

static void usage(FILE *out) {
  fprintf(out,
          "usage: sekisho redact --mode mask|redact|pseudo [--tenant T] [--vault FILE] [-f FILE | TEXT]\n"
          "       sekisho redact --restore --vault FILE [-f FILE]\n"
          "\n"
          "  --mode mask     replace each character of a value with '*'\n"
          "  --mode redact   replace a value with <TYPE>\n"
          "  --mode pseudo   replace a value with a keyed, consistent token <TYPE_xxxxxxxx>;\n"
          "                  with --vault the token->original map is written (mode 0600)\n"
          "  --restore       read pseudonymised text (stdin or -f) and put the originals back\n"
          "                  using --vault; works on streams (tokens split across reads)\n"
          "  --tenant T      pseudonym scope (default \"default\"): other tenants get other tokens\n"
          "  -f, --file F    read the text from F ('-' is stdin); else TEXT, else stdin\n"
          "\n"
          "Key: $SEKISHO_PSEUDO_KEY, else DATA_DIR/guard/pseudo.key (created on first use).\n");
}

static int load_key(const sk_cli *cli, const char *tenant, pii_key *key) {
  const char *env = getenv("SEKISHO_PSEUDO_KEY");
  if (env && *env) {
    pii_key_from_secret(key, env, tenant);
    return 0;
  }
  char dir[4096], path[4096];
  sk_err err;
  if (sk_path_join(dir, sizeof dir, cli->data_dir, "guard") || sk_path_join(path, sizeof path, dir, "pseudo.key"))
    return sk_cli_fail("redact", "data directory path too long");
  if (sk_mkdir_p(dir, &err)) return sk_cli_fail("redact", "%s", err.msg);
  unsigned char secret[PII_KEY_BYTES];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    randombytes_buf(secret, sizeof secret);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, secret, sizeof secret) != (ssize_t)sizeof secret) {
      if (fd >= 0) close(fd);
      return sk_cli_fail("redact", "cannot create %s: %s", path, strerror(errno));
    }
    close(fd);
  } else {
    ssize_t r = read(fd, secret, sizeof secret);
    close(fd);
    if (r != (ssize_t)sizeof secret) return sk_cli_fail("redact", "%s is not a %d-byte key", path, PII_KEY_BYTES);
  }
  memset(key, 0, sizeof *key);
  memcpy(key->secret, secret, sizeof secret);
  sodium_memzero(secret, sizeof secret);
  snprintf(key->tenant, sizeof key->tenant, "%s", tenant);
  return 0;
}

static int save_vault(const pii_vault *v, const char *path) {
  json_t *o = json_object();
  for (size_t i = 0; i < pii_vault_count(v); i++) {
    const char *t, *val;
    size_t vl;
    pii_vault_entry(v, i, &t, &val, &vl);
    json_object_set_new(o, t, json_stringn_nocheck(val, vl));
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  int rc = f && json_dumpf(o, f, JSON_INDENT(1)) == 0 ? 0 : -1;
  if (f) fclose(f);
  else if (fd >= 0) close(fd);
  json_decref(o);
  return rc ? sk_cli_fail("redact", "cannot write the vault %s: %s", path, strerror(errno)) : 0;
}

static int load_vault(const char *path, pii_vault *v) {
  char *data;
  size_t n;
  sk_err err;
  if (sk_read_file(path, REDACT_MAX_VAULT_BYTES, &data, &n, &err)) return sk_cli_fail("redact", "%s", err.msg);
  json_error_t je;
  json_t *o = json_loadb(data, n, 0, &je);
  sk_free(data);
  if (!json_is_object(o)) {
    json_decref(o);
    return sk_cli_fail("redact", "%s is not a vault (a JSON object): %s", path, je.text);
  }
  const char *k;
  json_t *val;
  int rc = 0;
  json_object_foreach(o, k, val) {
    if (!json_is_string(val) || pii_vault_put(v, k, json_string_value(val), json_string_length(val))) {
      rc = sk_cli_fail("redact", "vault %s: bad entry for %s", path, k);
      break;
    }
  }
  json_decref(o);
  return rc;
}

static int restore(const char *file, const char *vault_path) {
  pii_vault *v;
  if (pii_vault_new(&v)) return sk_cli_fail("redact", "out of memory");
  int rc = load_vault(vault_path, v);
  FILE *in = stdin;
  if (!rc && file && strcmp(file, "-") && !(in = fopen(file, "rb")))
    rc = sk_cli_fail("redact", "cannot open %s", file);
  if (!rc) {
    pii_reid r;
    pii_reid_init(&r, v);
    sk_buf out;
    sk_buf_init(&out, REDACT_MAX_OUTPUT_BYTES);
    char chunk[REDACT_CHUNK_BYTES];
    size_t n;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
      if (pii_reid_feed(&r, chunk, n, &out)) rc = sk_cli_fail("redact", "out of memory");
      fwrite(out.data, 1, out.len, stdout);
      fflush(stdout);
      sk_buf_reset(&out);
    }
    if (!rc && pii_reid_finish(&r, &out)) rc = sk_cli_fail("redact", "out of memory");
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    sk_buf_release(&out);
  }
  if (in && in != stdin) fclose(in);
  pii_vault_free(v);
  return rc;
}

int cmd_redact(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"mode", required_argument, NULL, 'm'},
                                       {"restore", no_argument, NULL, 'R'},
                                       {"vault", required_argument, NULL, 'V'},
                                       {"tenant", required_argument, NULL, 'T'},
                                       {"file", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *mode = NULL, *vault_path = NULL, *tenant = "default", *file = NULL;
  int do_restore = 0, c;
  while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': mode = optarg; break;
    case 'R': do_restore = 1; break;
    case 'V': vault_path = optarg; break;
    case 'T': tenant = optarg; break;
    case 'f': file = optarg; break;
    case 'h': usage(stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("redact", "unknown option");
    }
  }
  if (sodium_init() < 0) return sk_cli_fail("redact", "libsodium failed to initialise");
  if (do_restore) {
    if (!vault_path) return sk_cli_usage_error("redact", "--restore needs --vault FILE");
    return restore(file, vault_path) ? SK_EXIT_FAIL : SK_EXIT_OK;
  }
  pii_action act;
  if (!mode) return sk_cli_usage_error("redact", "--mode mask|redact|pseudo is required");
  if (!strcmp(mode, "mask")) act = PII_ACT_MASK;
  else if (!strcmp(mode, "redact")) act = PII_ACT_REDACT;
  else if (!strcmp(mode, "pseudo")) act = PII_ACT_PSEUDO;
  else return sk_cli_usage_error("redact", "unknown mode '%s' (mask, redact or pseudo)", mode);
  if (file && optind < argc) return sk_cli_usage_error("redact", "give either -f FILE or TEXT, not both");
  pii_key key;
  if (act == PII_ACT_PSEUDO && load_key(cli, tenant, &key)) return SK_EXIT_FAIL;
  char *text = NULL;
  size_t tl = 0;
  sk_err err;
  if (optind < argc) {
    text = sk_strdup(argv[optind]);
    tl = text ? strlen(text) : 0;
  } else if (sk_read_file(file ? file : "-", PII_MAX_TEXT_BYTES, &text, &tl, &err)) {
    return sk_cli_fail("redact", "%s", err.msg);
  }
  pii_scanner *sc = NULL;
  pii_vault *v = NULL;
  pii_findings f;
  pii_findings_init(&f);
  sk_buf out;
  sk_buf_init(&out, REDACT_MAX_OUTPUT_BYTES);
  int rc = SK_EXIT_OK;
  if (!text || pii_scanner_new(NULL, &sc, &err) || pii_vault_new(&v) || pii_scan(sc, text, tl, &f, &err) ||
      pii_apply(text, tl, &f, act, &key, v, &out, &err)) {
    rc = sk_cli_fail("redact", "%s", text ? err.msg : "out of memory");
  } else {
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    if (act == PII_ACT_PSEUDO && vault_path && save_vault(v, vault_path)) rc = SK_EXIT_FAIL;
  }
  if (act == PII_ACT_PSEUDO) sodium_memzero(&key, sizeof key);
  sk_buf_release(&out);
  pii_findings_release(&f);
  pii_vault_free(v);
  pii_scanner_free(sc);
  sk_free(text);
  return rc;
}
