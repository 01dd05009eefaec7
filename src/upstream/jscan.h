/* jscan.h — reads a few fields out of one small JSON text (a provider's SSE event) without
 * building a tree: one pass, no allocation. The relay parses ten or so events per answer, and
 * jansson's tree (a hash table and a malloc per value) cost more than the rest of the relay.
 *
 *   jscan_field f[] = {{"type"}, {"delta.text"}, {"choices.0.delta.content"}};
 *   if (jscan(text, n, f, 3) == 0 && f[1].type == JSCAN_STRING) jscan_string(&f[1], &out);
 *
 * Paths name object keys and array indices joined by '.'; keys are compared as written in the
 * text (a key spelled with escapes or holding a '.' never matches). A field that occurs twice keeps the last
 * occurrence (as jansson does by default). The whole text is validated: JSON syntax, string
 * escapes, UTF-8; anything invalid (or nested deeper than JSCAN_MAX_DEPTH) fails the whole text.
 *
 * Thread safety: pure functions. */
#ifndef SK_UPSTREAM_JSCAN_H
#define SK_UPSTREAM_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Provider events nest 4 levels; 64 leaves room and bounds the recursion on hostile input. */
#define JSCAN_MAX_DEPTH 64
/* Longest path compared (longer paths are walked but never match). */
#define JSCAN_MAX_PATH 128

typedef enum jscan_type {
  JSCAN_ABSENT = 0,
  JSCAN_NULL,
  JSCAN_BOOL,
  JSCAN_NUMBER,
  JSCAN_STRING,
  JSCAN_OBJECT,
  JSCAN_ARRAY
} jscan_type;

typedef struct jscan_field {
  const char *path; /* in: e.g. "message.usage.input_tokens" */
  jscan_type type;  /* out */
  const char *raw;  /* out: the value's text (a string: between the quotes, still escaped) */
  size_t raw_len;
} jscan_field;

/* Scans text[0..n) (one JSON object or array, surrounding whitespace allowed) and fills the
 * fields found.
 * Returns 0, or -1 when the text is not valid JSON (fields are then unreliable). */
int jscan(const char *text, size_t n, jscan_field *fields, size_t n_fields);

/* Appends the decoded string value of f (type JSCAN_STRING) to out. Returns 0, -1 when the value
 * holds \u0000 (refused, as jansson does) or the buffer refuses to grow. */
int jscan_string(const jscan_field *f, sk_buf *out);

/* The integer value of f: its number when it is an integer in int64 range, else 0 (as
 * json_integer_value gives 0 for reals, strings and absent fields). */
int64_t jscan_int(const jscan_field *f);

#endif
