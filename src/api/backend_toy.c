#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/backend.h"
#include "base/alloc.h"

/* Token ids: 0..255 raw bytes, 256 end-of-turn, then whole "words". */
#define TOY_EOS 256
static const char *const k_words[] = {"関所", "は", "、", "。", " Sekisho", " model", " token", "です",
                                      "日本", " ", "の", "AI", " checkpoint", "!", "データ", "安全"};
#define TOY_N_WORDS ((int32_t)(sizeof k_words / sizeof k_words[0]))
#define TOY_N_VOCAB (257 + TOY_N_WORDS)
/* "日" = E6 97 A5 is emitted as three byte tokens, one character split across tokens. */
#define TOY_B0 0xE6
#define TOY_B1 0x97
#define TOY_B2 0xA5

typedef struct toy {
  backend_toy_params p;
  int32_t *toks;    /* [n_seq][n_ctx] tokens of each sequence */
  uint64_t *hash;   /* [n_seq][n_ctx] rolling hash after each position */
  int32_t *len;     /* [n_seq] */
  float *logits;    /* [n_batch][n_vocab] */
  int *has;         /* [n_batch] */
} toy;

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 29;
  return h;
}

static void toy_fill_logits(const toy *t, int32_t seq, int32_t pos, float *out) {
  const int32_t *tk = t->toks + (size_t)seq * t->p.n_ctx;
  uint64_t h = t->hash[(size_t)seq * t->p.n_ctx + pos];
  int32_t last = tk[pos], prev = pos > 0 ? tk[pos - 1] : -1;
  for (int32_t v = 0; v < TOY_N_VOCAB; v++) out[v] = -30.0f;
  if (last == TOY_B0) {
    out[TOY_B1] = 30.0f;
    return;
  }
  if (last == TOY_B1 && prev == TOY_B0) {
    out[TOY_B2] = 30.0f;
    return;
  }
  for (int32_t w = 0; w < TOY_N_WORDS; w++)
    out[257 + w] = (float)(mix(h, (uint64_t)w) % 4000) / 1000.0f;
  out[TOY_B0] = (float)(mix(h, 999) % 4000) / 1000.0f;
  for (int32_t c = 'a'; c <= 'z'; c++) out[c] = (float)(mix(h, (uint64_t)c) % 2000) / 1000.0f;
  /* ending becomes likelier with length, so unbounded requests still end */
  out[TOY_EOS] = -12.0f + 0.005f * (float)pos;
}

static int toy_decode(void *impl, const eng_batch_tok *b, size_t n, sk_err *err) {
  toy *t = impl;
  if (n > t->p.n_batch) return sk_err_set(err, SK_ELIMIT, "batch of %zu tokens exceeds %u", n, t->p.n_batch);
  int32_t sim[ENG_MAX_SEQ];
  memcpy(sim, t->len, t->p.n_seq * sizeof *sim);
  for (size_t i = 0; i < n; i++) { /* validate before touching anything */
    if (b[i].seq < 0 || (uint32_t)b[i].seq >= t->p.n_seq)
      return sk_err_set(err, SK_EINVAL, "token %zu: sequence %d out of range", i, b[i].seq);
    if (b[i].token < 0 || b[i].token >= TOY_N_VOCAB)
      return sk_err_set(err, SK_EINVAL, "token %zu: id %d out of vocabulary", i, b[i].token);
    if (b[i].pos != sim[b[i].seq])
      return sk_err_set(err, SK_EINVAL, "token %zu: position %d does not continue sequence %d (length %d)",
                        i, b[i].pos, b[i].seq, sim[b[i].seq]);
    if ((uint32_t)b[i].pos >= t->p.n_ctx)
      return sk_err_set(err, SK_ELIMIT, "sequence %d would exceed the context of %u", b[i].seq, t->p.n_ctx);
    sim[b[i].seq]++;
  }
  for (size_t i = 0; i < n; i++) {
    size_t base = (size_t)b[i].seq * t->p.n_ctx;
    uint64_t prev = b[i].pos > 0 ? t->hash[base + b[i].pos - 1] : 0x5e115000ULL;
    t->toks[base + b[i].pos] = b[i].token;
    t->hash[base + b[i].pos] = mix(prev, (uint64_t)b[i].token);
    t->len[b[i].seq] = b[i].pos + 1;
    t->has[i] = b[i].want_logits != 0;
    if (t->has[i]) toy_fill_logits(t, b[i].seq, b[i].pos, t->logits + i * TOY_N_VOCAB);
  }
  uint64_t us = t->p.decode_us + (uint64_t)t->p.decode_tok_us * n;
  if (us) {
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
  }
  return SK_OK;
}

static const float *toy_logits(void *impl, size_t i) {
  toy *t = impl;
  return i < t->p.n_batch && t->has[i] ? t->logits + i * TOY_N_VOCAB : NULL;
}

static void toy_kv_seq_rm(void *impl, int32_t seq, int32_t p0, int32_t p1) {
  toy *t = impl;
  if (seq < 0 || (uint32_t)seq >= t->p.n_seq) return;
  if (p1 < 0 || p1 >= t->len[seq]) {
    if (p0 < t->len[seq]) t->len[seq] = p0 < 0 ? 0 : p0;
  }
}

static int toy_is_eog(void *impl, int32_t tok) {
  (void)impl;
  return tok == TOY_EOS;
}

static int toy_piece(void *impl, int32_t tok, char *out, size_t cap) {
  (void)impl;
  if (tok < 0 || tok >= TOY_N_VOCAB) return SK_EINVAL;
  if (tok == TOY_EOS) return 0;
  if (tok < 256) {
    if (cap < 1) return SK_ELIMIT;
    out[0] = (char)tok;
    return 1;
  }
  size_t n = strlen(k_words[tok - 257]);
  if (n > cap) return SK_ELIMIT;
  memcpy(out, k_words[tok - 257], n);
  return (int)n;
}

static int toy_tokenize(void *impl, const char *text, size_t len, int add_special, int32_t **out,
                        size_t *n_out, sk_err *err) {
  (void)impl;
  (void)add_special;
  *out = sk_malloc((len ? len : 1) * sizeof **out);
  if (!*out) return sk_err_set(err, SK_ENOMEM, "out of memory");
  for (size_t i = 0; i < len; i++) (*out)[i] = (unsigned char)text[i];
  *n_out = len;
  return SK_OK;
}

static int toy_format_chat(void *impl, const api_message *m, size_t n, sk_buf *out, sk_err *err) {
  (void)impl;
  for (size_t i = 0; i < n; i++)
    if (sk_buf_printf(out, "<|%s|>%s\n", api_role_name(m[i].role), m[i].content))
      return sk_err_set(err, SK_ELIMIT, "the conversation is too long");
  if (sk_buf_append_str(out, "<|assistant|>")) return sk_err_set(err, SK_ELIMIT, "the conversation is too long");
  return SK_OK;
}

static void toy_close(void *impl) {
  toy *t = impl;
  if (!t) return;
  sk_free(t->toks);
  sk_free(t->hash);
  sk_free(t->len);
  sk_free(t->logits);
  sk_free(t->has);
  sk_free(t);
}

int backend_toy_new(const backend_toy_params *p, sched_backend *out, sk_err *err) {
  memset(out, 0, sizeof *out);
  toy *t = sk_calloc(1, sizeof *t);
  if (!t) return sk_err_set(err, SK_ENOMEM, "out of memory");
  t->p = *p;
  if (!t->p.n_ctx) t->p.n_ctx = 2048;
  if (!t->p.n_seq) t->p.n_seq = ENG_MAX_SEQ;
  if (!t->p.n_batch) t->p.n_batch = 512;
  if (t->p.n_seq > ENG_MAX_SEQ || t->p.n_ctx > (1u << 16) || t->p.n_batch > ENG_MAX_BATCH) {
    sk_free(t);
    return sk_err_set(err, SK_ERANGE, "toy model: n_seq <= %d, n_ctx <= 65536, n_batch <= %d", ENG_MAX_SEQ,
                      ENG_MAX_BATCH);
  }
  size_t cells = (size_t)t->p.n_seq * t->p.n_ctx;
  t->toks = sk_calloc(cells, sizeof *t->toks);
  t->hash = sk_calloc(cells, sizeof *t->hash);
  t->len = sk_calloc(t->p.n_seq, sizeof *t->len);
  t->logits = sk_calloc((size_t)t->p.n_batch * TOY_N_VOCAB, sizeof *t->logits);
  t->has = sk_calloc(t->p.n_batch, sizeof *t->has);
  if (!t->toks || !t->hash || !t->len || !t->logits || !t->has) {
    toy_close(t);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  *out = (sched_backend){.impl = t,
                         .model_id = TOY_MODEL_ID,
                         .n_vocab = TOY_N_VOCAB,
                         .n_ctx = t->p.n_ctx,
                         .n_batch = t->p.n_batch,
                         .n_seq = t->p.n_seq,
                         .decode = toy_decode,
                         .logits = toy_logits,
                         .kv_seq_rm = toy_kv_seq_rm,
                         .is_eog = toy_is_eog,
                         .piece = toy_piece,
                         .tokenize = toy_tokenize,
                         .format_chat = toy_format_chat,
                         .close = toy_close};
  return SK_OK;
}
