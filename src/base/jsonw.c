/* jsonw.c — JSON text writer helpers (see jsonw.h). */
#include "base/jsonw.h"

#include <string.h>

#include "base/err.h"
#include "base/utf8.h"

int sk_json_str(sk_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (!sk_utf8_valid(s, n, NULL) || memchr(s, 0, n)) return SK_EINVAL;
  int rc = sk_buf_append_byte(b, '"');
  size_t run = 0; /* bytes copied as they are, pending */
  for (size_t i = 0; i < n && !rc; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      run++;
      continue;
    }
    if (run) rc = sk_buf_append(b, s + i - run, run);
    run = 0;
    char e[6] = {'\\', 0};
    size_t el = 2;
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    default: e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15], el = 6;
    }
    if (!rc) rc = sk_buf_append(b, e, el);
  }
  if (!rc && run) rc = sk_buf_append(b, s + n - run, run);
  if (!rc) rc = sk_buf_append_byte(b, '"');
  return rc;
}

int sk_json_cstr(sk_buf *b, const char *s) {
  return s ? sk_json_str(b, s, strlen(s)) : sk_buf_append(b, "null", 4);
}

int sk_json_key(sk_buf *b, const char *key) {
  char last = b->len ? b->data[b->len - 1] : '{';
  int rc = last == '{' || last == '[' ? 0 : sk_buf_append_byte(b, ',');
  if (!rc) rc = sk_buf_append_byte(b, '"');
  if (!rc) rc = sk_buf_append_str(b, key);
  if (!rc) rc = sk_buf_append(b, "\":", 2);
  return rc;
}
