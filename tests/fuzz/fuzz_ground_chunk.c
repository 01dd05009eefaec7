/* fuzz_ground_chunk.c — chunker, sentence splitter, normaliser and fact extractor on arbitrary
 * bytes: spans must stay inside the input and ordered; nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "ground/chunk.h"
#include "ground/facts.h"
#include "ground/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *t = (const char *)data;
  ground_span *s = NULL;
  size_t n = 0;
  if (ground_split_sentences(t, size, &s, &n, NULL) == SK_OK) {
    for (size_t i = 0; i < n; i++)
      if (s[i].start >= s[i].end || s[i].end > size || (i && s[i].start < s[i - 1].end)) abort();
    sk_free(s);
  }
  ground_chunk *c = NULL;
  size_t nc = 0;
  size_t budget = size ? (size_t)data[0] * 16 : 0;
  if (ground_chunk_text(t, size, budget, &c, &nc, NULL) == SK_OK) {
    for (size_t i = 0; i < nc; i++)
      if (c[i].start >= c[i].end || c[i].end > size || c[i].page < 1 || (i && c[i].start < c[i - 1].end)) abort();
    sk_free(c);
  }
  char *norm = NULL;
  size_t nl = 0;
  if (ground_normalize(t, size, &norm, &nl, NULL) == SK_OK) {
    ground_fact f[GROUND_FACTS_MAX];
    size_t nf = ground_facts_extract(norm, nl, f);
    if (nf > GROUND_FACTS_MAX) abort();
    sk_free(norm);
  } else {
    ground_fact f[GROUND_FACTS_MAX];
    (void)ground_facts_extract(t, size, f);
  }
  return 0;
}
