/* chat_template.h — turning a conversation into the prompt text a model was trained on.
 *
 * Two kinds of template:
 *  - "jinja": the model's own `tokenizer.chat_template` (a Jinja2 program) run by the bounded
 *    interpreter in jinja/ — the same text transformers and llama.cpp render;
 *  - built-ins by name, hand-written in C: "chatml" (Qwen), "llama3", "gemma", "mistral",
 *    "llama2" — for models without a template or with one the interpreter cannot run
 *    (`--chat-template NAME`).
 *
 * Ownership: chat_template_* constructors give the caller a handle to free with
 * chat_template_free; the handle copies everything it needs (source, bos/eos strings).
 * chat_render appends to a caller-owned sk_buf (whose max_bytes bounds the prompt). */
#ifndef SK_ENGINE_CHAT_TEMPLATE_H
#define SK_ENGINE_CHAT_TEMPLATE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

typedef struct chat_msg {
  const char *role;    /* "system", "user", "assistant", "tool", ... (NUL-terminated) */
  const char *content; /* UTF-8 text (NUL-terminated) */
} chat_msg;

typedef struct chat_template chat_template;

/* Names accepted by chat_template_by_name, for help texts: "chatml, llama3, gemma, mistral,
 * llama2". */
extern const char *const chat_template_names;

/* A built-in template. bos/eos are the model's BOS/EOS token texts (NULL: ""; "llama3" and
 * "gemma" and "mistral"/"llama2" emit them where the real templates do). SK_ENOTFOUND for an
 * unknown name (the message lists the known ones). */
int chat_template_by_name(const char *name, const char *bos, const char *eos,
                          chat_template **out, sk_err *err);

/* A Jinja template from source text (e.g. `tokenizer.chat_template`). SK_EFORMAT when it
 * does not parse; then, if the text is recognisably one of the built-in families, the caller
 * may use chat_template_guess_name to fall back. */
int chat_template_from_string(const char *src, size_t len, const char *bos, const char *eos,
                              chat_template **out, sk_err *err);

struct gguf_file;
/* The template of a GGUF model: `tokenizer.chat_template` run by the Jinja interpreter; when
 * that text does not parse but is recognisably a known family (chat_template_guess_name), the
 * built-in of that family (chat_template_kind says which was chosen). bos/eos may be NULL: they
 * are then looked up as the texts of tokenizer.ggml.bos_token_id / eos_token_id. SK_ENOTFOUND
 * when the model has no template, SK_ENOTSUP when it cannot be used; both messages suggest
 * `--chat-template NAME`. Defined in chat_template_gguf.c. */
int chat_template_from_gguf(const struct gguf_file *f, const char *bos, const char *eos,
                            chat_template **out, sk_err *err);

/* Recognises a template family by fingerprint (markers such as <|im_start|>,
 * <|start_header_id|>, <start_of_turn>, [INST]/<<SYS>>); NULL when unknown. */
const char *chat_template_guess_name(const char *src, size_t len);

void chat_template_free(chat_template *t);

/* "jinja" or the built-in name. */
const char *chat_template_kind(const chat_template *t);

typedef struct chat_render_opts {
  int add_generation_prompt; /* append the opening of the assistant's turn */
  int enable_thinking;       /* Qwen3: -1 template default, 0 off (empty think block), 1 on */
} chat_render_opts;

/* Renders msgs[0..n) and appends the prompt to out. Errors: the template raised (roles not
 * alternating, unsupported role...), SK_ELIMIT when out's max_bytes or a render bound is hit.
 * On error out keeps its previous length. */
int chat_render(const chat_template *t, const chat_msg *msgs, size_t n, int add_generation_prompt,
                sk_buf *out, sk_err *err);
int chat_render_ex(const chat_template *t, const chat_msg *msgs, size_t n,
                   const chat_render_opts *opts, sk_buf *out, sk_err *err);

#endif
