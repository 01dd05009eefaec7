/* tok_impl.h — internals shared by the tokenizer's files (not a public header). */
#ifndef SK_ENGINE_TOKENIZER_TOK_IMPL_H
#define SK_ENGINE_TOKENIZER_TOK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/tokenizer/tok.h"

/* Pre-tokenizers (llama.cpp's LLAMA_VOCAB_PRE_TYPE_* that we implement). */
typedef enum tok_pre {
  TOK_PRE_DEFAULT = 0,
  TOK_PRE_LLAMA3,         /* llama-bpe, llama3, llama-v3, ... */
  TOK_PRE_QWEN2,          /* qwen2, deepseek-r1-qwen, stablelm2, megrez */
  TOK_PRE_GPT2,           /* gpt-2, mpt, olmo, phi-2, jais, ... */
  TOK_PRE_STARCODER,      /* starcoder, refact, command-r, smollm, codeshell, exaone */
  TOK_PRE_FALCON,
  TOK_PRE_DEEPSEEK_LLM,
  TOK_PRE_DEEPSEEK_CODER,
} tok_pre;

/* ---- hash index of strings stored in a blob ---- */
typedef struct tok_index {
  uint32_t *slots; /* value+1, 0 = empty */
  uint32_t mask;
} tok_index;

uint64_t tok_hash(const void *p, size_t n, uint64_t h);
#define TOK_HASH_SEED 0xcbf29ce484222325ull

struct tok_vocab {
  tok_model model;
  tok_pre pre;
  char pre_name[32];
  uint32_t n_tokens;

  /* token texts, concatenated (with a NUL after each, for debugging) */
  char *text_blob;
  uint32_t *text_off; /* n_tokens + 1 */
  float *scores;
  uint32_t *attr;
  tok_index text_index; /* text -> id */
  size_t max_token_len;

  /* BPE merges: "left right" strings, rank = position */
  char *merge_blob;
  uint32_t *merge_off; /* n_merges + 1 */
  uint32_t *merge_split; /* offset of the separating space inside each merge */
  uint32_t n_merges;
  tok_index merge_index; /* (left,right) -> rank */
  /* the same merges by token ids, for the hot path, one 8-byte slot each (cache footprint):
   * left id (21 bits) | right id (21 bits) | rank + 1 (22 bits); 0 = empty. Ids fit because
   * TOK_MAX_VOCAB and TOK_MAX_MERGES are 2^21. */
  uint64_t *pair_slots;
  uint32_t pair_mask;
  int32_t *merge_result; /* id of left+right, or TOK_NULL when that text is no token */

  /* detokenised pieces (render_special = 1 form; control/unknown suppressed separately) */
  char *piece_blob;
  uint32_t *piece_off; /* n_tokens + 1 */

  /* special tokens cache: control / user-defined / unknown ids, longest text first */
  int32_t *special;
  uint32_t n_special;
  uint8_t special_first_byte[256]; /* 1 when some special token starts with this byte */

  int32_t *eog;
  uint32_t n_eog;

  int32_t bos, eos, eot, eom, unk, sep, pad, nl;
  int add_bos, add_eos, add_sep, add_space_prefix, ignore_merges, clean_spaces,
      remove_extra_ws, escape_ws;
  int lowercase, strip_accents; /* WPM normaliser */

  int32_t byte_token[256]; /* SPM byte fallback (or BPE byte char token); TOK_NULL if none */
};

static inline const char *tok_text_ptr(const tok_vocab *v, int32_t id, size_t *len) {
  *len = v->text_off[id + 1] - v->text_off[id] - 1;
  return v->text_blob + v->text_off[id];
}

/* Lookup of a text in the token index; TOK_NULL when absent. */
int32_t tok_lookup(const tok_vocab *v, const char *s, size_t n);
/* BPE merge rank of (left, right), or -1. */
int32_t tok_merge_rank(const tok_vocab *v, const char *l, size_t nl, const char *r, size_t nr);
/* The same for two tokens by id. */
static inline uint64_t tok_pair_hash(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return k;
}
_Static_assert(TOK_MAX_VOCAB <= (1u << 21) && TOK_MAX_MERGES < (1u << 22) - 1,
               "ids and ranks must fit the packed pair slots");
static inline int32_t tok_pair_rank(const tok_vocab *v, int32_t l, int32_t r) {
  uint64_t key = ((uint64_t)(uint32_t)l << 21) | (uint32_t)r;
  for (uint32_t i = (uint32_t)tok_pair_hash(key) & v->pair_mask;; i = (i + 1) & v->pair_mask) {
    uint64_t e = v->pair_slots[i];
    if (!e) return -1;
    if ((e >> 22) == key) return (int32_t)(e & 0x3FFFFF) - 1;
  }
}

/* ---- growable int32 vector with the TOK_MAX_TOKENS bound ---- */
typedef struct tok_ivec {
  int32_t *p;
  size_t n, cap;
} tok_ivec;
int tok_ivec_push(tok_ivec *v, int32_t x);
void tok_ivec_release(tok_ivec *v);

/* ---- Unicode ---- */
enum {
  UCD_LETTER = 1 << 0,
  UCD_NUMBER = 1 << 1,
  UCD_WHITESPACE = 1 << 2,
  UCD_PUNCT = 1 << 3,
  UCD_SYMBOL = 1 << 4,
  UCD_MARK = 1 << 5,
  UCD_CONTROL = 1 << 6, /* Cc Cf Co Cs */
  UCD_OTHER = 1 << 7,   /* unassigned, separators that are not white space: never 0 */
};
/* Category flags of a code point as llama.cpp's unicode tables give them (every code point has
 * at least one bit set). Thread-safe; the first call builds a table. */
uint8_t ucd_flags(uint32_t cp);
uint32_t ucd_tolower(uint32_t cp);
/* First code point of the NFD decomposition (llama.cpp's unicode_cpts_normalize_nfd). */
uint32_t ucd_nfd_first(uint32_t cp);

/* llama.cpp's lenient UTF-8 decoding (unicode_cpt_from_utf8): structure only; a bad byte reads
 * as U+FFFD and advances by one. Returns the number of bytes consumed (≥ 1). */
size_t tok_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
/* llama.cpp's unicode_len_utf8: sequence length from the lead byte's high nibble. */
static inline size_t tok_utf8_len(unsigned char c) {
  static const unsigned char lut[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lut[c >> 4];
}
/* Encodes cp (any value ≤ 0x1FFFFF as llama.cpp would, larger -> U+FFFD) into out[4]. */
size_t tok_utf8_put(uint32_t cp, char *out);

/* ---- pre-tokenizer: splits code points into words (lengths in code points) ---- */
typedef struct tok_words {
  uint32_t *len;
  size_t n, cap;
} tok_words;
int pretok_split(tok_pre pre, const uint32_t *cpts, const uint8_t *flags, size_t n,
                 tok_words *out);
void tok_words_release(tok_words *w);

/* GPT-2 byte -> unicode mapping: UTF-8 of the code point that stands for byte b. */
extern const char tok_byte_enc[256][3];
extern const unsigned char tok_byte_enc_len[256];
/* Inverse: code point -> byte, or -1. */
int tok_byte_dec(uint32_t cp);

/* ---- algorithms ---- */
int spm_encode(const tok_vocab *v, const char *text, size_t len, tok_ivec *out);
int bpe_encode(const tok_vocab *v, const char *text, size_t len, tok_ivec *out);
int wpm_encode(const tok_vocab *v, const char *text, size_t len, tok_ivec *out);

/* Builds the piece cache (detok.c). */
int tok_build_pieces(tok_vocab *v);

#endif
