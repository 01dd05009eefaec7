/* verify.h — recompute everything and name the first bad record.
 *
 * audit_verify reads records.log on its own (read-only, no lock), so it can run beside a live
 * writer and checks, for every record from `from` on: the frame is complete, its sequence number
 * is its position, the record text starts with that sequence number, and SHA-256 of the record
 * equals the stored leaf hash. It rebuilds the Merkle tree over all leaves and, for every stored
 * checkpoint, checks the log's signature and that the root at that size equals the signed root
 * (this catches an attacker who rewrote records and recomputed their hashes, and a truncated log).
 * Records before `from` are not rehashed; their stored leaf hashes still feed the tree.
 * Beside a live writer (it holds the file's flock) an incomplete last frame is an append in
 * flight and is left out; without a writer it is reported (truncation or unrecovered crash). */
#ifndef SK_AUDIT_VERIFY_H
#define SK_AUDIT_VERIFY_H

#include <stdint.h>

#include "audit/merkle.h"
#include "base/err.h"

typedef struct audit_verify_result {
  int ok;               /* 1: intact */
  uint64_t records;     /* complete records found */
  uint64_t rehashed;    /* records whose leaf hash was recomputed */
  uint64_t checkpoints; /* checkpoints whose signature and root were checked */
  uint64_t first_bad;   /* when !ok: the first record that is wrong, missing or unprovable */
  char reason[384];     /* when !ok: what is wrong, in words */
  merkle_hash root;     /* root over all records found */
} audit_verify_result;

/* Returns SK_OK when verification ran (the verdict is in *res), or an error when it could not
 * (no log, unreadable file, no public key while checkpoints exist). */
int audit_verify(const char *dir, uint64_t from, audit_verify_result *res, sk_err *err);

#endif
