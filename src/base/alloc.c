#include "base/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long g_fail_countdown; /* 0: injection off */

static int should_fail(void) {
  long c = atomic_load_explicit(&g_fail_countdown, memory_order_relaxed);
  if (c == 0) return 0;
  if (c == 1) return 1; /* stays failing until reset */
  atomic_fetch_sub_explicit(&g_fail_countdown, 1, memory_order_relaxed);
  return 0;
}

void sk_alloc_fail_after(long nth) { atomic_store(&g_fail_countdown, nth < 0 ? 0 : nth); }

void *sk_malloc(size_t size_bytes) {
  if (should_fail()) return NULL;
  return malloc(size_bytes ? size_bytes : 1);
}

void *sk_calloc(size_t count, size_t size_bytes) {
  if (should_fail()) return NULL;
  if (count == 0 || size_bytes == 0) return calloc(1, 1);
  return calloc(count, size_bytes);
}

void *sk_realloc(void *ptr, size_t size_bytes) {
  if (should_fail()) return NULL;
  return realloc(ptr, size_bytes ? size_bytes : 1);
}

void sk_free(void *ptr) { free(ptr); }

char *sk_strndup(const char *s, size_t n) {
  char *d = sk_malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *sk_strdup(const char *s) { return sk_strndup(s, strlen(s)); }

int sk_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return -1;
  *out = a * b;
  return 0;
}
