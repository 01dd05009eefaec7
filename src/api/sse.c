#include "api/sse.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int sse_event_raw(sk_buf *out, const char *event, const char *data) {
  if (strchr(data, '\n') || (event && strchr(event, '\n'))) return SK_EINVAL;
  int rc = 0;
  if (event) rc = sk_buf_printf(out, "event: %s\n", event);
  if (!rc) rc = sk_buf_printf(out, "data: %s\n\n", data);
  return rc;
}

int sse_event_json(sk_buf *out, const char *event, const json_t *data) {
  /* JSON_COMPACT never emits newlines; strings escape control characters. */
  char *s = json_dumps(data, JSON_COMPACT);
  if (!s) return SK_ENOMEM;
  int rc = sse_event_raw(out, event, s);
  free(s);
  return rc;
}
