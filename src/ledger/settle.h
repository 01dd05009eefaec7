/* settle.h — signed settlement batches and reconciliation import.
 *
 * The ledger never talks to a chain or a bank. For a period it produces a settlement batch: the net
 * position of every account (counterparty) on one ledger, from the transfers that POSTED in
 * [from, to) — single-phase transfers and posts of pending ones. The body is canonical JSON
 * (sorted keys, compact), its digest is BLAKE2b-256 and the signature Ed25519 over the body bytes:
 *
 *   {"body":{"type":"sekisho.settlement.v1","ledger":"JPYC","from_ns":…,"to_ns":…,
 *            "created_ns":…,"transfer_count":n,"positions":[{"account":"7","debits":"…",
 *            "credits":"…","net":"-12"}…]},
 *    "digest":"hex","public_key":"hex","signature":"hex"}
 *
 * Nets sum to zero (double entry). The batch is stored (kind "settlement", key = digest).
 * A reconciliation file is what the bank / chain operator confirms:
 *   {"settlement_digest":"hex","external_ref":"…","positions":[{"account":"7","net":"-12"}…]}
 * ledger_reconcile compares it with the stored batch and stores the report. */
#ifndef SK_LEDGER_SETTLE_H
#define SK_LEDGER_SETTLE_H

#include "ledger/ledger.h"

/* Settlement / reconciliation documents are bounded: 16 MiB is ~100k positions. */
#define LEDGER_SETTLE_DOC_MAX (16u << 20)
#define LEDGER_SETTLE_SK_BYTES 64u
#define LEDGER_SETTLE_PK_BYTES 32u

/* Loads the Ed25519 key whose 32-byte seed is stored as hex in `path`, creating it (mode 0600)
 * when absent. sk receives libsodium's 64-byte secret key. */
int ledger_settle_key(const char *path, unsigned char sk[LEDGER_SETTLE_SK_BYTES], sk_err *err);

/* Builds, signs and stores the batch; *out is a new NUL-terminated JSON text (sk_free). */
int ledger_settle(ledger *l, uint32_t ledger_no, uint64_t from_ns, uint64_t to_ns,
                  const unsigned char sk[LEDGER_SETTLE_SK_BYTES], char **out, sk_err *err);

/* Verifies digest and signature of a batch text. If pk is non-NULL the batch must be signed by
 * that key (otherwise the embedded key is only self-consistent). SK_OK or SK_EDENIED/SK_EFORMAT. */
int ledger_settle_verify(const char *text, size_t len, const unsigned char *pk, sk_err *err);

/* Imports a reconciliation file; *report is a new JSON text (sk_free) and *matched is 1 when every
 * position agrees. SK_ENOTFOUND when the settlement digest is unknown. */
int ledger_reconcile(ledger *l, const char *text, size_t len, char **report, int *matched, sk_err *err);

#endif
