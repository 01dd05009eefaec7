/* tok.h — tokenizers that reproduce llama.cpp token for token.
 *
 *   SentencePiece-style  (tokenizer.ggml.model = "llama"): scores, byte fallback <0xXX>, "▁".
 *   Byte-level BPE       ("gpt2"): merges, GPT-2 byte↔unicode map, pre-tokenizers llama-bpe
 *                        (Llama-3), qwen2, gpt-2/mpt, starcoder/refact, falcon, deepseek-llm,
 *                        deepseek-coder and the default.
 *   WordPiece            ("bert"): BERT-style lower-casing / accent stripping.
 *
 * Special tokens (control, user-defined) are split out of the text before tokenizing, exactly as
 * llama.cpp's tokenizer_st_partition does; BOS/EOS follow the GGUF metadata with llama.cpp's
 * per-model defaults; the end-of-generation set follows llama.cpp's rules.
 *
 * Ownership: tok_load_gguf / tok_vocab_build return a vocabulary the caller frees with
 * tok_free. It copies what it needs, so it outlives the gguf_file it was loaded from. A vocab
 * is immutable after loading: any number of threads may encode/decode with it at once.
 * Errors: negative sk_code, message in sk_err. */
#ifndef SK_ENGINE_TOKENIZER_TOK_H
#define SK_ENGINE_TOKENIZER_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "engine/gguf.h"

/* Bounds (every one a refusal, never a truncation). */
#define TOK_MAX_INPUT_BYTES (64u << 20) /* one encode call: 64 MiB ≈ 16M tokens, far past any
                                           context window; bigger is a mistake or an attack */
#define TOK_MAX_TOKENS (1u << 26)       /* output tokens of one call (int32 ids, 256 MiB) */
#define TOK_MAX_VOCAB (1u << 21)        /* real vocabularies reach 256k; 2M is hostile */
#define TOK_MAX_MERGES (1u << 21)       /* Llama-3 has 280k merges */
#define TOK_MAX_TOKEN_BYTES 65536       /* longest real tokens are a few hundred bytes */
#define TOK_MAX_PIECE_BYTES 256         /* longest detokenised piece we stream at once */

#define TOK_NULL (-1) /* "no such token" (llama.cpp's LLAMA_TOKEN_NULL) */

typedef struct tok_vocab tok_vocab;

typedef enum tok_model {
  TOK_MODEL_SPM = 1, /* "llama" */
  TOK_MODEL_BPE = 2, /* "gpt2" */
  TOK_MODEL_WPM = 3, /* "bert" */
} tok_model;

/* Token types as stored in tokenizer.ggml.token_type. */
typedef enum tok_type {
  TOK_TYPE_UNDEFINED = 0,
  TOK_TYPE_NORMAL = 1,
  TOK_TYPE_UNKNOWN = 2,
  TOK_TYPE_CONTROL = 3,
  TOK_TYPE_USER_DEFINED = 4,
  TOK_TYPE_UNUSED = 5,
  TOK_TYPE_BYTE = 6,
} tok_type;

/* Attribute bits (llama.cpp's llama_token_attr): a token can be several at once, e.g. control
 * and unused, or user-defined with rstrip. */
enum {
  TOK_ATTR_UNKNOWN = 1 << 0,
  TOK_ATTR_UNUSED = 1 << 1,
  TOK_ATTR_NORMAL = 1 << 2,
  TOK_ATTR_CONTROL = 1 << 3,
  TOK_ATTR_USER_DEFINED = 1 << 4,
  TOK_ATTR_BYTE = 1 << 5,
  TOK_ATTR_LSTRIP = 1 << 7,
  TOK_ATTR_RSTRIP = 1 << 8,
};

/* ---- loading ---- */

/* Reads tokenizer.ggml.* from f. SK_ENOTSUP for a tokenizer model or pre-tokenizer this build
 * does not implement (message names it); SK_EFORMAT for inconsistent metadata. */
int tok_load_gguf(const gguf_file *f, tok_vocab **out, sk_err *err);

/* The same from memory (tests, the synthetic-model writer, the fuzzer). Strings need not be
 * NUL-terminated. Unset ids are TOK_ID_DEFAULT (model default, as llama.cpp); add_* are -1 for
 * "not in the metadata". The spec is only read during the call. */
#define TOK_ID_DEFAULT (-2)
typedef struct tok_str {
  const char *ptr;
  size_t len;
} tok_str;
typedef struct tok_spec {
  const char *model;      /* "llama", "gpt2", "bert" */
  const char *pre;        /* tokenizer.ggml.pre or NULL */
  const char *name;       /* general.name or NULL (llama.cpp keys a phi-3 quirk on it) */
  uint32_t n_tokens;
  const tok_str *tokens;  /* n_tokens */
  const float *scores;    /* n_tokens or NULL (all 0) */
  const int32_t *types;   /* n_tokens or NULL (all normal) */
  uint32_t n_merges;
  const tok_str *merges;  /* "left right", BPE only */
  int32_t bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id;
  int add_bos, add_eos, add_space_prefix, remove_extra_ws; /* -1: not given */
} tok_spec;
void tok_spec_init(tok_spec *s); /* zeroes, ids = TOK_ID_DEFAULT, add_* = -1 */
int tok_vocab_build(const tok_spec *spec, tok_vocab **out, sk_err *err);

void tok_free(tok_vocab *v);

/* ---- properties ---- */
tok_model tok_vocab_model(const tok_vocab *v);
const char *tok_vocab_pre(const tok_vocab *v); /* pre-tokenizer name in use ("default", ...) */
uint32_t tok_n_vocab(const tok_vocab *v);
int32_t tok_bos(const tok_vocab *v); /* TOK_NULL when the model has none */
int32_t tok_eos(const tok_vocab *v);
int32_t tok_eot(const tok_vocab *v);
int32_t tok_unk(const tok_vocab *v);
int32_t tok_nl(const tok_vocab *v);
int tok_add_bos(const tok_vocab *v); /* 1 when encoding with add_special prepends BOS */
int tok_add_eos(const tok_vocab *v);
int tok_is_eog(const tok_vocab *v, int32_t id); /* end of generation (eos, eot, <|im_end|> ...) */
int tok_is_control(const tok_vocab *v, int32_t id);
uint32_t tok_attr(const tok_vocab *v, int32_t id); /* TOK_ATTR_* bits; 0 for an invalid id */
/* Stored text of a token (e.g. "▁Hello", "Ġworld", "<0x0A>"); not NUL-terminated; NULL for an
 * invalid id. Points into v. */
const char *tok_text(const tok_vocab *v, int32_t id, size_t *len);
float tok_score(const tok_vocab *v, int32_t id);
/* Exact lookup of a token by its stored text; TOK_NULL when absent. */
int32_t tok_find(const tok_vocab *v, const char *text, size_t len);

/* ---- encoding ---- */

/* Tokenizes text[0..len) as llama_tokenize(add_special, parse_special) does. Writes at most cap
 * ids to out and the full count to *n_out; SK_ELIMIT when cap is too small (out then holds the
 * first cap ids) or when len > TOK_MAX_INPUT_BYTES. Invalid UTF-8 is not an error: BPE reads a
 * bad byte as U+FFFD, SPM falls back to byte tokens (as llama.cpp). */
int tok_encode(const tok_vocab *v, const char *text, size_t len, int add_special,
               int parse_special, int32_t *out, size_t cap, size_t *n_out, sk_err *err);

/* ---- decoding ---- */

/* The bytes a token stands for (llama_token_to_piece with lstrip 0). Control and unknown tokens
 * give their text when render_special, else nothing. Points into v; not NUL-terminated. */
const char *tok_piece(const tok_vocab *v, int32_t id, int render_special, size_t *len);

/* llama_detokenize: appends the text of ids to out, dropping the SPM leading space and, with
 * remove_special, a leading BOS / trailing EOS; clean-up of " ," etc. where the model asks. The
 * output is the raw bytes (may be invalid UTF-8 if the ids are). SK_EINVAL for an invalid id. */
int tok_detokenize(const tok_vocab *v, const int32_t *ids, size_t n, int remove_special,
                   int render_special, sk_buf *out);

/* Streaming detokenizer: feed generated ids one at a time; it appends only complete UTF-8 to
 * the output and holds back the bytes of a character split across tokens. Bytes that can never
 * become valid UTF-8 come out as U+FFFD, so the output is always valid UTF-8.
 *
 *   tok_stream s; tok_stream_init(&s, v, 0);
 *   for each id: tok_stream_push(&s, id, &out);   // out grows by 0..n complete characters
 *   tok_stream_flush(&s, &out);                    // leftover incomplete bytes -> U+FFFD
 *
 * No allocation; the struct is the whole state. */
typedef struct tok_stream {
  const tok_vocab *v;
  int render_special;
  int lstrip_first; /* drop one leading space of the first piece (SPM prompt echo) */
  size_t n_held;
  unsigned char held[4];
} tok_stream;
void tok_stream_init(tok_stream *s, const tok_vocab *v, int render_special);
int tok_stream_push(tok_stream *s, int32_t id, sk_buf *out);
int tok_stream_flush(tok_stream *s, sk_buf *out);

#endif
