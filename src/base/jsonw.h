/* jsonw.h — writing JSON text straight into an sk_buf, for hot paths where building a jansson
 * tree only to serialise it costs more than the work around it (audit envelopes, provider
 * request bodies). Output is what json_dumps(JSON_COMPACT) would write up to the case of \u
 * escapes: strings escape '"', '\\' and control characters only; non-ASCII UTF-8 is copied as is.
 *
 *   sk_json_str(&b, "田中\n", 7);   // appends "田中\n" with the newline escaped, quotes included
 *
 * Thread safety: pure functions on the caller's buffer. */
#ifndef SK_BASE_JSONW_H
#define SK_BASE_JSONW_H

#include <stddef.h>

#include "base/buf.h"

/* Appends s[0..n) as a quoted JSON string. SK_EINVAL (nothing usable appended) when s is not
 * valid UTF-8 or holds a NUL byte, as json_stringn refuses those; SK_ELIMIT/SK_ENOMEM from the buffer. */
int sk_json_str(sk_buf *b, const char *s, size_t n);
/* sk_json_str of a NUL-terminated string (NULL writes null). */
int sk_json_cstr(sk_buf *b, const char *s);
/* Appends ,"key": (a comma unless the buffer ends with '{' or '[') — key must need no escaping. */
int sk_json_key(sk_buf *b, const char *key);

#endif
