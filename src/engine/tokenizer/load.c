/* load.c — tok_load_gguf: reads tokenizer.ggml.* through the GGUF reader into a tok_spec. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

/* Copies a string value (bounded) into dst; 0 when absent. */
static int get_cstr(const gguf_file *f, const char *key, char *dst, size_t cap) {
  gguf_str s;
  if (gguf_get_str(f, key, &s) != SK_OK) return 0;
  size_t n = s.len < cap - 1 ? (size_t)s.len : cap - 1;
  memcpy(dst, s.ptr, n);
  dst[n] = '\0';
  return 1;
}

static void get_id(const gguf_file *f, const char *key, int32_t *dst) {
  uint32_t u;
  if (gguf_get_u32(f, key, &u) == SK_OK) *dst = u > INT32_MAX ? TOK_NULL : (int32_t)u;
}

static void get_flag(const gguf_file *f, const char *key, int *dst) {
  int b;
  if (gguf_get_bool(f, key, &b) == SK_OK) *dst = b ? 1 : 0;
}

static int str_array(const gguf_file *f, const char *key, tok_str **out, uint64_t *n,
                     sk_err *err) {
  uint32_t et;
  *out = NULL;
  *n = 0;
  int rc = gguf_get_arr(f, key, &et, n);
  if (rc == SK_ENOTFOUND) return SK_OK;
  if (rc) return sk_err_set(err, rc, "%s: cannot read the array", key);
  if (et != GGUF_TYPE_STRING) return sk_err_set(err, SK_EFORMAT, "%s is not a string array", key);
  if (*n > TOK_MAX_VOCAB && *n > TOK_MAX_MERGES)
    return sk_err_set(err, SK_EFORMAT, "%s has %llu entries (limit %u)", key,
                      (unsigned long long)*n, TOK_MAX_VOCAB);
  tok_str *a = sk_malloc((*n ? *n : 1) * sizeof *a);
  if (!a) return sk_err_set(err, SK_ENOMEM, "out of memory reading %s", key);
  for (uint64_t i = 0; i < *n; i++) {
    gguf_str s;
    rc = gguf_arr_str(f, key, i, &s);
    if (rc) {
      sk_free(a);
      return sk_err_set(err, rc, "%s[%llu]: cannot read", key, (unsigned long long)i);
    }
    a[i].ptr = s.ptr;
    a[i].len = (size_t)s.len;
  }
  *out = a;
  return SK_OK;
}

int tok_load_gguf(const gguf_file *f, tok_vocab **out, sk_err *err) {
  *out = NULL;
  char model[32], pre[64], name[256];
  if (!get_cstr(f, "tokenizer.ggml.model", model, sizeof model))
    return sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.model is missing: the file has no "
                                       "tokenizer");
  int has_pre = get_cstr(f, "tokenizer.ggml.pre", pre, sizeof pre);
  int has_name = get_cstr(f, "general.name", name, sizeof name);
  tok_spec s;
  tok_spec_init(&s);
  s.model = model;
  s.pre = has_pre ? pre : NULL;
  s.name = has_name ? name : NULL;

  tok_str *tokens = NULL, *merges = NULL;
  float *scores = NULL;
  int32_t *types = NULL;
  uint64_t n_tok = 0, n_merge = 0;
  int rc = str_array(f, "tokenizer.ggml.tokens", &tokens, &n_tok, err);
  if (!rc && !tokens) rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.tokens is missing");
  if (!rc && n_tok > TOK_MAX_VOCAB)
    rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.tokens has %llu entries (limit %u)",
                    (unsigned long long)n_tok, TOK_MAX_VOCAB);
  if (!rc) rc = str_array(f, "tokenizer.ggml.merges", &merges, &n_merge, err);
  if (!rc && n_merge > TOK_MAX_MERGES)
    rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.merges has %llu entries (limit %u)",
                    (unsigned long long)n_merge, TOK_MAX_MERGES);
  uint32_t et;
  uint64_t n;
  if (!rc && gguf_get_arr(f, "tokenizer.ggml.scores", &et, &n) == SK_OK) {
    if (n < n_tok) rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.scores has %llu entries for "
                                   "%llu tokens", (unsigned long long)n, (unsigned long long)n_tok);
    else if (et != GGUF_TYPE_FLOAT32 && et != GGUF_TYPE_INT32)
      rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.scores must be float32 or int32");
    else if (!(scores = sk_malloc(n_tok * sizeof *scores))) rc = SK_ENOMEM;
    else if ((rc = gguf_arr_copy_f32(f, "tokenizer.ggml.scores", scores, n_tok)))
      sk_err_set(err, rc, "tokenizer.ggml.scores: cannot read");
  }
  if (!rc && gguf_get_arr(f, "tokenizer.ggml.token_type", &et, &n) == SK_OK) {
    if (n < n_tok) rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.token_type has %llu entries "
                                   "for %llu tokens", (unsigned long long)n,
                                   (unsigned long long)n_tok);
    else if (et != GGUF_TYPE_INT32)
      rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.token_type must be int32");
    else if (!(types = sk_malloc(n_tok * sizeof *types))) rc = SK_ENOMEM;
    else if ((rc = gguf_arr_copy_i32(f, "tokenizer.ggml.token_type", types, n_tok)))
      sk_err_set(err, rc, "tokenizer.ggml.token_type: cannot read");
  }
  if (rc == SK_ENOMEM) sk_err_set(err, rc, "out of memory reading the vocabulary");
  if (!rc) {
    s.n_tokens = (uint32_t)n_tok;
    s.tokens = tokens;
    s.scores = scores;
    s.types = types;
    s.n_merges = (uint32_t)n_merge;
    s.merges = merges;
    get_id(f, "tokenizer.ggml.bos_token_id", &s.bos_id);
    get_id(f, "tokenizer.ggml.eos_token_id", &s.eos_id);
    get_id(f, "tokenizer.ggml.eot_token_id", &s.eot_id);
    get_id(f, "tokenizer.ggml.eom_token_id", &s.eom_id);
    get_id(f, "tokenizer.ggml.unknown_token_id", &s.unk_id);
    get_id(f, "tokenizer.ggml.seperator_token_id", &s.sep_id);
    get_id(f, "tokenizer.ggml.padding_token_id", &s.pad_id);
    get_flag(f, "tokenizer.ggml.add_bos_token", &s.add_bos);
    get_flag(f, "tokenizer.ggml.add_eos_token", &s.add_eos);
    get_flag(f, "tokenizer.ggml.add_space_prefix", &s.add_space_prefix);
    get_flag(f, "tokenizer.ggml.remove_extra_whitespaces", &s.remove_extra_ws);
    rc = tok_vocab_build(&s, out, err);
  }
  sk_free(tokens);
  sk_free(merges);
  sk_free(scores);
  sk_free(types);
  return rc;
}
