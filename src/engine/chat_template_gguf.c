/* chat_template_gguf.c — chat_template_from_gguf (kept apart so that users of the built-ins
 * do not link the GGUF reader). */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/chat_template.h"
#include "engine/gguf.h"

/* Token texts are short; a BOS/EOS longer than this is not a marker we can print. */
#define CT_MAX_TOKEN_TEXT 256

static int token_text(const gguf_file *f, const char *id_key, char *dst, size_t cap) {
  uint32_t id;
  gguf_str s;
  dst[0] = '\0';
  if (gguf_get_u32(f, id_key, &id) != 0) return 0;
  if (gguf_arr_str(f, "tokenizer.ggml.tokens", id, &s) != 0) return 0;
  if (s.len >= cap) return 0;
  memcpy(dst, s.ptr, s.len);
  dst[s.len] = '\0';
  return 1;
}

int chat_template_from_gguf(const gguf_file *f, const char *bos, const char *eos,
                            chat_template **out, sk_err *err) {
  *out = NULL;
  char bos_buf[CT_MAX_TOKEN_TEXT], eos_buf[CT_MAX_TOKEN_TEXT];
  if (!bos) {
    token_text(f, "tokenizer.ggml.bos_token_id", bos_buf, sizeof bos_buf);
    bos = bos_buf;
  }
  if (!eos) {
    token_text(f, "tokenizer.ggml.eos_token_id", eos_buf, sizeof eos_buf);
    eos = eos_buf;
  }
  gguf_str src;
  if (gguf_get_str(f, "tokenizer.chat_template", &src) != 0)
    return sk_err_set(err, SK_ENOTFOUND,
                      "the model has no tokenizer.chat_template; pass --chat-template NAME (%s)",
                      chat_template_names);
  int rc = chat_template_from_string(src.ptr, (size_t)src.len, bos, eos, out, err);
  if (rc == SK_OK || rc == SK_ENOMEM) return rc;
  const char *guess = chat_template_guess_name(src.ptr, (size_t)src.len);
  if (guess) return chat_template_by_name(guess, bos, eos, out, err);
  char why[200] = "";
  if (err) {
    memcpy(why, err->msg, sizeof why - 1); /* err->msg is NUL-terminated and longer */
    why[sizeof why - 1] = '\0';
  }
  return sk_err_set(err, SK_ENOTSUP, "unsupported chat template (%s); pass --chat-template NAME (%s)",
                    why, chat_template_names);
}
