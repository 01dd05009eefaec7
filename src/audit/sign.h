/* sign.h — Ed25519 keys and signed checkpoints (signed tree heads) with witness cosignatures.
 *
 * A checkpoint is plain text, so an auditor can read it and check it offline with any Ed25519
 * implementation:
 *
 *   sekisho-audit-checkpoint/v1          <- body: exactly these five lines are signed
 *   <origin>                                 (the log's name)
 *   <tree size>
 *   <root, 64 hex digits>
 *   <time, RFC 3339 UTC>
 *                                        <- blank line
 *   sig <key name> <key id> <base64 Ed25519 signature over the body bytes>
 *   sig <witness name> <key id> <...>    <- one line per cosigner (witness)
 *
 * key id = first 8 bytes of SHA-256(public key), hex. Key files are one line each:
 *   public:  "sekisho-audit-ed25519 <name> <base64 32-byte key>"
 *   secret:  "sekisho-audit-ed25519-secret <name> <base64 64-byte libsodium secret key>" (0600) */
#ifndef SK_AUDIT_SIGN_H
#define SK_AUDIT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "audit/merkle.h"
#include "base/err.h"

/* A checkpoint is five short lines plus a few signatures. */
#define CKPT_MAX_BYTES 4096
/* Cosigners on one checkpoint: the log and a handful of witnesses. */
#define CKPT_MAX_SIGS 16
/* Key and origin names: short identifiers, no spaces. */
#define SIGN_MAX_NAME 64

typedef struct sign_key {
  char name[SIGN_MAX_NAME + 1];
  uint8_t pk[32];
  uint8_t sk[64]; /* zero when only the public half is loaded */
  int has_secret;
} sign_key;

typedef struct audit_checkpoint {
  char origin[SIGN_MAX_NAME + 1];
  uint64_t size;
  merkle_hash root;
  char time[32];
  size_t body_len; /* bytes of text that are signed */
  size_t nsigs;
  char sig_names[CKPT_MAX_SIGS][SIGN_MAX_NAME + 1];
} audit_checkpoint;

/* Creates a new key pair named name and writes secret_path (0600, refuses to overwrite) and
 * public_path. */
int sign_keygen(const char *name, const char *secret_path, const char *public_path, sk_err *err);
/* Loads a secret key file (both halves) or a public key file (public half). */
int sign_load_secret(const char *path, sign_key *out, sk_err *err);
int sign_load_public(const char *path, sign_key *out, sk_err *err);
/* The one-line public key text for key (out: at least 160 bytes). */
void sign_public_text(const sign_key *key, char *out, size_t out_size);
/* Key id (16 hex + NUL). */
void sign_key_id(const uint8_t pk[32], char out[17]);

/* Builds and signs a checkpoint; *text is a new NUL-terminated buffer (sk_free). */
int ckpt_make(const char *origin, uint64_t size, const merkle_hash *root, int64_t time_s,
              const sign_key *key, char **text, sk_err *err);
/* Parses a checkpoint text (signatures are listed, not checked). */
int ckpt_parse(const char *text, size_t len, audit_checkpoint *out, sk_err *err);
/* Checks that text carries a valid signature by key (matched by name and key id). */
int ckpt_verify(const char *text, size_t len, const sign_key *key, sk_err *err);
/* Appends key's cosignature line to a checkpoint; *out is a new buffer (sk_free). The caller
 * (a witness) must first have checked the log's signature and consistency with what it saw. */
int ckpt_cosign(const char *text, size_t len, const sign_key *key, char **out, sk_err *err);

#endif
