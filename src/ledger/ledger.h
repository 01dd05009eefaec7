/* ledger.h — double-entry accounts and transfers for yen (JPY) and yen stablecoin (JPYC).
 *
 * Semantics follow TigerBeetle's published model (our own code): client-chosen 128-bit ids make
 * every create idempotent; each account lives on one ledger (currency); balances are four
 * unsigned 128-bit counters (debits/credits × pending/posted); transfers may be single-phase or
 * two-phase (pending → post, possibly partial, or void; pending transfers may time out); events
 * flagged `linked` form a chain that succeeds or fails as a whole.
 *
 * Durability: a batch is validated and applied in memory with an undo log, then written to the
 * store in ONE transaction; only when that commit returns are results handed back. If the commit
 * fails, the in-memory state is rolled back and the call returns a negative sk_code: nothing of the
 * batch happened. On open, the whole state is loaded and every invariant is re-checked.
 *
 * Thread safety: one ledger handle may be used from many threads; calls are serialised inside.
 * Only one process may open a data file at a time (an exclusive lock; SK_EBUSY otherwise). */
#ifndef SK_LEDGER_LEDGER_H
#define SK_LEDGER_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ledger/u128.h"

/* Ledger numbers: ISO 4217 numeric 392 for yen; JPYC gets its own number (not an ISO code). */
#define LEDGER_JPY 392u
#define LEDGER_JPYC 3920u
/* Most events in one create call: TigerBeetle's batch size, and the bench's largest batch. */
#define LEDGER_BATCH_MAX 8190u
/* Everything is indexed in memory: bound the counts so memory stays predictable (~170 B/transfer). */
#define LEDGER_ACCOUNTS_MAX (1u << 24)
#define LEDGER_TRANSFERS_MAX (1u << 28)

/* Account flags. */
enum {
  LEDGER_AF_LINKED = 1u << 0,
  LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS = 1u << 1,
  LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS = 1u << 2,
  LEDGER_AF_MASK = 0x7u,
};

/* Transfer flags. LEDGER_TF_APPROVAL is set by the ledger, never by clients: the transfer was made
 * pending by a wallet policy and only an approver may post it. */
enum {
  LEDGER_TF_LINKED = 1u << 0,
  LEDGER_TF_PENDING = 1u << 1,
  LEDGER_TF_POST_PENDING = 1u << 2,
  LEDGER_TF_VOID_PENDING = 1u << 3,
  LEDGER_TF_MASK = 0xfu,
  LEDGER_TF_APPROVAL = 1u << 15,
};

typedef struct ledger_account {
  u128 id;
  u128 debits_pending, debits_posted, credits_pending, credits_posted; /* must be 0 on create */
  u128 user_data_128;
  uint64_t user_data_64;
  uint32_t user_data_32;
  uint32_t ledger;
  uint16_t code;
  uint16_t flags;
  uint64_t timestamp; /* set by the ledger (ns since epoch, strictly increasing); 0 on create */
} ledger_account;

typedef struct ledger_transfer {
  u128 id;
  u128 debit_account_id, credit_account_id;
  u128 amount;     /* base units; for post: 0 = the full pending amount */
  u128 pending_id; /* for post/void: the pending transfer */
  u128 user_data_128;
  uint64_t user_data_64;
  uint32_t user_data_32;
  uint32_t timeout_s; /* pending only: 0 = never expires */
  uint32_t ledger;
  uint16_t code;
  uint16_t flags;
  uint64_t timestamp; /* set by the ledger; 0 on create */
} ledger_transfer;

/* State of a pending transfer (and of the others: they are simply "posted"). */
typedef enum ledger_status {
  LEDGER_ST_POSTED = 0, /* single-phase, or a post/void record itself */
  LEDGER_ST_PENDING = 1,
  LEDGER_ST_POSTED_PENDING = 2, /* a pending transfer that was posted */
  LEDGER_ST_VOIDED = 3,
  LEDGER_ST_EXPIRED = 4,
} ledger_status;

/* Per-event results. LEDGER_OK and LEDGER_OK_PENDING_APPROVAL are success; all others fail. */
#define LEDGER_RESULTS(X)                                                                          \
  X(OK, "ok")                                                                                      \
  X(OK_PENDING_APPROVAL, "pending_approval")                                                      \
  X(LINKED_EVENT_FAILED, "linked_event_failed")                                                   \
  X(LINKED_EVENT_CHAIN_OPEN, "linked_event_chain_open")                                           \
  X(MALFORMED, "malformed")                                                                        \
  X(TIMESTAMP_MUST_BE_ZERO, "timestamp_must_be_zero")                                             \
  X(RESERVED_FLAG, "reserved_flag")                                                                \
  X(ID_MUST_NOT_BE_ZERO, "id_must_not_be_zero")                                                   \
  X(ID_MUST_NOT_BE_INT_MAX, "id_must_not_be_int_max")                                             \
  X(FLAGS_ARE_MUTUALLY_EXCLUSIVE, "flags_are_mutually_exclusive")                                 \
  X(BALANCES_MUST_BE_ZERO, "balances_must_be_zero")                                               \
  X(LEDGER_MUST_NOT_BE_ZERO, "ledger_must_not_be_zero")                                           \
  X(CODE_MUST_NOT_BE_ZERO, "code_must_not_be_zero")                                               \
  X(EXISTS_WITH_DIFFERENT_FLAGS, "exists_with_different_flags")                                   \
  X(EXISTS_WITH_DIFFERENT_USER_DATA_128, "exists_with_different_user_data_128")                   \
  X(EXISTS_WITH_DIFFERENT_USER_DATA_64, "exists_with_different_user_data_64")                     \
  X(EXISTS_WITH_DIFFERENT_USER_DATA_32, "exists_with_different_user_data_32")                     \
  X(EXISTS_WITH_DIFFERENT_LEDGER, "exists_with_different_ledger")                                 \
  X(EXISTS_WITH_DIFFERENT_CODE, "exists_with_different_code")                                     \
  X(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID, "exists_with_different_debit_account_id")             \
  X(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID, "exists_with_different_credit_account_id")           \
  X(EXISTS_WITH_DIFFERENT_AMOUNT, "exists_with_different_amount")                                 \
  X(EXISTS_WITH_DIFFERENT_PENDING_ID, "exists_with_different_pending_id")                         \
  X(EXISTS_WITH_DIFFERENT_TIMEOUT, "exists_with_different_timeout")                               \
  X(EXISTS, "exists")                                                                              \
  X(TOO_MANY_ACCOUNTS, "too_many_accounts")                                                       \
  X(TOO_MANY_TRANSFERS, "too_many_transfers")                                                     \
  X(DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO, "debit_account_id_must_not_be_zero")                       \
  X(DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX, "debit_account_id_must_not_be_int_max")                 \
  X(CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO, "credit_account_id_must_not_be_zero")                     \
  X(CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX, "credit_account_id_must_not_be_int_max")               \
  X(ACCOUNTS_MUST_BE_DIFFERENT, "accounts_must_be_different")                                     \
  X(PENDING_ID_MUST_BE_ZERO, "pending_id_must_be_zero")                                           \
  X(PENDING_ID_MUST_NOT_BE_ZERO, "pending_id_must_not_be_zero")                                   \
  X(PENDING_ID_MUST_NOT_BE_INT_MAX, "pending_id_must_not_be_int_max")                             \
  X(PENDING_ID_MUST_BE_DIFFERENT, "pending_id_must_be_different")                                 \
  X(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER, "timeout_reserved_for_pending_transfer")               \
  X(AMOUNT_MUST_NOT_BE_ZERO, "amount_must_not_be_zero")                                           \
  X(DEBIT_ACCOUNT_NOT_FOUND, "debit_account_not_found")                                           \
  X(CREDIT_ACCOUNT_NOT_FOUND, "credit_account_not_found")                                         \
  X(ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER, "accounts_must_have_the_same_ledger")                     \
  X(TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS, "transfer_must_have_the_same_ledger_as_accounts") \
  X(PENDING_TRANSFER_NOT_FOUND, "pending_transfer_not_found")                                     \
  X(PENDING_TRANSFER_NOT_PENDING, "pending_transfer_not_pending")                                 \
  X(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID, "pending_transfer_has_different_debit_account_id") \
  X(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID, "pending_transfer_has_different_credit_account_id") \
  X(PENDING_TRANSFER_HAS_DIFFERENT_LEDGER, "pending_transfer_has_different_ledger")               \
  X(PENDING_TRANSFER_HAS_DIFFERENT_CODE, "pending_transfer_has_different_code")                   \
  X(EXCEEDS_PENDING_TRANSFER_AMOUNT, "exceeds_pending_transfer_amount")                           \
  X(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT, "pending_transfer_has_different_amount")               \
  X(PENDING_TRANSFER_ALREADY_POSTED, "pending_transfer_already_posted")                           \
  X(PENDING_TRANSFER_ALREADY_VOIDED, "pending_transfer_already_voided")                           \
  X(PENDING_TRANSFER_EXPIRED, "pending_transfer_expired")                                         \
  X(OVERFLOWS_DEBITS_PENDING, "overflows_debits_pending")                                         \
  X(OVERFLOWS_CREDITS_PENDING, "overflows_credits_pending")                                       \
  X(OVERFLOWS_DEBITS_POSTED, "overflows_debits_posted")                                           \
  X(OVERFLOWS_CREDITS_POSTED, "overflows_credits_posted")                                         \
  X(OVERFLOWS_DEBITS, "overflows_debits")                                                         \
  X(OVERFLOWS_CREDITS, "overflows_credits")                                                       \
  X(OVERFLOWS_TIMEOUT, "overflows_timeout")                                                       \
  X(EXCEEDS_CREDITS, "exceeds_credits")                                                           \
  X(EXCEEDS_DEBITS, "exceeds_debits")                                                             \
  X(COUNTERPARTY_NOT_ALLOWED, "counterparty_not_allowed")                                         \
  X(EXCEEDS_PER_TRANSFER_CAP, "exceeds_per_transfer_cap")                                         \
  X(EXCEEDS_DAILY_CAP, "exceeds_daily_cap")                                                       \
  X(APPROVAL_REQUIRED, "approval_required")

typedef enum ledger_result {
#define LEDGER_X_ENUM(name, str) LEDGER_##name,
  LEDGER_RESULTS(LEDGER_X_ENUM)
#undef LEDGER_X_ENUM
      LEDGER_RESULT_COUNT
} ledger_result;

/* Static snake_case name of a result ("exceeds_credits"); "unknown" when out of range. */
const char *ledger_result_str(ledger_result r);
/* Success means OK or OK_PENDING_APPROVAL. */
static inline int ledger_result_ok(ledger_result r) {
  return r == LEDGER_OK || r == LEDGER_OK_PENDING_APPROVAL;
}

/* Submit flags for ledger_create_transfers. */
enum {
  /* The caller is a human approver: may post transfers held by a wallet policy for approval. */
  LEDGER_SUBMIT_APPROVER = 1u << 0,
};

typedef struct ledger ledger;

/* Clock returning nanoseconds since the Unix epoch; tests inject a deterministic one. */
typedef uint64_t (*ledger_clock_fn)(void *ctx);

typedef struct ledger_options {
  ledger_clock_fn clock; /* NULL: CLOCK_REALTIME */
  void *clock_ctx;
  int sync_full;         /* SQLite synchronous=FULL (1, default when options are NULL) or NORMAL (0) */
  int skip_open_checks;  /* 1 skips the full invariant check on open (large benches only) */
  long store_fail_commit_after; /* test hook: the nth commit from open (1-based) fails; 0 never */
  unsigned checkpoint_every;
  int lock_wait_ms;              /* wait for another process to release the file: 0 = 5 s, <0 = no wait */     /* commits between balance checkpoints; 0 = LEDGER_CHECKPOINT_COMMITS */
} ledger_options;

/* Opens (creating if absent) the ledger stored in SQLite file `path`, or an in-memory ledger with
 * no persistence when path is NULL. Loads everything and checks every invariant (SK_ECORRUPT with
 * the first violation in err otherwise). opts may be NULL. The caller owns *out (ledger_close). */
int ledger_open(const char *path, const ledger_options *opts, ledger **out, sk_err *err);
/* Writes a balance checkpoint now (also done every LEDGER_CHECKPOINT_COMMITS commits and on close).
 * Balances are a cache of the transfer log: each commit appends transfers only; a checkpoint
 * stores the balances changed since the last one, which open then verifies against the replay. */
#define LEDGER_CHECKPOINT_COMMITS 256u
int ledger_checkpoint(ledger *l, sk_err *err);
/* Closes (with a final checkpoint, best effort) and frees; NULL is a no-op. */
void ledger_close(ledger *l);

/* Creates n accounts (n ≤ LEDGER_BATCH_MAX), one result per event into results[n] (caller owned).
 * Returns SK_OK when the batch committed (each event then has its own result), or a negative
 * sk_code when nothing was applied (invalid call or store failure). */
int ledger_create_accounts(ledger *l, const ledger_account *events, size_t n, ledger_result *results,
                           sk_err *err);

/* Creates n transfers, like ledger_create_accounts. submit_flags: LEDGER_SUBMIT_*. prefail may be
 * NULL; when prefail[i] is not LEDGER_OK, event i fails with that code (the CLI uses this for lines
 * that did not parse, so that they still break their linked chain). */
int ledger_create_transfers(ledger *l, const ledger_transfer *events, size_t n, unsigned submit_flags,
                            const ledger_result *prefail, ledger_result *results, sk_err *err);

/* Looks up one account / transfer by id (copied into *out). Returns SK_OK or SK_ENOTFOUND. */
int ledger_lookup_account(ledger *l, u128 id, ledger_account *out);
int ledger_lookup_transfer(ledger *l, u128 id, ledger_transfer *out, ledger_status *status,
                           u128 *posted_amount);

/* Iteration callbacks: return nonzero to stop early. They run with the ledger locked: a callback
 * must not call back into the ledger (copy what you need, then look it up afterwards). */
typedef int (*ledger_account_cb)(void *ctx, const ledger_account *a);
typedef int (*ledger_transfer_cb)(void *ctx, const ledger_transfer *t, ledger_status status,
                                  u128 posted_amount);
/* One balance-history point: the account's balances right after an event at `timestamp` caused by
 * transfer `transfer_id` (expiry of a pending transfer is an event of that pending transfer). */
typedef struct ledger_balance_point {
  uint64_t timestamp;
  u128 transfer_id;
  u128 debits_pending, debits_posted, credits_pending, credits_posted;
} ledger_balance_point;
typedef int (*ledger_balance_cb)(void *ctx, const ledger_balance_point *p);

/* Calls cb for every account, in creation order. */
int ledger_each_account(ledger *l, ledger_account_cb cb, void *ctx);
/* Calls cb for every transfer touching account_id (0: all), in timestamp order. */
int ledger_each_transfer(ledger *l, u128 account_id, ledger_transfer_cb cb, void *ctx);
/* Calls cb for every pending transfer (optionally only those touching account_id). */
int ledger_each_pending(ledger *l, u128 account_id, ledger_transfer_cb cb, void *ctx);
/* Replays the account's transfers and calls cb with its balances after each event. */
int ledger_balance_history(ledger *l, u128 account_id, ledger_balance_cb cb, void *ctx, sk_err *err);

/* Expires pending transfers whose timeout has passed (also done at the start of every create
 * call); returns how many expired (≥ 0) or a negative sk_code on store failure. */
int ledger_expire(ledger *l, sk_err *err);

/* Re-checks every invariant from scratch: per-ledger sum of debits equals sum of credits (pending
 * and posted), every account's balances equal the replay of its transfers, constrained accounts
 * within their limits, each pending transfer's state consistent. SK_ECORRUPT with details in err. */
int ledger_check(ledger *l, sk_err *err);

/* Scale (fraction digits) of a ledger's display unit: 18 for JPYC, 0 otherwise. Name: "JPY",
 * "JPYC" or NULL for other numbers. Parses "JPY"/"JPYC"/a number into *out (0 or -1). */
unsigned ledger_scale(uint32_t ledger_no);
const char *ledger_name(uint32_t ledger_no);
int ledger_parse_ledger(const char *s, uint32_t *out);

/* Counts (for benches and reports). */
size_t ledger_account_count(ledger *l);
size_t ledger_transfer_count(ledger *l);

#endif
