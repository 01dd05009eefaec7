/* sse.h — Server-Sent Events framing (text/event-stream): "event: NAME\ndata: JSON\n\n". */
#ifndef SK_API_SSE_H
#define SK_API_SSE_H

#include <jansson.h>

#include "base/buf.h"

/* Appends one event; event may be NULL (data-only, as OpenAI streams). data is serialised
 * compactly on one line (JSON never contains a raw newline). Steals no reference. */
int sse_event_json(sk_buf *out, const char *event, const json_t *data);
/* Appends one event with a literal data line (e.g. "[DONE]"); data must not contain '\n'. */
int sse_event_raw(sk_buf *out, const char *event, const char *data);

#endif
