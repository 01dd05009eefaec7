/* Differential fuzzing of the relay's SSE event reader (upstream/jscan) against jansson, the
 * parser it replaced: both must agree on whether a text is valid JSON and, for the fields the
 * relay reads, on their types and string values. Provider bytes are untrusted input. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  /* jansson swallows a raw NUL right after a number ({"a":0<NUL>,...} loads); jscan refuses
   * raw NULs outside strings, as RFC 8259 does: no comparison there */
  if (memchr(data, 0, size)) return 0;
  jscan_field f[4] = {{"type"}, {"delta.text"}, {"choices.0.delta.content"}, {"usage.output_tokens"}};
  int rc = jscan(text, size, f, 4);
  json_error_t je;
  json_t *j = json_loadb(text, size, 0, &je);
  if ((rc == 0) != (j != NULL)) abort();
  if (!j) return 0;
  json_t *v[4] = {json_object_get(j, "type"), json_object_get(json_object_get(j, "delta"), "text"),
                  json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"), "content"),
                  json_object_get(json_object_get(j, "usage"), "output_tokens")};
  for (int i = 0; i < 4; i++) {
    if (!v[i] != (f[i].type == JSCAN_ABSENT)) abort();
    if (json_is_string(v[i])) {
      if (f[i].type != JSCAN_STRING) abort();
      sk_buf b;
      sk_buf_init(&b, 1 << 20);
      if (jscan_string(&f[i], &b) || b.len != json_string_length(v[i]) ||
          (b.len && memcmp(b.data, json_string_value(v[i]), b.len)))
        abort();
      sk_buf_release(&b);
    }
    if (json_is_integer(v[i]) && jscan_int(&f[i]) != json_integer_value(v[i])) abort();
  }
  json_decref(j);
  return 0;
}
