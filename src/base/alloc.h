/* alloc.h — the one allocation wrapper every module uses, so tests can make the Nth allocation
 * fail (fault injection) and every out-of-memory path is exercised. Semantics follow malloc,
 * calloc, realloc and free; sk_malloc(0) returns a unique pointer that must be freed. */
#ifndef SK_BASE_ALLOC_H
#define SK_BASE_ALLOC_H

#include <stddef.h>

void *sk_malloc(size_t size_bytes);
void *sk_calloc(size_t count, size_t size_bytes);
void *sk_realloc(void *ptr, size_t size_bytes);
void sk_free(void *ptr);
/* Duplicates a NUL-terminated string (or the first n bytes + NUL); NULL when out of memory. */
char *sk_strdup(const char *s);
char *sk_strndup(const char *s, size_t n);
/* Multiplies with overflow check: returns 0 and sets *out, or -1 on overflow. */
int sk_mul_size(size_t a, size_t b, size_t *out);

/* Test hook: the nth allocation from now (1-based) and every later one fail until reset with 0.
 * Not thread-safe by design: only tests call it. */
void sk_alloc_fail_after(long nth);

#endif
