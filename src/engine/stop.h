/* stop.h — stop strings over streamed text.
 *
 * Text arrives piece by piece (one detokenized token at a time). The matcher emits only what
 * can no longer be the start of a stop string: a suffix that is a prefix of some stop string is
 * held back until the next piece decides it, so a stop string split across tokens is never
 * emitted, not even in part. When a stop string completes, everything before it is emitted and
 * the matcher is finished (the stop string and anything after it are dropped, as llama.cpp and
 * the OpenAI API do).
 *
 *   stop_matcher *m; stop_new(stops, n, &m, &err);
 *   while (generating) {
 *     const char *out; size_t out_len;
 *     int hit = stop_feed(m, piece, piece_len, &out, &out_len);  -- show out[0..out_len)
 *     if (hit != 0) break;                                        -- 1: stop found
 *   }
 *   stop_flush(m, &out, &out_len);  -- end of generation: the held-back tail
 *   stop_free(m);
 *
 * Emitted text ends where held-back text begins; as stop strings are valid UTF-8, the cut falls
 * on a character boundary whenever the stream itself is valid UTF-8. */
#ifndef SK_ENGINE_STOP_H
#define SK_ENGINE_STOP_H

#include <stddef.h>

#include "base/err.h"

/* OpenAI allows 4 stop strings, llama.cpp's server any number; 64 bounds the per-piece scan. */
#define STOP_MAX_STRINGS 64
/* A stop string is a short marker; 1 KiB bounds the held-back text. */
#define STOP_MAX_LEN 1024
/* One piece is one token's text (a few bytes); 64 KiB is generous and bounds the buffers. */
#define STOP_MAX_PIECE (64 * 1024)

typedef struct stop_matcher stop_matcher;

/* Copies the n stop strings (NUL-terminated, non-empty, at most STOP_MAX_LEN bytes); n may be 0
 * (then every piece passes straight through). *out is owned by the caller (stop_free). */
int stop_new(const char *const *stops, size_t n, stop_matcher **out, sk_err *err);
void stop_free(stop_matcher *m);

/* Feeds one piece. *out and *out_len receive the text that may be shown now; *out points into the
 * matcher and stays valid until the next call. Returns 0 (keep going), 1 (a stop string was
 * found: *out holds the text before it; later feeds emit nothing), or SK_ELIMIT when the piece
 * exceeds STOP_MAX_PIECE / SK_ENOMEM. */
int stop_feed(stop_matcher *m, const char *piece, size_t n, const char **out, size_t *out_len);

/* End of generation without a stop: releases the held-back tail (empty after a stop). */
void stop_flush(stop_matcher *m, const char **out, size_t *out_len);

/* Index of the stop string that matched, or -1. */
int stop_matched(const stop_matcher *m);

/* Clears held text and the stopped state so the matcher can serve another generation. */
void stop_reset(stop_matcher *m);

#endif
