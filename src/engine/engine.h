/* engine.h — the local inference engine's public API: what the CLI and the server use.
 * It knows nothing of HTTP, tenants or policy.
 *
 *   model:   a loaded GGUF (weights mapped, hyper-parameters, tokenizer, chat template).
 *            Immutable after eng_model_open; shareable by many contexts and threads.
 *   context: KV cache for up to n_seq sequences + scratch + thread pool. One thread drives a
 *            context at a time (the server's scheduler thread); it batches tokens of many
 *            sequences into one eng_decode call (continuous batching).
 *
 * Ownership: the caller frees what it opens (eng_model_close, eng_ctx_free). Pointers returned
 * by accessors stay valid for the life of the owning object. Errors: negative sk_code + sk_err. */
#ifndef SK_ENGINE_ENGINE_H
#define SK_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Bounds. */
#define ENG_MAX_SEQ 64          /* concurrent sequences per context */
#define ENG_MAX_CTX (1u << 20)  /* tokens of KV per context: refuse absurd requests early */
#define ENG_MAX_BATCH 8192      /* tokens per eng_decode call */

typedef struct eng_model eng_model;
typedef struct eng_ctx eng_ctx;
typedef struct tok_vocab tok_vocab; /* engine/tokenizer/tok.h */

typedef enum eng_precision {
  ENG_PRECISION_FAST = 0,  /* production path: activations quantised like llama.cpp, SIMD */
  ENG_PRECISION_EXACT = 1, /* dequantised weights, F32 everywhere (reference) */
} eng_precision;

typedef struct eng_hparams {
  char arch[32];         /* "llama", "qwen2", "qwen3", "gemma2", "gemma3" */
  char name[128];        /* general.name or "" */
  uint32_t n_vocab;
  uint32_t n_ctx_train;
  uint32_t n_embd;
  uint32_t n_layer;
  uint32_t n_head;
  uint32_t n_head_kv;
  uint32_t head_dim;     /* key_length (== value_length for supported archs) */
  uint32_t n_ff;
  float rms_eps;
  float rope_base;
  uint64_t n_params;     /* total elements of all weight tensors */
  uint64_t weight_bytes; /* bytes of mapped tensor data */
} eng_hparams;

typedef struct eng_model_params {
  int use_mlock;  /* 0/1 */
  int skip_vocab; /* 1: do not load the tokenizer (eng_model_vocab is NULL); for callers that
                   * feed token ids, e.g. tests (a 152k BPE vocabulary costs seconds under ASan) */
} eng_model_params;

/* Opens path: maps the file, validates every tensor the architecture needs (name, shape, type),
 * loads the tokenizer. Errors name the missing/bad tensor or key. */
int eng_model_open(const char *path, const eng_model_params *params, eng_model **out,
                   sk_err *err);
void eng_model_close(eng_model *m);
const eng_hparams *eng_model_hparams(const eng_model *m);
const tok_vocab *eng_model_vocab(const eng_model *m);
/* tokenizer.chat_template, or NULL when absent. NUL-terminated, owned by the model. */
const char *eng_model_chat_template(const eng_model *m);

typedef struct eng_ctx_params {
  uint32_t n_ctx;          /* KV cells per sequence (0: min(n_ctx_train, 4096)) */
  uint32_t n_seq;          /* sequences (1..ENG_MAX_SEQ) */
  uint32_t n_batch;        /* max tokens per eng_decode (0: 512) */
  uint32_t n_threads;      /* 0: number of online CPUs */
  eng_precision precision;
  /* KV cache element type: ENG_KV_F32 (0, default) or ENG_KV_F16 (half the memory and half the
   * bytes attention reads at long contexts; fast precision only, ignored by the exact path). F16
   * rounds keys to 11 significant bits, which moves logits of models with very large attention
   * scores (the random-weight oracle models: ~0.1 rms log-prob vs llama.cpp's F32 cache), so it
   * is opt-in. */
  uint32_t kv_type;
} eng_ctx_params;

enum { ENG_KV_F32 = 0, ENG_KV_F16 = 1 };

int eng_ctx_new(const eng_model *m, const eng_ctx_params *params, eng_ctx **out, sk_err *err);
void eng_ctx_free(eng_ctx *c);
uint32_t eng_ctx_n_ctx(const eng_ctx *c);

/* One token of a batch: evaluate `token` at position `pos` of sequence `seq`; when want_logits,
 * its logits are kept for eng_logits. Positions of a sequence must continue its KV contents. */
typedef struct eng_batch_tok {
  int32_t token;
  int32_t pos;
  int32_t seq;
  int32_t want_logits;
} eng_batch_tok;

/* Evaluates n tokens (any mix of sequences). SK_ELIMIT when a sequence would exceed n_ctx or
 * n > n_batch (message says which). On error the KV cache is unchanged for all sequences. */
int eng_decode(eng_ctx *c, const eng_batch_tok *toks, size_t n, sk_err *err);
/* Logits (n_vocab floats) of token i (index into the batch) of the last eng_decode call; NULL
 * when that token did not ask for them (want_logits = 0). Valid until the next eng_decode. */
const float *eng_logits(const eng_ctx *c, size_t i);
/* Removes positions [p0, p1) of seq from the KV cache (p1 < 0: to the end). */
void eng_kv_seq_rm(eng_ctx *c, int32_t seq, int32_t p0, int32_t p1);
/* Number of positions currently cached for seq. */
int32_t eng_kv_seq_len(const eng_ctx *c, int32_t seq);

/* Bytes of memory the context allocated (KV cache + scratch), for reporting. */
size_t eng_ctx_memory_bytes(const eng_ctx *c);

#endif
