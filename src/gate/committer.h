/* committer.h — writes the records a request leaves behind AFTER its answer (audit "completed"
 * and "denied" records, the ledger transfers charging its cost) in the background, in batches:
 * one ledger commit for everything queued meanwhile, and the audit records appended without
 * waiting for a sync of their own (audit_append_batch_nowait): the next group commit of an
 * "admitted" record carries them. Only when none comes within a linger does the committer sync
 * them itself — so a request's admitted record never queues behind a committer's audit flush
 * while requests keep arriving, and under load the committer costs no audit fsync at all.
 *
 * Only records that need no durability before the client hears back go here; the audit
 * "admitted" record (durable before any byte leaves) is written by the admitting thread itself.
 * gate_committer_stop drains the queue, so a clean shutdown loses nothing.
 *
 * Thread safety: push from any thread; one writer thread inside. */
#ifndef SK_GATE_COMMITTER_H
#define SK_GATE_COMMITTER_H

#include <stddef.h>
#include <stdint.h>

#include "audit/log.h"
#include "base/err.h"
#include "ledger/ledger.h"

/* Items queued before push makes callers wait (back-pressure when the disk cannot keep up). */
#define GATE_COMMIT_MAX_QUEUE 65536u
/* Items one round writes: at most 2 transfers each, so a round is one ledger batch
 * (2 × 4095 = LEDGER_BATCH_MAX) and well inside AUDIT_MAX_BATCH. */
#define GATE_COMMIT_MAX_ROUND 4095u
/* After the first item of a round arrives the writer waits this long for more (unless
 * GATE_COMMIT_FULL_ROUND are queued first): every round costs a ledger transaction and its
 * fsync, and on a 2-core box those, not the records, are what a request costs. The same delay
 * bounds how long a round's audit records wait to ride on an "admitted" group commit before the
 * committer syncs them itself. No request waits for it (its answer has left by then); a crash
 * loses at most about two lingers of finished requests' records (see docs/gate.md). */
#define GATE_COMMIT_LINGER_MS 10
#define GATE_COMMIT_FULL_ROUND 256u

typedef struct gate_committer gate_committer;

typedef struct gate_commit_stats {
  uint64_t rounds;         /* batches written */
  uint64_t items;          /* items written */
  uint64_t audit_errors;   /* items whose audit record could not be written */
  uint64_t audit_syncs;    /* audit group commits the committer had to lead itself (none rode by) */
  uint64_t ledger_errors;  /* transfers the ledger refused or could not commit */
} gate_commit_stats;

/* a and l borrowed (must outlive the committer). *out owned by the caller (gate_committer_stop). */
int gate_committer_start(audit_log *a, ledger *l, gate_committer **out, sk_err *err);
/* Writes everything queued, stops the thread, frees. NULL is a no-op. */
void gate_committer_stop(gate_committer *c);
/* Queues an audit record (json taken: malloc'd, e.g. from json_dumps; may be NULL) and n ≤ 2 ledger
 * transfers (copied). Returns 0, or SK_ENOMEM (json is freed either way). */
int gate_committer_push(gate_committer *c, char *json, const ledger_transfer *tr, size_t n);
void gate_committer_stats(gate_committer *c, gate_commit_stats *out);

#endif
