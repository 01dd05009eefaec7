/* cmd_ledger_ops.c — `sekisho ledger` history, pending, approve, void, wallet, settle, reconcile. */
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "cli/cmd_ledger.h"
#include "ledger/budget.h"
#include "ledger/ledger_json.h"
#include "ledger/settle.h"
#include "ledger/wallet.h"

#define CMD "ledger"
/* history prints at most this many points unless --limit says otherwise. */
#define HISTORY_DEFAULT_LIMIT 100

static int simple_opts(int argc, char **argv, const char *help, int *json) {
  static const struct option opts[] = {{"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'j') *json = 1;
    else if (c == 'h') return fputs(help, stdout), 0;
    else return sk_cli_usage_error(CMD, "see --help");
  }
  return -1;
}

/* ---- history ---- */

typedef struct hist {
  ledger_balance_point *p;
  size_t n, cap;
} hist;

static int collect(void *ctx, const ledger_balance_point *p) {
  hist *h = ctx;
  if (h->n == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 64;
    ledger_balance_point *np = sk_realloc(h->p, nc * sizeof *np);
    if (!np) return 1;
    h->p = np;
    h->cap = nc;
  }
  h->p[h->n++] = *p;
  return 0;
}

static const char k_history_help[] =
    "usage: sekisho ledger history ACCOUNT_ID [--limit N] [--json]\n"
    "\n"
    "The account's balance history: one line per event (transfer, post, void, expiry) with the\n"
    "transfer and the account's four balances right after it. Newest last; --limit keeps the last N\n"
    "(default 100, 0 = all).\n";

int lc_history(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"limit", 1, 0, 'n'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int json = 0, c;
  long limit = HISTORY_DEFAULT_LIMIT;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'j') json = 1;
    else if (c == 'n') limit = atol(optarg);
    else if (c == 'h') return fputs(k_history_help, stdout), SK_EXIT_OK;
    else return sk_cli_usage_error(CMD, "see 'sekisho ledger history --help'");
  }
  u128 id;
  if (optind + 1 != argc) return sk_cli_usage_error(CMD, "history needs exactly one ACCOUNT_ID");
  if (lc_parse_id("ACCOUNT_ID", argv[optind], &id)) return SK_EXIT_USAGE;
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  hist h = {0};
  sk_err err = {0};
  if (ledger_balance_history(l, id, collect, &h, &err)) {
    rc = sk_cli_fail(CMD, "%s", err.msg);
  } else {
    size_t start = limit > 0 && h.n > (size_t)limit ? h.n - (size_t)limit : 0;
    for (size_t i = start; i < h.n; i++) {
      const ledger_balance_point *p = &h.p[i];
      ledger_transfer t;
      ledger_status st = LEDGER_ST_POSTED;
      ledger_lookup_transfer(l, p->transfer_id, &t, &st, NULL);
      char tid[U128_STR_MAX], dp[U128_STR_MAX], dpo[U128_STR_MAX], cp[U128_STR_MAX], cpo[U128_STR_MAX], amt[U128_STR_MAX];
      const char *kind = t.flags & LEDGER_TF_POST_PENDING   ? "post"
                         : t.flags & LEDGER_TF_VOID_PENDING ? "void"
                         : !(t.flags & LEDGER_TF_PENDING)   ? "transfer"
                         : p->timestamp != t.timestamp      ? "expiry"
                                                            : "pending";
      if (json) {
        lc_print_json(json_pack("{s:I s:o s:s s:o s:o s:o s:o s:o}", "timestamp", (json_int_t)p->timestamp,
                                "transfer_id", ledger_json_u128(p->transfer_id), "event", kind, "amount",
                                ledger_json_u128(t.amount), "debits_pending", ledger_json_u128(p->debits_pending),
                                "debits_posted", ledger_json_u128(p->debits_posted), "credits_pending",
                                ledger_json_u128(p->credits_pending), "credits_posted",
                                ledger_json_u128(p->credits_posted)));
      } else {
        printf("%llu %-8s %s amount %s -> debits %s (+%s) credits %s (+%s)\n",
               (unsigned long long)p->timestamp, kind, u128_format(p->transfer_id, tid), u128_format(t.amount, amt),
               u128_format(p->debits_posted, dpo), u128_format(p->debits_pending, dp),
               u128_format(p->credits_posted, cpo), u128_format(p->credits_pending, cp));
      }
    }
  }
  sk_free(h.p);
  ledger_close(l);
  return rc;
}

/* ---- pending ---- */

typedef struct pend_ctx {
  int json;
  size_t n;
} pend_ctx;

static int print_pending(void *ctx, const ledger_transfer *t, ledger_status st, u128 posted) {
  pend_ctx *p = ctx;
  p->n++;
  if (p->json) {
    json_t *o = ledger_json_transfer(t, st, posted);
    if (o && t->timeout_s)
      json_object_set_new(o, "expires_ns", json_integer((json_int_t)(t->timestamp + (uint64_t)t->timeout_s * 1000000000ull)));
    if (o) json_object_set_new(o, "awaiting_approval", json_boolean(t->flags & LEDGER_TF_APPROVAL));
    lc_print_json(o);
    return 0;
  }
  char id[U128_STR_MAX], dr[U128_STR_MAX], cr[U128_STR_MAX], amt[U128_STR_MAX];
  printf("%s  %s -> %s  %s %s%s", u128_format(t->id, id), u128_format(t->debit_account_id, dr),
         u128_format(t->credit_account_id, cr), u128_format_amount(t->amount, ledger_scale(t->ledger), amt),
         ledger_name(t->ledger) ? ledger_name(t->ledger) : "", (t->flags & LEDGER_TF_APPROVAL) ? "  AWAITING APPROVAL" : "");
  if (t->timeout_s) printf("  timeout %us", t->timeout_s);
  putchar('\n');
  return 0;
}

static const char k_pending_help[] =
    "usage: sekisho ledger pending [--account ID] [--json]\n"
    "\n"
    "Lists pending transfers: budget holds and wallet transfers awaiting approval. Approve with\n"
    "'sekisho ledger approve ID', refuse with 'sekisho ledger void ID'.\n";

int lc_pending(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"account", 1, 0, 'a'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  pend_ctx p = {0};
  u128 account = 0;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'j') p.json = 1;
    else if (c == 'a') { if (lc_parse_id("--account", optarg, &account)) return SK_EXIT_USAGE; }
    else if (c == 'h') return fputs(k_pending_help, stdout), SK_EXIT_OK;
    else return sk_cli_usage_error(CMD, "see 'sekisho ledger pending --help'");
  }
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  ledger_each_pending(l, account, print_pending, &p);
  if (!p.json && p.n == 0) printf("no pending transfers\n");
  ledger_close(l);
  return rc;
}

/* ---- approve / void ---- */

static int resolve(const sk_cli *cli, int argc, char **argv, int post) {
  static const struct option opts[] = {{"amount", 1, 0, 'a'}, {"id", 1, 0, 'i'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int json = 0, c;
  const char *amount = NULL;
  u128 id = 0, pid;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'j') json = 1;
    else if (c == 'a' && post) amount = optarg;
    else if (c == 'i') { if (lc_parse_id("--id", optarg, &id)) return SK_EXIT_USAGE; }
    else if (c == 'h') {
      printf(post ? "usage: sekisho ledger approve PENDING_ID [--amount A] [--id POST_ID] [--json]\n\n"
                    "Posts a pending transfer as a human approver (needed for transfers a wallet policy\n"
                    "held for approval). --amount (in the ledger's unit, e.g. 1.5 for JPYC) posts part of it\n"
                    "and releases the rest; default: all. POST_ID defaults to one derived from PENDING_ID,\n"
                    "so repeating the command is harmless.\n"
                  : "usage: sekisho ledger void PENDING_ID [--id VOID_ID] [--json]\n\n"
                    "Voids a pending transfer, releasing exactly its amount. VOID_ID defaults to one derived\n"
                    "from PENDING_ID, so repeating the command is harmless.\n");
      return SK_EXIT_OK;
    } else return sk_cli_usage_error(CMD, "see 'sekisho ledger %s --help'", post ? "approve" : "void");
  }
  if (optind + 1 != argc) return sk_cli_usage_error(CMD, "%s needs exactly one PENDING_ID", post ? "approve" : "void");
  if (lc_parse_id("PENDING_ID", argv[optind], &pid)) return SK_EXIT_USAGE;
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  ledger_transfer p, t = {.pending_id = pid, .flags = post ? LEDGER_TF_POST_PENDING : LEDGER_TF_VOID_PENDING};
  t.id = id ? id : ledger_derive_id(pid, post ? "approve" : "void");
  if (ledger_lookup_transfer(l, pid, &p, NULL, NULL)) {
    ledger_close(l);
    return sk_cli_fail(CMD, "no transfer %s; list pending ones with 'sekisho ledger pending'", argv[optind]);
  }
  if (amount && lc_parse_amount("--amount", amount, p.ledger, &t.amount)) {
    ledger_close(l);
    return SK_EXIT_USAGE;
  }
  ledger_result r;
  sk_err err = {0};
  if (ledger_create_transfers(l, &t, 1, LEDGER_SUBMIT_APPROVER, NULL, &r, &err)) {
    rc = sk_cli_fail(CMD, "%s", err.msg);
  } else {
    int ok = r == LEDGER_OK || r == LEDGER_EXISTS;
    char tid[U128_STR_MAX];
    if (json) lc_print_json(json_pack("{s:s s:o s:o s:b}", "result", ledger_result_str(r), "id", ledger_json_u128(t.id), "pending_id", ledger_json_u128(pid), "ok", ok));
    else printf("%s %s: %s (transfer %s)\n", post ? "approve" : "void", argv[optind], ledger_result_str(r), u128_format(t.id, tid));
    if (!ok) rc = SK_EXIT_FAIL;
  }
  ledger_close(l);
  return rc;
}

int lc_approve(const sk_cli *cli, int argc, char **argv) { return resolve(cli, argc, argv, 1); }
int lc_void(const sk_cli *cli, int argc, char **argv) { return resolve(cli, argc, argv, 0); }

/* ---- wallet ---- */

static const char k_wallet_help[] =
    "usage: sekisho ledger wallet set ACCOUNT_ID [--per-transfer-cap A] [--daily-cap A]\n"
    "                              [--approval-above A] [--approval-timeout SECONDS]\n"
    "                              [--allow ID,ID,...] [--day-offset-hours H] [--json]\n"
    "       sekisho ledger wallet show ACCOUNT_ID [--json]\n"
    "\n"
    "An agent wallet is an account with a spending policy checked on every debit: allowed\n"
    "counterparties (credit accounts; empty = any), a cap per transfer, a cap per day (local day,\n"
    "default JST: --day-offset-hours 9), and an approval threshold: a debit above it stays pending\n"
    "until a human runs 'sekisho ledger approve' (or 'void'). Amounts are in the ledger's unit\n"
    "(yen, or JPYC with up to 18 decimals); omitted or 0 = no limit. 'set' replaces the policy.\n";

static int wallet_show(ledger *l, u128 id, int json) {
  ledger_wallet_policy p;
  ledger_account a;
  u128 spent;
  sk_err err = {0};
  if (ledger_lookup_account(l, id, &a) || ledger_wallet_get(l, id, &p, &spent, &err))
    return sk_cli_fail(CMD, "no wallet policy on that account; set one with 'sekisho ledger wallet set'");
  unsigned sc = ledger_scale(a.ledger);
  char b1[U128_STR_MAX], b2[U128_STR_MAX], b3[U128_STR_MAX], b4[U128_STR_MAX];
  json_t *allow = json_array();
  for (uint32_t i = 0; i < p.n_allowed; i++) json_array_append_new(allow, ledger_json_u128(p.allowed[i]));
  json_t *o = json_pack("{s:o s:s s:s s:s s:I s:I s:o s:s}", "account", ledger_json_u128(id), "per_transfer_cap",
                        u128_format_amount(p.per_transfer_cap, sc, b1), "daily_cap", u128_format_amount(p.daily_cap, sc, b2),
                        "approval_above", u128_format_amount(p.approval_above, sc, b3), "approval_timeout",
                        (json_int_t)p.approval_timeout_s, "day_offset_s", (json_int_t)p.day_offset_s, "allowed", allow,
                        "spent_today", u128_format_amount(spent, sc, b4));
  if (json) {
    lc_print_json(o);
  } else {
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) puts(s);
    free(s);
    json_decref(o);
  }
  sk_free((void *)p.allowed);
  return SK_EXIT_OK;
}

int lc_wallet(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"per-transfer-cap", 1, 0, 'p'}, {"daily-cap", 1, 0, 'd'}, {"approval-above", 1, 0, 'a'},
                                       {"approval-timeout", 1, 0, 't'}, {"allow", 1, 0, 'w'}, {"day-offset-hours", 1, 0, 'o'},
                                       {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(k_wallet_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
  }
  int set = !strcmp(argv[1], "set");
  if (!set && strcmp(argv[1], "show")) return sk_cli_usage_error(CMD, "wallet takes 'set' or 'show'");
  argc--, argv++;
  optind = 0;
  const char *cap = NULL, *daily = NULL, *above = NULL, *allow = NULL;
  long timeout = 0, offset_h = 9;
  int json = 0, c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'p': cap = optarg; break;
    case 'd': daily = optarg; break;
    case 'a': above = optarg; break;
    case 't': timeout = atol(optarg); break;
    case 'w': allow = optarg; break;
    case 'o': offset_h = atol(optarg); break;
    case 'j': json = 1; break;
    case 'h': fputs(k_wallet_help, stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error(CMD, "see 'sekisho ledger wallet --help'");
    }
  }
  u128 id;
  if (optind + 1 != argc) return sk_cli_usage_error(CMD, "wallet %s needs exactly one ACCOUNT_ID", set ? "set" : "show");
  if (lc_parse_id("ACCOUNT_ID", argv[optind], &id)) return SK_EXIT_USAGE;
  if (timeout < 0 || timeout > (long)UINT32_MAX || offset_h < -14 || offset_h > 14)
    return sk_cli_usage_error(CMD, "--approval-timeout must be ≥ 0 and --day-offset-hours within ±14");
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  ledger_account a;
  if (ledger_lookup_account(l, id, &a)) {
    ledger_close(l);
    return sk_cli_fail(CMD, "no account %s; create it first", argv[optind]);
  }
  if (set) {
    ledger_wallet_policy p = {.approval_timeout_s = (uint32_t)timeout, .day_offset_s = (int32_t)(offset_h * 3600)};
    u128 allowed[LEDGER_WALLET_ALLOWED_MAX];
    if ((cap && lc_parse_amount("--per-transfer-cap", cap, a.ledger, &p.per_transfer_cap)) ||
        (daily && lc_parse_amount("--daily-cap", daily, a.ledger, &p.daily_cap)) ||
        (above && lc_parse_amount("--approval-above", above, a.ledger, &p.approval_above))) {
      ledger_close(l);
      return SK_EXIT_USAGE;
    }
    if (allow) {
      char buf[8192];
      snprintf(buf, sizeof buf, "%s", allow);
      for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (p.n_allowed == LEDGER_WALLET_ALLOWED_MAX || lc_parse_id("--allow", tok, &allowed[p.n_allowed])) {
          ledger_close(l);
          return p.n_allowed == LEDGER_WALLET_ALLOWED_MAX ? sk_cli_usage_error(CMD, "at most %u counterparties", LEDGER_WALLET_ALLOWED_MAX) : SK_EXIT_USAGE;
        }
        p.n_allowed++;
      }
      p.allowed = allowed;
    }
    sk_err err = {0};
    if (ledger_wallet_set(l, id, &p, &err)) rc = sk_cli_fail(CMD, "%s", err.msg);
  }
  if (!rc) rc = wallet_show(l, id, json);
  ledger_close(l);
  return rc;
}

/* ---- settle / reconcile ---- */

/* Parses unix seconds, or YYYY-MM-DD as midnight JST; returns 0 and ns, or -1. */
static int parse_time(const char *s, uint64_t *ns) {
  int y, m, d;
  char tail;
  if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
    *ns = ((uint64_t)t - 9 * 3600) * 1000000000ull;
    return 0;
  }
  u128 v;
  if (u128_parse(s, strlen(s), &v) || v > UINT64_MAX / 1000000000ull) return -1;
  *ns = (uint64_t)v * 1000000000ull;
  return 0;
}

static const char k_settle_help[] =
    "usage: sekisho ledger settle --ledger JPY|JPYC --from T --to T [--out FILE] [--json]\n"
    "       sekisho ledger settle verify FILE [--public-key HEX] [--json]\n"
    "\n"
    "Produces a settlement batch: the net position (credits - debits) of every account from the\n"
    "transfers posted in [from, to), signed with Ed25519 (key: <data-dir>/ledger/settle_ed25519.key,\n"
    "created on first use). T is unix seconds or YYYY-MM-DD (00:00 JST). The batch is stored and\n"
    "written to FILE (default stdout). The ledger never pays anyone: hand the batch to the bank or\n"
    "chain operator, then import their confirmation with 'sekisho ledger reconcile'.\n"
    "'verify' checks the digest and signature of a batch file.\n";

int lc_settle(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"ledger", 1, 0, 'l'}, {"from", 1, 0, 'f'}, {"to", 1, 0, 't'}, {"out", 1, 0, 'o'},
                                       {"public-key", 1, 0, 'k'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int verify = argc > 1 && !strcmp(argv[1], "verify");
  if (verify) argc--, argv++, optind = 0;
  uint32_t led = 0;
  uint64_t from = 0, to = 0;
  int have_from = 0, have_to = 0, json = 0, c;
  const char *out = NULL, *pkhex = NULL;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'l': if (ledger_parse_ledger(optarg, &led)) return sk_cli_usage_error(CMD, "--ledger must be JPY, JPYC or a number"); break;
    case 'f': if (parse_time(optarg, &from)) return sk_cli_usage_error(CMD, "--from must be unix seconds or YYYY-MM-DD"); have_from = 1; break;
    case 't': if (parse_time(optarg, &to)) return sk_cli_usage_error(CMD, "--to must be unix seconds or YYYY-MM-DD"); have_to = 1; break;
    case 'o': out = optarg; break;
    case 'k': pkhex = optarg; break;
    case 'j': json = 1; break;
    case 'h': fputs(k_settle_help, stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error(CMD, "see 'sekisho ledger settle --help'");
    }
  }
  sk_err err = {0};
  if (verify) {
    if (optind + 1 != argc) return sk_cli_usage_error(CMD, "settle verify needs one FILE");
    unsigned char pk[LEDGER_SETTLE_PK_BYTES];
    size_t got = 0;
    if (pkhex && (sodium_init() < 0 || sodium_hex2bin(pk, sizeof pk, pkhex, strlen(pkhex), NULL, &got, NULL) || got != sizeof pk))
      return sk_cli_usage_error(CMD, "--public-key must be 64 hex digits");
    char *text;
    size_t len;
    if (sk_read_file(argv[optind], LEDGER_SETTLE_DOC_MAX, &text, &len, &err)) return sk_cli_fail(CMD, "%s", err.msg);
    int rc = ledger_settle_verify(text, len, pkhex ? pk : NULL, &err);
    sk_free(text);
    if (json) lc_print_json(json_pack("{s:b s:s}", "ok", rc == SK_OK, "message", rc ? err.msg : "digest and signature verify"));
    else if (!rc) printf("ok: digest and signature verify%s\n", pkhex ? " with the given key" : " (self-signed key; pass --public-key to pin it)");
    return rc ? sk_cli_fail(CMD, "%s", err.msg) : SK_EXIT_OK;
  }
  if (!led || !have_from || !have_to) return sk_cli_usage_error(CMD, "settle needs --ledger, --from and --to");
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) return rc;
  char keypath[4096];
  unsigned char sk[LEDGER_SETTLE_SK_BYTES];
  char *batch = NULL;
  if (snprintf(keypath, sizeof keypath, "%s/ledger/settle_ed25519.key", cli->data_dir) >= (int)sizeof keypath) {
    rc = sk_cli_fail(CMD, "data directory path is too long");
  } else if (ledger_settle_key(keypath, sk, &err) || ledger_settle(l, led, from, to, sk, &batch, &err)) {
    rc = sk_cli_fail(CMD, "%s", err.msg);
  } else if (out) {
    FILE *f = fopen(out, "w");
    if (!f || fputs(batch, f) < 0 || fclose(f)) rc = sk_cli_fail(CMD, "cannot write %s", out);
    else if (json) {
      json_t *b = json_loads(batch, 0, NULL);
      lc_print_json(json_pack("{s:s s:O s:O}", "file", out, "digest", json_object_get(b, "digest"), "public_key", json_object_get(b, "public_key")));
      json_decref(b);
    } else printf("wrote %s\n", out);
  } else {
    if (json) {
      json_t *b = json_loads(batch, 0, NULL);
      lc_print_json(b);
    } else {
      puts(batch);
    }
  }
  sodium_memzero(sk, sizeof sk);
  sk_free(batch);
  ledger_close(l);
  return rc;
}

static const char k_reconcile_help[] =
    "usage: sekisho ledger reconcile FILE [--json]\n"
    "\n"
    "Imports a reconciliation file for a settlement batch:\n"
    "  {\"settlement_digest\":\"<digest of the batch>\",\"external_ref\":\"bank statement 42\",\n"
    "   \"positions\":[{\"account\":\"7\",\"net\":\"-1200\"}, ...]}\n"
    "compares every position with the stored batch, stores the report and prints it.\n"
    "Exit: 0 reconciled, 1 differences (listed) or errors.\n";

int lc_reconcile(const sk_cli *cli, int argc, char **argv) {
  int json = 0;
  int h = simple_opts(argc, argv, k_reconcile_help, &json);
  if (h >= 0) return h;
  if (optind + 1 != argc) return sk_cli_usage_error(CMD, "reconcile needs one FILE");
  sk_err err = {0};
  char *text, *report = NULL;
  size_t len;
  if (sk_read_file(argv[optind], LEDGER_SETTLE_DOC_MAX, &text, &len, &err)) return sk_cli_fail(CMD, "%s", err.msg);
  ledger *l;
  int rc = lc_open(cli, &l);
  if (rc) {
    sk_free(text);
    return rc;
  }
  int matched = 0;
  if (ledger_reconcile(l, text, len, &report, &matched, &err)) {
    rc = sk_cli_fail(CMD, "%s", err.msg);
  } else {
    if (json) lc_print_json(json_loads(report, 0, NULL));
    else printf("%s\n%s\n", report, matched ? "reconciled: every position matches" : "NOT reconciled: see differences above");
    if (!matched) rc = SK_EXIT_FAIL;
  }
  sk_free(report);
  sk_free(text);
  ledger_close(l);
  return rc;
}
