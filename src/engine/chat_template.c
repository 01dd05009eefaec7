/* chat_template.c — built-in templates written in C, and the wrapper around the Jinja
 * interpreter for a model's own template. The built-ins reproduce what the models' official
 * templates render for plain system/user/assistant conversations (see the tests, which render
 * both and compare). */
#include "engine/chat_template.h"

#include <string.h>

#include "base/alloc.h"
#include "engine/jinja/jinja.h"

const char *const chat_template_names = "chatml, llama3, gemma, mistral, llama2";

typedef enum ct_kind { CT_JINJA, CT_CHATML, CT_LLAMA3, CT_GEMMA, CT_MISTRAL, CT_LLAMA2 } ct_kind;

static const char *const k_kind_names[] = {"jinja", "chatml", "llama3", "gemma", "mistral", "llama2"};

struct chat_template {
  ct_kind kind;
  char *bos, *eos;
  jinja_template *jinja;
};

static int make(ct_kind kind, const char *bos, const char *eos, chat_template **out, sk_err *err) {
  chat_template *t = sk_calloc(1, sizeof *t);
  if (!t) return sk_err_set(err, SK_ENOMEM, "out of memory");
  t->kind = kind;
  t->bos = sk_strdup(bos ? bos : "");
  t->eos = sk_strdup(eos ? eos : "");
  if (!t->bos || !t->eos) {
    chat_template_free(t);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  *out = t;
  return SK_OK;
}

int chat_template_by_name(const char *name, const char *bos, const char *eos,
                          chat_template **out, sk_err *err) {
  *out = NULL;
  for (int k = CT_CHATML; k <= CT_LLAMA2; k++)
    if (name && strcmp(name, k_kind_names[k]) == 0) return make((ct_kind)k, bos, eos, out, err);
  return sk_err_set(err, SK_ENOTFOUND, "unknown chat template '%s' (known: %s)", name ? name : "",
                    chat_template_names);
}

int chat_template_from_string(const char *src, size_t len, const char *bos, const char *eos,
                              chat_template **out, sk_err *err) {
  *out = NULL;
  jinja_template *j = NULL;
  int rc = jinja_parse(src, len, &j, err);
  if (rc) return rc;
  rc = make(CT_JINJA, bos, eos, out, err);
  if (rc) {
    jinja_free(j);
    return rc;
  }
  (*out)->jinja = j;
  return SK_OK;
}

static int has(const char *src, size_t len, const char *needle) {
  return memmem(src, len, needle, strlen(needle)) != NULL;
}

const char *chat_template_guess_name(const char *src, size_t len) {
  if (!src) return NULL;
  if (has(src, len, "<|im_start|>")) return "chatml";
  if (has(src, len, "<|start_header_id|>")) return "llama3";
  if (has(src, len, "<start_of_turn>")) return "gemma";
  if (has(src, len, "<<SYS>>")) return "llama2";
  if (has(src, len, "[INST]")) return "mistral";
  return NULL;
}

void chat_template_free(chat_template *t) {
  if (!t) return;
  jinja_free(t->jinja);
  sk_free(t->bos);
  sk_free(t->eos);
  sk_free(t);
}

const char *chat_template_kind(const chat_template *t) { return k_kind_names[t->kind]; }

/* ---- built-ins ---- */
typedef struct span {
  const char *p;
  size_t n;
} span;

static span trimmed(const char *s) {
  span r = {s ? s : "", s ? strlen(s) : 0};
  while (r.n && strchr(" \t\n\r\v\f", r.p[0])) r.p++, r.n--;
  while (r.n && strchr(" \t\n\r\v\f", r.p[r.n - 1])) r.n--;
  return r;
}

static int put(sk_buf *b, const char *s) { return sk_buf_append_str(b, s ? s : ""); }
static int put_span(sk_buf *b, span s) { return sk_buf_append(b, s.p, s.n); }

static int is_role(const chat_msg *m, const char *role) { return m->role && !strcmp(m->role, role); }

/* Each renderer writes into b and returns 0 or the first buffer error. */
static int render_chatml(const chat_msg *m, size_t n, int gen, sk_buf *b) {
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    rc |= put(b, "<|im_start|>") | put(b, m[i].role) | put(b, "\n") | put(b, m[i].content) |
          put(b, "<|im_end|>\n");
  }
  if (gen && !rc) rc = put(b, "<|im_start|>assistant\n");
  return rc;
}

/* Meta-Llama-3-Instruct: BOS, then each turn with trimmed content. */
static int render_llama3(const chat_template *t, const chat_msg *m, size_t n, int gen, sk_buf *b) {
  int rc = put(b, t->bos);
  for (size_t i = 0; i < n && !rc; i++)
    rc |= put(b, "<|start_header_id|>") | put(b, m[i].role) | put(b, "<|end_header_id|>\n\n") |
          put_span(b, trimmed(m[i].content)) | put(b, "<|eot_id|>");
  if (gen && !rc) rc = put(b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
  return rc;
}

/* Gemma 3 (and Gemma 2 with a system prompt, as llama.cpp does): the system text plus a blank
 * line opens the first user turn; assistant is "model"; content trimmed. */
static int render_gemma(const chat_template *t, const chat_msg *m, size_t n, int gen, sk_buf *b) {
  int rc = put(b, t->bos);
  size_t i = 0;
  const char *sys = NULL;
  if (n && is_role(&m[0], "system")) sys = m[i++].content;
  for (int first = 1; i < n && !rc; i++, first = 0) {
    const char *role = is_role(&m[i], "assistant") ? "model" : m[i].role;
    rc |= put(b, "<start_of_turn>") | put(b, role) | put(b, "\n");
    if (first && sys) rc |= put(b, sys) | put(b, "\n\n");
    rc |= put_span(b, trimmed(m[i].content)) | put(b, "<end_of_turn>\n");
  }
  if (gen && !rc) rc = put(b, "<start_of_turn>model\n");
  return rc;
}

/* Mistral-Instruct v0.1/v0.2: BOS once, "[INST] user [/INST]assistant</s>"; a system prompt
 * (which those templates reject) is put before the first user message with a blank line. */
static int render_mistral(const chat_template *t, const chat_msg *m, size_t n, sk_buf *b) {
  int rc = put(b, t->bos);
  size_t i = 0;
  const char *sys = NULL;
  if (n && is_role(&m[0], "system")) sys = m[i++].content;
  for (; i < n && !rc; i++) {
    if (is_role(&m[i], "assistant")) {
      rc |= put(b, m[i].content) | put(b, t->eos);
    } else {
      rc |= put(b, "[INST] ");
      if (sys) rc |= put(b, sys) | put(b, "\n\n");
      sys = NULL;
      rc |= put(b, m[i].content) | put(b, " [/INST]");
    }
  }
  return rc;
}

/* Llama-2-chat: "<s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST] answer </s>". */
static int render_llama2(const chat_template *t, const chat_msg *m, size_t n, sk_buf *b) {
  int rc = 0;
  size_t i = 0;
  const char *sys = NULL;
  if (n && is_role(&m[0], "system")) sys = m[i++].content;
  for (int first = 1; i < n && !rc; i++, first = 0) {
    if (is_role(&m[i], "assistant")) {
      rc |= put(b, " ") | put_span(b, trimmed(m[i].content)) | put(b, " ") | put(b, t->eos);
    } else {
      rc |= put(b, t->bos) | put(b, "[INST] ");
      if (first && sys) {
        /* the official template strips the whole "<<SYS>>...user" string */
        sk_buf tmp;
        sk_buf_init(&tmp, b->max_bytes);
        rc |= put(&tmp, "<<SYS>>\n") | put(&tmp, sys) | put(&tmp, "\n<</SYS>>\n\n") | put(&tmp, m[i].content);
        if (!rc) rc = put_span(b, trimmed(tmp.data));
        sk_buf_release(&tmp);
      } else {
        rc |= put_span(b, trimmed(m[i].content));
      }
      rc |= put(b, " [/INST]");
    }
  }
  return rc;
}

int chat_render_ex(const chat_template *t, const chat_msg *msgs, size_t n,
                   const chat_render_opts *opts, sk_buf *out, sk_err *err) {
  chat_render_opts def = {0, -1};
  if (!opts) opts = &def;
  for (size_t i = 0; i < n; i++)
    if (!msgs[i].role || !msgs[i].content)
      return sk_err_set(err, SK_EINVAL, "message %zu has no role or no content", i);
  if (t->kind == CT_JINJA) {
    jinja_chat_ctx ctx = {msgs, n, opts->add_generation_prompt, t->bos, t->eos,
                          opts->enable_thinking};
    return jinja_render_chat(t->jinja, &ctx, NULL, out, err);
  }
  size_t before = out->len;
  int rc;
  switch (t->kind) {
    case CT_CHATML: rc = render_chatml(msgs, n, opts->add_generation_prompt, out); break;
    case CT_LLAMA3: rc = render_llama3(t, msgs, n, opts->add_generation_prompt, out); break;
    case CT_GEMMA: rc = render_gemma(t, msgs, n, opts->add_generation_prompt, out); break;
    case CT_MISTRAL: rc = render_mistral(t, msgs, n, out); break;
    default: rc = render_llama2(t, msgs, n, out); break;
  }
  if (rc) {
    out->len = before;
    if (out->data) out->data[before] = '\0';
    return sk_err_set(err, rc < 0 ? rc : SK_ELIMIT, "rendered prompt does not fit the output buffer (%zu bytes max)",
                      out->max_bytes);
  }
  return SK_OK;
}

int chat_render(const chat_template *t, const chat_msg *msgs, size_t n, int add_generation_prompt,
                sk_buf *out, sk_err *err) {
  chat_render_opts o = {add_generation_prompt, -1};
  return chat_render_ex(t, msgs, n, &o, out, err);
}
