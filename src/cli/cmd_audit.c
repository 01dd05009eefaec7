/* cmd_audit.c — `sekisho audit append|verify|prove|checkpoint|export|report|shred`. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "audit/record.h"
#include "audit/report.h"
#include "audit/seal.h"
#include "audit/sign.h"
#include "audit/verify.h"
#include "base/alloc.h"
#include "base/fs.h"
#include "cli/cli.h"

/* Lines `audit append` commits together (one sync per batch). */
#define APPEND_BATCH 1024

static const char k_help[] =
    "usage: sekisho audit <action> [options]\n"
    "\n"
    "The tamper-evident audit log (DATA/audit/): an RFC 9162 Merkle tree of records with\n"
    "Ed25519-signed checkpoints. See docs/audit.md.\n"
    "\n"
    "actions:\n"
    "  append                 read JSON records from stdin, one per line; each is durable before\n"
    "                         the command reports it; prints the sequence numbers given\n"
    "  verify [--from N]      recompute every hash, the tree and every stored checkpoint; exit 0\n"
    "                         when intact, else exit 1 and print the first bad sequence number\n"
    "  prove N [--size S]     inclusion proof of record N in the tree of S records (default: all)\n"
    "  prove --consistency M [--size S]   consistency proof from tree size M to S\n"
    "  checkpoint             sign and store a checkpoint of the current tree, print it\n"
    "    --public-key         print the log's public key (give it to auditors and witnesses)\n"
    "    --verify FILE [--key PUB]   check a checkpoint's signature (default key: the log's)\n"
    "    --keygen NAME --out PREFIX  create a witness key pair PREFIX.key / PREFIX.pub\n"
    "    --cosign FILE --key SECRET  add a witness cosignature (checks the log's signature first)\n"
    "  export --from A --to B  records A..B as JSONL (exact stored bytes) + a trailer line\n"
    "  report --from A --to B [--json FILE] [--html FILE]\n"
    "                         governance report (JSON to stdout unless --json/--html given)\n"
    "  shred SUBJECT          destroy SUBJECT's key: their sealed personal data becomes\n"
    "                         unreadable, the log still verifies\n";

static int audit_path(const sk_cli *cli, char *out, sk_err *err) {
  return sk_path_join(out, PATH_MAX, cli->data_dir, "audit") ? sk_err_set(err, SK_ELIMIT, "data dir too long") : 0;
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s < '0' || *s > '9') return -1;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static int open_ro(const sk_cli *cli, audit_log **log, const char *cmd) {
  char dir[PATH_MAX];
  sk_err e;
  audit_opts o = {.read_only = 1};
  if (audit_path(cli, dir, &e) || audit_open(dir, &o, log, &e)) return sk_cli_fail(cmd, "%s", e.msg);
  return 0;
}

static int do_append(const sk_cli *cli) {
  char dir[PATH_MAX];
  sk_err e;
  audit_log *log = NULL;
  if (audit_path(cli, dir, &e) || audit_open(dir, NULL, &log, &e)) return sk_cli_fail("audit append", "%s", e.msg);
  char *lines[APPEND_BATCH];
  size_t n = 0, lineno = 0, batch_first_line = 1;
  uint64_t total = 0, first_seq = 0, any = 0;
  /* bounded line buffer: a hostile stdin without newlines cannot make us allocate without end */
  size_t cap = AUDIT_RECORD_INPUT_MAX + 3;
  char *line = sk_malloc(cap);
  int rc = line ? SK_EXIT_OK : sk_cli_fail("audit append", "out of memory");
  while (rc == SK_EXIT_OK) {
    ssize_t got = -1;
    if (fgets(line, (int)cap, stdin)) {
      got = (ssize_t)strlen(line);
      if (got > 0 && line[got - 1] != '\n' && !feof(stdin)) {
        rc = sk_cli_fail("audit append", "line %zu: record longer than %u bytes", lineno + 1,
                         AUDIT_RECORD_INPUT_MAX);
        break;
      }
    }
    if (got >= 0) {
      lineno++;
      while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
      if (got == 0) continue;
      if ((size_t)got > AUDIT_RECORD_INPUT_MAX) {
        rc = sk_cli_fail("audit append", "line %zu: record longer than %u bytes", lineno, AUDIT_RECORD_INPUT_MAX);
        break;
      }
      if (n == 0) batch_first_line = lineno;
      lines[n] = sk_strdup(line);
      if (!lines[n]) {
        rc = sk_cli_fail("audit append", "out of memory");
        break;
      }
      n++;
    }
    if (n > 0 && (n == APPEND_BATCH || got < 0)) {
      uint64_t s0 = 0;
      if (audit_append_batch(log, (const char *const *)lines, n, &s0, &e)) {
        rc = sk_cli_fail("audit append", "lines from %zu: %s (nothing from this batch was acknowledged; %" PRIu64
                                         " earlier records were)",
                         batch_first_line, e.msg, total);
        break;
      }
      if (!any) first_seq = s0;
      any = 1;
      total += n;
      for (size_t i = 0; i < n; i++) sk_free(lines[i]);
      n = 0;
    }
    if (got < 0) break;
  }
  for (size_t i = 0; i < n; i++) sk_free(lines[i]);
  sk_free(line);
  uint64_t size = audit_size(log);
  audit_close(log);
  if (rc) return rc;
  if (total) printf("appended %" PRIu64 " records: seq %" PRIu64 "..%" PRIu64 "; tree size %" PRIu64 "\n", total,
                    first_seq, first_seq + total - 1, size);
  else printf("nothing to append (stdin had no records); tree size %" PRIu64 "\n", size);
  return SK_EXIT_OK;
}

static int do_verify(const sk_cli *cli, uint64_t from) {
  char dir[PATH_MAX];
  sk_err e;
  audit_verify_result r;
  if (audit_path(cli, dir, &e) || audit_verify(dir, from, &r, &e)) return sk_cli_fail("audit verify", "%s", e.msg);
  char hex[65];
  merkle_hex(&r.root, hex);
  if (!r.ok) {
    printf("FAILED: first bad record %" PRIu64 "\n%s\n", r.first_bad, r.reason);
    fprintf(stderr, "sekisho audit verify: the audit log is NOT intact; preserve %s as evidence and investigate\n", dir);
    return SK_EXIT_FAIL;
  }
  printf("ok: %" PRIu64 " records (%" PRIu64 " rehashed from %" PRIu64 "), %" PRIu64
         " signed checkpoints match; root %s\n",
         r.records, r.rehashed, from, r.checkpoints, hex);
  return SK_EXIT_OK;
}

static void print_proof(const merkle_proof *p) {
  printf("[");
  for (size_t i = 0; i < p->n; i++) {
    char hex[65];
    merkle_hex(&p->h[i], hex);
    printf("%s\"%s\"", i ? "," : "", hex);
  }
  printf("]");
}

static int do_prove(const sk_cli *cli, const char *nstr, const char *size_str, const char *cons_str) {
  audit_log *log;
  if (open_ro(cli, &log, "audit prove")) return SK_EXIT_FAIL;
  sk_err e;
  uint64_t size = audit_size(log), n = 0, m = 0;
  int rc = SK_EXIT_OK;
  merkle_proof p;
  merkle_hash root, leaf;
  char rh[65], lh[65];
  if (size_str && parse_u64(size_str, &size)) {
    rc = sk_cli_usage_error("audit prove", "--size needs a number, got '%s'", size_str);
  } else if (cons_str) {
    merkle_hash old;
    if (parse_u64(cons_str, &m)) rc = sk_cli_usage_error("audit prove", "--consistency needs a tree size");
    else if (audit_prove_consistency(log, m, size, &p, &e) || audit_root(log, m, &old, &e) ||
             audit_root(log, size, &root, &e))
      rc = sk_cli_fail("audit prove", "%s", e.msg);
    else {
      merkle_hex(&old, lh);
      merkle_hex(&root, rh);
      printf("{\"old_size\":%" PRIu64 ",\"old_root\":\"%s\",\"tree_size\":%" PRIu64 ",\"root\":\"%s\",\"consistency\":",
             m, lh, size, rh);
      print_proof(&p);
      printf("}\n");
    }
  } else if (!nstr || parse_u64(nstr, &n)) {
    rc = sk_cli_usage_error("audit prove", "give a record number N (or --consistency M)");
  } else if (audit_prove_inclusion(log, n, size, &p, &e) || audit_root(log, size, &root, &e) ||
             audit_leaf(log, n, &leaf, &e)) {
    rc = sk_cli_fail("audit prove", "%s", e.msg);
  } else {
    merkle_hex(&root, rh);
    merkle_hex(&leaf, lh);
    printf("{\"seq\":%" PRIu64 ",\"leaf_hash\":\"%s\",\"tree_size\":%" PRIu64 ",\"root\":\"%s\",\"inclusion\":", n, lh,
           size, rh);
    print_proof(&p);
    printf("}\n");
  }
  audit_close(log);
  return rc;
}

static int do_checkpoint(const sk_cli *cli, const char *verify, const char *key, const char *keygen,
                         const char *out, const char *cosign, int public_key) {
  char dir[PATH_MAX], sp[PATH_MAX], pp[PATH_MAX];
  sk_err e;
  const char *cmd = "audit checkpoint";
  if (audit_path(cli, dir, &e) || audit_key_paths(dir, sp, pp, &e)) return sk_cli_fail(cmd, "%s", e.msg);
  if (keygen) {
    if (!out) return sk_cli_usage_error(cmd, "--keygen needs --out PREFIX");
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s.key", out);
    snprintf(b, sizeof b, "%s.pub", out);
    if (sign_keygen(keygen, a, b, &e)) return sk_cli_fail(cmd, "%s", e.msg);
    printf("created %s (secret, keep it safe) and %s (public)\n", a, b);
    return SK_EXIT_OK;
  }
  if (public_key) {
    sign_key k;
    if (audit_log_key(dir, &k, &e)) return sk_cli_fail(cmd, "%s", e.msg);
    char line[256];
    sign_public_text(&k, line, sizeof line);
    fputs(line, stdout);
    return SK_EXIT_OK;
  }
  if (verify || cosign) {
    const char *file = verify ? verify : cosign;
    char *text = NULL;
    size_t len = 0;
    sign_key logk, k;
    if (sk_read_file(file, CKPT_MAX_BYTES, &text, &len, &e)) return sk_cli_fail(cmd, "%s", e.msg);
    int rc = SK_EXIT_OK;
    if (verify) {
      if ((key ? sign_load_public(key, &k, &e) : sign_load_public(pp, &k, &e)) || ckpt_verify(text, len, &k, &e))
        rc = sk_cli_fail(cmd, "%s", e.msg);
      else {
        audit_checkpoint c;
        ckpt_parse(text, len, &c, &e);
        printf("ok: checkpoint of size %" PRIu64 " signed by %s\n", c.size, k.name);
      }
    } else {
      char *co = NULL;
      if (!key) rc = sk_cli_usage_error(cmd, "--cosign needs --key WITNESS_SECRET_KEY");
      else if (sign_load_public(pp, &logk, &e) || ckpt_verify(text, len, &logk, &e) ||
               sign_load_secret(key, &k, &e) || ckpt_cosign(text, len, &k, &co, &e))
        rc = sk_cli_fail(cmd, "%s", e.msg);
      else fputs(co, stdout);
      sk_free(co);
    }
    sk_free(text);
    return rc;
  }
  audit_log *log = NULL;
  char *text = NULL;
  if (audit_open(dir, NULL, &log, &e) || audit_checkpoint_create(log, &text, &e)) {
    audit_close(log);
    return sk_cli_fail(cmd, "%s", e.msg);
  }
  fputs(text, stdout);
  sk_free(text);
  audit_close(log);
  return SK_EXIT_OK;
}

static int do_range(const sk_cli *cli, int report, const char *from_s, const char *to_s, const char *json_out,
                    const char *html_out) {
  const char *cmd = report ? "audit report" : "audit export";
  uint64_t from = 0, to = UINT64_MAX;
  if ((from_s && parse_u64(from_s, &from)) || (to_s && parse_u64(to_s, &to)))
    return sk_cli_usage_error(cmd, "--from and --to take record numbers");
  audit_log *log;
  if (open_ro(cli, &log, cmd)) return SK_EXIT_FAIL;
  sk_err e;
  int rc = SK_EXIT_OK;
  if (!report) {
    if (audit_export(log, from, to, stdout, &e)) rc = sk_cli_fail(cmd, "%s", e.msg);
  } else {
    json_t *r = NULL;
    if (audit_report(log, from, to, &r, &e)) rc = sk_cli_fail(cmd, "%s", e.msg);
    else {
      if (json_out || !html_out) {
        if (json_out ? json_dump_file(r, json_out, JSON_INDENT(2)) : json_dumpf(r, stdout, JSON_INDENT(2)))
          rc = sk_cli_fail(cmd, "cannot write the JSON report");
        if (!json_out) putchar('\n');
      }
      if (html_out && rc == SK_EXIT_OK) {
        FILE *f = fopen(html_out, "w");
        if (!f || audit_report_html(r, f, &e)) rc = sk_cli_fail(cmd, "cannot write %s", html_out);
        if (f && fclose(f)) rc = sk_cli_fail(cmd, "cannot write %s", html_out);
      }
    }
    json_decref(r);
  }
  audit_close(log);
  return rc;
}

int cmd_audit(const sk_cli *cli, int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(k_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
  }
  const char *action = argv[1];
  static const struct option opts[] = {
      {"from", required_argument, 0, 'f'},   {"to", required_argument, 0, 't'},
      {"size", required_argument, 0, 's'},   {"consistency", required_argument, 0, 'c'},
      {"verify", required_argument, 0, 'V'}, {"key", required_argument, 0, 'k'},
      {"keygen", required_argument, 0, 'g'}, {"out", required_argument, 0, 'o'},
      {"cosign", required_argument, 0, 'C'}, {"public-key", no_argument, 0, 'p'},
      {"json", required_argument, 0, 'j'},   {"html", required_argument, 0, 'H'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *from = NULL, *to = NULL, *size = NULL, *cons = NULL, *verify = NULL, *key = NULL, *keygen = NULL,
             *out = NULL, *cosign = NULL, *json_out = NULL, *html_out = NULL;
  int public_key = 0, c;
  optind = 0;
  while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'f': from = optarg; break;
    case 't': to = optarg; break;
    case 's': size = optarg; break;
    case 'c': cons = optarg; break;
    case 'V': verify = optarg; break;
    case 'k': key = optarg; break;
    case 'g': keygen = optarg; break;
    case 'o': out = optarg; break;
    case 'C': cosign = optarg; break;
    case 'p': public_key = 1; break;
    case 'j': json_out = optarg; break;
    case 'H': html_out = optarg; break;
    case 'h': fputs(k_help, stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("audit", "bad option for '%s'", action);
    }
  }
  int npos = argc - 1 - optind;
  const char *pos = npos > 0 ? argv[1 + optind] : NULL;
  if (!strcmp(action, "append")) return npos ? sk_cli_usage_error("audit append", "takes records on stdin, no arguments") : do_append(cli);
  if (!strcmp(action, "verify")) {
    uint64_t f = 0;
    if (from && parse_u64(from, &f)) return sk_cli_usage_error("audit verify", "--from needs a record number");
    return do_verify(cli, f);
  }
  if (!strcmp(action, "prove")) return do_prove(cli, pos, size, cons);
  if (!strcmp(action, "checkpoint")) return do_checkpoint(cli, verify, key, keygen, out, cosign, public_key);
  if (!strcmp(action, "export")) return do_range(cli, 0, from, to, NULL, NULL);
  if (!strcmp(action, "report")) return do_range(cli, 1, from, to, json_out, html_out);
  if (!strcmp(action, "shred")) {
    char dir[PATH_MAX];
    sk_err e;
    if (!pos) return sk_cli_usage_error("audit shred", "give the data subject's id");
    if (audit_path(cli, dir, &e) || seal_shred(dir, pos, &e)) return sk_cli_fail("audit shred", "%s", e.msg);
    printf("shredded: personal data of this subject in the audit log is now unreadable\n");
    return SK_EXIT_OK;
  }
  return sk_cli_usage_error("audit", "unknown action '%s'", action);
}
