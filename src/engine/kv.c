/* kv.c — the KV cache: per sequence, one cell per position (cell index == position), F32, or
 * F16 when the context asked for it (fast path only).
 * A cell is EMPTY, FULL, or PENDING while the batch that writes it is being evaluated, so that
 * a failing batch leaves the cache as it was and attention sees the batch's own keys. */
#include <string.h>

#include "base/alloc.h"
#include "engine/ctx_impl.h"

int kv_init(eng_ctx *c, sk_err *err) {
  const eng_hparams *hp = &c->m->hp;
  c->kv_dim = (size_t)hp->n_head_kv * hp->head_dim;
  size_t cells, n;
  if (sk_mul_size((size_t)c->n_seq, c->n_ctx, &cells) ||
      sk_mul_size(cells, (size_t)hp->n_layer, &n) || sk_mul_size(n, c->kv_dim, &n) ||
      sk_mul_size(n, c->kv_f16 ? sizeof(uint16_t) : sizeof(float), &n))
    return sk_err_set(err, SK_ELIMIT, "KV cache size overflows");
  c->k = sk_malloc(n);
  c->v = sk_malloc(n);
  c->cell = sk_calloc(cells, 1);
  c->seq_count = sk_calloc(c->n_seq, sizeof *c->seq_count);
  if (!c->k || !c->v || !c->cell || !c->seq_count)
    return sk_err_set(err, SK_ENOMEM,
                      "out of memory for a KV cache of %zu MiB (%u sequences x %u positions); "
                      "lower n_ctx or n_seq",
                      2 * n >> 20, c->n_seq, c->n_ctx);
  /* Not cleared: a cell is read only after the batch that fills it wrote it (cell states), so
   * resident memory grows with the positions actually used. */
  c->mem_bytes += 2 * n + cells + c->n_seq * sizeof *c->seq_count;
  return SK_OK;
}

void kv_release(eng_ctx *c) {
  sk_free(c->k);
  sk_free(c->v);
  sk_free(c->cell);
  sk_free(c->seq_count);
}

static size_t kv_off(const eng_ctx *c, uint32_t layer, int32_t seq, int32_t pos) {
  return (((size_t)layer * c->n_seq + (size_t)seq) * c->n_ctx + (size_t)pos) * c->kv_dim;
}

void *kv_k(const eng_ctx *c, uint32_t layer, int32_t seq, int32_t pos) {
  return (uint8_t *)c->k + kv_off(c, layer, seq, pos) * (c->kv_f16 ? 2 : 4);
}

void *kv_v(const eng_ctx *c, uint32_t layer, int32_t seq, int32_t pos) {
  return (uint8_t *)c->v + kv_off(c, layer, seq, pos) * (c->kv_f16 ? 2 : 4);
}

int kv_reserve_batch(eng_ctx *c, const eng_batch_tok *toks, size_t n, sk_err *err) {
  for (size_t i = 0; i < n; i++) {
    const eng_batch_tok *t = &toks[i];
    int rc = SK_OK;
    if (t->seq < 0 || (uint32_t)t->seq >= c->n_seq)
      rc = sk_err_set(err, SK_EINVAL, "batch token %zu: sequence %d outside 0..%u", i, t->seq,
                      c->n_seq - 1);
    else if (t->pos < 0)
      rc = sk_err_set(err, SK_EINVAL, "batch token %zu: negative position %d", i, t->pos);
    else if ((uint32_t)t->pos >= c->n_ctx)
      rc = sk_err_set(err, SK_ELIMIT,
                      "sequence %d would exceed the context of %u tokens (position %d); remove "
                      "old positions or use a larger n_ctx",
                      t->seq, c->n_ctx, t->pos);
    else if (c->cell[(size_t)t->seq * c->n_ctx + (size_t)t->pos] != KV_EMPTY)
      rc = sk_err_set(err, SK_EINVAL,
                      "batch token %zu: position %d of sequence %d is already in the KV cache "
                      "(or twice in the batch); remove it first",
                      i, t->pos, t->seq);
    if (rc) {
      kv_finish_batch(c, toks, i, 0);
      return rc;
    }
    c->cell[(size_t)t->seq * c->n_ctx + (size_t)t->pos] = KV_PENDING;
  }
  return SK_OK;
}

void kv_finish_batch(eng_ctx *c, const eng_batch_tok *toks, size_t n, int commit) {
  for (size_t i = 0; i < n; i++) {
    uint8_t *cell = &c->cell[(size_t)toks[i].seq * c->n_ctx + (size_t)toks[i].pos];
    if (*cell != KV_PENDING) continue;
    *cell = commit ? KV_FULL : KV_EMPTY;
    if (commit) c->seq_count[toks[i].seq]++;
  }
}

void eng_kv_seq_rm(eng_ctx *c, int32_t seq, int32_t p0, int32_t p1) {
  if (seq < 0 || (uint32_t)seq >= c->n_seq) return;
  if (p0 < 0) p0 = 0;
  if (p1 < 0 || (uint32_t)p1 > c->n_ctx) p1 = (int32_t)c->n_ctx;
  uint8_t *cells = &c->cell[(size_t)seq * c->n_ctx];
  for (int32_t p = p0; p < p1; p++) {
    if (cells[p] == KV_FULL) c->seq_count[seq]--;
    cells[p] = KV_EMPTY;
  }
}

int32_t eng_kv_seq_len(const eng_ctx *c, int32_t seq) {
  if (seq < 0 || (uint32_t)seq >= c->n_seq) return 0;
  return c->seq_count[seq];
}
