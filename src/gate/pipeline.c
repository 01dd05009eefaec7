/* pipeline.c — the checkpoint's stages in their one fixed order (see pipeline.h). */
#include "gate/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/log.h"
#include "base/alloc.h"
#include "base/fs.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "gate/budgets.h"
#include "gate/committer.h"
#include "gate/policy.h"
#include "gate/ratelimit.h"
#include "guard/guard.h"
#include "guard/pseudonym.h"
#include "ledger/budget.h"
#include "upstream/upstream.h"

/* A request refused only because others in flight hold the rest of the budget may retry soon. */
#define GATE_BUDGET_RETRY_INFLIGHT_S 1.0
/* Added-latency histogram buckets (milliseconds), for /metrics. */
static const double k_lat_ms[] = {0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 50};
#define N_LAT (sizeof k_lat_ms / sizeof k_lat_ms[0])

typedef struct cfg_ref {
  gate_config *c;
  atomic_int refs;
} cfg_ref;

typedef struct gate_metrics {
  pthread_mutex_t mu;
  uint64_t admitted[2][5]; /* [external][class] */
  uint64_t rerouted, denied[6]; /* 401 403 404 429 5xx other */
  uint64_t lat_bucket[N_LAT + 1];
  double lat_sum_ms;
  uint64_t lat_count;
  uint64_t upstream_errors;
  uint64_t cost_jpy;
} gate_metrics;

struct gate {
  char dir[4096];
  char *config_path;
  struct timespec config_mtime;
  char local_model[GATE_MAX_ID];
  pthread_mutex_t cfg_mu;
  cfg_ref *cfg;
  gate_keys *keys;
  audit_log *audit;
  ledger *led;
  pii_scanner *scanner;
  unsigned char pseudo_secret[PII_KEY_BYTES];
  rl_table *rl;
  gate_metrics m;
  gate_budgets *bud;   /* budget reservations in memory; the ledger is the durable record */
  gate_committer *com; /* writes after-the-answer records (completed, denied, charges) in batches */
  atomic_ullong next_req, next_xfer;
  uint64_t req_salt;
  u128 xfer_base; /* random at open; a request's transfer ids derive from base + its number */
};

struct gate_ticket {
  cfg_ref *cfg;
  gate_key key;
  const gate_tenant *tenant;
  gate_decision dec;
  gate_class cls;
  char req_id[40];
  char endpoint[32];
  uint32_t pii_counts[PII_TYPE_COUNT];
  char prompt_sha[65];
  int reid;           /* re-identify answers for this requester */
  pii_vault *vault;
  pii_reid reider;
  up_call *up;
  gate_hold hold;
  u128 xfer_id; /* derives the ids of the ledger transfers charging this request */
  uint64_t est_tokens; /* taken from the token buckets */
  double t0, admit_ms;
  char lat_hdr[24];
  char hdr_route[GATE_MAX_ID + 16];
  int grounded;            /* grounded chat: verdict counts for the "completed" record */
  uint32_t ground[3], ground_chunks;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static cfg_ref *cfg_get(gate *g) {
  pthread_mutex_lock(&g->cfg_mu);
  cfg_ref *r = g->cfg;
  atomic_fetch_add(&r->refs, 1);
  pthread_mutex_unlock(&g->cfg_mu);
  return r;
}
static void cfg_put(cfg_ref *r) {
  if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
    gate_config_free(r->c);
    sk_free(r);
  }
}

static int read_or_make_secret(const char *path, unsigned char *out, size_t n, sk_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    randombytes_buf(out, n);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, out, n) == (ssize_t)n && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    (void)ok;
  }
  ssize_t got = fd >= 0 ? read(fd, out, n) : -1;
  if (fd >= 0) close(fd);
  if (got != (ssize_t)n) return sk_err_set(err, SK_EIO, "cannot read secret %s", path);
  return 0;
}

static void lat_observe(gate *g, double ms) {
  pthread_mutex_lock(&g->m.mu);
  size_t i = 0;
  while (i < N_LAT && ms > k_lat_ms[i]) i++;
  g->m.lat_bucket[i]++;
  g->m.lat_sum_ms += ms;
  g->m.lat_count++;
  pthread_mutex_unlock(&g->m.mu);
}

static void count_denied(gate *g, int status) {
  int i = status == 401 ? 0 : status == 403 ? 1 : status == 404 ? 2 : status == 429 ? 3 : status >= 500 ? 4 : 5;
  pthread_mutex_lock(&g->m.mu);
  g->m.denied[i]++;
  pthread_mutex_unlock(&g->m.mu);
}

/* Appends one audit record; returns the audit_append result (the caller fails closed on error). */
static int audit_write(gate *g, json_t *rec) {
  char *s = json_dumps(rec, JSON_COMPACT);
  json_decref(rec);
  if (!s) return SK_ENOMEM;
  sk_err err;
  int rc = audit_append(g->audit, s, NULL, &err);
  free(s);
  return rc;
}

/* Appends ,"key":"value" to an envelope being written as text. Text that is not valid UTF-8
 * (an upstream's error body cut mid-character, say) is written with '?' for the bad bytes: a
 * record with a mangled reason beats no record. */
static int jw_field(sk_buf *b, const char *key, const char *v) {
  int rc = sk_json_key(b, key);
  if (rc) return rc;
  if (!v) v = "";
  rc = sk_json_cstr(b, v);
  if (rc != SK_EINVAL) return rc;
  size_t n = strlen(v);
  char *clean = sk_malloc(n + 1);
  if (!clean) return SK_ENOMEM;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t k = sk_utf8_decode(v + i, n - i, &cp);
    if (!k) clean[i++] = '?';
    else memcpy(clean + i, v + i, k), i += k;
  }
  clean[n] = 0;
  rc = sk_json_str(b, clean, n);
  sk_free(clean);
  return rc;
}

/* "pii":{"PERSON":2,...} */
static int jw_pii(sk_buf *b, const uint32_t *counts) {
  int rc = sk_json_key(b, "pii");
  rc = rc ? rc : sk_buf_append_byte(b, '{');
  for (int i = 0; i < PII_TYPE_COUNT && !rc; i++)
    if (counts[i]) {
      rc = sk_json_key(b, pii_type_name((pii_type)i));
      rc = rc ? rc : sk_buf_printf(b, "%u", counts[i]);
    }
  return rc ? rc : sk_buf_append_byte(b, '}');
}

/* Hands a finished envelope's text over: NULL (and the buffer freed) if writing it failed. */
static char *jw_done(sk_buf *b, int rc) {
  if (!rc) rc = sk_buf_append_byte(b, '}');
  if (rc) {
    sk_buf_release(b);
    return NULL;
  }
  return sk_buf_detach(b);
}

static void deny(gate_denial *d, int status, double retry, const char *fmt, const char *a) {
  d->status = status;
  d->retry_after_s = retry;
  snprintf(d->message, sizeof d->message, fmt, a ? a : "");
}

static json_t *pii_json(const uint32_t *counts) {
  json_t *o = json_object();
  for (int i = 0; i < PII_TYPE_COUNT; i++)
    if (counts[i]) json_object_set_new(o, pii_type_name((pii_type)i), json_integer(counts[i]));
  return o;
}

/* A denied request: counted and audited (best effort: a denial needs no durability to be safe). */
static int denied(gate *g, gate_ticket *t, const gate_call *c, gate_denial *d, const char *stage) {
  if (d->status >= 400) count_denied(g, d->status);
  int ok = d->status < 400;
  json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:{s:i,s:s,s:s,s:s}}", "kind", ok ? "admin" : "denied", "decision",
                          ok ? "allow" : "block",
                          "request_id", t->req_id, "model", c && c->model ? c->model : "", "extra", "status",
                          d->status, "stage", stage, "reason", d->message, "endpoint", t->endpoint);
  if (t->tenant) json_object_set_new(rec, "tenant", json_string(t->tenant->id));
  if (t->key.id[0]) json_object_set_new(rec, "actor", json_string(t->key.id));
  if (t->prompt_sha[0]) {
    json_object_set_new(rec, "pii", pii_json(t->pii_counts));
    json_object_set_new(rec, "prompt_sha256", json_string(t->prompt_sha));
  }
  if (ok || !g->com) {
    audit_write(g, rec); /* an admin action: durable before it is answered */
  } else {
    gate_committer_push(g->com, json_dumps(rec, JSON_COMPACT), NULL, 0); /* no durability needed to be safe */
    json_decref(rec);
  }
  return SK_EDENIED;
}

static void ticket_free(gate_ticket *t) {
  if (!t) return;
  up_free(t->up);
  pii_vault_free(t->vault);
  cfg_put(t->cfg);
  sk_free(t);
}

static uint64_t yen_ceil(uint64_t tokens, uint64_t yen_per_mtok) {
  u128 v = (u128)tokens * yen_per_mtok;
  return (uint64_t)((v + 999999) / 1000000);
}

/* ---- open / reload ---------------------------------------------------------------------- */

int gate_open(const gate_params *p, gate **out, sk_err *err) {
  *out = NULL;
  gate *g = sk_calloc(1, sizeof *g);
  if (!g) {
    gate_config_free(p->config);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&g->cfg_mu, NULL);
  pthread_mutex_init(&g->m.mu, NULL);
  g->cfg = sk_calloc(1, sizeof *g->cfg);
  if (!g->cfg) {
    gate_config_free(p->config);
    sk_free(g);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  g->cfg->c = p->config;
  atomic_init(&g->cfg->refs, 1);
  snprintf(g->local_model, sizeof g->local_model, "%s", p->local_model ? p->local_model : "");
  randombytes_buf(&g->req_salt, sizeof g->req_salt);
  randombytes_buf(&g->xfer_base, sizeof g->xfer_base);
  char gdir[4200], path[4300];
  int rc = 0;
  if (sk_path_join(gdir, sizeof gdir, p->data_dir, "gate")) rc = sk_err_set(err, SK_ELIMIT, "data dir path too long");
  if (!rc) snprintf(g->dir, sizeof g->dir, "%.4000s", gdir);
  if (!rc) rc = gate_keys_open(gdir, &g->keys, err);
  if (!rc) {
    snprintf(path, sizeof path, "%s/pseudonym.secret", gdir);
    rc = read_or_make_secret(path, g->pseudo_secret, sizeof g->pseudo_secret, err);
  }
  if (!rc) {
    char adir[4200];
    sk_path_join(adir, sizeof adir, p->data_dir, "audit");
    rc = audit_open(adir, NULL, &g->audit, err);
    if (rc) sk_err_wrap(err, "audit log");
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/budget.db", gdir);
    ledger_options lo = {.sync_full = 1};
    rc = ledger_open(path, &lo, &g->led, err);
    if (rc) sk_err_wrap(err, "budget ledger");
  }
  if (!rc) rc = gate_budgets_new(g->led, &g->bud, err);
  if (!rc) rc = gate_committer_start(g->audit, g->led, &g->com, err);
  if (!rc) {
    pii_options po = {.disable_mecab = p->disable_mecab};
    rc = pii_scanner_new(&po, &g->scanner, err);
  }
  if (!rc && !(g->rl = rl_new())) rc = sk_err_set(err, SK_ENOMEM, "out of memory");
  if (!rc && p->config_path) {
    g->config_path = sk_strdup(p->config_path);
    struct stat st;
    if (!stat(p->config_path, &st)) g->config_mtime = st.st_mtim;
  }
  if (rc) {
    gate_close(g);
    return rc;
  }
  *out = g;
  return 0;
}

void gate_close(gate *g) {
  if (!g) return;
  gate_committer_stop(g->com); /* drains: every queued record and charge is written */
  gate_budgets_free(g->bud);
  cfg_put(g->cfg);
  gate_keys_close(g->keys);
  if (g->audit) audit_close(g->audit);
  ledger_close(g->led);
  pii_scanner_free(g->scanner);
  rl_free(g->rl);
  sodium_memzero(g->pseudo_secret, sizeof g->pseudo_secret);
  sk_free(g->config_path);
  pthread_mutex_destroy(&g->cfg_mu);
  pthread_mutex_destroy(&g->m.mu);
  sk_free(g);
}

gate_keys *gate_get_keys(gate *g) { return g->keys; }

int gate_reload(gate *g, sk_err *err) {
  if (!g->config_path) return sk_err_set(err, SK_EINVAL, "the server runs the built-in config (no --config file)");
  struct stat st;
  if (!stat(g->config_path, &st)) g->config_mtime = st.st_mtim;
  gate_config *c = NULL;
  int rc = gate_config_load_file(g->config_path, &c, err);
  if (rc) return rc;
  cfg_ref *r = sk_calloc(1, sizeof *r);
  if (!r) {
    gate_config_free(c);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  r->c = c;
  atomic_init(&r->refs, 1);
  pthread_mutex_lock(&g->cfg_mu);
  cfg_ref *old = g->cfg;
  c->version = old->c->version + 1;
  g->cfg = r;
  pthread_mutex_unlock(&g->cfg_mu);
  cfg_put(old);
  json_t *rec = json_pack("{s:s,s:s,s:{s:s}}", "kind", "config", "policy_version", "reloaded", "extra", "path",
                          g->config_path);
  audit_write(g, rec);
  return 0;
}

int gate_reload_if_changed(gate *g, sk_err *err) {
  struct stat st;
  if (!g->config_path || stat(g->config_path, &st)) return 0;
  if (st.st_mtim.tv_sec == g->config_mtime.tv_sec && st.st_mtim.tv_nsec == g->config_mtime.tv_nsec) return 0;
  int rc = gate_reload(g, err);
  return rc ? rc : 1;
}

/* ---- the stages -------------------------------------------------------------------------- */

/* 1. authenticate: the key decides tenant, role and residency; nothing a client asserts in a header does. */
static int stage_authenticate(gate *g, gate_ticket *t, const gate_call *c, gate_denial *d) {
  const gate_config *cfg = t->cfg->c;
  sk_err err;
  if (!c->credential || !c->credential[0]) {
    if (!cfg->anonymous_tenant[0] || !c->loopback) {
      deny(d, 401, 0, "an API key is required (Authorization: Bearer sk-sekisho-... or x-api-key)%s", NULL);
      return -1;
    }
    snprintf(t->key.id, sizeof t->key.id, "anonymous");
    snprintf(t->key.tenant, sizeof t->key.tenant, "%s", cfg->anonymous_tenant);
    t->key.role = GATE_ROLE_USER;
    t->key.residency = GATE_RES_ONPREM;
  } else if (gate_keys_check(g->keys, c->credential, &t->key, &err)) {
    /* the anonymous demo still refuses a wrong key: only the absence of a key is anonymous, but
     * a non-Sekisho placeholder (SDKs insist on some key) counts as absent on the loopback demo */
    if (cfg->anonymous_tenant[0] && c->loopback && strncmp(c->credential, GATE_KEY_PREFIX, strlen(GATE_KEY_PREFIX))) {
      gate_call c2 = *c;
      c2.credential = NULL;
      memset(&t->key, 0, sizeof t->key);
      return stage_authenticate(g, t, &c2, d);
    }
    memset(&t->key, 0, sizeof t->key);
    deny(d, 401, 0, "%s", err.msg);
    return -1;
  }
  t->tenant = gate_config_tenant(cfg, t->key.tenant);
  if (!t->tenant) {
    deny(d, 403, 0, "the key's tenant '%s' is not configured on this gateway", t->key.tenant);
    return -1;
  }
  if (t->key.role == GATE_ROLE_AUDITOR) {
    deny(d, 403, 0, "role auditor may read the audit log and metrics but not call models%s", NULL);
    return -1;
  }
  return 0;
}

/* 2. scan: every message; the request's class is the highest of its findings. */
static int stage_scan(gate *g, gate_ticket *t, const gate_call *c, pii_findings *f, gate_denial *d) {
  crypto_hash_sha256_state hs;
  crypto_hash_sha256_init(&hs);
  pii_level lvl = PII_LEVEL_PUBLIC;
  for (size_t i = 0; i < c->n_msgs; i++) {
    const char *s = c->msgs[i].content ? c->msgs[i].content : "";
    size_t n = strlen(s);
    crypto_hash_sha256_update(&hs, (const unsigned char *)s, n + 1);
    sk_err err;
    if (pii_scan(g->scanner, s, n, &f[i], &err)) {
      deny(d, 500, 0, "the personal-data scan failed (%.400s); the request was not sent", err.msg);
      return -1;
    }
    pii_level l = pii_classify(&f[i]);
    if (l > lvl) lvl = l;
    for (size_t k = 0; k < f[i].count; k++) t->pii_counts[f[i].items[k].type]++;
  }
  unsigned char h[32];
  crypto_hash_sha256_final(&hs, h);
  sodium_bin2hex(t->prompt_sha, sizeof t->prompt_sha, h, 32);
  t->cls = (gate_class)lvl;
  return 0;
}

/* 3. rate limits: per key and per tenant, requests and tokens. */
static int stage_ratelimit(gate *g, gate_ticket *t, const gate_call *c, gate_denial *d) {
  const gate_config *cfg = t->cfg->c;
  uint64_t est = (uint64_t)c->max_tokens;
  for (size_t i = 0; i < c->n_msgs; i++) est += c->msgs[i].content ? strlen(c->msgs[i].content) : 0;
  t->est_tokens = est;
  char kn[GATE_MAX_ID + 2], tn[GATE_MAX_ID + 2];
  snprintf(kn, sizeof kn, "k:%s", t->key.id);
  snprintf(tn, sizeof tn, "t:%s", t->tenant->id);
  double retry;
  const char *which;
  if (rl_take(g->rl, kn, &cfg->key_limits, est, &retry, &which)) {
    char m[160];
    snprintf(m, sizeof m, "rate limit of API key %s exceeded (%s per minute)", t->key.id, which);
    deny(d, 429, retry, "%s; retry later", m);
    return -1;
  }
  if (rl_take(g->rl, tn, &t->tenant->limits, est, &retry, &which)) {
    rl_refund(g->rl, kn, &cfg->key_limits, est);
    char m[160];
    snprintf(m, sizeof m, "rate limit of tenant %s exceeded (%s per minute)", t->tenant->id, which);
    deny(d, 429, retry, "%s; retry later", m);
    return -1;
  }
  return 0;
}

static void rl_give_back(gate *g, gate_ticket *t, uint64_t used) {
  if (!t->est_tokens || !t->tenant) return;
  uint64_t back = used < t->est_tokens ? t->est_tokens - used : 0;
  char kn[GATE_MAX_ID + 2], tn[GATE_MAX_ID + 2];
  snprintf(kn, sizeof kn, "k:%s", t->key.id);
  snprintf(tn, sizeof tn, "t:%s", t->tenant->id);
  rl_refund(g->rl, kn, &t->cfg->c->key_limits, back);
  rl_refund(g->rl, tn, &t->tenant->limits, back);
  t->est_tokens = 0;
}

/* 5. budget hold: the worst case (every prompt byte a token, max_tokens generated), reserved in
 * memory on the tenant's and the key's accounts (see gate/budgets.h for why that is enough). */
static int stage_hold(gate *g, gate_ticket *t, const gate_call *c, gate_denial *d) {
  const gate_model *m = t->dec.model;
  if (!t->tenant->budget_jpy && !t->tenant->key_budget_jpy) return 0;
  uint64_t in = 0;
  for (size_t i = 0; i < c->n_msgs; i++) in += c->msgs[i].content ? strlen(c->msgs[i].content) : 0;
  uint64_t amount = yen_ceil(in, m->price_in_jpy_per_mtok) + yen_ceil((uint64_t)c->max_tokens, m->price_out_jpy_per_mtok);
  if (!amount) return 0;
  sk_err err;
  gate_budget_short why = {"", 0, 0};
  int rc = gate_budget_reserve(g->bud, t->tenant, t->key.id, amount, &t->hold, &why, &err);
  if (rc < 0) {
    deny(d, 500, 0, "the budget ledger failed (%.400s); the request was not sent", err.msg);
    return -1;
  }
  if (rc > 0) {
    /* Retry-After: when requests in flight would free enough, soon; else when the period turns */
    int soon = why.left + why.in_flight >= amount;
    double retry = soon ? GATE_BUDGET_RETRY_INFLIGHT_S : gate_budget_period_left_s(t->tenant->period);
    char m2[300];
    snprintf(m2, sizeof m2,
             "budget of %s %s is exhausted for this period (this request may cost up to %llu yen; %llu yen are left "
             "after the %llu yen reserved by requests in flight)%s",
             why.which, !strcmp(why.which, "key") ? t->key.id : t->tenant->id, (unsigned long long)amount,
             (unsigned long long)why.left, (unsigned long long)why.in_flight,
             soon ? "; retry when they finish" : retry > 0 ? "; retry in the next period" : "");
    deny(d, 429, retry, "%s", m2);
    return -1;
  }
  /* unique without a getrandom call per request: 128 random bits per process plus a counter */
  t->xfer_id = g->xfer_base + (u128)atomic_fetch_add(&g->next_xfer, 1);
  return 0;
}

/* 6. audit "admitted": durable before any byte leaves. The envelope is written as text straight
 * away (a jansson tree only to serialise it cost as much as the rest of the admission). */
static int stage_audit_admitted(gate *g, gate_ticket *t, gate_denial *d) {
  const gate_model *m = t->dec.model;
  sk_buf b;
  sk_buf_init(&b, AUDIT_MAX_RECORD_BYTES);
  int rc = sk_buf_append_str(&b, "{\"kind\":\"admitted\"");
  rc = rc ? rc : jw_field(&b, "tenant", t->tenant->id);
  rc = rc ? rc : jw_field(&b, "actor", t->key.id);
  rc = rc ? rc : jw_field(&b, "decision", t->dec.rerouted ? "reroute" : "allow");
  rc = rc ? rc : jw_field(&b, "model", m->id);
  rc = rc ? rc : jw_field(&b, "route", t->dec.external ? gate_provider_name(m->provider) : "local");
  rc = rc ? rc : sk_buf_append_str(&b, t->dec.external ? ",\"external\":true" : ",\"external\":false");
  rc = rc ? rc : jw_pii(&b, t->pii_counts);
  rc = rc ? rc : jw_field(&b, "prompt_sha256", t->prompt_sha);
  rc = rc ? rc : jw_field(&b, "request_id", t->req_id);
  if (t->dec.external && !rc) rc = jw_field(&b, "legal_basis", gate_basis_name(m->basis));
  rc = rc ? rc : sk_buf_append_str(&b, ",\"extra\":{");
  rc = rc ? rc : jw_field(&b, "data_class", gate_class_name(t->cls));
  rc = rc ? rc : jw_field(&b, "endpoint", t->endpoint);
  rc = rc ? rc : jw_field(&b, "reason", t->dec.reason);
  rc = rc ? rc : sk_buf_append_byte(&b, '}');
  char *rec = jw_done(&b, rc);
  sk_err err;
  if (!rec || audit_append(g->audit, rec, NULL, &err)) {
    sk_free(rec);
    deny(d, 503, 0, "the audit log cannot record the request, so it was not sent%s", NULL);
    return -1;
  }
  sk_free(rec);
  return 0;
}

/* 7. pseudonymise: every finding becomes a keyed token; originals stay in the request's vault. */
static int stage_pseudonymise(gate *g, gate_ticket *t, gate_call *c, pii_findings *f, gate_denial *d) {
  if (pii_vault_new(&t->vault)) {
    deny(d, 500, 0, "out of memory%s", NULL);
    return -1;
  }
  pii_key key;
  memcpy(key.secret, g->pseudo_secret, sizeof key.secret);
  snprintf(key.tenant, sizeof key.tenant, "%s", t->tenant->id);
  for (size_t i = 0; i < c->n_msgs; i++) {
    if (!f[i].count) continue;
    sk_buf out;
    sk_buf_init(&out, SIZE_MAX / 2);
    sk_err err;
    if (pii_apply(c->msgs[i].content, strlen(c->msgs[i].content), &f[i], PII_ACT_PSEUDO, &key, t->vault, &out, &err) ||
        sk_buf_append_byte(&out, 0)) {
      sk_buf_release(&out);
      sodium_memzero(&key, sizeof key);
      deny(d, 500, 0, "pseudonymisation failed (%.400s); the request was not sent", err.msg);
      return -1;
    }
    sk_free(c->msgs[i].content);
    c->msgs[i].content = sk_buf_detach(&out);
  }
  sodium_memzero(&key, sizeof key);
  pii_reid_init(&t->reider, t->vault);
  return 0;
}

int gate_admit(gate *g, gate_call *c, gate_ticket **out, gate_denial *d) {
  *out = NULL;
  memset(d, 0, sizeof d->status);
  gate_ticket *t = sk_calloc(1, sizeof *t);
  if (!t) {
    deny(d, 503, 1, "out of memory%s", NULL);
    return SK_EDENIED;
  }
  t->t0 = mono_ms();
  t->cfg = cfg_get(g);
  snprintf(t->req_id, sizeof t->req_id, "req_%016llx%08llx", (unsigned long long)g->req_salt,
           (unsigned long long)atomic_fetch_add(&g->next_req, 1));
  snprintf(t->endpoint, sizeof t->endpoint, "%s", c->endpoint ? c->endpoint : "");
  pii_findings *f = sk_calloc(c->n_msgs ? c->n_msgs : 1, sizeof *f);
  int ok = f != NULL;
  const char *stage = "memory";
  if (!ok) deny(d, 503, 1, "out of memory%s", NULL);
  if (ok) ok = !stage_authenticate(g, t, c, d), stage = "authenticate";
  if (ok) ok = !stage_scan(g, t, c, f, d), stage = "scan";
  if (ok) ok = !stage_ratelimit(g, t, c, d), stage = "rate_limit";
  if (ok) {
    stage = "decide";
    gate_decide(t->cfg->c, t->tenant, &t->key, c->model, g->local_model, t->cls, &t->dec);
    if (t->dec.status) {
      deny(d, t->dec.status, 0, "%s", t->dec.reason);
      ok = 0;
    } else if (t->dec.rerouted) {
      pthread_mutex_lock(&g->m.mu);
      g->m.rerouted++;
      pthread_mutex_unlock(&g->m.mu);
    }
  }
  if (ok) ok = !stage_hold(g, t, c, d), stage = "budget";
  if (ok) ok = !stage_audit_admitted(g, t, d), stage = "audit";
  if (ok && t->dec.external) ok = !stage_pseudonymise(g, t, c, f, d), stage = "pseudonymise";
  for (size_t i = 0; f && i < c->n_msgs; i++) pii_findings_release(&f[i]);
  sk_free(f);
  if (!ok) {
    gate_budget_release(g->bud, &t->hold);
    if (d->status != 429) rl_give_back(g, t, 0);
    denied(g, t, c, d, stage);
    ticket_free(t);
    return SK_EDENIED;
  }
  t->reid = t->dec.external && t->tenant->reidentify &&
            (t->key.role == GATE_ROLE_USER || t->key.role == GATE_ROLE_ADMIN);
  t->admit_ms = mono_ms() - t->t0;
  snprintf(t->lat_hdr, sizeof t->lat_hdr, "%.3f", t->admit_ms);
  snprintf(t->hdr_route, sizeof t->hdr_route, "%s:%s", t->dec.external ? gate_provider_name(t->dec.model->provider) : "local",
           t->dec.model->id);
  lat_observe(g, t->admit_ms);
  pthread_mutex_lock(&g->m.mu);
  g->m.admitted[t->dec.external][t->cls < 5 ? t->cls : 4]++;
  pthread_mutex_unlock(&g->m.mu);
  *out = t;
  return SK_OK;
}

int gate_ticket_external(const gate_ticket *t) { return t->dec.external; }

void gate_ticket_grounding(gate_ticket *t, const uint32_t counts[3], uint32_t n_chunks) {
  t->grounded = 1;
  memcpy(t->ground, counts, sizeof t->ground);
  t->ground_chunks = n_chunks;
}
const char *gate_ticket_model(const gate_ticket *t) { return t->dec.model->id; }

int gate_ticket_header(const gate_ticket *t, int i, const char **name, const char **value) {
  switch (i) {
  case 0: *name = "X-Sekisho-Route", *value = t->hdr_route; return 1;
  case 1: *name = "X-Sekisho-Data-Class", *value = gate_class_name(t->cls); return 1;
  case 2: *name = "X-Sekisho-Added-Latency-Ms", *value = t->lat_hdr; return 1;
  case 3: *name = "X-Sekisho-Request-Id", *value = t->req_id; return 1;
  case 4: *name = "X-Sekisho-Decision", *value = t->dec.rerouted ? "reroute" : "allow"; return 1;
  default: return 0;
  }
}

/* 8. route (external): the provider sees only the pseudonymised messages. */
int gate_upstream_start(gate *g, gate_ticket *t, const gate_call *c, gate_denial *d) {
  (void)g;
  const gate_model *m = t->dec.model;
  if (!t->dec.external) return 0;
  static const char *const roles[] = {"system", "user", "assistant"};
  up_msg *msgs = sk_calloc(c->n_msgs ? c->n_msgs : 1, sizeof *msgs);
  if (!msgs) {
    deny(d, 503, 1, "out of memory%s", NULL);
    return SK_EDENIED;
  }
  for (size_t i = 0; i < c->n_msgs; i++) {
    msgs[i].role = roles[c->msgs[i].role >= 0 && c->msgs[i].role < 3 ? c->msgs[i].role : 1];
    msgs[i].content = c->msgs[i].content;
  }
  up_params p = {.provider = m->provider == GATE_PROV_ANTHROPIC ? UP_ANTHROPIC : UP_OPENAI, .base_url = m->base_url,
                 .model = m->upstream_model, .api_key = m->api_key_env[0] ? getenv(m->api_key_env) : NULL,
                 .msgs = msgs, .n_msgs = c->n_msgs, .max_tokens = c->max_tokens, .temperature = c->temperature,
                 .top_p = c->top_p, .stop = c->stop, .n_stop = c->n_stop};
  sk_err err;
  int rc = up_start(&p, &t->up, &err);
  sk_free(msgs);
  if (rc) {
    deny(d, 502, 0, "cannot reach the upstream: %.400s", err.msg);
    return SK_EDENIED;
  }
  return 0;
}

int gate_upstream_poll(gate_ticket *t, int timeout_ms, sk_buf *out, gate_usage *u) {
  memset(u, 0, sizeof *u);
  if (!t->up) {
    u->finished = 1;
    snprintf(u->error, sizeof u->error, "no upstream call");
    return 1;
  }
  sk_buf raw;
  sk_buf_init(&raw, SIZE_MAX / 2);
  up_info info;
  int done = up_poll(t->up, timeout_ms, &raw, &info);
  if (raw.len) gate_filter(t, raw.data, raw.len, 0, out);
  sk_buf_release(&raw);
  if (done) {
    gate_filter(t, NULL, 0, 1, out);
    u->finished = 1;
    u->ok = info.finish == UP_STOP || info.finish == UP_LENGTH;
    u->length = info.finish == UP_LENGTH;
    u->in_tokens = info.in_tokens;
    u->out_tokens = info.out_tokens;
    snprintf(u->error, sizeof u->error, "%s", info.error);
  }
  return done;
}

/* 9. re-identify: only for external routes (local ones never saw pseudonyms) and permitted roles. */
int gate_filter(gate_ticket *t, const char *text, size_t n, int final, sk_buf *out) {
  if (!t->dec.external || !t->vault) return n ? sk_buf_append(out, text, n) : 0;
  if (!t->reid) return n ? sk_buf_append(out, text, n) : 0;
  int rc = n ? pii_reid_feed(&t->reider, text, n, out) : 0;
  if (!rc && final) rc = pii_reid_finish(&t->reider, out);
  return rc;
}

/* 10–11. audit "completed", then post the actual cost and release the rest of the hold. */
void gate_complete(gate *g, gate_ticket *t, const gate_usage *u) {
  if (!t) return;
  const gate_model *m = t->dec.model;
  int64_t in = u ? u->in_tokens : 0, outn = u ? u->out_tokens : 0;
  uint64_t cost = yen_ceil((uint64_t)(in > 0 ? in : 0), m->price_in_jpy_per_mtok) +
                  yen_ceil((uint64_t)(outn > 0 ? outn : 0), m->price_out_jpy_per_mtok);
  int ok = u && u->ok;
  /* the reservation is the ceiling: a provider reporting more than the worst case is capped by it */
  ledger_transfer tr[2];
  uint64_t charged = 0;
  size_t ntr = gate_budget_settle(g->bud, &t->hold, cost, t->xfer_id, tr, &charged);
  if (t->hold.amount) cost = charged;
  sk_buf b;
  sk_buf_init(&b, AUDIT_MAX_RECORD_BYTES);
  int rc = sk_buf_append_str(&b, "{\"kind\":\"completed\"");
  rc = rc ? rc : jw_field(&b, "tenant", t->tenant->id);
  rc = rc ? rc : jw_field(&b, "actor", t->key.id);
  rc = rc ? rc : jw_field(&b, "decision", ok ? "allow" : "error");
  rc = rc ? rc : jw_field(&b, "model", m->id);
  rc = rc ? rc : jw_field(&b, "route", t->dec.external ? gate_provider_name(m->provider) : "local");
  rc = rc ? rc
          : sk_buf_printf(&b, ",\"external\":%s,\"tokens_in\":%lld,\"tokens_out\":%lld,\"latency_ms\":%lld,\"cost\":%llu",
                          t->dec.external ? "true" : "false", (long long)(in > 0 ? in : 0),
                          (long long)(outn > 0 ? outn : 0), (long long)(mono_ms() - t->t0), (unsigned long long)cost);
  rc = rc ? rc : jw_field(&b, "request_id", t->req_id);
  rc = rc ? rc : sk_buf_append_str(&b, ",\"extra\":{");
  rc = rc ? rc : jw_field(&b, "data_class", gate_class_name(t->cls));
  rc = rc ? rc : jw_field(&b, "error", u ? u->error : "client went away");
  rc = rc ? rc : sk_buf_append_byte(&b, '}');
  if (t->grounded && !rc)
    rc = sk_buf_printf(&b, ",\"grounding\":{\"supported\":%u,\"unsupported\":%u,\"contradicted\":%u,\"chunks\":%u}",
                       t->ground[0], t->ground[1], t->ground[2], t->ground_chunks);
  /* written after the answer, batched with other requests' (one fsync, one ledger commit) */
  gate_committer_push(g->com, jw_done(&b, rc), tr, ntr);
  rl_give_back(g, t, (uint64_t)(in + outn));
  pthread_mutex_lock(&g->m.mu);
  g->m.cost_jpy += cost;
  if (u && !u->ok && t->dec.external) g->m.upstream_errors++;
  pthread_mutex_unlock(&g->m.mu);
  ticket_free(t);
}

void gate_reject(gate *g, const char *credential, const char *endpoint, int status, const char *reason) {
  gate_ticket t;
  memset(&t, 0, sizeof t);
  snprintf(t.req_id, sizeof t.req_id, "req_%016llx%08llx", (unsigned long long)g->req_salt,
           (unsigned long long)atomic_fetch_add(&g->next_req, 1));
  snprintf(t.endpoint, sizeof t.endpoint, "%s", endpoint ? endpoint : "");
  cfg_ref *r = cfg_get(g);
  if (credential && !gate_keys_check(g->keys, credential, &t.key, NULL)) t.tenant = gate_config_tenant(r->c, t.key.tenant);
  else memset(&t.key, 0, sizeof t.key);
  gate_denial d = {.status = status};
  snprintf(d.message, sizeof d.message, "%s", reason ? reason : "");
  denied(g, &t, NULL, &d, "parse");
  cfg_put(r);
}

void gate_metrics_render(gate *g, sk_buf *out) {
  pthread_mutex_lock(&g->m.mu);
  gate_metrics m = g->m;
  pthread_mutex_unlock(&g->m.mu);
  sk_buf_printf(out, "# HELP sekisho_gate_admitted_total Requests admitted by the perimeter, by route and data class.\n"
                     "# TYPE sekisho_gate_admitted_total counter\n");
  for (int e = 0; e < 2; e++)
    for (int c = 0; c < 5; c++)
      sk_buf_printf(out, "sekisho_gate_admitted_total{route=\"%s\",data_class=\"%s\"} %llu\n", e ? "external" : "local",
                    gate_class_name((gate_class)c), (unsigned long long)m.admitted[e][c]);
  sk_buf_printf(out, "# TYPE sekisho_gate_rerouted_total counter\nsekisho_gate_rerouted_total %llu\n",
                (unsigned long long)m.rerouted);
  static const char *const dn[] = {"401", "403", "404", "429", "5xx", "other"};
  sk_buf_printf(out, "# TYPE sekisho_gate_denied_total counter\n");
  for (int i = 0; i < 6; i++)
    sk_buf_printf(out, "sekisho_gate_denied_total{status=\"%s\"} %llu\n", dn[i], (unsigned long long)m.denied[i]);
  sk_buf_printf(out, "# HELP sekisho_gate_added_latency_ms Time spent in the admission stages (auth..pseudonymise).\n"
                     "# TYPE sekisho_gate_added_latency_ms histogram\n");
  uint64_t cum = 0;
  for (size_t i = 0; i < N_LAT; i++) {
    cum += m.lat_bucket[i];
    sk_buf_printf(out, "sekisho_gate_added_latency_ms_bucket{le=\"%g\"} %llu\n", k_lat_ms[i], (unsigned long long)cum);
  }
  cum += m.lat_bucket[N_LAT];
  sk_buf_printf(out, "sekisho_gate_added_latency_ms_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
  sk_buf_printf(out, "sekisho_gate_added_latency_ms_sum %.3f\nsekisho_gate_added_latency_ms_count %llu\n", m.lat_sum_ms,
                (unsigned long long)m.lat_count);
  sk_buf_printf(out, "# TYPE sekisho_gate_upstream_errors_total counter\nsekisho_gate_upstream_errors_total %llu\n",
                (unsigned long long)m.upstream_errors);
  sk_buf_printf(out, "# TYPE sekisho_gate_cost_jpy_total counter\nsekisho_gate_cost_jpy_total %llu\n",
                (unsigned long long)m.cost_jpy);
  gate_commit_stats cs;
  gate_committer_stats(g->com, &cs);
  sk_buf_printf(out,
                "# HELP sekisho_gate_commit_rounds_total Batches of after-the-answer records (one ledger commit each).\n"
                "# TYPE sekisho_gate_commit_rounds_total counter\nsekisho_gate_commit_rounds_total %llu\n"
                "# TYPE sekisho_gate_commit_items_total counter\nsekisho_gate_commit_items_total %llu\n"
                "# HELP sekisho_gate_commit_audit_syncs_total Rounds whose audit records no admitted group commit carried (the committer synced them).\n"
                "# TYPE sekisho_gate_commit_audit_syncs_total counter\nsekisho_gate_commit_audit_syncs_total %llu\n"
                "# TYPE sekisho_gate_commit_audit_errors_total counter\nsekisho_gate_commit_audit_errors_total %llu\n"
                "# TYPE sekisho_gate_commit_ledger_errors_total counter\nsekisho_gate_commit_ledger_errors_total %llu\n",
                (unsigned long long)cs.rounds, (unsigned long long)cs.items, (unsigned long long)cs.audit_syncs,
                (unsigned long long)cs.audit_errors, (unsigned long long)cs.ledger_errors);
}
