/* spm.c — SentencePiece-style BPE over scores (llama.cpp's llm_tokenizer_spm).
 *
 * The text (spaces already escaped to "▁") is cut into UTF-8 characters; adjacent pairs whose
 * concatenation is a token go into a max-heap by score (ties: leftmost first); the best pair is
 * merged, its neighbours re-examined, until no pair forms a token. A final symbol that is not
 * a token falls back to byte tokens <0xXX>. */
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

typedef struct sym {
  int32_t prev, next;
  uint32_t start, n;
} sym;

typedef struct bigram {
  int32_t left, right;
  float score;
  uint32_t size;
} bigram;

/* a goes before b in the heap */
static inline int better(const bigram *a, const bigram *b) {
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct heap {
  bigram *p;
  size_t n, cap;
} heap;

static int heap_push(heap *h, bigram b) {
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    bigram *p = sk_realloc(h->p, cap * sizeof *p);
    if (!p) return SK_ENOMEM;
    h->p = p;
    h->cap = cap;
  }
  size_t i = h->n++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (!better(&b, &h->p[up])) break;
    h->p[i] = h->p[up];
    i = up;
  }
  h->p[i] = b;
  return SK_OK;
}

static bigram heap_pop(heap *h) {
  bigram top = h->p[0], last = h->p[--h->n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, best = l;
    if (l >= h->n) break;
    if (l + 1 < h->n && better(&h->p[l + 1], &h->p[l])) best = l + 1;
    if (!better(&h->p[best], &last)) break;
    h->p[i] = h->p[best];
    i = best;
  }
  if (h->n) h->p[i] = last;
  return top;
}

static int try_add(const tok_vocab *v, const char *text, sym *s, int32_t l, int32_t r, heap *h) {
  if (l < 0 || r < 0) return SK_OK;
  uint32_t size = s[l].n + s[r].n;
  int32_t id = tok_lookup(v, text + s[l].start, size);
  if (id < 0) return SK_OK;
  bigram b = {l, r, v->scores[id], size};
  return heap_push(h, b);
}

int spm_encode(const tok_vocab *v, const char *text, size_t len, tok_ivec *out) {
  if (len == 0) return SK_OK;
  size_t n = 0;
  for (size_t off = 0; off < len; n++) {
    size_t l = tok_utf8_len((unsigned char)text[off]);
    off += l < len - off ? l : len - off;
  }
  sym *s = sk_malloc(n * sizeof *s);
  heap h = {0};
  if (!s) return SK_ENOMEM;
  int rc = SK_OK;
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = tok_utf8_len((unsigned char)text[off]);
    if (l > len - off) l = len - off;
    s[i].start = (uint32_t)off;
    s[i].n = (uint32_t)l;
    s[i].prev = (int32_t)i - 1;
    s[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
    off += l;
  }
  for (size_t i = 1; i < n && !rc; i++) rc = try_add(v, text, s, (int32_t)i - 1, (int32_t)i, &h);
  while (h.n && !rc) {
    bigram b = heap_pop(&h);
    sym *L = &s[b.left], *R = &s[b.right];
    if (L->n == 0 || R->n == 0 || L->n + R->n != b.size) continue; /* stale */
    L->n += R->n;
    R->n = 0;
    L->next = R->next;
    if (R->next >= 0) s[R->next].prev = b.left;
    rc = try_add(v, text, s, L->prev, b.left, &h);
    if (!rc) rc = try_add(v, text, s, b.left, L->next, &h);
  }
  for (int32_t i = 0; i != -1 && !rc; i = s[i].next) {
    int32_t id = tok_lookup(v, text + s[i].start, s[i].n);
    if (id >= 0) {
      rc = tok_ivec_push(out, id);
      continue;
    }
    for (uint32_t j = 0; j < s[i].n && !rc; j++) {
      int32_t b = v->byte_token[(unsigned char)text[s[i].start + j]];
      /* llama.cpp would throw when the vocabulary lacks the byte token; we fall back to the
       * unknown token, or drop the byte when there is none */
      if (b < 0) b = v->unk;
      if (b >= 0) rc = tok_ivec_push(out, b);
    }
  }
  sk_free(h.p);
  sk_free(s);
  return rc;
}
