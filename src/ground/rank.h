/* rank.h — the ranking features of a chunk for a query, computed inside SQLite by an FTS5
 * auxiliary function over the positions of the matched query terms.
 *
 * `sk_rank(TABLE, WEIGHTS, K1, B, WIN_LONG, WIN_SHORT, NEXT)` (registered on every collection
 * connection) returns a blob of GROUND_RANK_NFEAT doubles for the current row:
 *   [0] BM25 with the given k1 and b, each query term (FTS5 phrase i) weighted by WEIGHTS[i]
 *       (a blob of doubles: the caller passes IDF x query-term weight);
 *   [1] coverage: the weighted share (0..1) of the query's terms present anywhere in the chunk;
 *   [2] best long window: the weighted share of distinct query terms inside the best window of
 *       WIN_LONG consecutive tokens (about a sentence: the answer sits in one sentence);
 *   [3] best short window: the same over WIN_SHORT tokens (proximity: terms next to each other);
 *   [4] best answer window: as [2], over the long windows that also hold an answer-type phrase.
 *   [5] ordered pairs: the weighted share of the query's adjacent term pairs (phrase i followed by
 *       phrase NEXT[i], a blob of ints, -1 for none) found adjacent and in order in the chunk
 *       (a sequential-dependence signal; for bigrams, the query's character trigrams).
 * A negative weight marks an answer-type phrase rather than a query term: a number followed by
 * the counter the question asks for (何年 -> 1年, 3年 ...; いつ -> 年/日). It counts only in [4].
 * The features are combined by the caller (retrieve.c). */
#ifndef SK_GROUND_RANK_H
#define SK_GROUND_RANK_H

#include "base/err.h"

#define GROUND_RANK_NFEAT 6
/* Longest window accepted (tokens); a window as long as a chunk is the coverage feature. */
#define GROUND_RANK_WIN_MAX 4096

struct sqlite3;

/* Registers sk_rank on the connection. SK_EIO with a message when FTS5 is unavailable. */
int ground_rank_register(struct sqlite3 *db, sk_err *err);

#endif
