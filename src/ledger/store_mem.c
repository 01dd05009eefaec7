/* store_mem.c — a store that keeps nothing: for simulations and tests of the in-memory logic.
 * Documents (settlements) are kept in a small list so that settle/reconcile work in memory too. */
#include <string.h>

#include "base/alloc.h"
#include "ledger/store.h"

typedef struct mem_doc {
  char *kind, *key, *body;
} mem_doc;

/* Settlement documents kept by the memory store: enough for tests. */
#define MEM_DOCS_MAX 64

typedef struct mem_store {
  lg_store base;
  mem_doc docs[MEM_DOCS_MAX];
  size_t n_docs;
} mem_store;

int lg_store_fault(lg_store *s, sk_err *err) {
  if (s->fail_commit_after > 0 && --s->fail_commit_after == 0)
    return sk_err_set(err, SK_EIO, "injected store commit failure");
  return SK_OK;
}

static int m_begin(lg_store *s, sk_err *err) { (void)s, (void)err; return SK_OK; }
static int m_put_account(lg_store *s, const ledger_account *a, int is_new, sk_err *err) {
  (void)s, (void)a, (void)is_new, (void)err;
  return SK_OK;
}
static int m_put_transfer(lg_store *s, const ledger_transfer *t, uint8_t st, u128 posted,
                          uint64_t sts, int is_new, sk_err *err) {
  (void)s, (void)t, (void)st, (void)posted, (void)sts, (void)is_new, (void)err;
  return SK_OK;
}
static int m_put_wallet(lg_store *s, const lg_wallet_row *w, sk_err *err) {
  (void)s, (void)w, (void)err;
  return SK_OK;
}
static int m_put_doc(lg_store *s, const lg_doc_row *d, sk_err *err) {
  mem_store *m = (mem_store *)s;
  if (m->n_docs == MEM_DOCS_MAX) return sk_err_set(err, SK_ELIMIT, "memory store is full");
  mem_doc *x = &m->docs[m->n_docs];
  x->kind = sk_strdup(d->kind);
  x->key = sk_strdup(d->key);
  x->body = sk_strdup(d->body);
  if (!x->kind || !x->key || !x->body) {
    sk_free(x->kind), sk_free(x->key), sk_free(x->body);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  m->n_docs++;
  return SK_OK;
}
static int m_get_doc(lg_store *s, const char *kind, const char *key, char **body, sk_err *err) {
  mem_store *m = (mem_store *)s;
  for (size_t i = m->n_docs; i-- > 0;)
    if (!strcmp(m->docs[i].kind, kind) && !strcmp(m->docs[i].key, key)) {
      *body = sk_strdup(m->docs[i].body);
      return *body ? SK_OK : sk_err_set(err, SK_ENOMEM, "out of memory");
    }
  return sk_err_set(err, SK_ENOTFOUND, "no %s with digest %s", kind, key);
}
static int m_put_bts(lg_store *s, uint64_t ts, sk_err *err) {
  (void)s, (void)ts, (void)err;
  return SK_OK;
}
static int m_get_bts(lg_store *s, uint64_t *ts, sk_err *err) {
  (void)s, (void)err;
  *ts = 0;
  return SK_OK;
}
static int m_commit(lg_store *s, sk_err *err) { return lg_store_fault(s, err); }
static void m_rollback(lg_store *s) { (void)s; }
static int m_load(lg_store *s, const lg_load_cbs *cbs, void *ctx, sk_err *err) {
  (void)s, (void)cbs, (void)ctx, (void)err;
  return SK_OK;
}
static void m_close(lg_store *s) {
  mem_store *m = (mem_store *)s;
  for (size_t i = 0; i < m->n_docs; i++)
    sk_free(m->docs[i].kind), sk_free(m->docs[i].key), sk_free(m->docs[i].body);
  sk_free(m);
}

static const lg_store_ops k_mem_ops = {m_begin,  m_put_account, m_put_transfer, m_put_wallet,
                                       m_put_doc, m_get_doc,    m_put_bts, m_get_bts, m_commit,       m_rollback,
                                       m_load,   m_close};

int lg_store_open_mem(lg_store **out, sk_err *err) {
  mem_store *m = sk_calloc(1, sizeof *m);
  if (!m) return sk_err_set(err, SK_ENOMEM, "out of memory");
  m->base.ops = &k_mem_ops;
  *out = &m->base;
  return SK_OK;
}
