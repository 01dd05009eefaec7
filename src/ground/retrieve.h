/* retrieve.h — ranked retrieval of chunks for a question.
 *
 * Method (held fixed, not tuned to one data set): the query is NFKC-normalised and turned into
 * the same two token streams as the chunks (character bigrams; MeCab content words). Each stream
 * is ranked by FTS5's BM25 (k1 = 1.2, b = 0.75) over its candidates, and the two rankings are
 * fused (see ground_fusion). Without MeCab only the bigram ranking is used. */
#ifndef SK_GROUND_RETRIEVE_H
#define SK_GROUND_RETRIEVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ground/index.h"

/* Most hits a caller may ask for; the candidate depth per stream. */
#define GROUND_K_MAX 100
#define GROUND_CANDIDATES 200
/* Longest query accepted (bytes) and most distinct tokens per stream sent to FTS5. */
#define GROUND_QUERY_MAX_BYTES 8192
#define GROUND_QUERY_TOKENS_MAX 256

typedef enum ground_fusion {
  GROUND_FUSE_DEFAULT = 0, /* the documented default (score fusion) */
  GROUND_FUSE_BIGRAM,      /* bigram BM25 alone (the baseline) */
  GROUND_FUSE_WORDS,       /* MeCab-word BM25 alone */
  GROUND_FUSE_RRF,         /* reciprocal-rank fusion, k = 60 */
  GROUND_FUSE_SCORE,       /* sum of per-stream BM25 scores divided by each stream's best */
} ground_fusion;

typedef struct ground_hit {
  int64_t chunk_id;
  char *source; /* file path as ingested */
  int page;
  size_t byte_start, byte_end; /* in the source text (PDF: in pdftotext's output) */
  char *label;                 /* article / heading, may be "" */
  char *text;                  /* the chunk text */
  double score;                /* fused score, higher is better */
} ground_hit;

/* Retrieves up to k (1..GROUND_K_MAX) chunks for query. *hits is a new array the caller frees
 * with ground_hits_free; *n may be 0 (nothing matched). */
int ground_retrieve(ground_index *ix, const char *query, size_t k, ground_fusion mode,
                    ground_hit **hits, size_t *n, sk_err *err);
void ground_hits_free(ground_hit *hits, size_t n);

#endif
