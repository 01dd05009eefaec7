/* ground_chat.h — grounded chat and the verify endpoint over HTTP (issue 9).
 *
 * Grounded chat: an OpenAI chat request carrying `"sekisho": {"collection": NAME, "top_k": K}`
 * has its last user turn answered from the collection DATA/ground/NAME.db (made by
 * `sekisho ingest`): the turn is the query for ground_retrieve, and is replaced by the grounded
 * prompt (ground_build_prompt: numbered sources + the question) before the chat template is
 * applied. After generation the answer's [i] markers become `citations` — per answer sentence
 * {start, end, chunk_ids, sources: [{chunk_id, source, page, start, end, label}]} — and each
 * sentence is verified against the retrieved chunks (verdict counts go to the audit record).
 *
 * Verify endpoint: POST /v1/sekisho/verify with
 *   {"sources": [{"name": "...", "text": "..."}, ...] | ["text", ...], "text": "..."}
 * answers {"sentences": [{text, start, end, verdict, ambiguous, coverage, reason, evidence:
 * [{source, start, end, coverage}]}], "counts": {supported, unsupported, contradicted}}. */
#ifndef SK_API_GROUND_CHAT_H
#define SK_API_GROUND_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "base/buf.h"

/* Most sources in one verify request (each is one document for ground_verify). */
#define API_VERIFY_SOURCES_MAX 64

typedef struct api_ground api_ground;

/* Retrieves for req's last user message from DATA/ground/<req->ground_collection>.db and
 * rewrites that message into the grounded prompt. *out (freed with api_ground_free) keeps the
 * hits for the citations. -1 + e: unknown collection (404), no user message (400), I/O (500). */
int api_ground_prepare(const char *data_dir, api_request *req, api_ground **out, api_error *e);

/* Builds the citations array for answer[0..len) (a new jansson array, caller decrefs; NULL on
 * out of memory) and records the per-sentence verdict counts (see api_ground_counts). */
struct json_t *api_ground_citations(api_ground *g, const char *answer, size_t len);

/* Verdict counts of the last api_ground_citations call: [0] supported, [1] unsupported,
 * [2] contradicted; *n_chunks = chunks retrieved. Never any text. */
void api_ground_counts(const api_ground *g, uint32_t counts[3], uint32_t *n_chunks);

void api_ground_free(api_ground *g);

/* Handles a verify request body: fills out with the JSON answer, or returns -1 + e (400). */
int api_ground_verify(const char *body, size_t len, sk_buf *out, api_error *e);

#endif
