/* wpm.c — WordPiece (BERT), as llama.cpp's llm_tokenizer_wpm: normalise (lower-case, strip
 * accents via the first code point of NFD), split on white space and punctuation, then take the
 * longest vocabulary match from the left, with "▁" marking the start of each word. */
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

static int is_chinese(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int word(const tok_vocab *v, const char *w, size_t n, tok_ivec *out) {
  if (n == 0) return SK_OK;
  char *buf = sk_malloc(n + 3);
  if (!buf) return SK_ENOMEM;
  memcpy(buf, "\xE2\x96\x81", 3);
  memcpy(buf + 3, w, n);
  size_t len = n + 3, before = out->n;
  int rc = SK_OK;
  for (size_t i = 0; i < len && !rc; i++) {
    int match = 0;
    size_t j = len < i + v->max_token_len + 1 ? len : i + v->max_token_len + 1;
    for (; j > i; j--) {
      int32_t id = tok_lookup(v, buf + i, j - i);
      if (id >= 0) {
        rc = tok_ivec_push(out, id);
        match = 1;
        i = j - 1;
        break;
      }
    }
    if (!match) {
      out->n = before;
      break;
    }
  }
  if (!rc && out->n == before) rc = tok_ivec_push(out, v->unk);
  sk_free(buf);
  return rc;
}

int wpm_encode(const tok_vocab *v, const char *text, size_t len, tok_ivec *out) {
  char *w = sk_malloc(len * 4 + 4);
  if (!w) return SK_ENOMEM;
  size_t wn = 0;
  int rc = SK_OK;
  for (size_t off = 0; off < len && !rc;) {
    uint32_t cp;
    off += tok_utf8_next((const unsigned char *)text + off, len - off, &cp);
    if (v->strip_accents) cp = ucd_nfd_first(cp);
    uint8_t f = ucd_flags(cp);
    if (f & UCD_WHITESPACE) {
      rc = word(v, w, wn, out);
      wn = 0;
      continue;
    }
    if (cp == 0 || cp == 0xFFFD || (f & UCD_CONTROL)) continue;
    if (v->strip_accents && (f & UCD_MARK)) continue;
    if (v->lowercase) cp = ucd_tolower(cp);
    char u[4];
    size_t ul = tok_utf8_put(cp, u);
    if ((f & UCD_PUNCT) || (cp < 0x7F && (f & UCD_SYMBOL)) || is_chinese(cp)) {
      rc = word(v, w, wn, out);
      if (!rc) rc = word(v, u, ul, out);
      wn = 0;
    } else {
      memcpy(w + wn, u, ul);
      wn += ul;
    }
  }
  if (!rc) rc = word(v, w, wn, out);
  sk_free(w);
  return rc;
}
