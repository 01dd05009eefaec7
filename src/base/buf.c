#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

void sk_buf_init(sk_buf *b, size_t max_bytes) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max_bytes = max_bytes;
}

void sk_buf_release(sk_buf *b) {
  sk_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void sk_buf_reset(sk_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

int sk_buf_reserve(sk_buf *b, size_t extra_bytes) {
  if (extra_bytes > b->max_bytes || b->len > b->max_bytes - extra_bytes) return SK_ELIMIT;
  size_t need = b->len + extra_bytes + 1; /* room for the NUL */
  if (need <= b->cap) return SK_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > (SIZE_MAX / 2) ? need : cap * 2;
  if (cap > b->max_bytes + 1) cap = b->max_bytes + 1;
  char *p = sk_realloc(b->data, cap);
  if (!p) return SK_ENOMEM;
  b->data = p;
  b->cap = cap;
  return SK_OK;
}

int sk_buf_append(sk_buf *b, const void *data, size_t n) {
  int rc = sk_buf_reserve(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return SK_OK;
}

int sk_buf_append_str(sk_buf *b, const char *s) { return sk_buf_append(b, s, strlen(s)); }

int sk_buf_append_byte(sk_buf *b, char c) { return sk_buf_append(b, &c, 1); }

int sk_buf_vprintf(sk_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return SK_EINVAL;
  int rc = sk_buf_reserve(b, (size_t)n);
  if (rc) return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return SK_OK;
}

int sk_buf_printf(sk_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = sk_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

char *sk_buf_detach(sk_buf *b) {
  char *p = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}
