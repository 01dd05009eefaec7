/* record.h — the fixed envelope of an audit record, and its canonical stored form.
 *
 * Input (what callers append) is one JSON object with these fields; only "kind" is required:
 *   kind            string  what happened: "admitted", "completed", "blocked", "model", "incident"...
 *   tenant, actor   string  who (tenant id, API key id / user id — never a name or an e-mail)
 *   decision        string  "allow", "redact", "block", "error" ...
 *   model, route    string  model name; route ("local", "anthropic", ...)
 *   model_sha256    hex64   hash of the model file (model inventory)
 *   external        bool    the request left the premises; then legal_basis says why
 *   legal_basis     string  e.g. "consent", "contract", "APPI art.27(5)(i) outsourcing"
 *   pii             object  category -> count (integers); NEVER the values themselves
 *   prompt_sha256, response_sha256  hex64  hashes of prompt and response
 *   tokens_in, tokens_out, latency_ms   non-negative integers
 *   cost            number  (in the ledger's currency unit)
 *   policy_version, request_id, incident  string
 *   subject         string  data subject id; with "personal", whose key seals it (seal.h)
 *   personal        any     erasable personal data: stored encrypted under the subject's key
 *   grounding       object  grounded chat: {supported, unsupported, contradicted, chunks} counts
 *                           (per-sentence verdicts of the answer); never the text
 *   extra           object  free-form, the caller's responsibility
 * "seq" and "time" are assigned by the log; any other field is refused (the envelope is fixed).
 *
 * Stored form: {"seq":N,"time":"YYYY-MM-DDTHH:MM:SS.mmmZ",<the validated object, compact, keys
 * sorted, "personal" replaced by "sealed">} — exactly the bytes hashed into the Merkle leaf. */
#ifndef SK_AUDIT_RECORD_H
#define SK_AUDIT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Input accepted by record_prepare before validation; sealing grows personal data by ~4/3, so the
 * stored limit (AUDIT_MAX_RECORD_BYTES) is what really bounds a record. */
#define AUDIT_RECORD_INPUT_MAX (64u * 1024u)

/* Validates json and returns the canonical body "{...}" (without seq/time) in a new buffer the
 * caller frees with sk_free. dir is the audit directory (for sealing keys). */
int record_prepare(const char *dir, const char *json, char **body, size_t *body_len, sk_err *err);

/* The same, through jansson (parse, validate, json_dumps sorted): the reference the fast path
 * (canon.h) must match byte for byte. record_prepare uses it for records with "personal" (sealing
 * works on jansson values); tests and the fuzzer compare the two. */
int record_prepare_slow(const char *dir, const char *json, char **body, size_t *body_len, sk_err *err);

/* Length of the prefix `{"seq":N,"time":"...",` for writing, and the writer itself: writes the
 * full stored record into out (capacity out_size) and returns its length, or 0 if it did not fit. */
size_t record_compose(char *out, size_t out_size, uint64_t seq, int64_t time_ms, const char *body,
                      size_t body_len);
/* Upper bound of record_compose's extra bytes over body_len. */
#define RECORD_ENVELOPE_MAX 96

/* Checks that stored bytes begin with {"seq":<seq>, — cheap, used by verify. */
int record_has_seq(const char *rec, size_t len, uint64_t seq);

#endif
