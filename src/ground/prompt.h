/* prompt.h — grounded chat: the prompt that makes a model answer from retrieved chunks and cite
 * them, and the citation map read back from its answer. The HTTP server (grounded chat option
 * `"sekisho": {"collection": ..., "top_k": ...}`) is meant to call, per request:
 *   ground_retrieve(ix, question, top_k, ...)      -> hits
 *   ground_build_prompt(hits, n, question, &prompt) -> the user turn for the chat template
 *   ... the engine generates `answer` ...
 *   ground_cite_answer(answer, hits, n, &cites, &nc)       -> per answer sentence: chunk ids it cites
 *   ground_verify(sources = hit texts, answer)      -> per sentence verdicts for the response
 * Marker [i] in the prompt and the answer is hits[i-1]. */
#ifndef SK_GROUND_PROMPT_H
#define SK_GROUND_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ground/retrieve.h"

/* Prompt bound: k chunks of at most GROUND_CHUNK_MAX_BYTES plus the question and instructions. */
#define GROUND_PROMPT_MAX_BYTES (GROUND_K_MAX * 4096 + GROUND_QUERY_MAX_BYTES + 4096)
/* Citations recorded per answer sentence. */
#define GROUND_CITES_PER_SENTENCE 8

/* Writes the grounded prompt (Japanese instructions, numbered sources with their labels, the
 * question) into a new string the caller frees with sk_free. Chunk texts longer than 4 KiB are
 * cut at a code point boundary. */
int ground_build_prompt(const ground_hit *hits, size_t n, const char *question, char **prompt, sk_err *err);

typedef struct ground_cite {
  size_t start, end;                        /* the answer sentence (bytes) */
  int64_t chunk_ids[GROUND_CITES_PER_SENTENCE]; /* cited chunks, in order of appearance */
  size_t n;
} ground_cite;

/* Splits the answer into sentences and collects the [i] / ［i］ markers of each (markers outside
 * 1..n_hits are ignored: a model inventing [9] cites nothing). *out freed with sk_free. */
int ground_cite_answer(const char *answer, size_t len, const ground_hit *hits, size_t n_hits, ground_cite **out,
                size_t *n_out, sk_err *err);

#endif
