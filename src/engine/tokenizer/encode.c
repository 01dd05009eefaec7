/* encode.c — llama_tokenize: split special tokens out of the text (tokenizer_st_partition),
 * then run the model's tokenizer on each text fragment, adding BOS/EOS as asked. */
#include <ctype.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

typedef struct frag {
  int32_t id; /* TOK_NULL for text */
  size_t off, len;
} frag;

typedef struct frags {
  frag *p;
  size_t n, cap;
} frags;

static int frags_push(frags *f, frag x) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 16;
    frag *p = sk_realloc(f->p, cap * sizeof *p);
    if (!p) return SK_ENOMEM;
    f->p = p;
    f->cap = cap;
  }
  f->p[f->n++] = x;
  return SK_OK;
}

static int considered(const tok_vocab *v, int32_t id, int parse_special) {
  /* without parse_special only user-defined tokens split the text (as Hugging Face does) */
  return parse_special || !(v->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN));
}

/* Marks which special tokens occur anywhere in text: one pass, looking only at bytes that
 * start some special token. Keeps the exact algorithm below proportional to the few tokens
 * that matter instead of the hundreds a vocabulary declares. */
static int occurring(const tok_vocab *v, const char *text, size_t len, int parse_special,
                     int32_t **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (!v->n_special) return SK_OK;
  uint8_t *seen = NULL;
  for (size_t i = 0; i < len; i++) {
    if (!v->special_first_byte[(unsigned char)text[i]]) continue;
    for (uint32_t k = 0; k < v->n_special; k++) {
      int32_t id = v->special[k];
      size_t tl;
      const char *t = tok_text_ptr(v, id, &tl);
      if (t[0] != text[i] || tl > len - i || memcmp(t, text + i, tl) != 0) continue;
      if (!considered(v, id, parse_special)) continue;
      if (!seen) {
        seen = sk_calloc(v->n_special, 1);
        if (!seen) return SK_ENOMEM;
      }
      seen[k] = 1;
    }
  }
  if (!seen) return SK_OK;
  size_t n = 0;
  for (uint32_t k = 0; k < v->n_special; k++) n += seen[k];
  int32_t *ids = sk_malloc(n * sizeof *ids);
  if (!ids) {
    sk_free(seen);
    return SK_ENOMEM;
  }
  n = 0;
  for (uint32_t k = 0; k < v->n_special; k++)
    if (seen[k]) ids[n++] = v->special[k]; /* keeps the cache order: longest first */
  sk_free(seen);
  *out = ids;
  *n_out = n;
  return SK_OK;
}

static const char *find(const char *h, size_t hn, const char *nd, size_t nn) {
  if (nn == 0 || nn > hn) return NULL;
  return memmem(h, hn, nd, nn);
}

/* tokenizer_st_partition: for each special token (longest first), split every text fragment
 * at each of its occurrences, left to right. */
static int partition(const tok_vocab *v, const char *text, size_t len, int parse_special,
                     frags *out) {
  int32_t *ids;
  size_t n_ids;
  out->n = 0;
  int rc = frags_push(out, (frag){TOK_NULL, 0, len});
  if (!rc) rc = occurring(v, text, len, parse_special, &ids, &n_ids);
  if (rc || !n_ids) return rc;
  frags next = {0};
  for (size_t k = 0; k < n_ids && !rc; k++) {
    int32_t id = ids[k];
    size_t tl;
    const char *t = tok_text_ptr(v, id, &tl);
    uint32_t a = v->attr[id];
    next.n = 0;
    for (size_t i = 0; i < out->n && !rc; i++) {
      frag f = out->p[i];
      if (f.id != TOK_NULL) {
        rc = frags_push(&next, f);
        continue;
      }
      size_t off = f.off, flen = f.len;
      for (;;) {
        const char *m = find(text + off, flen, t, tl);
        if (!m) {
          if (flen) rc = frags_push(&next, (frag){TOK_NULL, off, flen});
          break;
        }
        size_t mo = (size_t)(m - text);
        size_t left = mo - off;
        if (a & TOK_ATTR_LSTRIP)
          while (left > 0 && isspace((unsigned char)text[off + left - 1])) left--;
        if (left && !rc) rc = frags_push(&next, (frag){TOK_NULL, off, left});
        if (!rc) rc = frags_push(&next, (frag){id, 0, 0});
        size_t roff = mo + tl, rlen = off + flen - roff;
        if (a & TOK_ATTR_RSTRIP)
          while (rlen > 0 && isspace((unsigned char)text[roff])) roff++, rlen--;
        off = roff;
        flen = rlen;
        if (rc || !flen) break;
      }
    }
    frags t2 = *out;
    *out = next;
    next = t2;
  }
  sk_free(next.p);
  sk_free(ids);
  return rc;
}

/* SPM: " " -> "▁", with the optional leading space. */
static int spm_fragment(const tok_vocab *v, const char *s, size_t n, int prefix, tok_ivec *out) {
  size_t spaces = prefix ? 1 : 0;
  for (size_t i = 0; i < n; i++) spaces += s[i] == ' ';
  char *buf = sk_malloc(n + spaces * 2 + 1);
  if (!buf) return SK_ENOMEM;
  size_t o = 0;
  if (prefix) memcpy(buf, "\xE2\x96\x81", 3), o = 3;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ' ') memcpy(buf + o, "\xE2\x96\x81", 3), o += 3;
    else buf[o++] = s[i];
  }
  int rc = spm_encode(v, buf, o, out);
  sk_free(buf);
  return rc;
}

int tok_encode(const tok_vocab *v, const char *text, size_t len, int add_special,
               int parse_special, int32_t *out, size_t cap, size_t *n_out, sk_err *err) {
  *n_out = 0;
  if (len > TOK_MAX_INPUT_BYTES)
    return sk_err_set(err, SK_ELIMIT, "input of %zu bytes exceeds the tokenizer limit of %u",
                      len, TOK_MAX_INPUT_BYTES);
  if (!text && len) return sk_err_set(err, SK_EINVAL, "NULL text");
  frags fr = {0};
  tok_ivec iv = {0};
  int rc = SK_OK;
  if (len) rc = partition(v, text, len, parse_special, &fr);
  if (!rc && add_special && v->add_bos && v->model != TOK_MODEL_WPM) rc = tok_ivec_push(&iv, v->bos);
  if (!rc && add_special && v->model == TOK_MODEL_WPM) rc = tok_ivec_push(&iv, v->bos);
  int prev_special = 1;
  for (size_t i = 0; i < fr.n && !rc; i++) {
    const frag *f = &fr.p[i];
    if (f->id != TOK_NULL) {
      rc = tok_ivec_push(&iv, f->id);
      prev_special = 1;
      continue;
    }
    switch (v->model) {
    case TOK_MODEL_SPM:
      rc = spm_fragment(v, text + f->off, f->len, v->add_space_prefix && prev_special, &iv);
      break;
    case TOK_MODEL_BPE: rc = bpe_encode(v, text + f->off, f->len, &iv); break;
    case TOK_MODEL_WPM: rc = wpm_encode(v, text + f->off, f->len, &iv); break;
    }
    prev_special = 0;
  }
  if (!rc && add_special && v->add_eos && v->model != TOK_MODEL_WPM) rc = tok_ivec_push(&iv, v->eos);
  if (!rc && add_special && v->model == TOK_MODEL_WPM && v->sep >= 0) rc = tok_ivec_push(&iv, v->sep);
  sk_free(fr.p);
  if (rc) {
    tok_ivec_release(&iv);
    if (rc == SK_ELIMIT)
      return sk_err_set(err, rc, "tokenization exceeds %u tokens", (unsigned)TOK_MAX_TOKENS);
    return sk_err_set(err, rc, "out of memory while tokenizing %zu bytes", len);
  }
  *n_out = iv.n;
  size_t ncopy = iv.n < cap ? iv.n : cap;
  if (ncopy) memcpy(out, iv.p, ncopy * sizeof *out);
  tok_ivec_release(&iv);
  if (*n_out > cap) return sk_err_set(err, SK_ELIMIT, "%zu tokens do not fit in %zu", *n_out, cap);
  return SK_OK;
}
