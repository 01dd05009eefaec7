/* checkpoint.h — the log's own signing key and its stored checkpoints.
 *
 * Layout under the audit directory:
 *   keys/log.key   the log's Ed25519 secret key (0600), created on first checkpoint
 *   keys/log.pub   its public key: give this file to auditors and witnesses
 *   checkpoints/<size, 20 digits>.ckpt   signed checkpoints, one per tree size */
#ifndef SK_AUDIT_CHECKPOINT_H
#define SK_AUDIT_CHECKPOINT_H

#include <stdint.h>

#include "audit/log.h"
#include "audit/sign.h"

#define AUDIT_LOG_KEY_NAME "sekisho-log"
/* Checkpoints verify reads; one per tree size, so this bounds the directory listing. */
#define AUDIT_MAX_CHECKPOINTS 100000

/* Paths (out must be PATH_MAX bytes). */
int audit_key_paths(const char *dir, char *secret_path, char *public_path, sk_err *err);
/* Loads the log's key pair, creating it when absent. */
int audit_log_key(const char *dir, sign_key *out, sk_err *err);

/* Signs a checkpoint of the current tree and stores it; *text (may be NULL) gets a copy the
 * caller frees with sk_free. */
int audit_checkpoint_create(audit_log *log, char **text, sk_err *err);

/* Lists the stored checkpoint sizes in ascending order: *sizes is a new array (sk_free). */
int audit_checkpoint_sizes(const char *dir, uint64_t **sizes, size_t *n, sk_err *err);
/* Reads the stored checkpoint of that size (sk_free). */
int audit_checkpoint_read(const char *dir, uint64_t size, char **text, size_t *len, sk_err *err);

#endif
