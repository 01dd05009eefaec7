/* vocab.c — building a tok_vocab from tokenizer metadata, following llama.cpp's
 * llama_vocab::load: per-model defaults, special-token ids, the end-of-generation set, the
 * special-token cache used to split text, and the byte-fallback table. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

/* ---- hashing / index ---- */

uint64_t tok_hash(const void *p, size_t n, uint64_t h) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    h ^= s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

static int index_alloc(tok_index *ix, uint32_t n) {
  uint32_t cap = 16;
  while (cap < n * 2u) cap <<= 1; /* load factor ≤ 0.5 */
  ix->slots = sk_calloc(cap, sizeof *ix->slots);
  if (!ix->slots) return SK_ENOMEM;
  ix->mask = cap - 1;
  return SK_OK;
}

int32_t tok_lookup(const tok_vocab *v, const char *s, size_t n) {
  uint64_t h = mix(tok_hash(s, n, TOK_HASH_SEED));
  for (uint32_t i = (uint32_t)h & v->text_index.mask;; i = (i + 1) & v->text_index.mask) {
    uint32_t e = v->text_index.slots[i];
    if (!e) return TOK_NULL;
    int32_t id = (int32_t)(e - 1);
    size_t len;
    const char *t = tok_text_ptr(v, id, &len);
    if (len == n && memcmp(t, s, n) == 0) return id;
  }
}

int32_t tok_merge_rank(const tok_vocab *v, const char *l, size_t nl, const char *r, size_t nr) {
  if (!v->n_merges) return -1;
  uint64_t h = tok_hash(l, nl, TOK_HASH_SEED);
  h = tok_hash(" ", 1, h);
  h = mix(tok_hash(r, nr, h));
  for (uint32_t i = (uint32_t)h & v->merge_index.mask;; i = (i + 1) & v->merge_index.mask) {
    uint32_t e = v->merge_index.slots[i];
    if (!e) return -1;
    uint32_t m = e - 1;
    const char *ms = v->merge_blob + v->merge_off[m];
    size_t mlen = v->merge_off[m + 1] - v->merge_off[m] - 1;
    size_t sp = v->merge_split[m];
    if (sp == nl && mlen == nl + 1 + nr && memcmp(ms, l, nl) == 0 && memcmp(ms + sp + 1, r, nr) == 0)
      return (int32_t)m;
  }
}

/* ---- small vector ---- */

int tok_ivec_push(tok_ivec *v, int32_t x) {
  if (v->n == v->cap) {
    if (v->n >= TOK_MAX_TOKENS) return SK_ELIMIT;
    size_t cap = v->cap ? v->cap * 2 : 256;
    int32_t *p = sk_realloc(v->p, cap * sizeof *p);
    if (!p) return SK_ENOMEM;
    v->p = p;
    v->cap = cap;
  }
  v->p[v->n++] = x;
  return SK_OK;
}

void tok_ivec_release(tok_ivec *v) {
  sk_free(v->p);
  v->p = NULL;
  v->n = v->cap = 0;
}

/* ---- spec ---- */

void tok_spec_init(tok_spec *s) {
  memset(s, 0, sizeof *s);
  s->bos_id = s->eos_id = s->eot_id = s->eom_id = s->unk_id = s->sep_id = s->pad_id =
      TOK_ID_DEFAULT;
  s->add_bos = s->add_eos = s->add_space_prefix = s->remove_extra_ws = -1;
}

void tok_free(tok_vocab *v) {
  if (!v) return;
  sk_free(v->text_blob);
  sk_free(v->text_off);
  sk_free(v->scores);
  sk_free(v->attr);
  sk_free(v->text_index.slots);
  sk_free(v->merge_blob);
  sk_free(v->merge_off);
  sk_free(v->merge_split);
  sk_free(v->merge_index.slots);
  sk_free(v->pair_slots);
  sk_free(v->merge_result);
  sk_free(v->piece_blob);
  sk_free(v->piece_off);
  sk_free(v->special);
  sk_free(v->eog);
  sk_free(v);
}

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }
static int in_list(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(s, *list) == 0) return 1;
  return 0;
}

/* Pre-tokenizer names (llama.cpp's table, for the ones whose regexes we implement). */
static int map_pre(tok_vocab *v, const char *pre, sk_err *err) {
  static const char *const llama3[] = {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1",
                                       "pixtral", "midm-2.0", "lfm2", "jina-v5-nano", NULL};
  static const char *const gpt2[] = {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat",
                                     "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                                     "modern-bert", "mpt", "olmo", "jais", "exaone4", NULL};
  static const char *const qwen2[] = {"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2",
                                      "stablelm2", "megrez", NULL};
  static const char *const star[] = {"starcoder", "refact", "command-r", "smollm", "codeshell",
                                     "exaone", "minerva-7b", "mellum2", NULL};
  v->clean_spaces = 1;
  if (!pre || !*pre || strcmp(pre, "default") == 0) {
    v->pre = TOK_PRE_DEFAULT;
  } else if (in_list(pre, llama3)) {
    v->pre = TOK_PRE_LLAMA3;
    v->ignore_merges = 1;
    v->add_bos = 1;
  } else if (in_list(pre, qwen2)) {
    v->pre = TOK_PRE_QWEN2;
    if (strcmp(pre, "stablelm2") && strcmp(pre, "megrez")) v->clean_spaces = 0;
  } else if (in_list(pre, gpt2)) {
    v->pre = TOK_PRE_GPT2;
  } else if (in_list(pre, star)) {
    v->pre = TOK_PRE_STARCODER;
    if (streq(pre, "command-r") || streq(pre, "smollm")) v->clean_spaces = 0;
  } else if (strcmp(pre, "falcon") == 0) {
    v->pre = TOK_PRE_FALCON;
  } else if (strcmp(pre, "deepseek-llm") == 0) {
    v->pre = TOK_PRE_DEEPSEEK_LLM;
    v->clean_spaces = 0;
  } else if (strcmp(pre, "deepseek-coder") == 0) {
    v->pre = TOK_PRE_DEEPSEEK_CODER;
    v->clean_spaces = 0;
  } else {
    return sk_err_set(err, SK_ENOTSUP,
                      "tokenizer.ggml.pre '%s' is not supported (supported: llama-bpe, qwen2, "
                      "gpt-2, mpt, starcoder, refact, falcon, deepseek-llm, deepseek-coder, "
                      "default)",
                      pre);
  }
  snprintf(v->pre_name, sizeof v->pre_name, "%s", (pre && *pre) ? pre : "default");
  return SK_OK;
}

static int copy_tokens(tok_vocab *v, const tok_spec *s, sk_err *err) {
  size_t total = 0;
  char empty[32];
  for (uint32_t i = 0; i < s->n_tokens; i++) {
    size_t len = s->tokens[i].len;
    if (len > TOK_MAX_TOKEN_BYTES)
      return sk_err_set(err, SK_EFORMAT, "token %u is %zu bytes long (limit %u)", i, len,
                        TOK_MAX_TOKEN_BYTES);
    if (len == 0) len = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%u]", i);
    total += len + 1;
  }
  if (total > UINT32_MAX) return sk_err_set(err, SK_EFORMAT, "token texts exceed 4 GiB");
  v->text_blob = sk_malloc(total ? total : 1);
  v->text_off = sk_malloc(((size_t)s->n_tokens + 1) * sizeof *v->text_off);
  v->scores = sk_calloc(s->n_tokens ? s->n_tokens : 1, sizeof *v->scores);
  v->attr = sk_calloc(s->n_tokens ? s->n_tokens : 1, sizeof *v->attr);
  if (!v->text_blob || !v->text_off || !v->scores || !v->attr) return SK_ENOMEM;
  size_t off = 0;
  for (uint32_t i = 0; i < s->n_tokens; i++) {
    const char *p = s->tokens[i].ptr;
    size_t len = s->tokens[i].len;
    if (len == 0) {
      len = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%u]", i);
      p = empty;
    }
    v->text_off[i] = (uint32_t)off;
    memcpy(v->text_blob + off, p, len);
    v->text_blob[off + len] = '\0';
    off += len + 1;
    if (len > v->max_token_len) v->max_token_len = len;
    v->scores[i] = s->scores ? s->scores[i] : 0.0f;
    uint32_t a = TOK_ATTR_NORMAL;
    if (s->types) {
      switch (s->types[i]) {
      case TOK_TYPE_UNKNOWN: a = TOK_ATTR_UNKNOWN; break;
      case TOK_TYPE_UNUSED: a = TOK_ATTR_UNUSED; break;
      case TOK_TYPE_NORMAL: a = TOK_ATTR_NORMAL; break;
      case TOK_TYPE_CONTROL: a = TOK_ATTR_CONTROL; break;
      case TOK_TYPE_USER_DEFINED: a = TOK_ATTR_USER_DEFINED; break;
      case TOK_TYPE_BYTE: a = TOK_ATTR_BYTE; break;
      default: a = 0; break; /* undefined */
      }
    }
    v->attr[i] = a;
  }
  v->text_off[s->n_tokens] = (uint32_t)off;
  v->n_tokens = s->n_tokens;

  int rc = index_alloc(&v->text_index, v->n_tokens);
  if (rc) return rc;
  for (uint32_t i = 0; i < v->n_tokens; i++) {
    size_t len;
    const char *t = tok_text_ptr(v, (int32_t)i, &len);
    uint64_t h = mix(tok_hash(t, len, TOK_HASH_SEED));
    uint32_t j = (uint32_t)h & v->text_index.mask;
    for (;; j = (j + 1) & v->text_index.mask) {
      uint32_t e = v->text_index.slots[j];
      if (!e) break;
      size_t l2;
      const char *t2 = tok_text_ptr(v, (int32_t)(e - 1), &l2);
      if (l2 == len && memcmp(t2, t, len) == 0)
        return sk_err_set(err, SK_EFORMAT, "duplicate token in vocabulary: ids %u and %u",
                          e - 1, i);
    }
    v->text_index.slots[j] = i + 1;
  }
  return SK_OK;
}

static int copy_merges(tok_vocab *v, const tok_spec *s, sk_err *err) {
  if (s->n_merges > TOK_MAX_MERGES)
    return sk_err_set(err, SK_EFORMAT, "%u merges (limit %u)", s->n_merges, TOK_MAX_MERGES);
  size_t total = 0;
  for (uint32_t i = 0; i < s->n_merges; i++) {
    if (s->merges[i].len > TOK_MAX_TOKEN_BYTES * 2u)
      return sk_err_set(err, SK_EFORMAT, "merge %u is %zu bytes long", i, s->merges[i].len);
    total += s->merges[i].len + 1;
  }
  if (total > UINT32_MAX) return sk_err_set(err, SK_EFORMAT, "merges exceed 4 GiB");
  v->merge_blob = sk_malloc(total ? total : 1);
  v->merge_off = sk_malloc(((size_t)s->n_merges + 1) * sizeof *v->merge_off);
  v->merge_split = sk_malloc((s->n_merges ? s->n_merges : 1) * sizeof *v->merge_split);
  if (!v->merge_blob || !v->merge_off || !v->merge_split) return SK_ENOMEM;
  int rc = index_alloc(&v->merge_index, s->n_merges);
  if (rc) return rc;
  size_t off = 0;
  for (uint32_t i = 0; i < s->n_merges; i++) {
    const char *p = s->merges[i].ptr;
    size_t len = s->merges[i].len;
    v->merge_off[i] = (uint32_t)off;
    memcpy(v->merge_blob + off, p, len);
    v->merge_blob[off + len] = '\0';
    off += len + 1;
    /* llama.cpp splits at the first space from position 1; a merge without one can never
     * match (its pair is ("", "")) */
    const char *sp = len > 1 ? memchr(p + 1, ' ', len - 1) : NULL;
    if (!sp) {
      v->merge_split[i] = UINT32_MAX;
      continue;
    }
    size_t nl = (size_t)(sp - p);
    v->merge_split[i] = (uint32_t)nl;
    v->n_merges = i + 1; /* makes tok_merge_rank see merges [0, i] while inserting */
    if (tok_merge_rank(v, p, nl, sp + 1, len - nl - 1) >= 0) continue; /* first rank wins */
    uint64_t h = tok_hash(p, nl, TOK_HASH_SEED);
    h = tok_hash(" ", 1, h);
    h = mix(tok_hash(sp + 1, len - nl - 1, h));
    uint32_t j = (uint32_t)h & v->merge_index.mask;
    while (v->merge_index.slots[j]) j = (j + 1) & v->merge_index.mask;
    v->merge_index.slots[j] = i + 1;
  }
  v->merge_off[s->n_merges] = (uint32_t)off;
  v->n_merges = s->n_merges;
  return SK_OK;
}

/* Indexes the merges whose two sides are tokens by id pair (needs the text index). */
static int index_pairs(tok_vocab *v) {
  uint32_t cap = 16;
  while (cap < v->n_merges + v->n_merges / 2) cap <<= 1; /* load factor ≤ 2/3 */
  v->pair_slots = sk_calloc(cap, sizeof *v->pair_slots);
  v->merge_result = sk_malloc((v->n_merges ? v->n_merges : 1) * sizeof *v->merge_result);
  if (!v->pair_slots || !v->merge_result) return SK_ENOMEM;
  v->pair_mask = cap - 1;
  char *buf = sk_malloc(2 * TOK_MAX_TOKEN_BYTES + 2);
  if (!buf) return SK_ENOMEM;
  for (uint32_t m = 0; m < v->n_merges; m++) {
    v->merge_result[m] = TOK_NULL;
    if (v->merge_split[m] == UINT32_MAX) continue;
    const char *ms = v->merge_blob + v->merge_off[m];
    size_t mlen = v->merge_off[m + 1] - v->merge_off[m] - 1, nl = v->merge_split[m];
    if (tok_merge_rank(v, ms, nl, ms + nl + 1, mlen - nl - 1) != (int32_t)m) continue; /* dup */
    int32_t l = tok_lookup(v, ms, nl), r = tok_lookup(v, ms + nl + 1, mlen - nl - 1);
    if (l < 0 || r < 0) continue; /* only the string index can match it */
    /* the merged text, to know the id of the new symbol */
    memcpy(buf, ms, nl);
    memcpy(buf + nl, ms + nl + 1, mlen - nl - 1);
    v->merge_result[m] = tok_lookup(v, buf, mlen - 1);
    uint64_t key = ((uint64_t)(uint32_t)l << 21) | (uint32_t)r;
    uint32_t i = (uint32_t)tok_pair_hash(key) & v->pair_mask;
    while (v->pair_slots[i]) i = (i + 1) & v->pair_mask;
    v->pair_slots[i] = (key << 22) | (uint64_t)(m + 1);
  }
  sk_free(buf);
  return SK_OK;
}

static void set_id(tok_vocab *v, int32_t *dst, int32_t given) {
  if (*dst >= 0 && (uint32_t)*dst >= v->n_tokens) *dst = TOK_NULL; /* default out of range */
  if (given == TOK_ID_DEFAULT) return;
  if (given >= 0 && (uint32_t)given < v->n_tokens) *dst = given;
  /* llama.cpp keeps the default for an out-of-range id */
}

static int32_t find_c(const tok_vocab *v, const char *s) { return tok_lookup(v, s, strlen(s)); }

/* Finds the first text of list present in the vocabulary (llama.cpp walks a hash map, so its
 * choice among several candidates is arbitrary; we take list order) and forces it to control. */
static int32_t detect(tok_vocab *v, const char *const *list) {
  for (; *list; list++) {
    int32_t id = find_c(v, *list);
    if (id >= 0) {
      v->attr[id] |= TOK_ATTR_CONTROL;
      return id;
    }
  }
  return TOK_NULL;
}

static int add_eog(tok_vocab *v, int32_t id) {
  if (id < 0) return SK_OK;
  for (uint32_t i = 0; i < v->n_eog; i++)
    if (v->eog[i] == id) return SK_OK;
  int32_t *p = sk_realloc(v->eog, (v->n_eog + 1) * sizeof *p);
  if (!p) return SK_ENOMEM;
  v->eog = p;
  v->eog[v->n_eog++] = id;
  return SK_OK;
}

static void remove_eog(tok_vocab *v, int32_t id) {
  for (uint32_t i = 0; i < v->n_eog; i++)
    if (v->eog[i] == id) v->eog[i] = v->eog[--v->n_eog];
}

static int special_tokens(tok_vocab *v, const tok_spec *s, sk_err *err) {
  static const char *const eot_list[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                         "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
                                         "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
                                         NULL};
  static const char *const eom_list[] = {"<|eom_id|>", NULL};
  static const char *const fim_pre[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                                        "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>",
                                        "<|prefix|>", NULL};
  static const char *const fim_suf[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                                        "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>",
                                        "<|suffix|>", NULL};
  static const char *const fim_mid[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                                        "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>",
                                        "<|middle|>", NULL};
  static const char *const fim_pad[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                        "[PAD]", NULL};
  static const char *const fim_rep[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                        "<reponame>", NULL};
  static const char *const fim_sep[] = {"<|file_sep|>", NULL};
  static const char *const eog_list[] = {
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
      "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]",
      "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
      "<｜end▁of▁sentence｜>", "[e~[", NULL};

  set_id(v, &v->bos, s->bos_id);
  set_id(v, &v->eos, s->eos_id);
  set_id(v, &v->eot, s->eot_id);
  set_id(v, &v->eom, s->eom_id);
  set_id(v, &v->unk, s->unk_id);
  set_id(v, &v->sep, s->sep_id);
  set_id(v, &v->pad, s->pad_id);
  if (s->add_bos >= 0) v->add_bos = s->add_bos;
  if (s->add_eos >= 0) v->add_eos = s->add_eos;
  if (v->add_bos && v->bos < 0)
    return sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.add_bos_token is true, but "
                                       "tokenizer.ggml.bos_token_id is not set");
  if (v->add_eos && v->eos < 0)
    return sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.add_eos_token is true, but "
                                       "tokenizer.ggml.eos_token_id is not set");

  if (v->eot < 0) v->eot = detect(v, eot_list);
  if (v->eom < 0) v->eom = detect(v, eom_list);
  int32_t pad = detect(v, fim_pad), rep = detect(v, fim_rep), sepf = detect(v, fim_sep);
  (void)detect(v, fim_pre);
  (void)detect(v, fim_suf);
  (void)detect(v, fim_mid);

  /* "unused" control tokens */
  for (uint32_t i = 0; i < v->n_tokens; i++) {
    if (!(v->attr[i] & TOK_ATTR_CONTROL)) continue;
    size_t len;
    const char *t = tok_text_ptr(v, (int32_t)i, &len);
    if (strstr(t, "unused")) v->attr[i] |= TOK_ATTR_UNUSED;
  }

  int rc = add_eog(v, pad);
  if (!rc) rc = add_eog(v, rep);
  if (!rc) rc = add_eog(v, sepf);
  for (const char *const *e = eog_list; *e && !rc; e++) {
    int32_t id = find_c(v, *e);
    if (id < 0) continue;
    v->attr[id] |= TOK_ATTR_CONTROL;
    rc = add_eog(v, id);
  }
  /* gpt-oss: always rendered */
  static const char *const render[] = {"<|channel|>", "<|message|>", "<|start|>",
                                       "<|constrain|>", NULL};
  for (const char *const *e = render; *e; e++) {
    int32_t id = find_c(v, *e);
    if (id >= 0) v->attr[id] = TOK_ATTR_USER_DEFINED;
  }
  if (!rc) rc = add_eog(v, v->eos);
  if (!rc) rc = add_eog(v, v->eot);
  if (!rc) rc = add_eog(v, v->eom);
  if (rc) return rc;
  /* o200k_harmony / solar-open: <|end|> is not end-of-generation there */
  int32_t r = find_c(v, "<|return|>"), c = find_c(v, "<|call|>"), cs = find_c(v, "<|calls|>"),
          fl = find_c(v, "<|flush|>"), end = find_c(v, "<|end|>");
  if (end >= 0 && ((r >= 0 && c >= 0) || (cs >= 0 && fl >= 0))) {
    remove_eog(v, end);
    v->attr[end] = TOK_ATTR_USER_DEFINED;
  }
  int32_t tr = find_c(v, "<|tool_response>"), es = find_c(v, "</s>");
  if (tr >= 0 && es >= 0) {
    remove_eog(v, es);
    v->attr[es] = TOK_ATTR_NORMAL;
  }
  return SK_OK;
}

static const tok_vocab *g_sort_vocab; /* qsort has no context argument; set under no lock but
                                         only read during the sort below */
static int cmp_special(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  size_t lx = g_sort_vocab->text_off[x + 1] - g_sort_vocab->text_off[x];
  size_t ly = g_sort_vocab->text_off[y + 1] - g_sort_vocab->text_off[y];
  if (lx != ly) return lx > ly ? -1 : 1;
  return x < y ? -1 : (x > y);
}

static int special_cache(tok_vocab *v) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < v->n_tokens; i++)
    if (v->attr[i] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN)) n++;
  v->special = sk_malloc((n ? n : 1) * sizeof *v->special);
  if (!v->special) return SK_ENOMEM;
  n = 0;
  for (uint32_t i = 0; i < v->n_tokens; i++)
    if (v->attr[i] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN))
      v->special[n++] = (int32_t)i;
  v->n_special = n;
  /* insertion-free, stable ordering: length desc, then id (llama.cpp's std::sort leaves equal
   * lengths in an unspecified order) */
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&mu);
  g_sort_vocab = v;
  qsort(v->special, n, sizeof *v->special, cmp_special);
  g_sort_vocab = NULL;
  pthread_mutex_unlock(&mu);
  for (uint32_t i = 0; i < n; i++)
    v->special_first_byte[(unsigned char)v->text_blob[v->text_off[v->special[i]]]] = 1;
  return SK_OK;
}

static void byte_tokens(tok_vocab *v) {
  static const char hex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; b++) {
    int32_t id = TOK_NULL;
    if (v->model == TOK_MODEL_SPM) {
      char buf[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
      id = tok_lookup(v, buf, 6);
      if (id < 0) {
        char c = (char)b;
        id = tok_lookup(v, &c, 1);
      }
    } else if (v->model == TOK_MODEL_BPE) {
      id = tok_lookup(v, tok_byte_enc[b], tok_byte_enc_len[b]);
    }
    v->byte_token[b] = id;
  }
}

int tok_vocab_build(const tok_spec *s, tok_vocab **out, sk_err *err) {
  *out = NULL;
  if (!s || !s->model) return sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.model is missing");
  if (s->n_tokens == 0 || !s->tokens)
    return sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.tokens is missing or empty");
  if (s->n_tokens > TOK_MAX_VOCAB)
    return sk_err_set(err, SK_EFORMAT, "%u tokens (limit %u)", s->n_tokens, TOK_MAX_VOCAB);
  tok_vocab *v = sk_calloc(1, sizeof *v);
  if (!v) return sk_err_set(err, SK_ENOMEM, "out of memory loading the vocabulary");
  v->eot = v->eom = v->sep = v->pad = TOK_NULL;
  v->escape_ws = 1;
  int rc = SK_OK;
  if (strcmp(s->model, "llama") == 0) {
    v->model = TOK_MODEL_SPM;
    v->bos = 1, v->eos = 2, v->unk = 0;
    v->add_space_prefix = 1, v->add_bos = 1;
    snprintf(v->pre_name, sizeof v->pre_name, "default");
  } else if (strcmp(s->model, "gpt2") == 0) {
    v->model = TOK_MODEL_BPE;
    v->bos = 11, v->eos = 11, v->unk = TOK_NULL;
    v->escape_ws = 0;
    rc = map_pre(v, s->pre, err);
  } else if (strcmp(s->model, "bert") == 0) {
    v->model = TOK_MODEL_WPM;
    v->bos = 101, v->eos = TOK_NULL, v->unk = 100, v->sep = 102, v->pad = 0;
    v->add_bos = 1, v->add_sep = 1, v->clean_spaces = 1;
    snprintf(v->pre_name, sizeof v->pre_name, "default");
  } else {
    rc = sk_err_set(err, SK_ENOTSUP,
                    "tokenizer.ggml.model '%s' is not supported (supported: llama, gpt2, bert)",
                    s->model);
  }
  if (!rc && s->add_space_prefix >= 0) v->add_space_prefix = s->add_space_prefix;
  if (!rc && s->remove_extra_ws >= 0) v->remove_extra_ws = s->remove_extra_ws;
  if (!rc) rc = copy_tokens(v, s, err);
  if (!rc && v->model == TOK_MODEL_BPE) {
    if (!s->merges || s->n_merges == 0)
      rc = sk_err_set(err, SK_EFORMAT, "tokenizer.ggml.merges is missing (a gpt2 tokenizer "
                                       "needs it)");
    else rc = copy_merges(v, s, err);
    if (!rc) rc = index_pairs(v);
  }
  if (!rc) rc = special_tokens(v, s, err);
  if (!rc) rc = special_cache(v);
  if (!rc) {
    byte_tokens(v);
    if (v->model == TOK_MODEL_WPM) {
      v->lowercase = 1; /* BertNormalizer defaults as llama.cpp (lowercase, strip accents) */
      v->strip_accents = 1;
    }
    rc = tok_build_pieces(v);
  }
  if (!rc) {
    /* phi-3: special tokens strip white space on their right (llama.cpp keys this on the name) */
    if (s->name && (strstr(s->name, "phi-3") || strstr(s->name, "phi3") ||
                    strstr(s->name, "Phi-3") || strstr(s->name, "Phi3"))) {
      for (uint32_t i = 0; i < v->n_special; i++) v->attr[v->special[i]] |= TOK_ATTR_RSTRIP;
      int32_t id = find_c(v, "</s>");
      if (id >= 0) v->attr[id] |= TOK_ATTR_RSTRIP;
      static const char *const no[] = {"<unk>", "<s>", "<|endoftext|>", NULL};
      for (const char *const *e = no; *e; e++) {
        id = find_c(v, *e);
        if (id >= 0) v->attr[id] &= ~(uint32_t)TOK_ATTR_RSTRIP;
      }
    }
    /* newline token */
    if (v->model == TOK_MODEL_SPM) {
      v->nl = v->byte_token['\n'] >= 0 ? v->byte_token['\n'] : v->pad;
    } else if (v->model == TOK_MODEL_WPM) {
      v->nl = v->pad;
    } else {
      tok_ivec iv = {0};
      rc = bpe_encode(v, "\n", 1, &iv);
      v->nl = (rc == SK_OK && iv.n) ? iv.p[0] : v->pad;
      tok_ivec_release(&iv);
      if (rc) sk_err_set(err, rc, "out of memory loading the vocabulary");
    }
  }
  if (rc) {
    if (rc == SK_ENOMEM && (!err || err->code != SK_ENOMEM))
      sk_err_set(err, SK_ENOMEM, "out of memory loading the vocabulary");
    tok_free(v);
    return rc;
  }
  *out = v;
  return SK_OK;
}

/* ---- accessors ---- */
static int valid(const tok_vocab *v, int32_t id) { return id >= 0 && (uint32_t)id < v->n_tokens; }
tok_model tok_vocab_model(const tok_vocab *v) { return v->model; }
const char *tok_vocab_pre(const tok_vocab *v) { return v->pre_name; }
uint32_t tok_n_vocab(const tok_vocab *v) { return v->n_tokens; }
int32_t tok_bos(const tok_vocab *v) { return v->bos; }
int32_t tok_eos(const tok_vocab *v) { return v->eos; }
int32_t tok_eot(const tok_vocab *v) { return v->eot; }
int32_t tok_unk(const tok_vocab *v) { return v->unk; }
int32_t tok_nl(const tok_vocab *v) { return v->nl; }
int tok_add_bos(const tok_vocab *v) { return v->add_bos; }
int tok_add_eos(const tok_vocab *v) { return v->add_eos; }
int tok_is_eog(const tok_vocab *v, int32_t id) {
  if (id < 0) return 0;
  for (uint32_t i = 0; i < v->n_eog; i++)
    if (v->eog[i] == id) return 1;
  return 0;
}
int tok_is_control(const tok_vocab *v, int32_t id) {
  return valid(v, id) && (v->attr[id] & TOK_ATTR_CONTROL);
}
uint32_t tok_attr(const tok_vocab *v, int32_t id) { return valid(v, id) ? v->attr[id] : 0; }
const char *tok_text(const tok_vocab *v, int32_t id, size_t *len) {
  if (!valid(v, id)) {
    *len = 0;
    return NULL;
  }
  return tok_text_ptr(v, id, len);
}
float tok_score(const tok_vocab *v, int32_t id) { return valid(v, id) ? v->scores[id] : 0.0f; }
int32_t tok_find(const tok_vocab *v, const char *text, size_t len) {
  return tok_lookup(v, text, len);
}
