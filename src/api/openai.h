/* openai.h — OpenAI-compatible adapter: parses /v1/chat/completions and /v1/completions bodies
 * into api_request, renders results, stream chunks (SSE) and errors in OpenAI's shapes.
 * Render functions append to a caller-owned sk_buf and return 0 or a negative sk_code. */
#ifndef SK_API_OPENAI_H
#define SK_API_OPENAI_H

#include <stddef.h>

#include "api/request.h"
#include "base/buf.h"

/* Parses body into req (api_request_init'ed by the caller; released on failure). 0 or -1 + e. */
int openai_parse_chat(const char *body, size_t len, api_request *req, api_error *e);
int openai_parse_completion(const char *body, size_t len, api_request *req, api_error *e);

/* {"error":{"message","type","param","code"}} */
int openai_render_error(const api_error *e, sk_buf *out);
/* Non-streaming response body for req->proto (chat.completion or text_completion). */
int openai_render_result(const api_request *req, const api_result *r, sk_buf *out);
/* Streaming: first chunk (role), a text delta, the final chunk(s) and [DONE]. */
int openai_stream_begin(const api_request *req, const api_result *r, sk_buf *out);
int openai_stream_delta(const api_request *req, const api_result *r, const char *text, size_t len,
                        sk_buf *out);
int openai_stream_end(const api_request *req, const api_result *r, sk_buf *out);
/* An error after the stream started: an error chunk, then [DONE]. */
int openai_stream_error(const api_error *e, sk_buf *out);
/* GET /v1/models body listing one model. */
int openai_render_models(const char *model_id, long long created, sk_buf *out);

#endif
