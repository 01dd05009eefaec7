/* synth.c — deterministic random-weight GGUF models (see synth.h). */
#include "engine/synth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "engine/gguf.h"
#include "engine/gtype.h"
#include "engine/quant/quant.h"

/* Bytes per generated piece: "<unused_4294967295>" (19) + NUL fits. */
#define SYNTH_PIECE_SLOT 24

#define SYNTH_NAME_MAX 96          /* "blk.255.attn_output.weight" and friends */
#define SYNTH_WRITE_BUF (1u << 20) /* stdio buffer for the output file */

/* Token types as llama.cpp numbers them (llama_token_type). */
enum { TOK_NORMAL = 1, TOK_UNKNOWN = 2, TOK_CONTROL = 3, TOK_UNUSED = 5, TOK_BYTE = 6 };

static const char k_chatml[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}";

static const struct {
  const char *name;
  uint32_t gtype;     /* the main weight type */
  uint32_t file_type; /* llama.cpp's general.file_type (llama_ftype) */
} k_ftypes[SYNTH_FTYPE_COUNT] = {
    [SYNTH_F32] = {"F32", GTYPE_F32, 0},     [SYNTH_F16] = {"F16", GTYPE_F16, 1},
    [SYNTH_BF16] = {"BF16", GTYPE_BF16, 32}, [SYNTH_Q8_0] = {"Q8_0", GTYPE_Q8_0, 7},
    [SYNTH_Q4_0] = {"Q4_0", GTYPE_Q4_0, 2},  [SYNTH_Q4_1] = {"Q4_1", GTYPE_Q4_1, 3},
    [SYNTH_Q5_0] = {"Q5_0", GTYPE_Q5_0, 8},  [SYNTH_Q5_1] = {"Q5_1", GTYPE_Q5_1, 9},
    [SYNTH_Q4_K] = {"Q4_K", GTYPE_Q4_K, 14}, [SYNTH_Q5_K] = {"Q5_K", GTYPE_Q5_K, 16},
    [SYNTH_Q6_K] = {"Q6_K", GTYPE_Q6_K, 18}, [SYNTH_Q4_K_M] = {"Q4_K_M", GTYPE_Q4_K, 15},
};

int synth_ftype_from_name(const char *name) {
  for (int i = 0; i < SYNTH_FTYPE_COUNT; i++)
    if (!strcasecmp(name, k_ftypes[i].name)) return i;
  return -1;
}

const char *synth_ftype_name(int ftype) {
  return ftype >= 0 && ftype < SYNTH_FTYPE_COUNT ? k_ftypes[ftype].name : "?";
}

static int is_gemma(const synth_config *c) { return !strncmp(c->arch, "gemma", 5); }
static int has_qk_norm(const synth_config *c) {
  return !strcmp(c->arch, "qwen3") || !strcmp(c->arch, "gemma3");
}

int synth_config_init(synth_config *c, const char *arch, const char *shape, sk_err *err) {
  memset(c, 0, sizeof *c);
  static const char *const archs[] = {"llama", "qwen2", "qwen3", "gemma2", "gemma3"};
  int known = 0;
  for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
    known |= arch && !strcmp(arch, archs[i]);
  if (!known)
    return sk_err_set(err, SK_EINVAL,
                      "unknown arch '%s' (choose llama, qwen2, qwen3, gemma2, "
                      "gemma3)",
                      arch ? arch : "");
  snprintf(c->arch, sizeof c->arch, "%s", arch);
  if (!shape) shape = "tiny";
  snprintf(c->shape, sizeof c->shape, "%s", shape);
  c->seed = 1;
  c->ftype = SYNTH_F32;
  c->rope_base = !strcmp(arch, "llama") ? 10000.0f : 1000000.0f;
  c->rope_base_swa = 10000.0f;
  c->rms_eps = !strcmp(arch, "llama") ? 1e-5f : 1e-6f;
  c->tied = strcmp(arch, "llama") != 0;
  if (!strcmp(shape, "tiny")) {
    c->n_embd = 64, c->n_layer = 2, c->n_head = 4, c->n_head_kv = 2, c->head_dim = 16;
    c->n_ff = 128, c->n_vocab = 512, c->n_ctx = 512, c->n_swa = 16;
    if (!strcmp(arch, "gemma3")) c->n_layer = 6; /* one global layer per 6: show the pattern */
  } else if (!strcmp(shape, "qwen2.5-0.5b")) {
    c->n_embd = 896, c->n_layer = 24, c->n_head = 14, c->n_head_kv = 2, c->head_dim = 64;
    c->n_ff = 4864, c->n_vocab = 151936, c->n_ctx = 32768, c->n_swa = 4096;
    c->tied = 1, c->rope_base = 1000000.0f;
  } else if (!strcmp(shape, "llama-3.2-1b")) {
    c->n_embd = 2048, c->n_layer = 16, c->n_head = 32, c->n_head_kv = 8, c->head_dim = 64;
    c->n_ff = 8192, c->n_vocab = 128256, c->n_ctx = 131072, c->n_swa = 4096;
    c->tied = 1, c->rope_base = 500000.0f;
  } else {
    return sk_err_set(err, SK_EINVAL,
                      "unknown shape '%s' (choose tiny, qwen2.5-0.5b, "
                      "llama-3.2-1b, or give --embd/--layers/... explicitly)",
                      shape);
  }
  if (is_gemma(c)) c->tied = 1; /* gemma has no separate output matrix */
  return SK_OK;
}

int synth_config_check(const synth_config *c, sk_err *err) {
  if (c->n_embd == 0 || c->n_embd > SYNTH_MAX_DIM || c->n_embd % 32)
    return sk_err_set(err, SK_EINVAL, "embedding length %u must be a multiple of 32 in 32..%u",
                      c->n_embd, SYNTH_MAX_DIM);
  if (c->n_ff == 0 || c->n_ff > SYNTH_MAX_DIM || c->n_ff % 32)
    return sk_err_set(err, SK_EINVAL, "feed-forward length %u must be a multiple of 32 in 32..%u",
                      c->n_ff, SYNTH_MAX_DIM);
  if (c->n_layer == 0 || c->n_layer > SYNTH_MAX_LAYERS)
    return sk_err_set(err, SK_EINVAL, "layers %u must be 1..%u", c->n_layer, SYNTH_MAX_LAYERS);
  if (c->n_head == 0 || c->n_head_kv == 0 || c->n_head % c->n_head_kv)
    return sk_err_set(err, SK_EINVAL, "heads %u must be a positive multiple of kv heads %u",
                      c->n_head, c->n_head_kv);
  if (c->head_dim == 0 || c->head_dim % 2 || c->head_dim > 1024)
    return sk_err_set(err, SK_EINVAL, "head dim %u must be even and ≤ 1024", c->head_dim);
  if ((uint64_t)c->n_head * c->head_dim > SYNTH_MAX_DIM || (c->n_head * c->head_dim) % 32 ||
      (c->n_head_kv * c->head_dim) % 32)
    return sk_err_set(err, SK_EINVAL,
                      "heads x head dim (%u x %u) and kv heads x head dim must be "
                      "multiples of 32",
                      c->n_head, c->head_dim);
  if (c->n_vocab < SYNTH_BASE_VOCAB || c->n_vocab > SYNTH_MAX_VOCAB)
    return sk_err_set(err, SK_EINVAL, "vocabulary %u must be %u..%u (the built-in pieces need %u)",
                      c->n_vocab, SYNTH_BASE_VOCAB, SYNTH_MAX_VOCAB, SYNTH_BASE_VOCAB);
  if (c->n_ctx == 0 || c->n_ctx > SYNTH_MAX_CTX)
    return sk_err_set(err, SK_EINVAL, "context %u must be 1..%u", c->n_ctx, SYNTH_MAX_CTX);
  if (c->ftype < 0 || c->ftype >= SYNTH_FTYPE_COUNT)
    return sk_err_set(err, SK_EINVAL, "unknown type %d", c->ftype);
  return SK_OK;
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers and every third between
 * get the higher-precision type in Q4_K_M. */
static int use_more_bits(int i, int n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

uint32_t synth_tensor_type(const synth_config *c, const char *name, uint64_t ne0, int n_dims,
                           int layer) {
  if (n_dims < 2) return GTYPE_F32; /* norms and biases stay F32, as in llama.cpp */
  const int ft = c->ftype;
  uint32_t t = k_ftypes[ft].gtype;
  if (ft == SYNTH_F32 || ft == SYNTH_F16 || ft == SYNTH_BF16) return t;
  const int output_like =
      !strcmp(name, "output.weight") || (c->tied && !strcmp(name, "token_embd.weight"));
  if (output_like && ft != SYNTH_Q8_0) t = GTYPE_Q6_K; /* llama.cpp keeps the output at Q6_K */
  if (ft == SYNTH_Q4_K_M && layer >= 0 && use_more_bits(layer, (int)c->n_layer) &&
      (strstr(name, ".attn_v.") || strstr(name, ".ffn_down.")))
    t = GTYPE_Q6_K;
  if (ne0 % 256) { /* K-quant rows must be whole super-blocks: llama.cpp's fallbacks */
    if (t == GTYPE_Q4_K)
      t = GTYPE_Q5_0;
    else if (t == GTYPE_Q5_K)
      t = GTYPE_Q5_1;
    else if (t == GTYPE_Q6_K)
      t = GTYPE_Q8_0;
  }
  return t;
}

/* ---- tensor plan ---- */

typedef enum init_kind { INIT_GAUSS, INIT_NORM, INIT_QK_NORM } init_kind;

typedef struct plan_tensor {
  char name[SYNTH_NAME_MAX];
  uint32_t n_dims;
  uint64_t ne[2];
  uint32_t type;
  init_kind init;
  float sigma;
} plan_tensor;

typedef struct plan {
  plan_tensor *t;
  size_t n, cap;
} plan;

static int plan_add(plan *p, const synth_config *c, int layer, const char *suffix, uint32_t n_dims,
                    uint64_t ne0, uint64_t ne1, init_kind init, float sigma, sk_err *err) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    plan_tensor *t = sk_realloc(p->t, cap * sizeof *t);
    if (!t) return sk_err_set(err, SK_ENOMEM, "out of memory planning tensors");
    p->t = t;
    p->cap = cap;
  }
  plan_tensor *t = &p->t[p->n++];
  if (layer >= 0)
    snprintf(t->name, sizeof t->name, "blk.%d.%s", layer, suffix);
  else
    snprintf(t->name, sizeof t->name, "%s", suffix);
  t->n_dims = n_dims;
  t->ne[0] = ne0;
  t->ne[1] = ne1;
  t->init = init;
  t->sigma = sigma;
  t->type = synth_tensor_type(c, t->name, ne0, (int)n_dims, layer);
  return SK_OK;
}

static int make_plan(const synth_config *c, plan *p, sk_err *err) {
  const uint64_t E = c->n_embd, F = c->n_ff, V = c->n_vocab;
  const uint64_t Q = (uint64_t)c->n_head * c->head_dim, KV = (uint64_t)c->n_head_kv * c->head_dim;
  /* Unit-scale activations everywhere (sigma = 1/sqrt(fan_in)), except: q and k at 2/sqrt(E) so
   * that q·k/sqrt(head_dim) has std ≈ 4; q/k norms of 2 for the same effect after per-head norm;
   * embeddings/output at 4/sqrt(E) so logits have std ≈ 4. */
  const float s_e = 1.0f / sqrtf((float)E), s_qk = 2.0f / sqrtf((float)E);
  const float s_emb = 4.0f / sqrtf((float)E);
  int rc = plan_add(p, c, -1, "token_embd.weight", 2, E, V, INIT_GAUSS, s_emb, err);
  for (int l = 0; !rc && l < (int)c->n_layer; l++) {
    rc = plan_add(p, c, l, "attn_norm.weight", 1, E, 1, INIT_NORM, 0.1f, err);
    if (!rc) rc = plan_add(p, c, l, "attn_q.weight", 2, E, Q, INIT_GAUSS, s_qk, err);
    if (!rc) rc = plan_add(p, c, l, "attn_k.weight", 2, E, KV, INIT_GAUSS, s_qk, err);
    if (!rc) rc = plan_add(p, c, l, "attn_v.weight", 2, E, KV, INIT_GAUSS, s_e, err);
    if (!rc && !strcmp(c->arch, "qwen2")) {
      rc = plan_add(p, c, l, "attn_q.bias", 1, Q, 1, INIT_GAUSS, 0.1f, err);
      if (!rc) rc = plan_add(p, c, l, "attn_k.bias", 1, KV, 1, INIT_GAUSS, 0.1f, err);
      if (!rc) rc = plan_add(p, c, l, "attn_v.bias", 1, KV, 1, INIT_GAUSS, 0.1f, err);
    }
    if (!rc && has_qk_norm(c)) {
      rc = plan_add(p, c, l, "attn_q_norm.weight", 1, c->head_dim, 1, INIT_QK_NORM, 0.1f, err);
      if (!rc)
        rc = plan_add(p, c, l, "attn_k_norm.weight", 1, c->head_dim, 1, INIT_QK_NORM, 0.1f, err);
    }
    if (!rc)
      rc =
          plan_add(p, c, l, "attn_output.weight", 2, Q, E, INIT_GAUSS, 1.0f / sqrtf((float)Q), err);
    if (!rc && is_gemma(c))
      rc = plan_add(p, c, l, "post_attention_norm.weight", 1, E, 1, INIT_NORM, 0.1f, err);
    if (!rc) rc = plan_add(p, c, l, "ffn_norm.weight", 1, E, 1, INIT_NORM, 0.1f, err);
    if (!rc) rc = plan_add(p, c, l, "ffn_gate.weight", 2, E, F, INIT_GAUSS, s_e, err);
    if (!rc) rc = plan_add(p, c, l, "ffn_up.weight", 2, E, F, INIT_GAUSS, s_e, err);
    if (!rc)
      rc = plan_add(p, c, l, "ffn_down.weight", 2, F, E, INIT_GAUSS, 1.0f / sqrtf((float)F), err);
    if (!rc && is_gemma(c))
      rc = plan_add(p, c, l, "post_ffw_norm.weight", 1, E, 1, INIT_NORM, 0.1f, err);
  }
  if (!rc) rc = plan_add(p, c, -1, "output_norm.weight", 1, E, 1, INIT_NORM, 0.1f, err);
  if (!rc && !c->tied) rc = plan_add(p, c, -1, "output.weight", 2, E, V, INIT_GAUSS, s_emb, err);
  return rc;
}

/* ---- PRNG: splitmix64, one stream per tensor ---- */

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
  return h;
}

/* n standard normal values (Box–Muller, both outputs used). */
static void gauss_fill(uint64_t *s, float *x, uint64_t n) {
  for (uint64_t i = 0; i < n; i += 2) {
    const double u = ((double)(splitmix64(s) >> 11) + 0.5) * 0x1p-53; /* (0, 1) */
    const double v = (double)(splitmix64(s) >> 11) * 0x1p-53;
    const double r = sqrt(-2.0 * log(u)), a = 6.283185307179586 * v;
    x[i] = (float)(r * cos(a));
    if (i + 1 < n) x[i + 1] = (float)(r * sin(a));
  }
}

/* ---- metadata ---- */

static int add_vocab(const synth_config *c, gguf_writer *w, sk_err *err) {
  const uint32_t n = c->n_vocab;
  const char **tok = sk_calloc(n, sizeof *tok);
  float *score = sk_calloc(n, sizeof *score);
  int32_t *type = sk_calloc(n, sizeof *type);
  char *arena = sk_malloc((size_t)n * SYNTH_PIECE_SLOT);
  int rc = SK_OK;
  if (!tok || !score || !type || !arena) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory building the vocabulary");
    goto out;
  }
  char *a = arena;
  uint32_t id = 0;
  tok[id] = "<unk>", type[id++] = TOK_UNKNOWN;
  tok[id] = "<s>", type[id++] = TOK_CONTROL;
  tok[id] = "</s>", type[id++] = TOK_CONTROL;
  for (int b = 0; b < 256; b++) {
    snprintf(a, SYNTH_PIECE_SLOT, "<0x%02X>", b);
    tok[id] = a, type[id++] = TOK_BYTE;
    a += SYNTH_PIECE_SLOT;
  }
  tok[id] = "<|im_start|>", type[id++] = TOK_CONTROL;
  tok[id] = "<|im_end|>", type[id++] = TOK_CONTROL;
  float sc = 0.0f;
  tok[id] = "\xe2\x96\x81", score[id] = sc, type[id++] = TOK_NORMAL; /* ▁ */
  for (int ch = '!'; ch <= '~'; ch++) {
    a[0] = (char)ch, a[1] = 0;
    sc -= 1.0f;
    tok[id] = a, score[id] = sc, type[id++] = TOK_NORMAL;
    a += SYNTH_PIECE_SLOT;
  }
  for (uint32_t k = 0; id < n; k++) {
    snprintf(a, SYNTH_PIECE_SLOT, "<unused_%u>", k);
    tok[id] = a, type[id++] = TOK_UNUSED;
    a += SYNTH_PIECE_SLOT;
  }
  rc = gguf_writer_add_str(w, "tokenizer.ggml.model", "llama", err);
  if (!rc) rc = gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", tok, n, err);
  if (!rc) rc = gguf_writer_add_arr(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, score, n, err);
  if (!rc) rc = gguf_writer_add_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, type, n, err);
  if (!rc) rc = gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 1, err);
  if (!rc) rc = gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 2, err);
  if (!rc) rc = gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", 0, err);
  if (!rc) rc = gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", 1, err);
  if (!rc) rc = gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", 0, err);
  if (!rc) rc = gguf_writer_add_str(w, "tokenizer.chat_template", k_chatml, err);
out:
  sk_free(tok);
  sk_free(score);
  sk_free(type);
  sk_free(arena);
  return rc;
}

static int add_hparams(const synth_config *c, gguf_writer *w, sk_err *err) {
  char key[128], name[96];
  const char *A = c->arch;
#define KEY(suffix) (snprintf(key, sizeof key, "%s." suffix, A), key)
  snprintf(name, sizeof name, "sekisho-synth-%s-%s-%s", A, c->shape, synth_ftype_name(c->ftype));
  int rc = gguf_writer_add_str(w, "general.architecture", A, err);
  if (!rc) rc = gguf_writer_add_str(w, "general.type", "model", err);
  if (!rc) rc = gguf_writer_add_str(w, "general.name", name, err);
  if (!rc) rc = gguf_writer_add_u32(w, "general.file_type", k_ftypes[c->ftype].file_type, err);
  if (!rc) rc = gguf_writer_add_u32(w, "general.quantization_version", 2, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("context_length"), c->n_ctx, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("embedding_length"), c->n_embd, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("block_count"), c->n_layer, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("feed_forward_length"), c->n_ff, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("attention.head_count"), c->n_head, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("attention.head_count_kv"), c->n_head_kv, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("attention.key_length"), c->head_dim, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("attention.value_length"), c->head_dim, err);
  if (!rc) rc = gguf_writer_add_f32(w, KEY("attention.layer_norm_rms_epsilon"), c->rms_eps, err);
  if (!rc) rc = gguf_writer_add_f32(w, KEY("rope.freq_base"), c->rope_base, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("rope.dimension_count"), c->head_dim, err);
  if (!rc) rc = gguf_writer_add_u32(w, KEY("vocab_size"), c->n_vocab, err);
  if (!rc && is_gemma(c))
    rc = gguf_writer_add_u32(w, KEY("attention.sliding_window"), c->n_swa, err);
  if (!rc && !strcmp(A, "gemma2")) {
    rc = gguf_writer_add_f32(w, KEY("attn_logit_softcapping"), 50.0f, err);
    if (!rc) rc = gguf_writer_add_f32(w, KEY("final_logit_softcapping"), 30.0f, err);
  }
  /* llama.cpp hard-codes gemma3's local base at 10000; newer files also carry it as a key */
  if (!rc && !strcmp(A, "gemma3"))
    rc = gguf_writer_add_f32(w, KEY("rope.freq_base_swa"), c->rope_base_swa, err);
#undef KEY
  return rc;
}

/* ---- data ---- */

static int write_tensor(const synth_config *c, gguf_writer *w, const plan_tensor *t, float *row,
                        void *qrow, sk_err *err) {
  uint64_t s = c->seed ^ fnv1a(t->name);
  const size_t row_bytes = gtype_row_bytes(t->type, t->ne[0]);
  for (uint64_t r = 0; r < t->ne[1]; r++) {
    gauss_fill(&s, row, t->ne[0]);
    for (uint64_t i = 0; i < t->ne[0]; i++) {
      if (t->init == INIT_NORM)
        row[i] = 1.0f + t->sigma * row[i];
      else if (t->init == INIT_QK_NORM)
        row[i] = 2.0f + t->sigma * row[i];
      else
        row[i] *= t->sigma;
    }
    int rc = quant_quantize_row(t->type, row, qrow, (int64_t)t->ne[0]);
    if (rc) return sk_err_set(err, rc, "cannot quantise %s to %s", t->name, gtype_name(t->type));
    if ((rc = gguf_writer_write(w, qrow, row_bytes, err))) return rc;
  }
  return SK_OK;
}

int synth_write(const synth_config *c, gguf_sink_fn sink, void *ctx, sk_err *err) {
  int rc = synth_config_check(c, err);
  if (rc) return rc;
  plan p = {0};
  gguf_writer *w = NULL;
  float *row = NULL;
  void *qrow = NULL;
  if ((rc = make_plan(c, &p, err))) goto out;
  if ((rc = gguf_writer_new(&w, err))) goto out;
  if ((rc = add_hparams(c, w, err)) || (rc = add_vocab(c, w, err))) goto out;
  uint64_t max_row = 0;
  for (size_t i = 0; i < p.n; i++) {
    const plan_tensor *t = &p.t[i];
    if ((rc = gguf_writer_add_tensor(w, t->name, t->n_dims, t->ne, t->type, err))) goto out;
    if (t->ne[0] > max_row) max_row = t->ne[0];
  }
  row = sk_malloc((size_t)(max_row + 1) * sizeof(float));
  qrow = sk_malloc((size_t)(max_row + 1) * sizeof(float));
  if (!row || !qrow) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory for a row of %llu", (unsigned long long)max_row);
    goto out;
  }
  if ((rc = gguf_writer_begin(w, sink, ctx, err))) goto out;
  for (size_t i = 0; !rc && i < p.n; i++)
    rc = write_tensor(c, w, &p.t[i], row, qrow, err);
  if (!rc) rc = gguf_writer_end(w, err);
out:
  gguf_writer_free(w);
  sk_free(p.t);
  sk_free(row);
  sk_free(qrow);
  return rc;
}

int synth_write_file(const synth_config *c, const char *path, uint64_t *size_bytes, sk_err *err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return sk_err_set(err, SK_EINVAL, "output path too long");
  FILE *fp = fopen(tmp, "wb");
  if (!fp) return sk_err_set(err, SK_EIO, "cannot create %s: %s", tmp, strerror(errno));
  setvbuf(fp, NULL, _IOFBF, SYNTH_WRITE_BUF);
  int rc = synth_write(c, gguf_sink_file, fp, err);
  if (!rc && size_bytes) *size_bytes = (uint64_t)ftello(fp);
  if (fclose(fp) && !rc) rc = sk_err_set(err, SK_EIO, "writing %s: %s", tmp, strerror(errno));
  if (!rc && rename(tmp, path))
    rc = sk_err_set(err, SK_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  if (rc) remove(tmp);
  return rc;
}
