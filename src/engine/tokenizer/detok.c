/* detok.c — from ids back to text: the per-token piece cache (llama.cpp's token_to_piece with
 * special = true), llama_detokenize, and a streaming detokenizer that never emits a broken
 * UTF-8 sequence. */
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "engine/tokenizer/tok_impl.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "<0xXX>" -> XX (llama.cpp reads two hex digits at offset 3 with strtol) */
static unsigned char token_byte(const char *t, size_t len) {
  int v = 0;
  for (size_t i = 3; i < 5 && i < len; i++) {
    int h = hexval(t[i]);
    if (h < 0) break;
    v = v * 16 + h;
  }
  return (unsigned char)v;
}

/* Appends the piece of id to b (a plain growable char array). */
static int piece_of(const tok_vocab *v, int32_t id, sk_buf *b) {
  size_t len;
  const char *t = tok_text_ptr(v, id, &len);
  uint32_t a = v->attr[id];
  if (a & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED))
    return sk_buf_append(b, t, len);
  if (a & TOK_ATTR_NORMAL) {
    if (v->model != TOK_MODEL_BPE || v->escape_ws) { /* "▁" -> " " */
      for (size_t i = 0; i < len;) {
        int rc;
        if (i + 3 <= len && memcmp(t + i, "\xE2\x96\x81", 3) == 0) {
          rc = sk_buf_append_byte(b, ' ');
          i += 3;
        } else {
          rc = sk_buf_append_byte(b, t[i]);
          i++;
        }
        if (rc) return rc;
      }
      return SK_OK;
    }
    for (size_t i = 0; i < len;) { /* GPT-2 byte map back to bytes */
      uint32_t cp;
      size_t l = tok_utf8_next((const unsigned char *)t + i, len - i, &cp);
      int byte = tok_byte_dec(cp), rc;
      if (byte >= 0) {
        rc = sk_buf_append_byte(b, (char)byte);
      } else { /* as llama.cpp: "[UNK_BYTE_0x<utf8 hex><token text>]" */
        char u[4];
        size_t ul = tok_utf8_put(cp, u);
        rc = sk_buf_append_str(b, "[UNK_BYTE_0x");
        for (size_t k = 0; k < ul && !rc; k++) rc = sk_buf_printf(b, "%02x", (unsigned char)u[k]);
        if (!rc) rc = sk_buf_append(b, t, len);
        if (!rc) rc = sk_buf_append_byte(b, ']');
      }
      if (rc) return rc;
      i += l;
    }
    return SK_OK;
  }
  if (a & TOK_ATTR_BYTE) return sk_buf_append_byte(b, (char)token_byte(t, len));
  return SK_OK;
}

int tok_build_pieces(tok_vocab *v) {
  sk_buf b;
  sk_buf_init(&b, (size_t)UINT32_MAX - 1);
  v->piece_off = sk_malloc(((size_t)v->n_tokens + 1) * sizeof *v->piece_off);
  if (!v->piece_off) return SK_ENOMEM;
  int rc = SK_OK;
  for (uint32_t i = 0; i < v->n_tokens && !rc; i++) {
    v->piece_off[i] = (uint32_t)b.len;
    rc = piece_of(v, (int32_t)i, &b);
  }
  if (rc) {
    sk_buf_release(&b);
    return rc;
  }
  v->piece_off[v->n_tokens] = (uint32_t)b.len;
  v->piece_blob = b.data ? b.data : sk_malloc(1);
  if (!v->piece_blob) return SK_ENOMEM;
  return SK_OK;
}

const char *tok_piece(const tok_vocab *v, int32_t id, int render_special, size_t *len) {
  *len = 0;
  if (id < 0 || (uint32_t)id >= v->n_tokens) return NULL;
  if (!render_special && (v->attr[id] & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL))) return "";
  *len = v->piece_off[id + 1] - v->piece_off[id];
  return v->piece_blob + v->piece_off[id];
}

int tok_detokenize(const tok_vocab *v, const int32_t *ids, size_t n, int remove_special,
                   int render_special, sk_buf *out) {
  int remove_space = v->add_space_prefix;
  if (remove_special && v->add_bos && n > 0 && ids[0] == v->bos) {
    remove_space = 0;
    n--;
    ids++;
  }
  if (remove_special && v->add_eos && n > 0 && ids[n - 1] == v->eos) n--;
  size_t start = out->len;
  for (size_t i = 0; i < n; i++) {
    size_t len;
    const char *p = tok_piece(v, ids[i], render_special, &len);
    if (!p) return SK_EINVAL;
    if (remove_space && len && p[0] == ' ') p++, len--;
    remove_space = 0;
    int rc = sk_buf_append(out, p, len);
    if (rc) return rc;
  }
  if (v->clean_spaces && out->len > start) { /* llama.cpp's three clean-up passes */
    char *t = out->data + start;
    size_t total = out->len - start, i, w;
    /* " ?", " !", " .", " ," -> drop the space */
    for (i = 1, w = 1; i < total; i++) {
      char x = t[i];
      if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) w--;
      t[w++] = x;
    }
    total = w;
    /* " ' " -> "'" */
    for (i = 1, w = total ? 1 : 0; i < total; i++) {
      char x = t[i];
      if (x == '\'' && i + 1 < total && t[i - 1] == ' ' && t[i + 1] == ' ') {
        w--;
        t[++i] = '\0';
      }
      t[w++] = x;
    }
    total = w;
    /* " 's", " 'm", " 're", " 've" -> drop the space */
    for (i = 1, w = total ? 1 : 0; i < total; i++) {
      char x = t[i];
      if (t[i - 1] == ' ' && x == '\'' && i + 1 < total) {
        char x1 = t[i + 1];
        if (x1 == 's' || x1 == 'm') w--;
        else if (i + 2 < total && ((x1 == 'r' && t[i + 2] == 'e') || (x1 == 'v' && t[i + 2] == 'e')))
          w--;
      }
      t[w++] = x;
    }
    out->len = start + w;
    out->data[out->len] = '\0';
  }
  return SK_OK;
}

/* ---- streaming ---- */

void tok_stream_init(tok_stream *s, const tok_vocab *v, int render_special) {
  memset(s, 0, sizeof *s);
  s->v = v;
  s->render_special = render_special;
}

/* 1 when b[0..n) (n ≥ 1) can still be completed into a valid UTF-8 character */
static int valid_prefix(const unsigned char *b, size_t n) {
  size_t want = sk_utf8_seq_len(b[0]);
  if (want < 2 || n >= want) return 0;
  for (size_t i = 1; i < n; i++) {
    unsigned char c = b[i];
    unsigned char lo = 0x80, hi = 0xBF;
    if (i == 1) {
      if (b[0] == 0xE0) lo = 0xA0;
      else if (b[0] == 0xED) hi = 0x9F;
      else if (b[0] == 0xF0) lo = 0x90;
      else if (b[0] == 0xF4) hi = 0x8F;
    }
    if (c < lo || c > hi) return 0;
  }
  return 1;
}

static const char k_repl[] = "\xEF\xBF\xBD";

int tok_stream_push(tok_stream *s, int32_t id, sk_buf *out) {
  size_t len;
  const unsigned char *p = (const unsigned char *)tok_piece(s->v, id, s->render_special, &len);
  if (!p) return SK_EINVAL;
  if (s->lstrip_first) {
    if (len && p[0] == ' ') p++, len--;
    s->lstrip_first = 0;
  }
  int rc = SK_OK;
  size_t i = 0;
  while (i < len && !rc) {
    if (s->n_held) {
      s->held[s->n_held] = p[i];
      if (valid_prefix(s->held, s->n_held + 1)) {
        s->n_held++;
        i++;
        continue;
      }
      uint32_t cp;
      if (sk_utf8_decode((const char *)s->held, s->n_held + 1, &cp) == s->n_held + 1) {
        rc = sk_buf_append(out, s->held, s->n_held + 1); /* completed */
        i++;
      } else {
        rc = sk_buf_append(out, k_repl, 3); /* broken sequence; reread this byte */
      }
      s->n_held = 0;
      continue;
    }
    uint32_t cp;
    size_t l = sk_utf8_decode((const char *)p + i, len - i, &cp);
    if (l) {
      size_t j = i + l; /* copy a run of valid characters at once */
      while (j < len && (l = sk_utf8_decode((const char *)p + j, len - j, &cp))) j += l;
      rc = sk_buf_append(out, p + i, j - i);
      i = j;
    } else if (valid_prefix(p + i, len - i)) { /* the rest starts a character: hold it */
      memcpy(s->held, p + i, len - i);
      s->n_held = len - i;
      i = len;
    } else {
      rc = sk_buf_append(out, k_repl, 3);
      i++;
    }
  }
  return rc;
}

int tok_stream_flush(tok_stream *s, sk_buf *out) {
  int rc = SK_OK;
  if (s->n_held) rc = sk_buf_append(out, k_repl, 3);
  s->n_held = 0;
  return rc;
}
