/* bpe.c — byte-level BPE (llama.cpp's llm_tokenizer_bpe).
 *
 * The text is read as code points (a bad byte reads as U+FFFD), split into words by the
 * pre-tokenizer, and each word's UTF-8 bytes are spelled with GPT-2's byte -> unicode map. Within
 * a word, adjacent symbols are merged by merge rank (lowest first; ties: leftmost) until no pair
 * has a rank. Llama-3 style vocabularies ("ignore_merges") take a whole word that is a token
 * as is. A final symbol that is not a token is emitted byte by byte where those are tokens. */
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

typedef struct sym {
  int32_t prev, next;
  uint32_t start, n;
  int32_t id; /* token id of the symbol's text, TOK_NULL when it is no token */
} sym;

typedef struct bigram {
  int32_t left, right;
  int32_t rank;
  uint32_t nl, nr;
} bigram;

static inline int better(const bigram *a, const bigram *b) {
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

typedef struct scratch {
  sym *s;
  size_t s_cap;
  bigram *h;
  size_t h_n, h_cap;
  char *w;
  size_t w_cap;
  unsigned char *raw; /* the word's bytes, one per initial symbol */
  size_t raw_cap;
} scratch;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return SK_OK;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *q = sk_realloc(*p, c * elem);
  if (!q) return SK_ENOMEM;
  *p = q;
  *cap = c;
  return SK_OK;
}

static int heap_push(scratch *x, bigram b) {
  int rc = grow((void **)&x->h, &x->h_cap, x->h_n + 1, sizeof *x->h);
  if (rc) return rc;
  size_t i = x->h_n++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (!better(&b, &x->h[up])) break;
    x->h[i] = x->h[up];
    i = up;
  }
  x->h[i] = b;
  return SK_OK;
}

static bigram heap_pop(scratch *x) {
  bigram top = x->h[0], last = x->h[--x->h_n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, best = l;
    if (l >= x->h_n) break;
    if (l + 1 < x->h_n && better(&x->h[l + 1], &x->h[l])) best = l + 1;
    if (!better(&x->h[best], &last)) break;
    x->h[i] = x->h[best];
    i = best;
  }
  if (x->h_n) x->h[i] = last;
  return top;
}

static int add_bigram(const tok_vocab *v, scratch *x, int32_t l, int32_t r) {
  if (l < 0 || r < 0) return SK_OK;
  const sym *L = &x->s[l], *R = &x->s[r];
  int32_t rank = (L->id >= 0 && R->id >= 0)
                     ? tok_pair_rank(v, L->id, R->id)
                     : tok_merge_rank(v, x->w + L->start, L->n, x->w + R->start, R->n);
  if (rank < 0) return SK_OK;
  bigram b = {l, r, rank, L->n, R->n};
  return heap_push(x, b);
}

/* BPE over one byte-encoded word x->w[0..len) whose raw bytes are x->raw[0..n_raw). */
static int encode_word(const tok_vocab *v, scratch *x, size_t len, size_t n_raw, tok_ivec *out) {
  const char *w = x->w;
  if (v->ignore_merges) {
    int32_t id = tok_lookup(v, w, len);
    if (id >= 0) return tok_ivec_push(out, id);
  }
  if (len == 1) { /* fast path: one ASCII byte */
    int32_t id = tok_lookup(v, w, 1);
    return id >= 0 ? tok_ivec_push(out, id) : SK_OK;
  }
  size_t n = n_raw;
  int rc = grow((void **)&x->s, &x->s_cap, n, sizeof *x->s);
  if (rc) return rc;
  /* one symbol per raw byte: the byte's GPT-2 character (1 or 2 bytes of UTF-8) */
  for (size_t i = 0, off = 0; i < n; i++) {
    unsigned char b = x->raw[i];
    x->s[i].start = (uint32_t)off;
    x->s[i].n = tok_byte_enc_len[b];
    x->s[i].prev = (int32_t)i - 1;
    x->s[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
    x->s[i].id = v->byte_token[b];
    off += tok_byte_enc_len[b];
  }
  x->h_n = 0;
  for (size_t i = 1; i < n && !rc; i++) rc = add_bigram(v, x, (int32_t)i - 1, (int32_t)i);
  while (x->h_n && !rc) {
    bigram b = heap_pop(x);
    sym *L = &x->s[b.left], *R = &x->s[b.right];
    if (L->n == 0 || R->n == 0 || L->n != b.nl || R->n != b.nr || L->next != b.right) continue;
    L->n += R->n;
    R->n = 0;
    L->id = v->merge_result[b.rank];
    L->next = R->next;
    if (R->next >= 0) x->s[R->next].prev = b.left;
    rc = add_bigram(v, x, L->prev, b.left);
    if (!rc) rc = add_bigram(v, x, b.left, L->next);
  }
  for (int32_t i = 0; i != -1 && !rc; i = x->s[i].next) {
    const sym *S = &x->s[i];
    if (S->n == 0) continue;
    int32_t id = S->id >= 0 ? S->id : tok_lookup(v, w + S->start, S->n);
    if (id >= 0) {
      rc = tok_ivec_push(out, id);
      continue;
    }
    for (uint32_t j = 0; j < S->n && !rc; j++) {
      id = tok_lookup(v, w + S->start + j, 1);
      if (id >= 0) rc = tok_ivec_push(out, id);
    }
  }
  return rc;
}

int bpe_encode(const tok_vocab *v, const char *text, size_t len, tok_ivec *out) {
  if (len == 0) return SK_OK;
  uint32_t *cp = sk_malloc(len * sizeof *cp);
  uint8_t *fl = sk_malloc(len);
  tok_words words = {0};
  scratch x = {0};
  int rc = (cp && fl) ? SK_OK : SK_ENOMEM;
  size_t n = 0;
  for (size_t off = 0; off < len && !rc; n++) {
    off += tok_utf8_next((const unsigned char *)text + off, len - off, &cp[n]);
    fl[n] = ucd_flags(cp[n]);
  }
  if (!rc) rc = pretok_split(v->pre, cp, fl, n, &words);
  size_t start = 0;
  for (size_t i = 0; i < words.n && !rc; i++) {
    size_t wl = words.len[i];
    rc = grow((void **)&x.w, &x.w_cap, wl * 8, 1); /* ≤ 4 bytes per cp, ≤ 2 per byte */
    if (!rc) rc = grow((void **)&x.raw, &x.raw_cap, wl * 4, 1);
    if (rc) break;
    size_t o = 0, nr = 0;
    for (size_t k = start; k < start + wl; k++) {
      char u[4];
      size_t ul = tok_utf8_put(cp[k], u);
      for (size_t b = 0; b < ul; b++) {
        unsigned char c = (unsigned char)u[b];
        x.raw[nr++] = c;
        memcpy(x.w + o, tok_byte_enc[c], tok_byte_enc_len[c]);
        o += tok_byte_enc_len[c];
      }
    }
    rc = encode_word(v, &x, o, nr, out);
    start += wl;
  }
  tok_words_release(&words);
  sk_free(x.s);
  sk_free(x.h);
  sk_free(x.w);
  sk_free(x.raw);
  sk_free(cp);
  sk_free(fl);
  return rc;
}
