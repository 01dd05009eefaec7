/* chunk.h — Japanese-aware sentence splitting and chunking with byte offsets.
 *
 * Sentences end at 。！？!? (and ．), swallowing closing brackets that follow (」』）) ; a line
 * break ends a sentence unless the line ends in ASCII text (a wrapped English paragraph); a form
 * feed (\f, pdftotext's page break) ends a sentence and a page.
 * Chunks group whole sentences up to a byte budget and start afresh at structure: an article
 * (第N条, 第十六条の二), a chapter/section line (第N章/節/款/編), a Markdown heading (# ...), or
 * a bracketed caption line such as （目的） that precedes an article. Each chunk records its
 * 1-based page and a short label (the article / heading it belongs to) for citations.
 * All offsets are byte offsets into the caller's text; nothing is copied. */
#ifndef SK_GROUND_CHUNK_H
#define SK_GROUND_CHUNK_H

#include <stddef.h>

#include "base/err.h"

/* A sentence longer than this is cut (at a UTF-8 boundary): a "huge line" of junk must not make
 * a chunk unbounded. 2 KiB is ~680 Japanese characters, far beyond a real sentence. */
#define GROUND_SENTENCE_MAX_BYTES 2048
/* Default chunk budget: ~400 Japanese characters, one or two law paragraphs. */
#define GROUND_CHUNK_DEFAULT_BYTES 1200
/* Largest chunk budget a caller may ask for (the FTS row and prompt stay bounded). */
#define GROUND_CHUNK_MAX_BYTES (64u << 10)
/* Label of a chunk: e.g. "第十六条の二（子会社の範囲等）"; longer labels are cut. */
#define GROUND_LABEL_MAX 128
/* Most sentences / chunks per document; beyond that the document is refused (SK_ELIMIT). */
#define GROUND_SENTENCES_MAX (1u << 20)

typedef struct ground_span {
  size_t start, end; /* byte offsets [start, end) */
} ground_span;

typedef struct ground_chunk {
  size_t start, end; /* byte offsets of the chunk text */
  int page;          /* 1-based, counted from form feeds */
  char label[GROUND_LABEL_MAX];
} ground_chunk;

/* Splits text[0..n) into sentences (whitespace trimmed, empty ones dropped). *out is a new array
 * the caller frees with sk_free (NULL when *n_out == 0). Invalid UTF-8 is tolerated byte-wise
 * (callers validate earlier); only SK_ENOMEM / SK_ELIMIT fail. */
int ground_split_sentences(const char *text, size_t n, ground_span **out, size_t *n_out, sk_err *err);

/* Chunks text[0..n) with a budget of chunk_bytes (0 = default; clamped to the maximum). *out is
 * a new array the caller frees with sk_free. */
int ground_chunk_text(const char *text, size_t n, size_t chunk_bytes, ground_chunk **out,
                      size_t *n_out, sk_err *err);

#endif
