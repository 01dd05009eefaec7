/* jfield.h — typed, bounded field access on parsed JSON for the API parsers (internal).
 * Each getter fills an api_error naming the field when the value has the wrong type or range. */
#ifndef SK_API_JFIELD_H
#define SK_API_JFIELD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "base/buf.h"

/* Parses body (which must be valid UTF-8 and a JSON object) into *out (caller json_decref). */
int jf_load_object(const char *body, size_t len, json_t **out, api_error *e);
/* Optional number in [lo, hi]; absent or null leaves *out unchanged. */
int jf_number(json_t *obj, const char *key, double lo, double hi, double *out, api_error *e);
/* Optional integer in [lo, hi]. */
int jf_int(json_t *obj, const char *key, int64_t lo, int64_t hi, int64_t *out, int *present,
           api_error *e);
/* Optional boolean. */
int jf_bool(json_t *obj, const char *key, int *out, api_error *e);
/* Copies a JSON string (may contain NUL? no: refused) into a new sk_malloc'd string. */
int jf_strdup(json_t *v, const char *param, char **out, api_error *e);
/* Stop strings: a string or an array of at most max non-empty strings. */
int jf_stops(json_t *v, const char *param, size_t max, char ***out, size_t *n, api_error *e);
/* Required "model" string of at most API_MAX_MODEL_ID bytes. */
int jf_model(json_t *obj, char **out, api_error *e);

/* The prompt-truncation opt-in `"sekisho": {"truncate": "start" | "none"}` of every generation
 * endpoint (absent, null or "none": never truncate; a prompt that does not fit is a 400). Sets
 * req->truncate_start. */
int jf_truncate(json_t *root, api_request *req, api_error *e);

/* Appends j as compact JSON to out and releases j (NULL j: SK_ENOMEM, for a failed json_pack). */
int jf_dump(json_t *j, sk_buf *out);

#endif
