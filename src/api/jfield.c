#include "api/jfield.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/utf8.h"

int jf_load_object(const char *body, size_t len, json_t **out, api_error *e) {
  *out = NULL;
  if (len == 0) return api_err(e, API_ERR_INVALID, "", "request body is empty; send a JSON object");
  size_t bad = 0;
  if (!sk_utf8_valid(body, len, &bad))
    return api_err(e, API_ERR_INVALID, "", "request body is not valid UTF-8 (first bad byte at offset %zu)",
                   bad);
  json_error_t je;
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return api_err(e, API_ERR_INVALID, "", "malformed JSON at line %d column %d: %s", je.line,
                   je.column, je.text);
  if (!json_is_object(root)) {
    json_decref(root);
    return api_err(e, API_ERR_INVALID, "", "request body must be a JSON object");
  }
  *out = root;
  return 0;
}

int jf_number(json_t *obj, const char *key, double lo, double hi, double *out, api_error *e) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v)) return api_err(e, API_ERR_INVALID, key, "'%s' must be a number", key);
  double d = json_number_value(v);
  if (!isfinite(d) || d < lo || d > hi)
    return api_err(e, API_ERR_INVALID, key, "'%s' must be between %g and %g (got %g)", key, lo, hi, d);
  *out = d;
  return 0;
}

int jf_int(json_t *obj, const char *key, int64_t lo, int64_t hi, int64_t *out, int *present,
           api_error *e) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_integer(v)) return api_err(e, API_ERR_INVALID, key, "'%s' must be an integer", key);
  json_int_t i = json_integer_value(v);
  if (i < lo || i > hi)
    return api_err(e, API_ERR_INVALID, key, "'%s' must be between %lld and %lld (got %lld)", key,
                   (long long)lo, (long long)hi, (long long)i);
  *out = i;
  if (present) *present = 1;
  return 0;
}

int jf_bool(json_t *obj, const char *key, int *out, api_error *e) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_boolean(v)) return api_err(e, API_ERR_INVALID, key, "'%s' must be true or false", key);
  *out = json_is_true(v);
  return 0;
}

int jf_strdup(json_t *v, const char *param, char **out, api_error *e) {
  if (!json_is_string(v)) return api_err(e, API_ERR_INVALID, param, "'%s' must be a string", param);
  size_t n = json_string_length(v);
  const char *s = json_string_value(v);
  if (memchr(s, '\0', n))
    return api_err(e, API_ERR_INVALID, param, "'%s' must not contain NUL characters", param);
  *out = sk_strndup(s, n);
  if (!*out) return api_err(e, API_ERR_INTERNAL, param, "out of memory");
  return 0;
}

int jf_stops(json_t *v, const char *param, size_t max, char ***out, size_t *n, api_error *e) {
  *out = NULL;
  *n = 0;
  if (!v || json_is_null(v)) return 0;
  size_t count = json_is_string(v) ? 1 : json_is_array(v) ? json_array_size(v) : (size_t)-1;
  if (count == (size_t)-1)
    return api_err(e, API_ERR_INVALID, param, "'%s' must be a string or an array of strings", param);
  if (count > max)
    return api_err(e, API_ERR_INVALID, param, "'%s' has %zu entries; at most %zu are allowed", param,
                   count, max);
  if (count == 0) return 0;
  char **s = sk_calloc(count, sizeof *s);
  if (!s) return api_err(e, API_ERR_INTERNAL, param, "out of memory");
  for (size_t i = 0; i < count; i++) {
    json_t *item = json_is_string(v) ? v : json_array_get(v, i);
    if (jf_strdup(item, param, &s[i], e) != 0 || s[i][0] == '\0' ||
        strlen(s[i]) > API_MAX_STOP_LEN) {
      if (s[i] && (s[i][0] == '\0' || strlen(s[i]) > API_MAX_STOP_LEN))
        api_err(e, API_ERR_INVALID, param, "each entry of '%s' must be 1..%d bytes", param,
                API_MAX_STOP_LEN);
      for (size_t j = 0; j <= i; j++) sk_free(s[j]);
      sk_free(s);
      return -1;
    }
  }
  *out = s;
  *n = count;
  return 0;
}

int jf_model(json_t *obj, char **out, api_error *e) {
  json_t *v = json_object_get(obj, "model");
  if (!v) return api_err(e, API_ERR_INVALID, "model", "'model' is required (see GET /v1/models)");
  if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > API_MAX_MODEL_ID)
    return api_err(e, API_ERR_INVALID, "model", "'model' must be a non-empty string of at most %d bytes",
                   API_MAX_MODEL_ID);
  return jf_strdup(v, "model", out, e);
}

int jf_truncate(json_t *root, api_request *req, api_error *e) {
  json_t *o = json_object_get(root, "sekisho");
  if (!o || json_is_null(o)) return 0;
  if (!json_is_object(o)) return api_err(e, API_ERR_INVALID, "sekisho", "'sekisho' must be an object");
  json_t *t = json_object_get(o, "truncate");
  if (!t || json_is_null(t)) return 0;
  const char *v = json_is_string(t) ? json_string_value(t) : "";
  if (!strcmp(v, "start")) req->truncate_start = 1;
  else if (!strcmp(v, "none")) req->truncate_start = 0;
  else
    return api_err(e, API_ERR_INVALID, "sekisho.truncate",
                   "'sekisho.truncate' must be \"start\" (drop the oldest turns to fit the context, keeping "
                   "system messages) or \"none\"");
  return 0;
}

int jf_dump(json_t *j, sk_buf *out) {
  if (!j) return SK_ENOMEM;
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!s) return SK_ENOMEM;
  int rc = sk_buf_append_str(out, s);
  free(s);
  return rc;
}
