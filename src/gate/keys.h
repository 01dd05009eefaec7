/* keys.h — API keys: per tenant and user, with a role and a residency class, stored only as keyed
 * hashes (BLAKE2b-256 keyed with a server secret, libsodium) and compared in constant time.
 *
 *   token  = "sk-sekisho-" + id (16 hex) + "-" + secret (43 base64url chars, 256 bits)
 *   stored = id, tenant, user, role, residency, hash(token), created, revoked   (DATA/gate/keys.json)
 *
 * The id in the token only locates the record; the whole token is what is hashed and compared.
 * The key file is rewritten atomically (temporary file + rename) under an flock, so the CLI
 * (`sekisho keys ...`) and a running server can both change it; the server re-reads it when its
 * modification time changes (gate_keys_refresh). The secret never leaves DATA/gate/keys.secret
 * (mode 0600). Thread safety: every function may be called from any thread on one gate_keys. */
#ifndef SK_GATE_KEYS_H
#define SK_GATE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "gate/config.h"

/* Keys one installation holds: lookups are a linear scan of ids, still ~µs at this bound. */
#define GATE_MAX_KEYS 4096
#define GATE_KEY_ID_HEX 16
#define GATE_KEY_PREFIX "sk-sekisho-"
/* Longest token we accept from a client before even looking at it. */
#define GATE_MAX_TOKEN 128
/* keys.json is ~300 bytes per key. */
#define GATE_MAX_KEYS_FILE ((size_t)GATE_MAX_KEYS * 512)

typedef enum gate_role { GATE_ROLE_ADMIN = 0, GATE_ROLE_USER, GATE_ROLE_AUDITOR, GATE_ROLE_AGENT } gate_role;
/* Where a key's requests may be processed: "onprem" keys never reach an external route. */
typedef enum gate_residency { GATE_RES_ONPREM = 0, GATE_RES_ANY } gate_residency;

typedef struct gate_key {
  char id[GATE_KEY_ID_HEX + 1];
  char tenant[GATE_MAX_ID];
  char user[GATE_MAX_ID];
  gate_role role;
  gate_residency residency;
  unsigned char hash[32];
  int64_t created;  /* unix seconds */
  int revoked;
} gate_key;

typedef struct gate_keys gate_keys;

/* Opens the key store in dir (created with its secret if absent). *out owned by the caller. */
int gate_keys_open(const char *dir, gate_keys **out, sk_err *err);
void gate_keys_close(gate_keys *k);
/* Re-reads keys.json if it changed on disk (cheap stat otherwise). */
int gate_keys_refresh(gate_keys *k, sk_err *err);

/* Authenticates a client token. SK_OK with *out filled; SK_EDENIED for an unknown, forged or
 * revoked key (the message says which, without echoing the token). */
int gate_keys_check(gate_keys *k, const char *token, gate_key *out, sk_err *err);

/* Creates a key; writes the token (shown once, never stored) into token[GATE_MAX_TOKEN]. */
int gate_keys_create(gate_keys *k, const char *tenant, const char *user, gate_role role, gate_residency res,
                     gate_key *out, char token[GATE_MAX_TOKEN], sk_err *err);
/* New secret for the same id (the old token stops working at once). */
int gate_keys_rotate(gate_keys *k, const char *id, gate_key *out, char token[GATE_MAX_TOKEN], sk_err *err);
int gate_keys_revoke(gate_keys *k, const char *id, sk_err *err);
/* Appends the key list as JSON (no hashes) to out. tenant: filter, or NULL. */
int gate_keys_list_json(gate_keys *k, const char *tenant, sk_buf *out);
size_t gate_keys_count(gate_keys *k);

const char *gate_role_name(gate_role r);
int gate_role_parse(const char *s); /* or -1 */
const char *gate_residency_name(gate_residency r);
int gate_residency_parse(const char *s);

#endif
