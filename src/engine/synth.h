/* synth.h — deterministic random-weight GGUF models (`sekisho gguf-synth`).
 *
 * Same config and seed → byte-identical file. Each tensor's values come from its own PRNG stream
 * (seeded from the seed and the tensor name), so one seed gives the same underlying weights in
 * every type: an F32 and a Q4_K_M file of one seed differ only by quantisation.
 *
 * Tensor names, metadata keys and the Q4_K_M type mix follow llama.cpp's conventions for the
 * archs llama, qwen2, qwen3, gemma2 and gemma3. Weights are scaled so attention logits have a
 * standard deviation of about 4 (sharp attention: position and mask bugs show).
 *
 * Built-in SentencePiece-style vocabulary (tokenizer.ggml.model = "llama"):
 *   0 <unk> (UNKNOWN), 1 <s>, 2 </s> (CONTROL), 3..258 <0x00>..<0xFF> (BYTE),
 *   259 <|im_start|>, 260 <|im_end|> (CONTROL), 261 "▁", 262.. the printable ASCII characters
 *   '!'..'~' (NORMAL, scores 0, -1, -2, ... in that order), then <unused_N> (UNUSED) up to the
 *   vocabulary size. bos 1, eos 2, unk 0, add_bos true, add_eos false, ChatML chat template.
 *
 * Memory: one row at a time; a 1.2 GB model is streamed, never held. */
#ifndef SK_ENGINE_SYNTH_H
#define SK_ENGINE_SYNTH_H

#include <stdint.h>

#include "base/err.h"
#include "engine/gguf_write.h"

#define SYNTH_BASE_VOCAB 356       /* specials + bytes + ChatML + ▁ + 94 ASCII pieces */
#define SYNTH_MAX_VOCAB (1u << 20) /* real vocabularies stay below 300k */
#define SYNTH_MAX_LAYERS 256       /* deepest open models have ~126 layers */
#define SYNTH_MAX_DIM (1u << 16)   /* embd / ff / heads·head_dim; largest real ff ~ 53k */
#define SYNTH_MAX_CTX (1u << 24)

typedef enum synth_ftype {
  SYNTH_F32,
  SYNTH_F16,
  SYNTH_BF16,
  SYNTH_Q8_0,
  SYNTH_Q4_0,
  SYNTH_Q4_1,
  SYNTH_Q5_0,
  SYNTH_Q5_1,
  SYNTH_Q4_K,
  SYNTH_Q5_K,
  SYNTH_Q6_K,
  SYNTH_Q4_K_M,
  SYNTH_FTYPE_COUNT
} synth_ftype;

typedef struct synth_config {
  char arch[16];  /* llama qwen2 qwen3 gemma2 gemma3 */
  char shape[32]; /* name recorded in general.name */
  uint32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, head_dim, n_ctx;
  uint32_t n_swa; /* gemma2/gemma3 sliding window */
  float rope_base, rope_base_swa, rms_eps;
  int tied;  /* output shares token_embd */
  int ftype; /* a synth_ftype */
  uint64_t seed;
} synth_config;

/* "Q4_K_M" → SYNTH_Q4_K_M (case-insensitive); -1 when unknown. */
int synth_ftype_from_name(const char *name);
const char *synth_ftype_name(int ftype);

/* Fills c with the defaults of arch and shape ("tiny", "qwen2.5-0.5b", "llama-3.2-1b"; NULL =
 * tiny). SK_EINVAL with a message listing the choices when either is unknown. */
int synth_config_init(synth_config *c, const char *arch, const char *shape, sk_err *err);
/* Validates c after overrides (divisibility, limits, vocab ≥ SYNTH_BASE_VOCAB). */
int synth_config_check(const synth_config *c, sk_err *err);

/* Streams the model to sink. */
int synth_write(const synth_config *c, gguf_sink_fn sink, void *ctx, sk_err *err);
/* Writes path atomically (path.tmp, then rename). *size_bytes (optional) gets the file size. */
int synth_write_file(const synth_config *c, const char *path, uint64_t *size_bytes, sk_err *err);

/* The type a tensor gets (exposed for tests): name is the llama.cpp tensor name, ne0 its row
 * length, layer its block index (-1 for non-block tensors). */
uint32_t synth_tensor_type(const synth_config *c, const char *name, uint64_t ne0, int n_dims,
                           int layer);

#endif
