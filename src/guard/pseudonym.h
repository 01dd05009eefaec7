/* pseudonym.h — actions on findings: mask, redact, pseudonymise; the vault that maps pseudonyms
 * back to originals; and streaming re-identification for model output.
 *
 *   pii_vault *v; pii_vault_new(&v);
 *   pii_apply(text, len, &findings, PII_ACT_PSEUDO, &key, v, &out, &err);  // "<PERSON_3f9a01c2>さん"
 *   pii_reid r; pii_reid_init(&r, v);
 *   pii_reid_feed(&r, chunk, n, &out2);  ... pii_reid_finish(&r, &out2);    // originals restored
 *
 * Pseudonyms are keyed and deterministic: token = TYPE + first 4 bytes (8 hex) of
 * BLAKE2b-keyed(key, tenant || 0 || TYPE || 0 || value). Same key, tenant, type and value give the
 * same token in every request, so a model sees consistent identities; without the key a token
 * reveals nothing about the value. The vault holds token -> value for one scope and is the only
 * place originals live; it is never logged. */
#ifndef SK_GUARD_PSEUDONYM_H
#define SK_GUARD_PSEUDONYM_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "guard/guard.h"

typedef enum pii_action {
  PII_ACT_MASK = 0, /* every character of the value becomes '*' (separators kept) */
  PII_ACT_REDACT,   /* the value becomes <TYPE> */
  PII_ACT_PSEUDO,   /* the value becomes <TYPE_xxxxxxxx>, recorded in the vault */
} pii_action;

/* Secret of the pseudonym key (crypto_generichash_KEYBYTES). */
#define PII_KEY_BYTES 32
/* Longest token: '<' + the longest type name (19) + '_' + 8 hex (+ collision suffix) + '>'. */
#define PII_TOKEN_MAX_BYTES 48
/* Most entries one vault holds: one request's worth of identifiers, with a wide margin. */
#define PII_VAULT_MAX_ENTRIES ((size_t)1 << 20)

typedef struct pii_key {
  unsigned char secret[PII_KEY_BYTES];
  char tenant[64]; /* NUL-terminated scope name; tokens differ per tenant */
} pii_key;

typedef struct pii_vault pii_vault;

int pii_vault_new(pii_vault **out);
void pii_vault_free(pii_vault *v);
size_t pii_vault_count(const pii_vault *v);
/* Original value for token (owned by the vault; *value_len bytes, may contain NULs, followed by
 * a NUL) or NULL. value_len may be NULL. */
const char *pii_vault_get(const pii_vault *v, const char *token, size_t token_len, size_t *value_len);
/* Iteration for persistence: i in [0,count). */
void pii_vault_entry(const pii_vault *v, size_t i, const char **token, const char **value, size_t *value_len);
/* Adds token -> value (copies both). SK_EEXIST when the token maps to another value. */
int pii_vault_put(pii_vault *v, const char *token, const char *value, size_t value_len);

/* Derives a key from a passphrase-like secret (BLAKE2b of it); for tests and the CLI. */
void pii_key_from_secret(pii_key *k, const char *secret, const char *tenant);

/* Writes text with every finding replaced according to act into out (appended). findings must
 * be sorted and non-overlapping (pii_scan's output). PSEUDO needs key and vault. */
int pii_apply(const char *text, size_t len, const pii_findings *f, pii_action act, const pii_key *key,
              pii_vault *vault, sk_buf *out, sk_err *err);

/* Streaming re-identification: tokens may be split across chunks. */
typedef struct pii_reid {
  const pii_vault *vault;
  char pend[PII_TOKEN_MAX_BYTES + 1]; /* a '<' and what may still become a token */
  size_t pend_len;
} pii_reid;

void pii_reid_init(pii_reid *r, const pii_vault *vault);
/* Appends to out what can be emitted now; holds back at most PII_TOKEN_MAX_BYTES bytes. */
int pii_reid_feed(pii_reid *r, const char *chunk, size_t n, sk_buf *out);
/* Flushes what was held back. */
int pii_reid_finish(pii_reid *r, sk_buf *out);

#endif
