/* report.c — aggregation, HTML rendering, JSONL export. */
#include "audit/report.h"

#include <inttypes.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "base/alloc.h"

static void bump(json_t *obj, const char *key, json_int_t by) {
  if (!key) key = "(none)";
  json_t *v = json_object_get(obj, key);
  if (!v && json_object_size(obj) >= REPORT_MAX_KEYS) {
    key = "(other)";
    v = json_object_get(obj, key);
  }
  if (v) json_integer_set(v, json_integer_value(v) + by);
  else json_object_set_new(obj, key, json_integer(by));
}

static const char *str(json_t *rec, const char *k) { return json_string_value(json_object_get(rec, k)); }

static json_int_t sum_values(json_t *obj) {
  json_int_t s = 0;
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) s += json_integer_value(v);
  return s;
}

static json_t *principle(int id, const char *ja, const char *en, const char *evidence, json_t *metrics) {
  return json_pack("{s:i,s:s,s:s,s:s,s:o}", "id", id, "ja", ja, "en", en, "evidence", evidence, "metrics",
                   metrics ? metrics : json_object());
}

/* Latest stored checkpoint with size <= size, as {"size","time"}; null if none. */
static json_t *latest_checkpoint(const char *dir) {
  uint64_t *sizes = NULL;
  size_t n = 0;
  if (audit_checkpoint_sizes(dir, &sizes, &n, NULL) || n == 0) {
    sk_free(sizes);
    return json_null();
  }
  char *text = NULL;
  size_t len = 0;
  json_t *out = json_null();
  audit_checkpoint c;
  if (!audit_checkpoint_read(dir, sizes[n - 1], &text, &len, NULL) && !ckpt_parse(text, len, &c, NULL)) {
    char hex[65];
    merkle_hex(&c.root, hex);
    json_decref(out);
    out = json_pack("{s:I,s:s,s:s,s:s}", "size", (json_int_t)c.size, "root", hex, "time", c.time, "text", text);
  }
  sk_free(text);
  sk_free(sizes);
  return out;
}

int audit_report(audit_log *log, uint64_t from, uint64_t to, json_t **out, sk_err *err) {
  *out = NULL;
  uint64_t size = audit_size(log);
  if (size == 0) return sk_err_set(err, SK_ENOTFOUND, "the audit log is empty");
  if (to >= size) to = size - 1;
  if (from > to) return sk_err_set(err, SK_ERANGE, "empty range: --from %" PRIu64 " is after --to %" PRIu64, from, to);
  json_t *tenant = json_object(), *model = json_object(), *route = json_object(), *kind = json_object(),
         *decision = json_object(), *actor = json_object(), *policy = json_object();
  json_t *pii_blocked = json_object(), *pii_redacted = json_object(), *pii_passed = json_object();
  json_t *ext = json_object(), *incidents = json_array(), *models = json_object();
  json_int_t tok_in = 0, tok_out = 0, n_ext = 0, n_ext_nobasis = 0, n_incidents = 0, n_sealed = 0;
  double cost = 0;
  char first_time[40] = "", last_time[40] = "";
  int rc = SK_OK;
  for (uint64_t i = from; i <= to; i++) {
    char *js = NULL;
    size_t len = 0;
    if ((rc = audit_read(log, i, &js, &len, err))) break;
    json_t *rec = json_loadb(js, len, 0, NULL);
    sk_free(js);
    if (!rec) {
      rc = sk_err_set(err, SK_ECORRUPT, "record %" PRIu64 " is not JSON (run 'sekisho audit verify')", i);
      break;
    }
    const char *t = str(rec, "time");
    if (t && !first_time[0]) snprintf(first_time, sizeof first_time, "%s", t);
    if (t) snprintf(last_time, sizeof last_time, "%s", t);
    bump(tenant, str(rec, "tenant"), 1);
    bump(model, str(rec, "model"), 1);
    bump(route, str(rec, "route"), 1);
    bump(kind, str(rec, "kind"), 1);
    bump(decision, str(rec, "decision"), 1);
    bump(actor, str(rec, "actor"), 1);
    if (str(rec, "policy_version")) bump(policy, str(rec, "policy_version"), 1);
    tok_in += json_integer_value(json_object_get(rec, "tokens_in"));
    tok_out += json_integer_value(json_object_get(rec, "tokens_out"));
    cost += json_number_value(json_object_get(rec, "cost"));
    if (json_object_get(rec, "sealed")) n_sealed++;
    json_t *pii = json_object_get(rec, "pii");
    const char *d = str(rec, "decision");
    json_t *dst = d && !strcmp(d, "block") ? pii_blocked : d && !strcmp(d, "redact") ? pii_redacted : pii_passed;
    const char *k;
    json_t *v;
    json_object_foreach(pii, k, v) bump(dst, k, json_integer_value(v));
    if (json_is_true(json_object_get(rec, "external"))) {
      n_ext++;
      const char *basis = str(rec, "legal_basis");
      if (!basis) n_ext_nobasis++;
      char key[300];
      snprintf(key, sizeof key, "%s | %s", str(rec, "route") ? str(rec, "route") : "(none)",
               basis ? basis : "(NO LEGAL BASIS RECORDED)");
      bump(ext, key, 1);
    }
    const char *inc = str(rec, "incident");
    if (inc || (str(rec, "kind") && !strcmp(str(rec, "kind"), "incident"))) {
      n_incidents++;
      if (json_array_size(incidents) < REPORT_MAX_INCIDENTS)
        json_array_append_new(incidents, json_pack("{s:I,s:s?,s:s?,s:s?,s:s?}", "seq", (json_int_t)i, "time", t,
                                                   "incident", inc, "tenant", str(rec, "tenant"), "model",
                                                   str(rec, "model")));
    }
    const char *m = str(rec, "model"), *mh = str(rec, "model_sha256");
    if (m && mh) {
      char key[400];
      snprintf(key, sizeof key, "%s %s", m, mh);
      if (!json_object_get(models, key) && json_object_size(models) < REPORT_MAX_KEYS)
        json_object_set_new(models, key, json_pack("{s:s,s:s,s:I,s:s?}", "model", m, "model_sha256", mh,
                                                   "first_seen_seq", (json_int_t)i, "first_seen", t));
    }
    json_decref(rec);
  }
  json_t *model_list = json_array();
  {
    const char *k;
    json_t *v;
    json_object_foreach(models, k, v) json_array_append(model_list, v);
  }
  json_decref(models);
  merkle_hash root;
  char hex[65] = "";
  if (!rc && !(rc = audit_root(log, size, &root, err))) merkle_hex(&root, hex);
  if (rc) {
    json_decref(tenant), json_decref(model), json_decref(route), json_decref(kind), json_decref(decision);
    json_decref(actor), json_decref(policy), json_decref(pii_blocked), json_decref(pii_redacted);
    json_decref(pii_passed), json_decref(ext), json_decref(incidents), json_decref(model_list);
    return rc;
  }
  json_int_t n = (json_int_t)(to - from + 1);
  json_int_t blocked = json_integer_value(json_object_get(decision, "block"));
  json_t *pr = json_array();
  json_array_append_new(pr, principle(1, "人間中心", "Human-centric",
                                      "Every decision is recorded with its actor and tenant; blocked requests "
                                      "were stopped before reaching a model.",
                                      json_pack("{s:I,s:I}", "actors", (json_int_t)json_object_size(actor),
                                                "blocked", blocked)));
  json_array_append_new(pr, principle(2, "安全性", "Safety",
                                      "Incidents and blocks recorded in the period (listed under incidents).",
                                      json_pack("{s:I,s:I}", "incidents", n_incidents, "blocked", blocked)));
  json_array_append_new(pr, principle(3, "公平性", "Fairness",
                                      "Volumes per tenant and model, and the policy versions in force, show "
                                      "that the same rules applied to all; the log cannot judge model bias.",
                                      json_pack("{s:I,s:I}", "tenants", (json_int_t)json_object_size(tenant),
                                                "policy_versions", (json_int_t)json_object_size(policy))));
  json_array_append_new(pr, principle(4, "プライバシー保護", "Privacy protection",
                                      "Personal information detected, by category, and what was done with it "
                                      "(counts only; no values are logged); personal data kept only "
                                      "encrypted per data subject (erasable by key destruction).",
                                      json_pack("{s:I,s:I,s:I}", "pii_blocked", sum_values(pii_blocked),
                                                "pii_redacted", sum_values(pii_redacted), "sealed_records",
                                                n_sealed)));
  json_array_append_new(pr, principle(5, "セキュリティ確保", "Ensuring security",
                                      "The log is a Merkle tree with Ed25519-signed checkpoints; run "
                                      "'sekisho audit verify' and check the checkpoint with the public key.",
                                      json_pack("{s:I,s:s}", "tree_size", (json_int_t)size, "root", hex)));
  json_array_append_new(pr, principle(6, "透明性", "Transparency",
                                      "Model inventory with file hashes, routes used, and every transfer outside "
                                      "the premises with its legal basis.",
                                      json_pack("{s:I,s:I,s:I}", "models", (json_int_t)json_array_size(model_list),
                                                "external_transfers", n_ext, "external_without_basis",
                                                n_ext_nobasis)));
  json_array_append_new(pr, principle(7, "アカウンタビリティ", "Accountability",
                                      "A complete, ordered, tamper-evident record of each AI decision for the "
                                      "period; the responsible person signs off this report.",
                                      json_pack("{s:I}", "records", n)));
  json_array_append_new(pr, principle(8, "教育・リテラシー", "Education and literacy",
                                      "Not evidenced by the decision log: explain training measures separately "
                                      "(comply or explain).",
                                      NULL));
  json_array_append_new(pr, principle(9, "公正競争確保", "Ensuring fair competition",
                                      "Not evidenced by the decision log: explain separately.", NULL));
  json_array_append_new(pr, principle(10, "イノベーション", "Innovation",
                                       "Usage volumes and tokens show how AI is being adopted.",
                                       json_pack("{s:I,s:I}", "tokens_in", tok_in, "tokens_out", tok_out)));
  *out = json_pack(
      "{s:s,s:{s:I,s:I,s:I,s:s,s:s},s:{s:I,s:s,s:o},s:{s:o,s:o,s:o,s:o,s:o,s:o},s:{s:I,s:I,s:f},"
      "s:{s:o,s:o,s:o},s:{s:I,s:I,s:o},s:{s:I,s:o},s:o,s:o}",
      "report", "sekisho-audit-report/v1", "range", "from", (json_int_t)from, "to", (json_int_t)to, "records", n,
      "first_time", first_time, "last_time", last_time, "tree", "size", (json_int_t)size, "root", hex,
      "checkpoint", latest_checkpoint(audit_dir(log)), "volumes", "by_tenant", tenant, "by_model", model,
      "by_route", route, "by_kind", kind, "by_decision", decision, "by_policy_version", policy, "usage",
      "tokens_in", tok_in, "tokens_out", tok_out, "cost", cost, "pii", "blocked", pii_blocked, "redacted",
      pii_redacted, "passed", pii_passed, "external_transfers", "count", n_ext, "without_legal_basis",
      n_ext_nobasis, "by_route_and_basis", ext, "incidents", "count", n_incidents, "listed", incidents,
      "models", model_list, "principles", pr);
  json_decref(actor);
  if (!*out) return sk_err_set(err, SK_ENOMEM, "out of memory building the report");
  return SK_OK;
}

static void html_esc(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*s, f);
    }
  }
}

static void html_table(FILE *f, const char *title, json_t *obj) {
  fprintf(f, "<h3>");
  html_esc(f, title);
  fprintf(f, "</h3>\n<table><tr><th>key</th><th>count</th></tr>\n");
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    fprintf(f, "<tr><td>");
    html_esc(f, k);
    fprintf(f, "</td><td class=n>%" JSON_INTEGER_FORMAT "</td></tr>\n", json_integer_value(v));
  }
  fprintf(f, "</table>\n");
}

int audit_report_html(const json_t *report, FILE *f, sk_err *err) {
  json_t *r = (json_t *)report;
  json_t *range = json_object_get(r, "range"), *tree = json_object_get(r, "tree");
  fprintf(f, "<!doctype html>\n<html lang=ja><meta charset=utf-8><title>Sekisho AI governance report</title>\n"
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;"
             "margin:.5em 0}td,th{border:1px solid #999;padding:.2em .6em;text-align:left}.n{text-align:right}"
             "pre{background:#f4f4f4;padding:.5em}</style>\n<h1>AI governance report — 関所 Sekisho</h1>\n");
  fprintf(f, "<p>Records %" JSON_INTEGER_FORMAT "–%" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
             " records), ",
          json_integer_value(json_object_get(range, "from")), json_integer_value(json_object_get(range, "to")),
          json_integer_value(json_object_get(range, "records")));
  html_esc(f, json_string_value(json_object_get(range, "first_time")));
  fputs(" to ", f);
  html_esc(f, json_string_value(json_object_get(range, "last_time")));
  fprintf(f, ".<br>Tree size %" JSON_INTEGER_FORMAT ", root <code>", json_integer_value(json_object_get(tree, "size")));
  html_esc(f, json_string_value(json_object_get(tree, "root")));
  fputs("</code>.</p>\n", f);
  json_t *ck = json_object_get(tree, "checkpoint");
  if (json_is_object(ck)) {
    fputs("<h2>Latest signed checkpoint</h2><pre>", f);
    html_esc(f, json_string_value(json_object_get(ck, "text")));
    fputs("</pre>\n", f);
  }
  fputs("<h2>AI Guidelines for Business — ten common principles (AI事業者ガイドライン 共通の指針)</h2>\n"
        "<table><tr><th>#</th><th>principle</th><th>evidence from this log</th><th>figures</th></tr>\n",
        f);
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(r, "principles"), i, p) {
    fprintf(f, "<tr><td>%" JSON_INTEGER_FORMAT "</td><td>", json_integer_value(json_object_get(p, "id")));
    html_esc(f, json_string_value(json_object_get(p, "ja")));
    fputs("<br>", f);
    html_esc(f, json_string_value(json_object_get(p, "en")));
    fputs("</td><td>", f);
    html_esc(f, json_string_value(json_object_get(p, "evidence")));
    fputs("</td><td>", f);
    char *m = json_dumps(json_object_get(p, "metrics"), JSON_COMPACT);
    html_esc(f, m);
    free(m);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n<h2>Volumes</h2>\n", f);
  json_t *vol = json_object_get(r, "volumes");
  html_table(f, "per tenant", json_object_get(vol, "by_tenant"));
  html_table(f, "per model", json_object_get(vol, "by_model"));
  html_table(f, "per route", json_object_get(vol, "by_route"));
  html_table(f, "per decision", json_object_get(vol, "by_decision"));
  fputs("<h2>Personal information (counts by category)</h2>\n", f);
  json_t *pii = json_object_get(r, "pii");
  html_table(f, "blocked", json_object_get(pii, "blocked"));
  html_table(f, "redacted", json_object_get(pii, "redacted"));
  fputs("<h2>External transfers</h2>\n", f);
  html_table(f, "route | legal basis", json_object_get(json_object_get(r, "external_transfers"), "by_route_and_basis"));
  fputs("<h2>Incidents</h2>\n<table><tr><th>seq</th><th>time</th><th>incident</th></tr>\n", f);
  json_array_foreach(json_object_get(json_object_get(r, "incidents"), "listed"), i, p) {
    fprintf(f, "<tr><td>%" JSON_INTEGER_FORMAT "</td><td>", json_integer_value(json_object_get(p, "seq")));
    html_esc(f, json_string_value(json_object_get(p, "time")));
    fputs("</td><td>", f);
    html_esc(f, json_string_value(json_object_get(p, "incident")));
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n<h2>Model inventory</h2>\n<table><tr><th>model</th><th>file SHA-256</th><th>first seen</th></tr>\n", f);
  json_array_foreach(json_object_get(r, "models"), i, p) {
    fputs("<tr><td>", f);
    html_esc(f, json_string_value(json_object_get(p, "model")));
    fputs("</td><td><code>", f);
    html_esc(f, json_string_value(json_object_get(p, "model_sha256")));
    fputs("</code></td><td>", f);
    html_esc(f, json_string_value(json_object_get(p, "first_seen")));
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n<p>Responsible person (責任者): ____________________ &nbsp; date: __________</p>\n</html>\n", f);
  if (ferror(f)) return sk_err_set(err, SK_EIO, "cannot write the HTML report");
  return SK_OK;
}

int audit_export(audit_log *log, uint64_t from, uint64_t to, FILE *f, sk_err *err) {
  uint64_t size = audit_size(log);
  if (size == 0) return sk_err_set(err, SK_ENOTFOUND, "the audit log is empty");
  if (to >= size) to = size - 1;
  if (from > to) return sk_err_set(err, SK_ERANGE, "empty range: --from %" PRIu64 " is after --to %" PRIu64, from, to);
  for (uint64_t i = from; i <= to; i++) {
    char *js = NULL;
    size_t len = 0;
    int rc = audit_read(log, i, &js, &len, err);
    if (rc) return rc;
    fwrite(js, 1, len, f);
    fputc('\n', f);
    sk_free(js);
  }
  merkle_hash root;
  char hex[65];
  int rc = audit_root(log, size, &root, err);
  if (rc) return rc;
  merkle_hex(&root, hex);
  json_t *trailer = json_pack("{s:{s:I,s:I,s:I,s:s,s:o}}", "export", "from", (json_int_t)from, "to", (json_int_t)to,
                              "tree_size", (json_int_t)size, "root", hex, "checkpoint",
                              latest_checkpoint(audit_dir(log)));
  char *s = trailer ? json_dumps(trailer, JSON_COMPACT) : NULL;
  json_decref(trailer);
  if (!s) return sk_err_set(err, SK_ENOMEM, "out of memory");
  fputs(s, f);
  fputc('\n', f);
  free(s);
  if (ferror(f)) return sk_err_set(err, SK_EIO, "write error during export");
  return SK_OK;
}
