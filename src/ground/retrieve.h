/* retrieve.h — ranked retrieval of chunks for a question.
 *
 * Method: the query is NFKC-normalised and turned into the same two token streams as the chunks
 * (character bigrams without function-only bigrams; MeCab content words). The default ranking
 * scores every chunk matching a query term by a weighted sum of per-stream features computed
 * by the sk_rank FTS5 function (rank.h: BM25, coverage, best sentence-sized and short windows,
 * an answer-type window, ordered pairs); the weights were fitted on one half of JaQuAD dev and
 * checked on the other (docs/ground.md). Without MeCab only the bigram stream is used. The
 * other modes (per-stream BM25, RRF, the previous score fusion) remain for comparison. */
#ifndef SK_GROUND_RETRIEVE_H
#define SK_GROUND_RETRIEVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ground/index.h"
#include "ground/rank.h"

/* Most hits a caller may ask for; the candidate depth per stream. */
#define GROUND_K_MAX 100
#define GROUND_CANDIDATES 200
/* Longest query accepted (bytes) and most distinct tokens per stream sent to FTS5. */
#define GROUND_QUERY_MAX_BYTES 8192
#define GROUND_QUERY_TOKENS_MAX 256

typedef enum ground_fusion {
  GROUND_FUSE_DEFAULT = 0, /* the documented default (feature ranking, ground_rank_params) */
  GROUND_FUSE_BIGRAM,      /* bigram BM25 alone (the baseline) */
  GROUND_FUSE_WORDS,       /* MeCab-word BM25 alone */
  GROUND_FUSE_RRF,         /* reciprocal-rank fusion, k = 60 */
  GROUND_FUSE_SCORE,       /* sum of per-stream BM25 scores divided by each stream's best */
} ground_fusion;

/* The default ranking (see docs/ground.md): per token stream (0 = character bigrams,
 * 1 = MeCab words) the sk_rank features (rank.h: BM25, coverage, best long/short window) of
 * every chunk matching a query term, combined linearly; BM25 is first divided by the stream's
 * best candidate so that it lies in 0..1 like the others. */
/* Token streams: 0 character bigrams, 1 MeCab words, 2 single kanji (text.h). */
#define GROUND_STREAMS 3

typedef struct ground_rank_params {
  double k1[GROUND_STREAMS], b[GROUND_STREAMS];
  int win_long[GROUND_STREAMS], win_short[GROUND_STREAMS]; /* tokens */
  double weight[GROUND_STREAMS][GROUND_RANK_NFEAT];       /* per stream and feature */
  double boundary_bigram;                    /* query-term weight of a bigram straddling content and a particle */
  int strip_meta;                            /* 1: blank references to the document itself (ground_query_strip_meta) */
} ground_rank_params;

typedef struct ground_rank_row {
  int64_t id; /* chunk id */
  double score;
  double f[GROUND_STREAMS][GROUND_RANK_NFEAT]; /* features per stream (BM25 already divided by the best) */
} ground_rank_row;

/* The built-in parameters (fitted on half of JaQuAD dev; see docs/ground.md). */
const ground_rank_params *ground_rank_defaults(void);

/* Every candidate chunk with its features, best first by p's weights. *rows is a new array the
 * caller frees with sk_free; *n may be 0. p == NULL: the defaults. For evaluation tools. */
int ground_rank_candidates(ground_index *ix, const char *query, const ground_rank_params *p,
                           ground_rank_row **rows, size_t *n, sk_err *err);

/* Re-scores and re-sorts rows with other weights (p's k1/b/windows are not used). */
void ground_rank_rescore(ground_rank_row *rows, size_t n, const ground_rank_params *p);

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
