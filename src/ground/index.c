/* index.c — the collection database (see index.h). */
#include "ground/index.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "ground/rank.h"
#include "ground/text.h"

/* Token text of one chunk: bigrams are ~3.5 bytes per source character; 16x the chunk bound is
 * ample and still bounded. */
#define GROUND_TOKENS_MAX_BYTES (16u * GROUND_CHUNK_MAX_BYTES)
/* SQLite busy timeout: an ingest and a retrieve may meet on the same file. */
#define GROUND_BUSY_TIMEOUT_MS 5000

struct ground_index {
  sqlite3 *db;
  struct ground_tagger *tagger; /* NULL without a MeCab dictionary */
};

static const char k_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta VALUES('schema','1');"
    "CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL,"
    " hash TEXT NOT NULL, size_bytes INTEGER NOT NULL, chunks INTEGER NOT NULL,"
    " ingested_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY,"
    " file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
    " page INTEGER NOT NULL, byte_start INTEGER NOT NULL, byte_end INTEGER NOT NULL,"
    " label TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_bi USING fts5(t, tokenize='unicode61 remove_diacritics 0');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_w USING fts5(t, tokenize='unicode61 remove_diacritics 0');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_k USING fts5(t, tokenize='unicode61 remove_diacritics 0');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_bi_v USING fts5vocab(main, fts_bi, 'row');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_k_v USING fts5vocab(main, fts_k, 'row');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_w_v USING fts5vocab(main, fts_w, 'row');";

static int db_fail(sqlite3 *db, sk_err *err, const char *what) {
  return sk_err_set(err, SK_EIO, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
}

/* Schema 1 -> 2: the kanji stream (fts_k) was added; a collection made before it gets the kanji
 * of every stored chunk indexed once, on first open (the chunk text is stored, no re-ingest). */
static int migrate_kanji(sqlite3 *db, sk_err *err) {
  sqlite3_stmt *st = NULL, *ins = NULL;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_fail(db, err, "upgrading the collection");
  int rc = SK_OK, need = 0;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema'", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char *v = sqlite3_column_text(st, 0);
    need = v && !strcmp((const char *)v, "1");
  }
  sqlite3_finalize(st);
  st = NULL;
  sk_buf tok;
  sk_buf_init(&tok, GROUND_TOKENS_MAX_BYTES);
  if (need) {
    if (sqlite3_prepare_v2(db, "SELECT id, text FROM chunks", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO fts_k(rowid,t) VALUES(?,?)", -1, &ins, NULL) != SQLITE_OK)
      rc = db_fail(db, err, "upgrading the collection");
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
      const char *t = (const char *)sqlite3_column_text(st, 1);
      size_t n = (size_t)sqlite3_column_bytes(st, 1), nl = 0;
      char *norm = NULL;
      if (!t || ground_normalize(t, n, &norm, &nl, err)) continue; /* stored text was valid: skip oddities */
      sk_buf_reset(&tok);
      rc = ground_kanji(norm, nl, 0, &tok);
      sk_free(norm);
      if (rc) { rc = sk_err_set(err, rc, "upgrading the collection: token buffer"); break; }
      sqlite3_reset(ins);
      sqlite3_bind_int64(ins, 1, sqlite3_column_int64(st, 0));
      sqlite3_bind_text(ins, 2, tok.len ? tok.data : "", (int)tok.len, SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE) rc = db_fail(db, err, "upgrading the collection");
    }
    if (!rc && sqlite3_exec(db, "UPDATE meta SET value='2' WHERE key='schema'", NULL, NULL, NULL) != SQLITE_OK)
      rc = db_fail(db, err, "upgrading the collection");
  }
  sqlite3_finalize(st);
  sqlite3_finalize(ins);
  sk_buf_release(&tok);
  if (sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK && !rc) rc = db_fail(db, err, "upgrading the collection");
  return rc;
}

int ground_index_open(const char *db_path, ground_index **out, sk_err *err) {
  *out = NULL;
  ground_index *ix = sk_calloc(1, sizeof *ix);
  if (!ix) return sk_err_set(err, SK_ENOMEM, "out of memory opening %s", db_path);
  if (sqlite3_open_v2(db_path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    int rc = sk_err_set(err, SK_EIO, "cannot open collection database %s: %s", db_path,
                        ix->db ? sqlite3_errmsg(ix->db) : "out of memory");
    ground_index_close(ix);
    return rc;
  }
  sqlite3_busy_timeout(ix->db, GROUND_BUSY_TIMEOUT_MS);
  char *msg = NULL;
  if (sqlite3_exec(ix->db, k_schema, NULL, NULL, &msg) != SQLITE_OK) {
    int rc = sk_err_set(err, SK_ECORRUPT, "collection database %s: %s (is it a Sekisho collection?)",
                        db_path, msg ? msg : "schema failed");
    sqlite3_free(msg);
    ground_index_close(ix);
    return rc;
  }
  int rrc = migrate_kanji(ix->db, err);
  if (!rrc) rrc = ground_rank_register(ix->db, err);
  if (rrc) {
    ground_index_close(ix);
    return rrc;
  }
  sk_err e2;
  if (ground_tagger_new(&ix->tagger, &e2) != SK_OK) ix->tagger = NULL; /* bigrams only */
  *out = ix;
  return SK_OK;
}

void ground_index_close(ground_index *ix) {
  if (!ix) return;
  if (ix->db) sqlite3_close(ix->db);
  ground_tagger_free(ix->tagger);
  sk_free(ix);
}

int ground_index_has_words(const ground_index *ix) { return ix->tagger != NULL; }
sqlite3 *ground_index_db(ground_index *ix) { return ix->db; }
struct ground_tagger *ground_index_tagger(ground_index *ix) { return ix->tagger; }

uint64_t ground_hash(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static void hash_hex(uint64_t h, char out[17]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--, h >>= 4) out[i] = hex[h & 15];
  out[16] = 0;
}

int ground_index_file_state(ground_index *ix, const char *path, uint64_t hash, int *found, int *same,
                            sk_err *err) {
  *found = *same = 0;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(ix->db, "SELECT hash FROM files WHERE path=?", -1, &st, NULL) != SQLITE_OK)
    return db_fail(ix->db, err, "looking up a file");
  sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    char hex[17];
    hash_hex(hash, hex);
    *found = 1;
    const unsigned char *h = sqlite3_column_text(st, 0);
    *same = h && !strcmp((const char *)h, hex);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SK_OK : db_fail(ix->db, err, "looking up a file");
}

static int exec(ground_index *ix, const char *sql, sk_err *err) {
  char *msg = NULL;
  if (sqlite3_exec(ix->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    int rc = sk_err_set(err, SK_EIO, "%s: %s", sql, msg ? msg : "failed");
    sqlite3_free(msg);
    return rc;
  }
  return SK_OK;
}

int ground_index_begin(ground_index *ix, sk_err *err) { return exec(ix, "BEGIN IMMEDIATE", err); }
int ground_index_commit(ground_index *ix, sk_err *err) { return exec(ix, "COMMIT", err); }

static int delete_file_rows(ground_index *ix, const char *path, int *found, sk_err *err) {
  static const char *const sql[] = {
      "DELETE FROM fts_bi WHERE rowid IN (SELECT c.id FROM chunks c JOIN files f ON c.file_id=f.id WHERE f.path=?1)",
      "DELETE FROM fts_w WHERE rowid IN (SELECT c.id FROM chunks c JOIN files f ON c.file_id=f.id WHERE f.path=?1)",
      "DELETE FROM fts_k WHERE rowid IN (SELECT c.id FROM chunks c JOIN files f ON c.file_id=f.id WHERE f.path=?1)",
      "DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE path=?1)",
      "DELETE FROM files WHERE path=?1",
  };
  for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ix->db, sql[i], -1, &st, NULL) != SQLITE_OK)
      return db_fail(ix->db, err, "removing a file");
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(ix->db, err, "removing a file");
    if (found && i == 4) *found = sqlite3_changes(ix->db) > 0;
  }
  return SK_OK;
}

/* Inserts tokens of text into an FTS table with the given rowid. */
static int put_tokens(ground_index *ix, sqlite3_stmt *st, int64_t rowid, const sk_buf *tok) {
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_text(st, 2, tok->len ? tok->data : "", (int)tok->len, SQLITE_STATIC);
  (void)ix;
  return sqlite3_step(st) == SQLITE_DONE ? SK_OK : SK_EIO;
}

int ground_index_put_text(ground_index *ix, const char *path, uint64_t hash, const char *text,
                          size_t n, size_t chunk_bytes, size_t *n_chunks, sk_err *err) {
  if (n_chunks) *n_chunks = 0;
  ground_chunk *ch = NULL;
  size_t nc = 0;
  int rc = ground_chunk_text(text, n, chunk_bytes, &ch, &nc, err);
  if (rc) return rc;
  int own_tx = 1; /* a savepoint nests inside an outer BEGIN too */
  if (own_tx && (rc = exec(ix, "SAVEPOINT put", err))) { sk_free(ch); return rc; }
  sqlite3_stmt *sf = NULL, *sc = NULL, *sb = NULL, *sw = NULL, *sk = NULL;
  sk_buf tok;
  sk_buf_init(&tok, GROUND_TOKENS_MAX_BYTES);
  char *norm = NULL;
  rc = delete_file_rows(ix, path, NULL, err);
  if (rc) goto done;
  if (sqlite3_prepare_v2(ix->db, "INSERT INTO files(path,hash,size_bytes,chunks,ingested_at) VALUES(?,?,?,?,?)", -1, &sf, NULL) ||
      sqlite3_prepare_v2(ix->db, "INSERT INTO chunks(file_id,seq,page,byte_start,byte_end,label,text) VALUES(?,?,?,?,?,?,?)", -1, &sc, NULL) ||
      sqlite3_prepare_v2(ix->db, "INSERT INTO fts_bi(rowid,t) VALUES(?,?)", -1, &sb, NULL) ||
      sqlite3_prepare_v2(ix->db, "INSERT INTO fts_w(rowid,t) VALUES(?,?)", -1, &sw, NULL) ||
      sqlite3_prepare_v2(ix->db, "INSERT INTO fts_k(rowid,t) VALUES(?,?)", -1, &sk, NULL)) {
    rc = db_fail(ix->db, err, "preparing the insert");
    goto done;
  }
  char hex[17];
  hash_hex(hash, hex);
  sqlite3_bind_text(sf, 1, path, -1, SQLITE_STATIC);
  sqlite3_bind_text(sf, 2, hex, -1, SQLITE_STATIC);
  sqlite3_bind_int64(sf, 3, (sqlite3_int64)n);
  sqlite3_bind_int64(sf, 4, (sqlite3_int64)nc);
  sqlite3_bind_int64(sf, 5, (sqlite3_int64)time(NULL));
  if (sqlite3_step(sf) != SQLITE_DONE) { rc = db_fail(ix->db, err, "recording the file"); goto done; }
  int64_t file_id = sqlite3_last_insert_rowid(ix->db);
  for (size_t k = 0; k < nc; k++) {
    const char *s = text + ch[k].start;
    size_t sl = ch[k].end - ch[k].start;
    sqlite3_reset(sc);
    sqlite3_bind_int64(sc, 1, file_id);
    sqlite3_bind_int64(sc, 2, (sqlite3_int64)k);
    sqlite3_bind_int(sc, 3, ch[k].page);
    sqlite3_bind_int64(sc, 4, (sqlite3_int64)ch[k].start);
    sqlite3_bind_int64(sc, 5, (sqlite3_int64)ch[k].end);
    sqlite3_bind_text(sc, 6, ch[k].label, -1, SQLITE_STATIC);
    sqlite3_bind_text(sc, 7, s, (int)sl, SQLITE_STATIC);
    if (sqlite3_step(sc) != SQLITE_DONE) { rc = db_fail(ix->db, err, "storing a chunk"); goto done; }
    int64_t cid = sqlite3_last_insert_rowid(ix->db);
    size_t nl = 0;
    sk_free(norm);
    norm = NULL;
    if ((rc = ground_normalize(s, sl, &norm, &nl, err))) {
      sk_err_wrap(err, "chunk %zu at byte %zu", k, ch[k].start);
      goto done;
    }
    sk_buf_reset(&tok);
    if ((rc = ground_bigrams(norm, nl, &tok))) { sk_err_set(err, rc, "chunk %zu: token buffer", k); goto done; }
    if (put_tokens(ix, sb, cid, &tok)) { rc = db_fail(ix->db, err, "indexing bigrams"); goto done; }
    sk_buf_reset(&tok);
    if (ix->tagger && (rc = ground_words(ix->tagger, norm, nl, &tok, err))) goto done;
    if (put_tokens(ix, sw, cid, &tok)) { rc = db_fail(ix->db, err, "indexing words"); goto done; }
    sk_buf_reset(&tok);
    if ((rc = ground_kanji(norm, nl, 0, &tok))) { sk_err_set(err, rc, "chunk %zu: token buffer", k); goto done; }
    if (put_tokens(ix, sk, cid, &tok)) { rc = db_fail(ix->db, err, "indexing kanji"); goto done; }
  }
  if (n_chunks) *n_chunks = nc;
done:
  sqlite3_finalize(sf);
  sqlite3_finalize(sc);
  sqlite3_finalize(sb);
  sqlite3_finalize(sw);
  sqlite3_finalize(sk);
  sk_buf_release(&tok);
  sk_free(norm);
  sk_free(ch);
  if (own_tx) {
    sk_err ignore;
    if (rc) {
      exec(ix, "ROLLBACK TO put", &ignore);
      exec(ix, "RELEASE put", &ignore);
    } else if ((rc = exec(ix, "RELEASE put", err))) {
      exec(ix, "ROLLBACK", &ignore);
    }
  }
  return rc;
}

int ground_index_remove(ground_index *ix, const char *path, sk_err *err) {
  int found = 0;
  int rc = delete_file_rows(ix, path, &found, err);
  if (rc) return rc;
  return found ? SK_OK : sk_err_set(err, SK_ENOTFOUND, "%s is not in the collection", path);
}

int ground_index_stats(ground_index *ix, int64_t *files, int64_t *chunks, sk_err *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(ix->db, "SELECT (SELECT count(*) FROM files),(SELECT count(*) FROM chunks)", -1, &st, NULL))
    return db_fail(ix->db, err, "counting");
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *files = sqlite3_column_int64(st, 0);
    *chunks = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SK_OK : db_fail(ix->db, err, "counting");
}
