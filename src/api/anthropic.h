/* anthropic.h — Anthropic Messages API adapter (POST /v1/messages): parses bodies into
 * api_request and renders results, the streaming event sequence and errors in Anthropic's
 * shapes. Render functions append to a caller-owned sk_buf; 0 or a negative sk_code. */
#ifndef SK_API_ANTHROPIC_H
#define SK_API_ANTHROPIC_H

#include <stddef.h>

#include "api/request.h"
#include "base/buf.h"

int anthropic_parse_messages(const char *body, size_t len, api_request *req, api_error *e);

/* {"type":"error","error":{"type","message"}} */
int anthropic_render_error(const api_error *e, sk_buf *out);
int anthropic_render_result(const api_request *req, const api_result *r, sk_buf *out);
/* message_start, content_block_start, ping */
int anthropic_stream_begin(const api_request *req, const api_result *r, sk_buf *out);
/* content_block_delta (text_delta) */
int anthropic_stream_delta(const api_request *req, const api_result *r, const char *text,
                           size_t len, sk_buf *out);
/* content_block_stop, message_delta, message_stop */
int anthropic_stream_end(const api_request *req, const api_result *r, sk_buf *out);
/* event: error */
int anthropic_stream_error(const api_error *e, sk_buf *out);

#endif
