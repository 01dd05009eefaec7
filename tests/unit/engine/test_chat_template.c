/* Chat templates: the real templates shipped with Qwen2.5, Qwen3, Llama-3, Llama-3.1, Gemma-2,
 * Gemma-3, Mistral-7B-Instruct and Llama-2-chat (tests/unit/engine/templates/) rendered by the
 * Jinja interpreter must give the exact strings transformers' apply_chat_template gives (written
 * out by hand below), and the C built-ins must agree with them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "engine/chat_template.h"

#define TDIR "tests/unit/engine/templates/"

static const chat_msg k_conv[] = {
    {"system", "あなたは親切なアシスタントです。"},
    {"user", "こんにちは。東京の天気は？"},
    {"assistant", "晴れです。"},
    {"user", " 明日は？ "},
};
#define N_CONV (sizeof k_conv / sizeof k_conv[0])

static chat_template *load(const char *file, const char *bos, const char *eos) {
  char path[256], *src = NULL;
  size_t len = 0;
  sk_err e;
  snprintf(path, sizeof path, TDIR "%s", file);
  if (sk_read_file(path, 1 << 20, &src, &len, &e) != 0) fail_msg("read %s: %s", path, e.msg);
  chat_template *t = NULL;
  if (chat_template_from_string(src, len, bos, eos, &t, &e) != 0) fail_msg("parse %s: %s", file, e.msg);
  sk_free(src);
  assert_string_equal(chat_template_kind(t), "jinja");
  return t;
}

/* Renders and returns a malloc'd string (caller frees), failing the test on error. */
static char *render(const chat_template *t, const chat_msg *m, size_t n, int gen, int think) {
  sk_buf b;
  sk_buf_init(&b, 1 << 20);
  sk_err e;
  chat_render_opts o = {gen, think};
  if (chat_render_ex(t, m, n, &o, &b, &e) != 0) fail_msg("render: %s", e.msg);
  char *s = b.len ? sk_buf_detach(&b) : sk_strdup("");
  sk_buf_release(&b);
  return s;
}

static void expect_render(const chat_template *t, const chat_msg *m, size_t n, int gen,
                          const char *want) {
  char *got = render(t, m, n, gen, -1);
  if (strcmp(got, want) != 0) fail_msg("rendered:\n[%s]\nexpected:\n[%s]", got, want);
  sk_free(got);
}

static void expect_builtin(const char *name, const char *bos, const char *eos, const chat_msg *m,
                           size_t n, int gen, const char *want) {
  chat_template *t = NULL;
  sk_err e;
  assert_int_equal(chat_template_by_name(name, bos, eos, &t, &e), 0);
  expect_render(t, m, n, gen, want);
  chat_template_free(t);
}

#define QWEN_WANT                                                                              \
  "<|im_start|>system\nあなたは親切なアシスタントです。<|im_end|>\n"                           \
  "<|im_start|>user\nこんにちは。東京の天気は？<|im_end|>\n"                                   \
  "<|im_start|>assistant\n晴れです。<|im_end|>\n"                                              \
  "<|im_start|>user\n 明日は？ <|im_end|>\n"                                                   \
  "<|im_start|>assistant\n"

static void qwen25_real_template(void **state) {
  (void)state;
  chat_template *t = load("qwen2.5-instruct.jinja", NULL, "<|im_end|>");
  expect_render(t, k_conv, N_CONV, 1, QWEN_WANT);
  /* no system message: Qwen2.5's default system prompt */
  expect_render(t, k_conv + 1, 1, 0,
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
                "assistant.<|im_end|>\n<|im_start|>user\nこんにちは。東京の天気は？<|im_end|>\n");
  chat_template_free(t);
  expect_builtin("chatml", NULL, NULL, k_conv, N_CONV, 1, QWEN_WANT);
}

static void qwen3_real_template_thinking(void **state) {
  (void)state;
  chat_template *t = load("qwen3.jinja", NULL, "<|im_end|>");
  const chat_msg conv[] = {
      {"system", "簡潔に答えて。"},
      {"user", "1+1は？"},
      {"assistant", "<think>\n足し算。\n</think>\n\n2です。"},
      {"user", "2+2は？"},
  };
  const char *base = "<|im_start|>system\n簡潔に答えて。<|im_end|>\n"
                     "<|im_start|>user\n1+1は？<|im_end|>\n"
                     "<|im_start|>assistant\n2です。<|im_end|>\n" /* past reasoning dropped */
                     "<|im_start|>user\n2+2は？<|im_end|>\n"
                     "<|im_start|>assistant\n";
  char *got = render(t, conv, 4, 1, -1);
  assert_string_equal(got, base);
  sk_free(got);
  got = render(t, conv, 4, 1, 0);
  char want[1024];
  snprintf(want, sizeof want, "%s<think>\n\n</think>\n\n", base);
  assert_string_equal(got, want);
  sk_free(got);
  /* a final assistant turn after the last query keeps its reasoning */
  got = render(t, conv + 1, 2, 0, -1);
  assert_string_equal(got, "<|im_start|>user\n1+1は？<|im_end|>\n"
                           "<|im_start|>assistant\n<think>\n足し算。\n</think>\n\n2です。<|im_end|>\n");
  sk_free(got);
  chat_template_free(t);
}

#define LLAMA3_WANT                                                                            \
  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"                           \
  "あなたは親切なアシスタントです。<|eot_id|>"                                                 \
  "<|start_header_id|>user<|end_header_id|>\n\nこんにちは。東京の天気は？<|eot_id|>"           \
  "<|start_header_id|>assistant<|end_header_id|>\n\n晴れです。<|eot_id|>"                      \
  "<|start_header_id|>user<|end_header_id|>\n\n明日は？<|eot_id|>"                             \
  "<|start_header_id|>assistant<|end_header_id|>\n\n"

static void llama3_real_templates(void **state) {
  (void)state;
  chat_template *t = load("llama-3-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
  expect_render(t, k_conv, N_CONV, 1, LLAMA3_WANT);
  chat_template_free(t);
  expect_builtin("llama3", "<|begin_of_text|>", "<|eot_id|>", k_conv, N_CONV, 1, LLAMA3_WANT);

  t = load("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
  expect_render(t, k_conv, N_CONV, 1,
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                "あなたは親切なアシスタントです。<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nこんにちは。東京の天気は？<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n晴れです。<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\n明日は？<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n");
  /* without a system message the header block is still there, with an empty system text */
  expect_render(t, k_conv + 1, 1, 0,
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nこんにちは。東京の天気は？<|eot_id|>");
  chat_template_free(t);
}

#define GEMMA_WANT                                                                             \
  "<bos><start_of_turn>user\nあなたは親切なアシスタントです。\n\nこんにちは。東京の天気は？"   \
  "<end_of_turn>\n<start_of_turn>model\n晴れです。<end_of_turn>\n"                             \
  "<start_of_turn>user\n明日は？<end_of_turn>\n<start_of_turn>model\n"

static void gemma_real_templates(void **state) {
  (void)state;
  chat_template *t = load("gemma-3-it.jinja", "<bos>", "<eos>");
  expect_render(t, k_conv, N_CONV, 1, GEMMA_WANT);
  chat_template_free(t);
  expect_builtin("gemma", "<bos>", "<eos>", k_conv, N_CONV, 1, GEMMA_WANT);

  t = load("gemma-2-it.jinja", "<bos>", "<eos>");
  expect_render(t, k_conv + 1, 3, 1,
                "<bos><start_of_turn>user\nこんにちは。東京の天気は？<end_of_turn>\n"
                "<start_of_turn>model\n晴れです。<end_of_turn>\n"
                "<start_of_turn>user\n明日は？<end_of_turn>\n<start_of_turn>model\n");
  /* Gemma 2 rejects a system message: a clear error, not a crash */
  sk_buf b;
  sk_buf_init(&b, 1 << 16);
  sk_err e;
  assert_int_not_equal(chat_render(t, k_conv, N_CONV, 1, &b, &e), 0);
  assert_non_null(strstr(e.msg, "System role not supported"));
  assert_int_equal(b.len, 0);
  /* roles must alternate */
  const chat_msg bad[] = {{"user", "a"}, {"user", "b"}};
  assert_int_not_equal(chat_render(t, bad, 2, 1, &b, &e), 0);
  assert_non_null(strstr(e.msg, "alternate"));
  sk_buf_release(&b);
  chat_template_free(t);
}

static void mistral_and_llama2_real_templates(void **state) {
  (void)state;
  const char *want_m = "<s>[INST] こんにちは。東京の天気は？ [/INST]晴れです。</s>[INST]  明日は？  [/INST]";
  chat_template *t = load("mistral-7b-instruct-v0.1.jinja", "<s>", "</s>");
  expect_render(t, k_conv + 1, 3, 1, want_m);
  chat_template_free(t);
  expect_builtin("mistral", "<s>", "</s>", k_conv + 1, 3, 1, want_m);
  expect_builtin("mistral", "<s>", "</s>", k_conv, N_CONV, 1,
                 "<s>[INST] あなたは親切なアシスタントです。\n\nこんにちは。東京の天気は？ [/INST]"
                 "晴れです。</s>[INST]  明日は？  [/INST]");

  const char *want_l2 = "<s>[INST] <<SYS>>\nあなたは親切なアシスタントです。\n<</SYS>>\n\n"
                        "こんにちは。東京の天気は？ [/INST] 晴れです。 </s><s>[INST] 明日は？ [/INST]";
  t = load("llama-2-chat.jinja", "<s>", "</s>");
  expect_render(t, k_conv, N_CONV, 1, want_l2);
  chat_template_free(t);
  expect_builtin("llama2", "<s>", "</s>", k_conv, N_CONV, 1, want_l2);
}

static void unknown_names_and_guessing(void **state) {
  (void)state;
  chat_template *t = NULL;
  sk_err e;
  assert_int_equal(chat_template_by_name("vicuna", NULL, NULL, &t, &e), SK_ENOTFOUND);
  assert_non_null(strstr(e.msg, "chatml"));
  assert_null(t);
  assert_string_equal(chat_template_guess_name("x<|im_start|>y", 14), "chatml");
  assert_string_equal(chat_template_guess_name("<start_of_turn>", 15), "gemma");
  assert_string_equal(chat_template_guess_name("[INST] <<SYS>>", 14), "llama2");
  assert_null(chat_template_guess_name("{{ x }}", 7));
}

static void output_bound_is_respected(void **state) {
  (void)state;
  chat_template *t = NULL;
  sk_err e;
  assert_int_equal(chat_template_by_name("chatml", NULL, NULL, &t, &e), 0);
  sk_buf b;
  sk_buf_init(&b, 40);
  assert_int_not_equal(chat_render(t, k_conv, N_CONV, 1, &b, &e), 0);
  assert_int_equal(b.len, 0);
  sk_buf_release(&b);
  chat_template_free(t);
  t = load("qwen2.5-instruct.jinja", NULL, NULL);
  sk_buf_init(&b, 40);
  assert_int_equal(chat_render(t, k_conv, N_CONV, 1, &b, &e), SK_ELIMIT);
  assert_int_equal(b.len, 0);
  sk_buf_release(&b);
  chat_template_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(qwen25_real_template),
      cmocka_unit_test(qwen3_real_template_thinking),
      cmocka_unit_test(llama3_real_templates),
      cmocka_unit_test(gemma_real_templates),
      cmocka_unit_test(mistral_and_llama2_real_templates),
      cmocka_unit_test(unknown_names_and_guessing),
      cmocka_unit_test(output_bound_is_respected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
