/* buf.h — a growable byte buffer with a hard maximum (curl style): it refuses to grow past
 * max_bytes, so a hostile input can never make it allocate without bound.
 *
 *   sk_buf b; sk_buf_init(&b, 1 << 20);   // no allocation yet
 *   sk_buf_append(&b, data, n);            // SK_ELIMIT past 1 MiB, SK_ENOMEM if malloc fails
 *   sk_buf_release(&b);                    // frees contents; b can be reused after init
 *
 * data is always NUL-terminated when len > 0 (the NUL is not counted in len). */
#ifndef SK_BASE_BUF_H
#define SK_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sk_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max_bytes;
} sk_buf;

void sk_buf_init(sk_buf *b, size_t max_bytes);
void sk_buf_release(sk_buf *b);
void sk_buf_reset(sk_buf *b); /* len = 0, keeps memory */
int sk_buf_reserve(sk_buf *b, size_t extra_bytes);
int sk_buf_append(sk_buf *b, const void *data, size_t n);
int sk_buf_append_str(sk_buf *b, const char *s);
int sk_buf_append_byte(sk_buf *b, char c);
int sk_buf_printf(sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sk_buf_vprintf(sk_buf *b, const char *fmt, va_list ap);
/* Hands the contents to the caller (who frees with sk_free) and resets b; NULL when empty. */
char *sk_buf_detach(sk_buf *b);

#endif
