/* settle.c — settlement batches (net positions, Ed25519) and reconciliation (see settle.h). */
#include "ledger/settle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "ledger/ledger_internal.h"
#include "ledger/ledger_json.h"

#define SETTLE_TYPE "sekisho.settlement.v1"
#define DIGEST_BYTES 32

int ledger_settle_key(const char *path, unsigned char sk[LEDGER_SETTLE_SK_BYTES], sk_err *err) {
  if (sodium_init() < 0) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  unsigned char seed[32], pk[LEDGER_SETTLE_PK_BYTES];
  char *text = NULL;
  size_t len;
  int rc = sk_read_file(path, 256, &text, &len, NULL);
  if (rc == SK_OK) {
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
    size_t got = 0;
    if (sodium_hex2bin(seed, sizeof seed, text, len, NULL, &got, NULL) || got != sizeof seed) {
      sk_free(text);
      return sk_err_set(err, SK_EFORMAT, "settlement key %s is not 64 hex digits", path);
    }
    sk_free(text);
  } else {
    randombytes_buf(seed, sizeof seed);
    char hex[2 * sizeof seed + 2];
    sodium_bin2hex(hex, sizeof hex, seed, sizeof seed);
    strcat(hex, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return sk_err_set(err, SK_EIO, "cannot create settlement key %s: %s", path, strerror(errno));
    ssize_t w = write(fd, hex, strlen(hex));
    int sync_rc = fsync(fd);
    close(fd);
    if (w != (ssize_t)strlen(hex) || sync_rc)
      return sk_err_set(err, SK_EIO, "cannot write settlement key %s", path);
  }
  crypto_sign_seed_keypair(pk, sk, seed);
  sodium_memzero(seed, sizeof seed);
  return SK_OK;
}

static void hex_of(const unsigned char *b, size_t n, char *out) { sodium_bin2hex(out, 2 * n + 1, b, n); }

static json_t *signed_amount(int neg, u128 mag) {
  char buf[U128_STR_MAX + 1];
  buf[0] = '-';
  u128_format(mag, buf + (neg && mag));
  return json_string(buf);
}

/* Canonical bytes of a body and its digest (hex). *canon is malloc'ed by jansson (free()). */
static int canonical(const json_t *body, char **canon, char digest_hex[2 * DIGEST_BYTES + 1]) {
  *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
  if (!*canon) return SK_ENOMEM;
  unsigned char d[DIGEST_BYTES];
  crypto_generichash(d, sizeof d, (const unsigned char *)*canon, strlen(*canon), NULL, 0);
  hex_of(d, sizeof d, digest_hex);
  return SK_OK;
}

int ledger_settle(ledger *l, uint32_t ledger_no, uint64_t from_ns, uint64_t to_ns,
                  const unsigned char sk[LEDGER_SETTLE_SK_BYTES], char **out, sk_err *err) {
  if (from_ns >= to_ns) return sk_err_set(err, SK_EINVAL, "settlement period is empty: from must be before to");
  if (sodium_init() < 0) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  pthread_mutex_lock(&l->mu);
  int rc = SK_OK;
  json_t *positions = NULL, *body = NULL, *env = NULL;
  char *canon = NULL, *text = NULL;
  size_t n = l->n_accounts ? l->n_accounts : 1;
  u128 *deb = sk_calloc(n, sizeof *deb), *cred = sk_calloc(n, sizeof *cred);
  if (!deb || !cred) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  size_t count = 0;
  for (size_t i = 0; i < l->n_transfers; i++) {
    const ledger_transfer *t = &l->transfers[i].t;
    if (t->ledger != ledger_no || t->timestamp < from_ns || t->timestamp >= to_ns) continue;
    if (t->flags & (LEDGER_TF_PENDING | LEDGER_TF_VOID_PENDING)) continue;
    uint32_t d, c;
    if (idmap_get(&l->account_ids, t->debit_account_id, &d) ||
        idmap_get(&l->account_ids, t->credit_account_id, &c))
      continue; /* impossible: checked on open */
    /* Sums over a period are bounded by the posted balances, which never overflow. */
    deb[d] += t->amount;
    cred[c] += t->amount;
    count++;
  }
  positions = json_array();
  u128 plus = 0, minus = 0;
  for (size_t i = 0; positions && i < l->n_accounts; i++) {
    if (!deb[i] && !cred[i]) continue;
    int neg = deb[i] > cred[i];
    u128 mag = neg ? deb[i] - cred[i] : cred[i] - deb[i];
    if (neg) minus += mag;
    else plus += mag;
    json_array_append_new(positions,
                          json_pack("{s:o s:o s:o s:o}", "account", ledger_json_u128(l->accounts[i].a.id),
                                    "debits", ledger_json_u128(deb[i]), "credits",
                                    ledger_json_u128(cred[i]), "net", signed_amount(neg, mag)));
  }
  if (plus != minus) {
    rc = sk_err_set(err, SK_ECORRUPT, "net positions do not sum to zero");
    goto out;
  }
  const char *name = ledger_name(ledger_no);
  body = json_pack("{s:s s:o s:I s:I s:I s:I s:O}", "type", SETTLE_TYPE, "ledger",
                   name ? json_string(name) : json_integer(ledger_no), "from_ns", (json_int_t)from_ns,
                   "to_ns", (json_int_t)to_ns, "created_ns", (json_int_t)lg_now(l), "transfer_count",
                   (json_int_t)count, "positions", positions);
  char digest[2 * DIGEST_BYTES + 1];
  if (!body || canonical(body, &canon, digest)) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  unsigned char sig[crypto_sign_BYTES], pk[LEDGER_SETTLE_PK_BYTES];
  crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
  crypto_sign_ed25519_sk_to_pk(pk, sk);
  char sig_hex[2 * crypto_sign_BYTES + 1], pk_hex[2 * LEDGER_SETTLE_PK_BYTES + 1];
  hex_of(sig, sizeof sig, sig_hex);
  hex_of(pk, sizeof pk, pk_hex);
  env = json_pack("{s:O s:s s:s s:s}", "body", body, "digest", digest, "public_key", pk_hex,
                  "signature", sig_hex);
  text = env ? json_dumps(env, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
  if (!text) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  lg_doc_row row = {.kind = "settlement", .key = digest, .body = text, .timestamp = lg_now(l)};
  lg_store *s = l->store;
  if ((rc = s->ops->begin(s, err)) == SK_OK) {
    if ((rc = s->ops->put_doc(s, &row, err)) || (rc = s->ops->commit(s, err))) s->ops->rollback(s);
  }
  if (rc) goto out;
  *out = sk_strdup(text);
  if (!*out) rc = sk_err_set(err, SK_ENOMEM, "out of memory");
out:
  pthread_mutex_unlock(&l->mu);
  sk_free(deb);
  sk_free(cred);
  free(canon);
  free(text);
  json_decref(positions);
  json_decref(body);
  json_decref(env);
  return rc;
}

int ledger_settle_verify(const char *text, size_t len, const unsigned char *pk, sk_err *err) {
  if (sodium_init() < 0) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  if (len > LEDGER_SETTLE_DOC_MAX) return sk_err_set(err, SK_ELIMIT, "settlement file too large");
  json_error_t je;
  json_t *env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!env) return sk_err_set(err, SK_EFORMAT, "settlement is not JSON (line %d: %s)", je.line, je.text);
  int rc = SK_OK;
  char *canon = NULL;
  json_t *body = json_object_get(env, "body");
  const char *dg = json_string_value(json_object_get(env, "digest"));
  const char *pkh = json_string_value(json_object_get(env, "public_key"));
  const char *sgh = json_string_value(json_object_get(env, "signature"));
  unsigned char epk[LEDGER_SETTLE_PK_BYTES], sig[crypto_sign_BYTES];
  size_t got1 = 0, got2 = 0;
  if (!json_is_object(body) || !dg || !pkh || !sgh ||
      sodium_hex2bin(epk, sizeof epk, pkh, strlen(pkh), NULL, &got1, NULL) || got1 != sizeof epk ||
      sodium_hex2bin(sig, sizeof sig, sgh, strlen(sgh), NULL, &got2, NULL) || got2 != sizeof sig ||
      strcmp(json_string_value(json_object_get(body, "type")) ? json_string_value(json_object_get(body, "type")) : "",
             SETTLE_TYPE)) {
    rc = sk_err_set(err, SK_EFORMAT, "settlement lacks body/digest/public_key/signature or has the wrong type");
    goto out;
  }
  char digest[2 * DIGEST_BYTES + 1];
  if (canonical(body, &canon, digest)) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  if (strcmp(digest, dg)) {
    rc = sk_err_set(err, SK_EDENIED, "digest mismatch: the body was altered");
    goto out;
  }
  if (pk && sodium_memcmp(pk, epk, sizeof epk)) {
    rc = sk_err_set(err, SK_EDENIED, "signed by a different key than expected");
    goto out;
  }
  if (crypto_sign_verify_detached(sig, (const unsigned char *)canon, strlen(canon), epk))
    rc = sk_err_set(err, SK_EDENIED, "signature does not verify");
out:
  free(canon);
  json_decref(env);
  return rc;
}

/* Parses a signed decimal "-12" into sign and magnitude. */
static int parse_signed(const json_t *v, int *neg, u128 *mag) {
  const char *s = json_string_value(v);
  if (!s) return -1;
  size_t n = json_string_length(v);
  *neg = n > 0 && s[0] == '-';
  if (u128_parse(s + *neg, n - (size_t)*neg, mag)) return -1;
  if (*mag == 0) *neg = 0;
  return 0;
}

int ledger_reconcile(ledger *l, const char *text, size_t len, char **report, int *matched, sk_err *err) {
  if (len > LEDGER_SETTLE_DOC_MAX) return sk_err_set(err, SK_ELIMIT, "reconciliation file too large");
  json_error_t je;
  json_t *rec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *batch = NULL, *rep = NULL;
  if (!rec) return sk_err_set(err, SK_EFORMAT, "reconciliation is not JSON (line %d: %s)", je.line, je.text);
  int rc = SK_OK;
  char *stored = NULL, *out = NULL;
  const char *dg = json_string_value(json_object_get(rec, "settlement_digest"));
  json_t *ext = json_object_get(rec, "positions");
  if (!dg || !json_is_array(ext)) {
    rc = sk_err_set(err, SK_EFORMAT, "reconciliation needs \"settlement_digest\" and a \"positions\" array");
    goto out;
  }
  pthread_mutex_lock(&l->mu);
  rc = l->store->ops->get_doc(l->store, "settlement", dg, &stored, err);
  pthread_mutex_unlock(&l->mu);
  if (rc) goto out;
  batch = json_loads(stored, 0, &je);
  json_t *mine = json_object_get(json_object_get(batch, "body"), "positions");
  if (!json_is_array(mine)) {
    rc = sk_err_set(err, SK_ECORRUPT, "stored settlement %s is unreadable", dg);
    goto out;
  }
  json_t *mismatched = json_array(), *missing = json_array(), *unknown = json_array();
  rep = json_pack("{s:s s:O s:o s:o s:o}", "settlement_digest", dg, "external_ref",
                  json_object_get(rec, "external_ref") ? json_object_get(rec, "external_ref") : json_null(),
                  "mismatched", mismatched, "missing_in_external", missing, "unknown_in_settlement", unknown);
  if (!rep) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  size_t i, j, n_ok = 0;
  json_t *m, *e;
  json_array_foreach(ext, j, e) {
    u128 id;
    int neg;
    u128 mag;
    if (ledger_json_get_u128(json_object_get(e, "account"), &id) ||
        parse_signed(json_object_get(e, "net"), &neg, &mag)) {
      rc = sk_err_set(err, SK_EFORMAT, "reconciliation position %zu needs \"account\" and a signed \"net\" string", j);
      goto out;
    }
  }
  json_array_foreach(mine, i, m) {
    const char *acc = json_string_value(json_object_get(m, "account"));
    json_t *found = NULL;
    json_array_foreach(ext, j, e) {
      u128 a1, a2;
      if (!ledger_json_get_u128(json_object_get(e, "account"), &a1) && acc &&
          !u128_parse(acc, strlen(acc), &a2) && a1 == a2) {
        found = e;
        break;
      }
    }
    if (!found) {
      json_array_append(missing, m);
      continue;
    }
    int n1, n2;
    u128 v1, v2;
    if (parse_signed(json_object_get(m, "net"), &n1, &v1) || parse_signed(json_object_get(found, "net"), &n2, &v2)) {
      rc = sk_err_set(err, SK_EFORMAT, "unreadable net position for account %s", acc ? acc : "?");
      goto out;
    }
    if (n1 == n2 && v1 == v2) n_ok++;
    else
      json_array_append_new(mismatched, json_pack("{s:s s:O s:O}", "account", acc, "settlement_net",
                                                  json_object_get(m, "net"), "external_net",
                                                  json_object_get(found, "net")));
  }
  json_array_foreach(ext, j, e) {
    u128 a1, a2;
    int seen = 0;
    ledger_json_get_u128(json_object_get(e, "account"), &a1);
    json_array_foreach(mine, i, m) {
      const char *acc = json_string_value(json_object_get(m, "account"));
      if (acc && !u128_parse(acc, strlen(acc), &a2) && a1 == a2) seen = 1;
    }
    if (!seen) json_array_append(unknown, e);
  }
  *matched = json_array_size(mismatched) == 0 && json_array_size(missing) == 0 && json_array_size(unknown) == 0;
  json_object_set_new(rep, "matched_positions", json_integer((json_int_t)n_ok));
  json_object_set_new(rep, "reconciled", json_boolean(*matched));
  out = json_dumps(rep, JSON_INDENT(1) | JSON_SORT_KEYS);
  if (!out) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  pthread_mutex_lock(&l->mu);
  lg_doc_row row = {.kind = "reconciliation", .key = dg, .body = out, .timestamp = lg_now(l)};
  lg_store *s = l->store;
  if ((rc = s->ops->begin(s, err)) == SK_OK) {
    if ((rc = s->ops->put_doc(s, &row, err)) || (rc = s->ops->commit(s, err))) s->ops->rollback(s);
  }
  pthread_mutex_unlock(&l->mu);
  if (rc) goto out;
  *report = sk_strdup(out);
  if (!*report) rc = sk_err_set(err, SK_ENOMEM, "out of memory");
out:
  free(out);
  sk_free(stored);
  json_decref(rep);
  json_decref(batch);
  json_decref(rec);
  return rc;
}
