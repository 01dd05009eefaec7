/* pseudonym.c — see pseudonym.h. */
#include "guard/pseudonym.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"

typedef struct vent {
  char *token;
  char *value; /* may hold NUL bytes: value_len is authoritative */
  size_t value_len;
} vent;

struct pii_vault {
  vent *e;
  size_t count, cap;
  size_t *idx; /* open addressing over e: index+1, 0 = empty */
  size_t icap;
};

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

int pii_vault_new(pii_vault **out) {
  *out = sk_calloc(1, sizeof **out);
  return *out ? 0 : SK_ENOMEM;
}

void pii_vault_free(pii_vault *v) {
  if (!v) return;
  for (size_t i = 0; i < v->count; i++) {
    sodium_memzero(v->e[i].value, v->e[i].value_len);
    sk_free(v->e[i].token);
    sk_free(v->e[i].value);
  }
  sk_free(v->e);
  sk_free(v->idx);
  sk_free(v);
}

size_t pii_vault_count(const pii_vault *v) { return v ? v->count : 0; }

void pii_vault_entry(const pii_vault *v, size_t i, const char **token, const char **value, size_t *value_len) {
  *token = v->e[i].token;
  *value = v->e[i].value;
  *value_len = v->e[i].value_len;
}

static size_t *slot_for(const pii_vault *v, const char *tok, size_t n) {
  if (!v->icap) return NULL;
  size_t j = hash_bytes(tok, n) & (v->icap - 1);
  while (v->idx[j]) {
    const vent *e = &v->e[v->idx[j] - 1];
    if (strlen(e->token) == n && !memcmp(e->token, tok, n)) return &v->idx[j];
    j = (j + 1) & (v->icap - 1);
  }
  return &v->idx[j];
}

const char *pii_vault_get(const pii_vault *v, const char *token, size_t token_len, size_t *value_len) {
  if (!v) return NULL;
  size_t *sl = slot_for(v, token, token_len);
  if (!sl || !*sl) return NULL;
  if (value_len) *value_len = v->e[*sl - 1].value_len;
  return v->e[*sl - 1].value;
}

static int rehash(pii_vault *v) {
  size_t nc = v->icap ? v->icap * 2 : 64;
  size_t *ni = sk_calloc(nc, sizeof *ni);
  if (!ni) return SK_ENOMEM;
  sk_free(v->idx);
  v->idx = ni;
  v->icap = nc;
  for (size_t i = 0; i < v->count; i++) {
    size_t *sl = slot_for(v, v->e[i].token, strlen(v->e[i].token));
    *sl = i + 1;
  }
  return 0;
}

int pii_vault_put(pii_vault *v, const char *token, const char *value, size_t value_len) {
  size_t tl = strlen(token);
  size_t hl = 0;
  const char *have = pii_vault_get(v, token, tl, &hl);
  if (have) return hl == value_len && !memcmp(have, value, value_len) ? 0 : SK_EEXIST;
  if (v->count >= PII_VAULT_MAX_ENTRIES) return SK_ELIMIT;
  if ((v->count + 1) * 2 > v->icap && rehash(v)) return SK_ENOMEM;
  if (v->count == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 16;
    vent *ne = sk_realloc(v->e, nc * sizeof *ne);
    if (!ne) return SK_ENOMEM;
    v->e = ne;
    v->cap = nc;
  }
  vent e = {sk_strdup(token), sk_malloc(value_len + 1), value_len};
  if (e.value) {
    memcpy(e.value, value, value_len);
    e.value[value_len] = '\0';
  }
  if (!e.token || !e.value) {
    sk_free(e.token);
    sk_free(e.value);
    return SK_ENOMEM;
  }
  v->e[v->count] = e;
  *slot_for(v, token, tl) = v->count + 1;
  v->count++;
  return 0;
}

void pii_key_from_secret(pii_key *k, const char *secret, const char *tenant) {
  memset(k, 0, sizeof *k);
  crypto_generichash(k->secret, sizeof k->secret, (const unsigned char *)secret, strlen(secret), NULL, 0);
  snprintf(k->tenant, sizeof k->tenant, "%s", tenant ? tenant : "default");
}

static int make_token(const pii_key *key, pii_type t, const char *val, size_t n, int attempt,
                      char out[PII_TOKEN_MAX_BYTES]) {
  crypto_generichash_state st;
  unsigned char h[16];
  const char *tn = pii_type_name(t);
  if (crypto_generichash_init(&st, key->secret, sizeof key->secret, sizeof h)) return SK_EINVAL;
  crypto_generichash_update(&st, (const unsigned char *)key->tenant, strlen(key->tenant) + 1);
  crypto_generichash_update(&st, (const unsigned char *)tn, strlen(tn) + 1);
  crypto_generichash_update(&st, (const unsigned char *)val, n);
  crypto_generichash_final(&st, h, sizeof h);
  if (attempt == 0)
    snprintf(out, PII_TOKEN_MAX_BYTES, "<%s_%02x%02x%02x%02x>", tn, h[0], h[1], h[2], h[3]);
  else /* a collision inside one vault: widen the token */
    snprintf(out, PII_TOKEN_MAX_BYTES, "<%s_%02x%02x%02x%02x%02x%02x%02x%02x>", tn, h[0], h[1], h[2],
             h[3], h[4], h[5], h[6], h[7]);
  return 0;
}

int pii_apply(const char *text, size_t len, const pii_findings *f, pii_action act, const pii_key *key,
              pii_vault *vault, sk_buf *out, sk_err *err) {
  if (act == PII_ACT_PSEUDO && (!key || !vault))
    return sk_err_set(err, SK_EINVAL, "pseudonymisation needs a key and a vault");
  size_t pos = 0;
  int rc = 0;
  for (size_t i = 0; i < f->count && !rc; i++) {
    const pii_finding *x = &f->items[i];
    if (x->start < pos || x->end > len || x->end < x->start)
      return sk_err_set(err, SK_EINVAL, "findings overlap or fall outside the text (finding %zu)", i);
    rc = sk_buf_append(out, text + pos, x->start - pos);
    if (rc) break;
    const char *v = text + x->start;
    size_t n = x->end - x->start;
    if (act == PII_ACT_MASK) {
      for (size_t k = 0; k < n && !rc;) {
        uint32_t cp;
        size_t cl = sk_utf8_decode(v + k, n - k, &cp);
        if (!cl) cl = 1;
        bool keep = cl == 1 && (v[k] == '-' || v[k] == ' ' || v[k] == '@' || v[k] == '.');
        rc = keep ? sk_buf_append_byte(out, v[k]) : sk_buf_append_byte(out, '*');
        k += cl;
      }
    } else if (act == PII_ACT_REDACT) {
      rc = sk_buf_printf(out, "<%s>", pii_type_name(x->type));
    } else {
      char tok[PII_TOKEN_MAX_BYTES];
      for (int attempt = 0; attempt < 2; attempt++) {
        rc = make_token(key, x->type, v, n, attempt, tok);
        if (!rc) rc = pii_vault_put(vault, tok, v, n);
        if (rc != SK_EEXIST) break;
      }
      if (!rc) rc = sk_buf_append_str(out, tok);
    }
    pos = x->end;
  }
  if (!rc) rc = sk_buf_append(out, text + pos, len - pos);
  if (rc) return sk_err_set(err, rc, "cannot write the transformed text: %s", sk_code_str(rc));
  return 0;
}

/* ---- streaming re-identification ---- */

void pii_reid_init(pii_reid *r, const pii_vault *vault) {
  memset(r, 0, sizeof *r);
  r->vault = vault;
}

static bool tok_ch(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Processes s[0..n): emits everything that cannot be part of a token still being received;
 * returns how many bytes were consumed (the rest, starting at '<', is held back). */
static int reid_run(pii_reid *r, const char *s, size_t n, bool final, sk_buf *out, size_t *used) {
  size_t i = 0, plain = 0;
  int rc = 0;
  while (i < n) {
    if (s[i] != '<') {
      i++;
      continue;
    }
    size_t j = i + 1;
    while (j < n && j - i < PII_TOKEN_MAX_BYTES && tok_ch(s[j])) j++;
    if (j >= n && !final && j - i < PII_TOKEN_MAX_BYTES) break; /* may still become a token */
    if (j < n && s[j] == '>') {
      size_t vl = 0;
      const char *val = pii_vault_get(r->vault, s + i, j + 1 - i, &vl);
      if (val) {
        if ((rc = sk_buf_append(out, s + plain, i - plain)) || (rc = sk_buf_append(out, val, vl)))
          return rc;
        i = plain = j + 1;
        continue;
      }
    }
    i++;
  }
  rc = sk_buf_append(out, s + plain, i - plain);
  *used = i;
  return rc;
}

int pii_reid_feed(pii_reid *r, const char *chunk, size_t n, sk_buf *out) {
  /* finish the held-back prefix with the first bytes of this chunk */
  while (r->pend_len > 0 && n > 0) {
    r->pend[r->pend_len++] = *chunk++;
    n--;
    size_t used = 0;
    sk_buf tmp;
    sk_buf_init(&tmp, out->max_bytes);
    int rc = reid_run(r, r->pend, r->pend_len, false, &tmp, &used);
    if (!rc) rc = sk_buf_append(out, tmp.data, tmp.len);
    sk_buf_release(&tmp);
    if (rc) return rc;
    memmove(r->pend, r->pend + used, r->pend_len - used);
    r->pend_len -= used;
    if (r->pend_len == 0) break;
  }
  if (n == 0) return 0;
  size_t used = 0;
  int rc = reid_run(r, chunk, n, false, out, &used);
  if (rc) return rc;
  memcpy(r->pend, chunk + used, n - used); /* < PII_TOKEN_MAX_BYTES by construction */
  r->pend_len = n - used;
  return 0;
}

int pii_reid_finish(pii_reid *r, sk_buf *out) {
  size_t used = 0;
  int rc = reid_run(r, r->pend, r->pend_len, true, out, &used);
  r->pend_len = 0;
  return rc;
}
