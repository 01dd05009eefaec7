/* Differential fuzzing of the audit record's canonical form: the fast parser (canon.c, used by
 * record_prepare) must accept exactly what jansson accepts and print the same bytes. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/canon.h"
#include "audit/record.h"
#include "base/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  const char *js = (const char *)data;
  /* 1. the parser alone, on any document without NUL bytes (records are C strings; and jansson
   *    has a quirk there: a NUL right after a number or literal is skipped, "[1\0]" loads) */
  if (memchr(data, 0, size)) goto record;
  json_error_t je;
  json_t *v = json_loadb(js, size, JSON_REJECT_DUPLICATES, &je);
  char *want = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(v);
  canon_doc d;
  canon_init(&d);
  int rc = canon_parse(&d, js, size, CANON_MAX_DEPTH, NULL);
  if ((rc == 0) != (want != NULL)) __builtin_trap();
  if (want) {
    sk_buf b;
    sk_buf_init(&b, 1u << 20);
    if (canon_dump(&d, 0, &b) != 0 || b.len != strlen(want) || memcmp(b.data, want, b.len) != 0) __builtin_trap();
    sk_buf_release(&b);
    free(want);
  }
  canon_release(&d);
record:;
  /* 2. whole records (validation included), as a C string; sealing cannot write here */
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  char *a = NULL, *b2 = NULL;
  size_t al = 0, bl = 0;
  int ra = record_prepare("/dev/null/no-dir", s, &a, &al, NULL);
  int rb = record_prepare_slow("/dev/null/no-dir", s, &b2, &bl, NULL);
  if ((ra == 0) != (rb == 0)) __builtin_trap();
  if (ra == 0 && (al != bl || memcmp(a, b2, al) != 0)) __builtin_trap();
  sk_free(a);
  sk_free(b2);
  free(s);
  return 0;
}
