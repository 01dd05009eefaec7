/* store_sqlite.c — the ledger store on SQLite in WAL mode.
 *
 * 128-bit values are 16-byte big-endian BLOBs; 64-bit unsigned values are stored bit-for-bit in
 * SQLite's signed INTEGER. Transfers are keyed by their timestamp (unique and increasing), so
 * inserts append to the B-tree. One batch = one BEGIN IMMEDIATE … COMMIT. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "ledger/store.h"

#define SCHEMA_VERSION 1
/* Wait this long for a busy database (another connection checkpointing) before failing. */
#define SQLITE_BUSY_TIMEOUT_MS 5000

static const char k_schema[] =
    "CREATE TABLE IF NOT EXISTS accounts(id BLOB PRIMARY KEY, dp BLOB, dpo BLOB, cp BLOB, cpo BLOB,"
    " ud128 BLOB, ud64 INTEGER, ud32 INTEGER, ledger INTEGER, code INTEGER, flags INTEGER,"
    " ts INTEGER) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS transfers(ts INTEGER PRIMARY KEY, id BLOB, dr BLOB, cr BLOB,"
    " amount BLOB, pending_id BLOB, ud128 BLOB, ud64 INTEGER, ud32 INTEGER, timeout INTEGER,"
    " ledger INTEGER, code INTEGER, flags INTEGER, status INTEGER, posted BLOB, status_ts INTEGER);"
    "CREATE TABLE IF NOT EXISTS wallets(account BLOB PRIMARY KEY, per_transfer_cap BLOB,"
    " daily_cap BLOB, approval_above BLOB, approval_timeout INTEGER, day_offset INTEGER,"
    " allowed BLOB);"
    "CREATE TABLE IF NOT EXISTS docs(seq INTEGER PRIMARY KEY, kind TEXT, key TEXT, body TEXT,"
    " ts INTEGER);"
    "CREATE INDEX IF NOT EXISTS docs_key ON docs(kind, key);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;";

enum { ST_INS_ACC, ST_UPD_ACC, ST_INS_TR, ST_UPD_TR, ST_WALLET, ST_DOC, ST_GET_DOC, ST_PUT_META,
       ST_GET_META, ST_COUNT };
static const char *const k_sql[ST_COUNT] = {
    "INSERT INTO accounts(id,dp,dpo,cp,cpo,ud128,ud64,ud32,ledger,code,flags,ts)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    "UPDATE accounts SET dp=?,dpo=?,cp=?,cpo=? WHERE id=?",
    "INSERT INTO transfers(ts,id,dr,cr,amount,pending_id,ud128,ud64,ud32,timeout,ledger,code,flags,"
    "status,posted,status_ts) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "UPDATE transfers SET status=?,posted=?,status_ts=? WHERE ts=?",
    "INSERT OR REPLACE INTO wallets(account,per_transfer_cap,daily_cap,approval_above,"
    "approval_timeout,day_offset,allowed) VALUES(?,?,?,?,?,?,?)",
    "INSERT INTO docs(kind,key,body,ts) VALUES(?,?,?,?)",
    "SELECT body FROM docs WHERE kind=? AND key=? ORDER BY seq DESC LIMIT 1",
    "INSERT OR REPLACE INTO meta(key,value) VALUES('balances_ts',?)",
    "SELECT value FROM meta WHERE key='balances_ts'",
};

typedef struct sql_store {
  lg_store base;
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  int in_tx;
} sql_store;

static int db_err(sql_store *q, sk_err *err, const char *what) {
  return sk_err_set(err, SK_EIO, "sqlite: %s: %s", what, sqlite3_errmsg(q->db));
}

static void bind_u128(sqlite3_stmt *s, int i, u128 v) {
  unsigned char b[16];
  u128_to_be(v, b);
  sqlite3_bind_blob(s, i, b, 16, SQLITE_TRANSIENT);
}

static int col_u128(sqlite3_stmt *s, int i, u128 *out) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return *out = 0, 0;
  if (sqlite3_column_bytes(s, i) != 16) return -1;
  *out = u128_from_be(sqlite3_column_blob(s, i));
  return 0;
}

static int run_step(sql_store *q, sqlite3_stmt *s, sk_err *err, const char *what) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_err(q, err, what);
  return SK_OK;
}

static int q_begin(lg_store *s, sk_err *err) {
  sql_store *q = (sql_store *)s;
  if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return db_err(q, err, "begin");
  q->in_tx = 1;
  return SK_OK;
}

static int q_put_account(lg_store *s, const ledger_account *a, int is_new, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st;
  if (is_new) {
    st = q->st[ST_INS_ACC];
    bind_u128(st, 1, a->id);
    bind_u128(st, 2, a->debits_pending);
    bind_u128(st, 3, a->debits_posted);
    bind_u128(st, 4, a->credits_pending);
    bind_u128(st, 5, a->credits_posted);
    bind_u128(st, 6, a->user_data_128);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)a->user_data_64);
    sqlite3_bind_int64(st, 8, a->user_data_32);
    sqlite3_bind_int64(st, 9, a->ledger);
    sqlite3_bind_int64(st, 10, a->code);
    sqlite3_bind_int64(st, 11, a->flags);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)a->timestamp);
  } else {
    st = q->st[ST_UPD_ACC];
    bind_u128(st, 1, a->debits_pending);
    bind_u128(st, 2, a->debits_posted);
    bind_u128(st, 3, a->credits_pending);
    bind_u128(st, 4, a->credits_posted);
    bind_u128(st, 5, a->id);
  }
  return run_step(q, st, err, "write account");
}

static int q_put_transfer(lg_store *s, const ledger_transfer *t, uint8_t status, u128 posted,
                          uint64_t status_ts, int is_new, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st;
  if (is_new) {
    st = q->st[ST_INS_TR];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)t->timestamp);
    bind_u128(st, 2, t->id);
    bind_u128(st, 3, t->debit_account_id);
    bind_u128(st, 4, t->credit_account_id);
    bind_u128(st, 5, t->amount);
    if (t->pending_id) bind_u128(st, 6, t->pending_id);
    if (t->user_data_128) bind_u128(st, 7, t->user_data_128);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)t->user_data_64);
    sqlite3_bind_int64(st, 9, t->user_data_32);
    sqlite3_bind_int64(st, 10, t->timeout_s);
    sqlite3_bind_int64(st, 11, t->ledger);
    sqlite3_bind_int64(st, 12, t->code);
    sqlite3_bind_int64(st, 13, t->flags);
    sqlite3_bind_int64(st, 14, status);
    if (posted) bind_u128(st, 15, posted);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)status_ts);
  } else {
    st = q->st[ST_UPD_TR];
    sqlite3_bind_int64(st, 1, status);
    if (posted) bind_u128(st, 2, posted);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)status_ts);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)t->timestamp);
  }
  return run_step(q, st, err, "write transfer");
}

static int q_put_wallet(lg_store *s, const lg_wallet_row *w, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st = q->st[ST_WALLET];
  bind_u128(st, 1, w->account_id);
  bind_u128(st, 2, w->per_transfer_cap);
  bind_u128(st, 3, w->daily_cap);
  bind_u128(st, 4, w->approval_above);
  sqlite3_bind_int64(st, 5, w->approval_timeout_s);
  sqlite3_bind_int64(st, 6, w->day_offset_s);
  unsigned char *blob = sk_malloc(16 * (size_t)w->n_allowed + 1);
  if (!blob) return sk_err_set(err, SK_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < w->n_allowed; i++) u128_to_be(w->allowed[i], blob + 16 * i);
  sqlite3_bind_blob(st, 7, blob, (int)(16 * w->n_allowed), SQLITE_TRANSIENT);
  sk_free(blob);
  return run_step(q, st, err, "write wallet");
}

static int q_put_doc(lg_store *s, const lg_doc_row *d, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st = q->st[ST_DOC];
  sqlite3_bind_text(st, 1, d->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, d->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, d->body, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)d->timestamp);
  return run_step(q, st, err, "write document");
}

static int q_get_doc(lg_store *s, const char *kind, const char *key, char **body, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st = q->st[ST_GET_DOC];
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  int out = SK_OK;
  if (rc == SQLITE_ROW) {
    const char *b = (const char *)sqlite3_column_text(st, 0);
    *body = sk_strdup(b ? b : "");
    if (!*body) out = sk_err_set(err, SK_ENOMEM, "out of memory");
  } else if (rc == SQLITE_DONE) {
    out = sk_err_set(err, SK_ENOTFOUND, "no %s with digest %s", kind, key);
  } else {
    out = db_err(q, err, "read document");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return out;
}

static int q_put_bts(lg_store *s, uint64_t ts, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_bind_int64(q->st[ST_PUT_META], 1, (sqlite3_int64)ts);
  return run_step(q, q->st[ST_PUT_META], err, "write balance checkpoint");
}

static int q_get_bts(lg_store *s, uint64_t *ts, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st = q->st[ST_GET_META];
  int rc = sqlite3_step(st);
  *ts = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_err(q, err, "read balance checkpoint");
  return SK_OK;
}

static int q_commit(lg_store *s, sk_err *err) {
  sql_store *q = (sql_store *)s;
  int rc = lg_store_fault(s, err);
  if (rc) return rc;
  if (sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return db_err(q, err, "commit");
  q->in_tx = 0;
  return SK_OK;
}

static void q_rollback(lg_store *s) {
  sql_store *q = (sql_store *)s;
  if (q->in_tx) sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
  q->in_tx = 0;
}

static int q_load(lg_store *s, const lg_load_cbs *cbs, void *ctx, sk_err *err) {
  sql_store *q = (sql_store *)s;
  sqlite3_stmt *st = NULL;
  int rc = SK_OK, step;
  if (sqlite3_prepare_v2(q->db,
                         "SELECT id,dp,dpo,cp,cpo,ud128,ud64,ud32,ledger,code,flags,ts FROM accounts"
                         " ORDER BY ts",
                         -1, &st, NULL) != SQLITE_OK)
    return db_err(q, err, "load accounts");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    ledger_account a = {0};
    if (col_u128(st, 0, &a.id) || col_u128(st, 1, &a.debits_pending) ||
        col_u128(st, 2, &a.debits_posted) || col_u128(st, 3, &a.credits_pending) ||
        col_u128(st, 4, &a.credits_posted) || col_u128(st, 5, &a.user_data_128)) {
      rc = sk_err_set(err, SK_ECORRUPT, "stored account has a malformed 128-bit field");
      goto out;
    }
    a.user_data_64 = (uint64_t)sqlite3_column_int64(st, 6);
    a.user_data_32 = (uint32_t)sqlite3_column_int64(st, 7);
    a.ledger = (uint32_t)sqlite3_column_int64(st, 8);
    a.code = (uint16_t)sqlite3_column_int64(st, 9);
    a.flags = (uint16_t)sqlite3_column_int64(st, 10);
    a.timestamp = (uint64_t)sqlite3_column_int64(st, 11);
    if (cbs->account(ctx, &a)) {
      rc = SK_ECORRUPT;
      goto out;
    }
  }
  if (step != SQLITE_DONE) {
    rc = db_err(q, err, "load accounts");
    goto out;
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(q->db,
                         "SELECT ts,id,dr,cr,amount,pending_id,ud128,ud64,ud32,timeout,ledger,code,"
                         "flags,status,posted,status_ts FROM transfers ORDER BY ts",
                         -1, &st, NULL) != SQLITE_OK)
    return db_err(q, err, "load transfers");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    ledger_transfer t = {0};
    u128 posted;
    t.timestamp = (uint64_t)sqlite3_column_int64(st, 0);
    if (col_u128(st, 1, &t.id) || col_u128(st, 2, &t.debit_account_id) ||
        col_u128(st, 3, &t.credit_account_id) || col_u128(st, 4, &t.amount) ||
        col_u128(st, 5, &t.pending_id) || col_u128(st, 6, &t.user_data_128) ||
        col_u128(st, 14, &posted)) {
      rc = sk_err_set(err, SK_ECORRUPT, "stored transfer has a malformed 128-bit field");
      goto out;
    }
    t.user_data_64 = (uint64_t)sqlite3_column_int64(st, 7);
    t.user_data_32 = (uint32_t)sqlite3_column_int64(st, 8);
    t.timeout_s = (uint32_t)sqlite3_column_int64(st, 9);
    t.ledger = (uint32_t)sqlite3_column_int64(st, 10);
    t.code = (uint16_t)sqlite3_column_int64(st, 11);
    t.flags = (uint16_t)sqlite3_column_int64(st, 12);
    if (cbs->transfer(ctx, &t, (uint8_t)sqlite3_column_int64(st, 13), posted,
                      (uint64_t)sqlite3_column_int64(st, 15))) {
      rc = SK_ECORRUPT;
      goto out;
    }
  }
  if (step != SQLITE_DONE) {
    rc = db_err(q, err, "load transfers");
    goto out;
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(q->db,
                         "SELECT account,per_transfer_cap,daily_cap,approval_above,approval_timeout,"
                         "day_offset,allowed FROM wallets",
                         -1, &st, NULL) != SQLITE_OK)
    return db_err(q, err, "load wallets");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    lg_wallet_row w = {0};
    int nb = sqlite3_column_bytes(st, 6);
    if (col_u128(st, 0, &w.account_id) || col_u128(st, 1, &w.per_transfer_cap) ||
        col_u128(st, 2, &w.daily_cap) || col_u128(st, 3, &w.approval_above) || nb % 16) {
      rc = sk_err_set(err, SK_ECORRUPT, "stored wallet policy is malformed");
      goto out;
    }
    w.approval_timeout_s = (uint32_t)sqlite3_column_int64(st, 4);
    w.day_offset_s = (int32_t)sqlite3_column_int64(st, 5);
    w.n_allowed = (uint32_t)(nb / 16);
    u128 *allowed = sk_calloc(w.n_allowed + 1, sizeof *allowed);
    if (!allowed) {
      rc = sk_err_set(err, SK_ENOMEM, "out of memory");
      goto out;
    }
    const unsigned char *b = sqlite3_column_blob(st, 6);
    for (uint32_t i = 0; i < w.n_allowed; i++) allowed[i] = u128_from_be(b + 16 * i);
    w.allowed = allowed;
    int bad = cbs->wallet(ctx, &w);
    sk_free(allowed);
    if (bad) {
      rc = SK_ECORRUPT;
      goto out;
    }
  }
  if (step != SQLITE_DONE) rc = db_err(q, err, "load wallets");
out:
  sqlite3_finalize(st);
  return rc;
}

static void q_close(lg_store *s) {
  sql_store *q = (sql_store *)s;
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(q->st[i]);
  sqlite3_close(q->db);
  sk_free(q);
}

static const lg_store_ops k_sql_ops = {q_begin,  q_put_account, q_put_transfer, q_put_wallet,
                                       q_put_doc, q_get_doc,    q_put_bts, q_get_bts, q_commit,       q_rollback,
                                       q_load,   q_close};

int lg_store_open_sqlite(const char *path, int sync_full, lg_store **out, sk_err *err) {
  sql_store *q = sk_calloc(1, sizeof *q);
  if (!q) return sk_err_set(err, SK_ENOMEM, "out of memory");
  q->base.ops = &k_sql_ops;
  int rc;
  if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    rc = sk_err_set(err, SK_EIO, "cannot open ledger database %s: %s", path,
                    q->db ? sqlite3_errmsg(q->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(q->db, SQLITE_BUSY_TIMEOUT_MS);
  char pragmas[256];
  /* A larger WAL between checkpoints lets hot pages be copied back once, not once per commit. */
  snprintf(pragmas, sizeof pragmas,
           "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=8192;"
           " PRAGMA cache_size=-65536;",
           sync_full ? "FULL" : "NORMAL");
  if (sqlite3_exec(q->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(q->db, k_schema, NULL, NULL, NULL) != SQLITE_OK) {
    rc = sk_err_set(err, SK_EIO, "cannot initialise ledger database %s: %s", path,
                    sqlite3_errmsg(q->db));
    goto fail;
  }
  sqlite3_stmt *v;
  int version = 0;
  if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK) {
    if (sqlite3_step(v) == SQLITE_ROW) version = sqlite3_column_int(v, 0);
    sqlite3_finalize(v);
  }
  if (version == 0) {
    sqlite3_exec(q->db, "PRAGMA user_version=1", NULL, NULL, NULL);
  } else if (version != SCHEMA_VERSION) {
    rc = sk_err_set(err, SK_ENOTSUP, "ledger database %s has schema version %d; this build reads %d",
                    path, version, SCHEMA_VERSION);
    goto fail;
  }
  for (int i = 0; i < ST_COUNT; i++)
    if (sqlite3_prepare_v3(q->db, k_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i], NULL) !=
        SQLITE_OK) {
      rc = sk_err_set(err, SK_EIO, "cannot prepare ledger statement: %s", sqlite3_errmsg(q->db));
      goto fail;
    }
  *out = &q->base;
  return SK_OK;
fail:
  q_close(&q->base);
  return rc;
}
