/* chat_template_from_gguf over GGUF files built in memory, plus the oracle models (which carry
 * no chat template: they must give the --chat-template hint; skipped when ../shared is absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "engine/chat_template.h"
#include "engine/gguf.h"

static void put_u32(sk_buf *b, uint32_t v) { sk_buf_append(b, &v, 4); }
static void put_u64(sk_buf *b, uint64_t v) { sk_buf_append(b, &v, 8); }
static void put_str(sk_buf *b, const char *s) {
  put_u64(b, strlen(s));
  sk_buf_append(b, s, strlen(s));
}

/* A tensor-less GGUF v3 with three tokens, BOS id 1, EOS id 2 and (optionally) a template. */
static void build(sk_buf *b, const char *tmpl) {
  sk_buf_append(b, "GGUF", 4);
  put_u32(b, 3);
  put_u64(b, 0);
  put_u64(b, tmpl ? 4 : 3);
  put_str(b, "tokenizer.ggml.tokens");
  put_u32(b, 9);
  put_u32(b, 8);
  put_u64(b, 3);
  put_str(b, "<unk>");
  put_str(b, "<|begin_of_text|>");
  put_str(b, "<|eot_id|>");
  put_str(b, "tokenizer.ggml.bos_token_id");
  put_u32(b, 4);
  put_u32(b, 1);
  put_str(b, "tokenizer.ggml.eos_token_id");
  put_u32(b, 4);
  put_u32(b, 2);
  if (tmpl) {
    put_str(b, "tokenizer.chat_template");
    put_u32(b, 8);
    put_str(b, tmpl);
  }
  while (b->len % 32) sk_buf_append_byte(b, 0);
}

static int render_from(const char *tmpl, sk_buf *out, sk_err *e, char *kind, size_t kind_cap) {
  sk_buf g;
  sk_buf_init(&g, 1 << 20);
  build(&g, tmpl);
  gguf_file *f = NULL;
  int rc = gguf_open_memory(g.data, g.len, &f, e);
  assert_int_equal(rc, 0);
  chat_template *t = NULL;
  rc = chat_template_from_gguf(f, NULL, NULL, &t, e);
  if (rc == 0) {
    snprintf(kind, kind_cap, "%s", chat_template_kind(t));
    chat_msg m[2] = {{"system", "S"}, {"user", " 質問 "}};
    rc = chat_render(t, m, 2, 1, out, e);
    chat_template_free(t);
  }
  gguf_close(f);
  sk_buf_release(&g);
  return rc;
}

static void template_and_bos_from_metadata(void **state) {
  (void)state;
  sk_buf out;
  sk_buf_init(&out, 1 << 16);
  sk_err e;
  char kind[16];
  const char *tmpl = "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}"
                     "{{ eos_token }}{% endfor %}";
  assert_int_equal(render_from(tmpl, &out, &e, kind, sizeof kind), 0);
  assert_string_equal(kind, "jinja");
  assert_string_equal(out.data, "<|begin_of_text|><system>S<|eot_id|><user>質問<|eot_id|>");
  sk_buf_release(&out);
}

static void unparsable_but_recognised_falls_back(void **state) {
  (void)state;
  sk_buf out;
  sk_buf_init(&out, 1 << 16);
  sk_err e;
  char kind[16];
  /* an unsupported tag, but clearly a Llama-3 template */
  const char *tmpl = "{% include 'x' %}<|start_header_id|>";
  assert_int_equal(render_from(tmpl, &out, &e, kind, sizeof kind), 0);
  assert_string_equal(kind, "llama3");
  assert_non_null(strstr(out.data, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"));
  sk_buf_release(&out);
}

static void missing_or_unknown_template_suggests_override(void **state) {
  (void)state;
  sk_buf out;
  sk_buf_init(&out, 1 << 16);
  sk_err e;
  char kind[16];
  assert_int_equal(render_from(NULL, &out, &e, kind, sizeof kind), SK_ENOTFOUND);
  assert_non_null(strstr(e.msg, "--chat-template"));
  assert_int_equal(render_from("{% include 'x' %}", &out, &e, kind, sizeof kind), SK_ENOTSUP);
  assert_non_null(strstr(e.msg, "--chat-template"));
  sk_buf_release(&out);
}

static void oracle_models(void **state) {
  (void)state;
  static const char *const models[] = {"qwen2-Q8_0.gguf", "qwen3-Q4_K_M.gguf", "llama-bpe-Q4_0.gguf",
                                       "llama-spm-Q8_0.gguf"};
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    char path[256];
    snprintf(path, sizeof path, "../shared/oracle/models/%s", models[i]);
    if (access(path, R_OK) != 0) {
      printf("SKIP %s: not present\n", path);
      continue;
    }
    gguf_file *f = NULL;
    sk_err e;
    assert_int_equal(gguf_open(path, &f, &e), 0);
    chat_template *t = NULL;
    int rc = chat_template_from_gguf(f, NULL, NULL, &t, &e);
    if (gguf_find_key(f, "tokenizer.chat_template") < 0) {
      assert_int_equal(rc, SK_ENOTFOUND); /* these test models carry none */
      assert_non_null(strstr(e.msg, "--chat-template"));
    } else {
      assert_int_equal(rc, 0);
      chat_msg m[1] = {{"user", "こんにちは"}};
      sk_buf out;
      sk_buf_init(&out, 1 << 16);
      assert_int_equal(chat_render(t, m, 1, 1, &out, &e), 0);
      assert_non_null(strstr(out.data, "こんにちは"));
      sk_buf_release(&out);
    }
    chat_template_free(t);
    gguf_close(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(template_and_bos_from_metadata),
      cmocka_unit_test(unparsable_but_recognised_falls_back),
      cmocka_unit_test(missing_or_unknown_template_suggests_override),
      cmocka_unit_test(oracle_models),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
