/* cmd_ledger.c — `sekisho ledger …`: accounts, transfers (JSON lines), balances, history, pending,
 * approve/void, wallets, settlement, reconciliation, invariant check. Thin layer over src/ledger. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <unistd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "cli/cmd_ledger.h"
#include "ledger/ledger.h"
#include "ledger/ledger_json.h"
#include "ledger/wallet.h"

#define CMD "ledger"

int lc_open(const sk_cli *cli, ledger **out) {
  char dir[4096], path[4096];
  sk_err err = {0};
  if (sk_path_join(dir, sizeof dir, cli->data_dir, "ledger") ||
      sk_path_join(path, sizeof path, dir, "ledger.db"))
    return sk_cli_fail(CMD, "data directory path is too long");
  if (sk_mkdir_p(dir, &err)) return sk_cli_fail(CMD, "%s", err.msg);
  if (ledger_open(path, NULL, out, &err))
    return sk_cli_fail(CMD, "cannot open the ledger: %s", err.msg);
  /* Pending transfers that timed out while no process had the ledger open expire now, so every
   * command shows released balances. */
  if (ledger_expire(*out, &err) < 0) {
    ledger_close(*out);
    return sk_cli_fail(CMD, "cannot expire timed-out pending transfers: %s", err.msg);
  }
  return SK_EXIT_OK;
}

int lc_parse_id(const char *what, const char *s, u128 *out) {
  if (!s || u128_parse(s, strlen(s), out) || *out == 0) {
    sk_cli_usage_error(CMD, "%s must be a nonzero decimal (or 0x hex) 128-bit id, got '%s'", what,
                       s ? s : "");
    return -1;
  }
  return 0;
}

int lc_parse_amount(const char *what, const char *s, uint32_t ledger_no, u128 *out) {
  /* Amounts on the command line are decimals in the ledger's display unit (1.5 JPYC). */
  int rc = s ? u128_parse_amount(s, strlen(s), ledger_scale(ledger_no), out) : -1;
  if (rc) {
    sk_cli_usage_error(CMD, "%s '%s' is not a valid amount (up to %u fraction digits%s)", what,
                       s ? s : "", ledger_scale(ledger_no), rc == -2 ? ", and below 2^128" : "");
    return -1;
  }
  return 0;
}

void lc_print_json(json_t *j) {
  if (!j) return;
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
  if (s) puts(s);
  free(s);
  json_decref(j);
}

static int wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
  return 0;
}

/* ---- account create ---- */

static int print_account_results(const ledger_account *a, const ledger_result *r, const size_t *lines,
                                  size_t n, int json) {
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    int ok = r[i] == LEDGER_OK || r[i] == LEDGER_EXISTS;
    failed |= !ok;
    char id[U128_STR_MAX];
    if (json)
      lc_print_json(json_pack("{s:I s:s s:s s:b}", "line", (json_int_t)lines[i], "id",
                              u128_format(a[i].id, id), "result", ledger_result_str(r[i]), "ok", ok));
    else
      printf("line %zu: account %s: %s\n", lines[i], u128_format(a[i].id, id), ledger_result_str(r[i]));
  }
  return failed;
}

static const char k_account_help[] =
    "usage: sekisho ledger account create --id ID --ledger JPY|JPYC|N [--code N]\n"
    "                                     [--flags F,...] [--user-data-64 N] [--json]\n"
    "       sekisho ledger account create --stdin [--json]   (one JSON object per line)\n"
    "\n"
    "Creates accounts. Ids are chosen by you (nonzero 128-bit); creating the same account twice\n"
    "answers \"exists\", a different account with the same id a precise \"exists_with_different_*\".\n"
    "Flags: debits_must_not_exceed_credits (a budget / wallet that cannot go negative),\n"
    "       credits_must_not_exceed_debits, linked (with --stdin: chain with the next line).\n"
    "JSON line keys: id, ledger, code (default 1), flags (array of names), user_data_128/64/32.\n"
    "Exit: 0 all created or already there, 1 some failed, 2 usage.\n";

static int account_create(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"id", 1, 0, 'i'},    {"ledger", 1, 0, 'l'},
                                       {"code", 1, 0, 'c'},  {"flags", 1, 0, 'f'},
                                       {"user-data-64", 1, 0, 'u'}, {"stdin", 0, 0, 's'},
                                       {"json", 0, 0, 'j'},  {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
  ledger_account a = {.code = 1};
  int json = 0, from_stdin = 0, c;
  char line[256];
  const char *flags = NULL;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'i': if (lc_parse_id("--id", optarg, &a.id)) return SK_EXIT_USAGE; break;
    case 'l':
      if (ledger_parse_ledger(optarg, &a.ledger))
        return sk_cli_usage_error(CMD, "--ledger must be JPY, JPYC or a nonzero number");
      break;
    case 'c': a.code = (uint16_t)atoi(optarg); break;
    case 'f': flags = optarg; break;
    case 'u': a.user_data_64 = strtoull(optarg, NULL, 10); break;
    case 's': from_stdin = 1; break;
    case 'j': json = 1; break;
    case 'h': fputs(k_account_help, stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error(CMD, "see 'sekisho ledger account create --help'");
    }
  }
  if (!from_stdin && (!a.id || !a.ledger))
    return sk_cli_usage_error(CMD, "account create needs --id and --ledger (or --stdin)");
  if (flags) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", flags);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (!strcmp(tok, "debits_must_not_exceed_credits")) a.flags |= LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS;
      else if (!strcmp(tok, "credits_must_not_exceed_debits")) a.flags |= LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS;
      else return sk_cli_usage_error(CMD, "unknown account flag '%s'", tok);
    }
  }
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  sk_err err = {0};
  int failed = 0;
  if (!from_stdin) {
    ledger_result r;
    size_t ln = 1;
    if (ledger_create_accounts(l, &a, 1, &r, &err)) rc = sk_cli_fail(CMD, "%s", err.msg);
    else failed = print_account_results(&a, &r, &ln, 1, json);
  } else {
    static ledger_account batch[LEDGER_BATCH_MAX];
    static ledger_result res[LEDGER_BATCH_MAX];
    static size_t lines[LEDGER_BATCH_MAX];
    size_t n = 0, ln = 0;
    char *buf = sk_malloc(LEDGER_JSON_LINE_MAX + 2);
    if (!buf) rc = sk_cli_fail(CMD, "out of memory");
    while (buf && fgets(buf, LEDGER_JSON_LINE_MAX + 2, stdin)) {
      ln++;
      size_t len = strcspn(buf, "\r\n");
      if (len == 0) continue;
      char why[200];
      if (ledger_json_parse_account(buf, len, &batch[n], why, sizeof why) != LEDGER_OK) {
        failed = 1;
        if (json) lc_print_json(json_pack("{s:I s:s s:s s:b}", "line", (json_int_t)ln, "result", "malformed", "error", why, "ok", 0));
        else printf("line %zu: malformed: %s\n", ln, why);
        continue;
      }
      lines[n++] = ln;
      if (n == LEDGER_BATCH_MAX || feof(stdin)) {
        if (ledger_create_accounts(l, batch, n, res, &err)) { rc = sk_cli_fail(CMD, "%s", err.msg); break; }
        failed |= print_account_results(batch, res, lines, n, json);
        n = 0;
      }
    }
    if (!rc && n) {
      if (ledger_create_accounts(l, batch, n, res, &err)) rc = sk_cli_fail(CMD, "%s", err.msg);
      else failed |= print_account_results(batch, res, lines, n, json);
    }
    sk_free(buf);
  }
  (void)line;
  ledger_close(l);
  return rc ? rc : failed ? SK_EXIT_FAIL : SK_EXIT_OK;
}

static int cmd_account(const sk_cli *cli, int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(k_account_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
  }
  if (strcmp(argv[1], "create")) return sk_cli_usage_error(CMD, "unknown: account %s (try: account create)", argv[1]);
  return account_create(cli, argc - 1, argv + 1);
}

/* ---- a line reader that can tell "no input ready" from "end of input" ---- */

/* Read size per syscall; lines up to LEDGER_JSON_LINE_MAX are kept whole. */
#define LR_CHUNK (64 * 1024)
enum { LR_EOF = 0, LR_LINE = 1, LR_WOULD_BLOCK = 2 };

typedef struct lreader {
  int fd;
  char *buf; /* sk_malloc'ed, LR_CHUNK + LEDGER_JSON_LINE_MAX + 1 bytes */
  size_t off, len;
  int eof, skipping;
} lreader;

/* Returns LR_LINE with the next line (no newline, not NUL-terminated) in *line and *len, LR_EOF,
 * LR_WOULD_BLOCK (only when probe and nothing complete is buffered or ready), or -1. Lines longer
 * than LEDGER_JSON_LINE_MAX are consumed and reported once with *too_long = 1. */
static int lr_next(lreader *r, int probe, const char **line, size_t *len, int *too_long) {
  const size_t cap = LR_CHUNK + LEDGER_JSON_LINE_MAX + 1;
  if (!r->buf && !(r->buf = sk_malloc(cap))) return -1;
  for (;;) {
    char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
    if (nl) {
      size_t n = (size_t)(nl - (r->buf + r->off));
      *line = r->buf + r->off;
      *len = n;
      r->off += n + 1;
      *too_long = r->skipping || n > LEDGER_JSON_LINE_MAX;
      r->skipping = 0;
      if (*len && (*line)[*len - 1] == '\r') (*len)--;
      return LR_LINE;
    }
    if (r->len - r->off > LEDGER_JSON_LINE_MAX) { /* too long: drop what we have, remember */
      r->skipping = 1;
      r->off = r->len = 0;
    }
    if (r->eof) {
      if (r->off == r->len && !r->skipping) return LR_EOF;
      *line = r->buf + r->off;
      *len = r->len - r->off;
      *too_long = r->skipping;
      r->skipping = 0;
      r->off = r->len;
      return LR_LINE;
    }
    if (r->off) {
      memmove(r->buf, r->buf + r->off, r->len - r->off);
      r->len -= r->off;
      r->off = 0;
    }
    if (probe) {
      struct pollfd p = {.fd = r->fd, .events = POLLIN};
      if (poll(&p, 1, 0) == 0) return LR_WOULD_BLOCK;
    }
    ssize_t got = read(r->fd, r->buf + r->len, cap - r->len);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) r->eof = 1;
    r->len += (size_t)got;
  }
}

/* ---- transfer ---- */

static const char k_transfer_help[] =
    "usage: sekisho ledger transfer [--approver] [--batch N] [--json] < transfers.jsonl\n"
    "\n"
    "Submits transfers, one JSON object per line on stdin, and prints one result per line.\n"
    "Lines are grouped into batches of up to N (default and maximum 8190) that commit together;\n"
    "a batch is submitted when full, when the input pauses, or at the end (an open linked chain\n"
    "waits for its next line). A result is printed only after its batch is durable. Keys:\n"
    "  id, debit_account_id, credit_account_id, amount (base units: yen, or 10^-18 JPYC) or\n"
    "  amount_decimal (\"1.5\" in the ledger's unit), ledger (JPY|JPYC|N), code (default 1),\n"
    "  flags: [linked, pending, post_pending_transfer, void_pending_transfer], pending_id,\n"
    "  timeout (seconds, pending only), user_data_128/64/32.\n"
    "Linked lines succeed or fail together. A line that is not valid JSON fails with \"malformed\"\n"
    "(and fails its chain). --approver lets this submission post transfers held for approval.\n"
    "Example: {\"id\":\"1\",\"debit_account_id\":\"10\",\"credit_account_id\":\"20\",\"amount\":\"500\",\"ledger\":\"JPY\"}\n"
    "Exit: 0 every line succeeded (or already existed), 1 some failed, 2 usage.\n";

static int print_transfer_results(const ledger_transfer *t, const ledger_result *r, char (*why)[160],
                                  const size_t *lines, size_t n, int json) {
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    int ok = ledger_result_ok(r[i]) || r[i] == LEDGER_EXISTS;
    failed |= !ok;
    char id[U128_STR_MAX];
    u128_format(t[i].id, id);
    if (json) {
      json_t *o = json_pack("{s:I s:s s:s s:b}", "line", (json_int_t)lines[i], "id", id, "result",
                            ledger_result_str(r[i]), "ok", ok);
      if (o && r[i] == LEDGER_MALFORMED) json_object_set_new(o, "error", json_string(why[i]));
      lc_print_json(o);
    } else if (r[i] == LEDGER_MALFORMED) {
      printf("line %zu: malformed: %s\n", lines[i], why[i]);
    } else {
      printf("line %zu: transfer %s: %s\n", lines[i], id, ledger_result_str(r[i]));
    }
  }
  return failed;
}

static int cmd_transfer(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"approver", 0, 0, 'a'}, {"batch", 1, 0, 'b'},
                                       {"json", 0, 0, 'j'},     {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
  int json = 0, c;
  unsigned sf = 0;
  long batch_max = LEDGER_BATCH_MAX;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'a': sf |= LEDGER_SUBMIT_APPROVER; break;
    case 'b':
      batch_max = atol(optarg);
      if (batch_max < 1 || batch_max > (long)LEDGER_BATCH_MAX)
        return sk_cli_usage_error(CMD, "--batch must be 1..%u", LEDGER_BATCH_MAX);
      break;
    case 'j': json = 1; break;
    case 'h': fputs(k_transfer_help, stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error(CMD, "see 'sekisho ledger transfer --help'");
    }
  }
  if (optind < argc) return sk_cli_usage_error(CMD, "transfer reads JSON lines from stdin; unexpected '%s'", argv[optind]);
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  ledger_transfer *batch = sk_calloc(LEDGER_BATCH_MAX, sizeof *batch);
  ledger_result *res = sk_calloc(LEDGER_BATCH_MAX, sizeof *res), *pre = sk_calloc(LEDGER_BATCH_MAX, sizeof *pre);
  size_t *lines = sk_calloc(LEDGER_BATCH_MAX, sizeof *lines);
  char(*why)[160] = sk_calloc(LEDGER_BATCH_MAX, sizeof *why);
  lreader rd = {.fd = 0};
  int failed = 0;
  sk_err err = {0};
  if (!batch || !res || !pre || !lines || !why) {
    rc = sk_cli_fail(CMD, "out of memory");
    goto out;
  }
  size_t n = 0, ln = 0;
  for (;;) {
    /* Probe (do not block) while a batch is waiting and its last chain is closed: a producer that
     * writes one line and waits for its result gets it at once; bulk input still batches. */
    int probe = n > 0 && !(batch[n - 1].flags & LEDGER_TF_LINKED);
    const char *line;
    size_t len;
    int too_long;
    int r = lr_next(&rd, probe, &line, &len, &too_long);
    if (r < 0) {
      rc = sk_cli_fail(CMD, "cannot read stdin");
      goto out;
    }
    if (r == LR_LINE) {
      ln++;
      if (len == 0 && !too_long) continue;
      why[n][0] = '\0';
      pre[n] = too_long ? LEDGER_MALFORMED
                        : ledger_json_parse_transfer(line, len, &batch[n], why[n], sizeof why[n]);
      if (too_long) {
        memset(&batch[n], 0, sizeof batch[n]);
        snprintf(why[n], sizeof why[n], "line longer than %d bytes", LEDGER_JSON_LINE_MAX);
      }
      lines[n++] = ln;
    }
    /* Flush when full, when input pauses, or at EOF; never split an open chain except at the
     * hard maximum. */
    int full = n == (size_t)batch_max && (!(batch[n - 1].flags & LEDGER_TF_LINKED) || n == LEDGER_BATCH_MAX);
    if (n && (r != LR_LINE || full)) {
      if (ledger_create_transfers(l, batch, n, sf, pre, res, &err)) {
        rc = sk_cli_fail(CMD, "batch ending at line %zu was not committed (nothing of it applied): %s", ln, err.msg);
        goto out;
      }
      failed |= print_transfer_results(batch, res, why, lines, n, json);
      fflush(stdout);
      n = 0;
    }
    if (r == LR_EOF) break;
  }
out:
  sk_free(batch), sk_free(res), sk_free(pre), sk_free(lines), sk_free(why), sk_free(rd.buf);
  ledger_close(l);
  return rc ? rc : failed ? SK_EXIT_FAIL : SK_EXIT_OK;
}

/* ---- balances ---- */

static const char k_balances_help[] =
    "usage: sekisho ledger balances [ID...] [--json]\n"
    "\n"
    "Prints accounts with their four balances (debits/credits, pending/posted) and the posted net\n"
    "(credits - debits) in the ledger's unit. Without ids: every account.\n";

typedef struct bal_ctx {
  int json;
} bal_ctx;

static int print_account(void *ctx, const ledger_account *a) {
  bal_ctx *b = ctx;
  if (b->json) {
    lc_print_json(ledger_json_account(a));
    return 0;
  }
  char id[U128_STR_MAX], dp[U128_STR_MAX], dpo[U128_STR_MAX], cp[U128_STR_MAX], cpo[U128_STR_MAX];
  json_t *j = ledger_json_account(a);
  const char *name = ledger_name(a->ledger);
  printf("%-20s %-5s net %s  debits %s (+%s pending)  credits %s (+%s pending)\n",
         u128_format(a->id, id), name ? name : "?", json_string_value(json_object_get(j, "net_posted_decimal")),
         u128_format(a->debits_posted, dpo), u128_format(a->debits_pending, dp),
         u128_format(a->credits_posted, cpo), u128_format(a->credits_pending, cp));
  json_decref(j);
  return 0;
}

static int cmd_balances(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  bal_ctx b = {0};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'j') b.json = 1;
    else if (c == 'h') return fputs(k_balances_help, stdout), SK_EXIT_OK;
    else return sk_cli_usage_error(CMD, "see 'sekisho ledger balances --help'");
  }
  for (int i = optind; i < argc; i++) {
    u128 id;
    if (lc_parse_id("account id", argv[i], &id)) return SK_EXIT_USAGE;
  }
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  if (optind == argc) ledger_each_account(l, print_account, &b);
  for (int i = optind; i < argc; i++) {
    u128 id;
    ledger_account a;
    u128_parse(argv[i], strlen(argv[i]), &id);
    if (ledger_lookup_account(l, id, &a)) {
      rc = sk_cli_fail(CMD, "no account %s (create it with 'sekisho ledger account create')", argv[i]);
      continue;
    }
    print_account(&b, &a);
  }
  ledger_close(l);
  return rc;
}

/* ---- check ---- */

static int cmd_check(const sk_cli *cli, int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: sekisho ledger check [--json]\n\nRe-checks every invariant (also done on every open):"
             " per-ledger debits = credits, balances = replay of transfers, limits, pending states.\n");
      return SK_EXIT_OK;
    } else return sk_cli_usage_error(CMD, "unknown option '%s'", argv[i]);
  }
  ledger *l;
  int rc = lc_open(cli, &l); /* open already checks; failure is reported there */
  if (rc) return rc;
  sk_err err = {0};
  int bad = ledger_check(l, &err);
  if (json)
    lc_print_json(json_pack("{s:b s:I s:I s:s}", "ok", !bad, "accounts", (json_int_t)ledger_account_count(l),
                            "transfers", (json_int_t)ledger_transfer_count(l), "message", bad ? err.msg : "all invariants hold"));
  else if (!bad)
    printf("ok: %zu accounts, %zu transfers, all invariants hold\n", ledger_account_count(l), ledger_transfer_count(l));
  ledger_close(l);
  return bad ? sk_cli_fail(CMD, "%s", err.msg) : SK_EXIT_OK;
}

/* ---- dispatch ---- */

typedef struct lsub {
  const char *name;
  int (*fn)(const sk_cli *, int, char **);
  const char *summary;
} lsub;

static const lsub k_subs[] = {
    {"account", cmd_account, "account create: new accounts (options or JSON lines)"},
    {"transfer", cmd_transfer, "submit transfers as JSON lines on stdin, one result per line"},
    {"balances", cmd_balances, "balances of accounts"},
    {"history", lc_history, "an account's transfers with its balance after each event"},
    {"pending", lc_pending, "pending transfers (holds, approvals)"},
    {"approve", lc_approve, "post a pending transfer (as a human approver)"},
    {"void", lc_void, "void a pending transfer"},
    {"wallet", lc_wallet, "agent wallet spending policies: set / show"},
    {"settle", lc_settle, "settle: signed net positions for a period; settle verify FILE"},
    {"reconcile", lc_reconcile, "import a reconciliation file for a settlement"},
    {"check", cmd_check, "re-check every invariant"},
};

int cmd_ledger(const sk_cli *cli, int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    FILE *o = argc < 2 ? stderr : stdout;
    fprintf(o, "usage: sekisho ledger <command> [options]   (every command has --help and --json)\n\n"
               "Double-entry ledger of JPY (yen) and JPYC (10^-18 units) for budgets and agent wallets.\n"
               "State: <data-dir>/ledger/ledger.db (SQLite, WAL).\n\ncommands:\n");
    for (size_t i = 0; i < sizeof k_subs / sizeof k_subs[0]; i++)
      fprintf(o, "  %-10s %s\n", k_subs[i].name, k_subs[i].summary);
    return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof k_subs / sizeof k_subs[0]; i++)
    if (!strcmp(argv[1], k_subs[i].name)) {
      optind = 0;
      (void)wants_help;
      return k_subs[i].fn(cli, argc - 1, argv + 1);
    }
  return sk_cli_usage_error(CMD, "unknown ledger command '%s'", argv[1]);
}
