/* index.h — a collection: one SQLite database with the chunks of ingested files and two FTS5
 * indexes over them (character bigrams and MeCab content words), both ranked with BM25.
 *
 * Schema (version 1):
 *   files(id, path UNIQUE, hash, size_bytes, chunks, ingested_at)
 *   chunks(id, file_id, seq, page, byte_start, byte_end, label, text)
 *   fts_bi(t)  fts_w(t)    -- FTS5, rowid = chunks.id, text = space-separated tokens
 * A file is replaced as a whole in one transaction, so a crash never leaves half a file.
 * Threads: a ground_index (SQLite connection + MeCab tagger) is used by one thread at a time;
 * the server opens one per worker (SQLite WAL lets readers run beside an ingest). */
#ifndef SK_GROUND_INDEX_H
#define SK_GROUND_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ground/chunk.h"

typedef struct ground_index ground_index;

/* Opens (creating when absent) the collection database at db_path. Caller closes with
 * ground_index_close. MeCab is optional: without a dictionary only bigrams are indexed and
 * ground_index_has_words() returns 0. */
int ground_index_open(const char *db_path, ground_index **out, sk_err *err);
void ground_index_close(ground_index *ix);
int ground_index_has_words(const ground_index *ix);

/* Content hash used for change detection (FNV-1a 64 over the bytes; not a security hash:
 * re-ingest only needs to notice edits). */
uint64_t ground_hash(const void *data, size_t n);

/* Looks up a file: *found = 1 and *same = (stored hash == hash). */
int ground_index_file_state(ground_index *ix, const char *path, uint64_t hash, int *found, int *same,
                            sk_err *err);

/* Replaces every chunk of `path` by the chunks of text[0..n) (chunk_bytes as in
 * ground_chunk_text; 0 = default). Valid UTF-8 is required. *n_chunks (optional) gets the count. */
int ground_index_put_text(ground_index *ix, const char *path, uint64_t hash, const char *text,
                          size_t n, size_t chunk_bytes, size_t *n_chunks, sk_err *err);

/* Removes a file and its chunks (SK_ENOTFOUND when absent). */
int ground_index_remove(ground_index *ix, const char *path, sk_err *err);

/* Counts of files and chunks in the collection. */
int ground_index_stats(ground_index *ix, int64_t *files, int64_t *chunks, sk_err *err);

/* Transactions around many puts (ingest of a folder); nesting is not supported. */
int ground_index_begin(ground_index *ix, sk_err *err);
int ground_index_commit(ground_index *ix, sk_err *err);

/* Internal to the module (retrieve.c): the database handle and tagger. */
struct sqlite3;
struct ground_tagger;
struct sqlite3 *ground_index_db(ground_index *ix);
struct ground_tagger *ground_index_tagger(ground_index *ix);

#endif
