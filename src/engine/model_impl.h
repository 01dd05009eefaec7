/* model_impl.h — internals of a loaded model, shared by model.c, kv.c, ops.c and arch/.
 * Not part of the public API (engine.h). */
#ifndef SK_ENGINE_MODEL_IMPL_H
#define SK_ENGINE_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/gguf.h"

/* Bounds on hyper-parameters: real models are far below them; larger values mean a corrupt or
 * hostile file and would otherwise drive huge scratch allocations. */
#define ENG_MAX_LAYERS 512      /* 405B models have 126 */
#define ENG_MAX_EMBD 65536      /* largest open models: 16384 */
#define ENG_MAX_HEADS 1024      /* 128 is common at the top end */
#define ENG_MAX_HEAD_DIM 1024   /* 256 in gemma; 512 seen in research models */
#define ENG_MAX_FF (1u << 20)   /* 53248 in 405B; MoE experts are smaller */
#define ENG_MAX_VOCAB (1u << 22) /* 256k in gemma; 4M is clearly hostile */

typedef enum eng_arch {
  ENG_ARCH_LLAMA,
  ENG_ARCH_QWEN2,
  ENG_ARCH_QWEN3,
  ENG_ARCH_GEMMA2,
  ENG_ARCH_GEMMA3,
} eng_arch;

typedef enum eng_rope_type {
  ENG_ROPE_NORM, /* rotate adjacent pairs (2i, 2i+1): llama */
  ENG_ROPE_NEOX, /* rotate (i, i + n_rot/2): qwen, gemma */
} eng_rope_type;

/* A weight matrix of n_out rows of n_in elements (ggml ne[0] = n_in, ne[1] = n_out), or a vector
 * (n_out = 1) for norms and biases, which are always F32. */
typedef struct eng_w {
  const char *name_hint; /* static, for messages; the full name is in t->name */
  const gguf_tensor *t;
  const uint8_t *data;
  uint32_t type;
  int64_t n_in, n_out;
  size_t row_bytes;
} eng_w;

typedef struct eng_layer {
  eng_w attn_norm, wq, wk, wv, wo;
  eng_w bq, bk, bv;              /* qwen2; t == NULL when absent */
  eng_w q_norm, k_norm;          /* qwen3, gemma3: per head, head_dim */
  eng_w attn_post_norm;          /* gemma2/3 */
  eng_w ffn_norm, ffn_gate, ffn_up, ffn_down;
  eng_w ffn_post_norm;           /* gemma2/3 */
  int swa;                       /* 1: sliding-window (local) layer */
  float rope_base;               /* this layer's RoPE base (gemma3 local layers differ) */
  float rope_freq_scale;         /* position multiplier (1 / linear scaling factor) */
} eng_layer;

struct eng_model {
  gguf_file *gf;
  eng_hparams hp;
  eng_arch arch;
  eng_rope_type rope_type;
  uint32_t n_rot;          /* rotated dimensions per head (≤ head_dim) */
  uint32_t n_swa;          /* sliding window in tokens (0: none) */
  float attn_softcap;      /* 0: off (gemma2: 50) */
  float final_softcap;     /* 0: off (gemma2: 30) */
  float q_scale;           /* multiplies q·k (1/sqrt(head_dim) or gemma's query_pre_attn_scalar) */
  float emb_scale;         /* 1, or sqrt(n_embd) for gemma */
  const float *rope_freqs; /* n_rot/2 divisors of the rotation frequencies (Llama 3), or NULL */
  eng_w tok_embd, output_norm, output; /* output.t == tok_embd.t when tied */
  eng_layer *layers;
  tok_vocab *vocab;        /* NULL until the tokenizer is wired in */
  char *chat_template;
  size_t max_in;           /* longest weight row (elements): scratch sizing */
};



/* model_vocab.c: loads / frees m->vocab (the tokenizer) from the model's metadata. */
int eng_model_load_vocab(eng_model *m, sk_err *err);
void eng_model_free_vocab(eng_model *m);
#endif
