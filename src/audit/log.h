/* log.h — the append-only, durable, Merkle-hashed audit log (one writer process per directory).
 *
 *   audit_log *log;  sk_err e;
 *   audit_open("DATA/audit", NULL, &log, &e);        // creates, or recovers a torn tail
 *   audit_append(log, "{\"kind\":\"decision\",...}", &seq, &e);   // durable when it returns
 *   audit_close(log);
 *
 * Storage: one append-only file `records.log` in dir (see docs/audit.md for the format and why).
 * Durability: audit_append returns only after the record is written and fdatasync'd. Concurrent
 * appenders are group-committed: whichever thread finds no flush in progress writes everything
 * pending with one write + one fdatasync, hands the lead to the first appender that queued
 * meanwhile (so the next commit starts at once), and wakes exactly the appenders it covered.
 * If a write or sync ever fails, the log is poisoned: every later append fails with SK_EIO
 * (the page cache can no longer be trusted to hold what we think is on disk); reopen to recover.
 *
 * Thread safety: every function may be called from any thread on the same audit_log. */
#ifndef SK_AUDIT_LOG_H
#define SK_AUDIT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "audit/merkle.h"
#include "base/err.h"

/* A record is an envelope of hashes, counts and names, never content; 64 KiB is ample and keeps
 * a hostile caller from bloating the log or the verifier's memory. */
#define AUDIT_MAX_RECORD_BYTES (64u * 1024u)
/* Bytes waiting for the next group commit before appenders are made to wait (back-pressure). */
#define AUDIT_MAX_PENDING_BYTES (64u * 1024u * 1024u)
/* In-memory leaf index is 40 bytes per record; 2^31 records is ~80 GiB of index: refuse beyond. */
#define AUDIT_MAX_RECORDS (1ull << 31)
/* Records one audit_append_batch may carry (bounds one caller's share of a group commit). */
#define AUDIT_MAX_BATCH 65536u

/* Preallocation: the writer keeps zero-filled space after the last record so that the fdatasync
 * of a group commit overwrites existing blocks and need not also write the inode (the file size
 * does not change). It extends by the bytes it has written since open, clamped to these bounds
 * (a busy gateway soon extends 4 MiB at a time; a one-off CLI append adds 64 KiB), and
 * audit_close trims the tail again. */
#define AUDIT_PREALLOC_MIN (64u * 1024u)
#define AUDIT_PREALLOC_MAX (4u * 1024u * 1024u)

#define AUDIT_FILE_NAME "records.log"
#define AUDIT_FILE_MAGIC "SKAUDIT1"
#define AUDIT_HEADER_BYTES 16
/* frame = u32 len (LE) | u64 seq (LE) | len bytes of record JSON | 32-byte leaf hash.
 * The frames may be followed by zero bytes up to the end of the file (preallocated space of a
 * live or crashed writer): an all-zero frame header ends the records (no record is empty), and
 * every byte after it must be zero. */
#define AUDIT_FRAME_OVERHEAD (4 + 8 + MERKLE_HASH_BYTES)

typedef struct audit_log audit_log;

typedef struct audit_opts {
  int read_only; /* no lock, no recovery writes, appends refused (for verify/prove/export) */
  /* Fault injection for tests: the Nth sync from now fails (1-based; 0 = never). */
  long fail_sync_after;
} audit_opts;

typedef struct audit_stats {
  uint64_t records;            /* durable records */
  uint64_t syncs;              /* fdatasync calls since open (group commits) */
  uint64_t deferred;           /* records appended without waiting (audit_append_batch_nowait) */
  uint64_t recovered_bytes;    /* torn tail bytes cut by open (an unacknowledged write), kept
                                  in records.log.torn-<ms> in case they were evidence */
} audit_stats;

/* Opens (creating dir and the file if needed) the log in dir. Takes an exclusive lock on the
 * file unless read_only (SK_EBUSY if another writer holds it). A torn tail (a crash between
 * write and sync: an incomplete frame, or frames of the last flush whose bytes do not match their
 * hash) is copied to records.log.torn-<ms> and cut off (read_only: just left out); structural
 * damage before it fails with SK_ECORRUPT (run verify).
 * opts may be NULL. On success *out is owned by the caller: free with audit_close. */
int audit_open(const char *dir, const audit_opts *opts, audit_log **out, sk_err *err);

/* Trims the preallocated zero tail (so a closed log is exactly its frames), releases the lock,
 * frees. Every acknowledged append is already durable; a failed trim leaves a valid tail. */
void audit_close(audit_log *log);

/* Appends one record. json is a JSON object (the envelope, see record.h); the log adds "seq"
 * and "time". Returns SK_OK once the record is durable, with its sequence number (0-based) in
 * *seq (may be NULL). json is only read. */
int audit_append(audit_log *log, const char *json, uint64_t *seq, sk_err *err);

/* Appends n records atomically in order, sharing one sync; *first_seq gets the first number.
 * On error no record of the batch is acknowledged (some may reach disk; they verify anyway). */
int audit_append_batch(audit_log *log, const char *const *json, size_t n, uint64_t *first_seq,
                       sk_err *err);

/* Appends n records in order WITHOUT waiting for them to be durable (for records whose
 * durability may lag, e.g. a gateway's after-the-answer records): they are validated and framed
 * (numbers assigned) and written by the next group commit, whoever leads it — a waiting
 * appender's or an audit_sync call's — so under load they ride on other appenders' syncs. Until
 * then they are neither durable nor visible (audit_size, audit_read). *last_seq (may be NULL)
 * gets the number of the last one. audit_close writes any still pending. */
int audit_append_batch_nowait(audit_log *log, const char *const *json, size_t n, uint64_t *last_seq,
                              sk_err *err);
/* Returns SK_OK once records [0, seq] are durable: at once if a group commit already covered
 * them, else after leading (or joining) one. SK_EINVAL if seq was never assigned. */
int audit_sync(audit_log *log, uint64_t seq, sk_err *err);

/* Number of durable records (the current tree size). */
uint64_t audit_size(audit_log *log);
void audit_get_stats(audit_log *log, audit_stats *out);

/* Reads record seq (< audit_size) into a new NUL-terminated buffer the caller frees with sk_free. */
int audit_read(audit_log *log, uint64_t seq, char **json, size_t *len, sk_err *err);
/* Stored leaf hash of record seq. */
int audit_leaf(audit_log *log, uint64_t seq, merkle_hash *out, sk_err *err);

/* Root of the tree of the first `size` records (size <= audit_size). O(log n) at the current
 * size, O(size) otherwise. */
int audit_root(audit_log *log, uint64_t size, merkle_hash *out, sk_err *err);
/* Inclusion proof of seq in the tree of `size` records. */
int audit_prove_inclusion(audit_log *log, uint64_t seq, uint64_t size, merkle_proof *out, sk_err *err);
/* Consistency proof from size1 to size2 (0 < size1 <= size2 <= audit_size). */
int audit_prove_consistency(audit_log *log, uint64_t size1, uint64_t size2, merkle_proof *out,
                            sk_err *err);

/* Directory this log lives in (owned by log). */
const char *audit_dir(const audit_log *log);

#endif
