/* libFuzzer target: the input is a chat template's source; it is parsed and rendered over a
 * fixed conversation with tight bounds (steps, memory, output) so that every input finishes
 * fast. Parse and render errors are expected; crashes, hangs, leaks and sanitizer reports are
 * not. */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "engine/jinja/jinja.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0; /* real templates are < 40 KiB; keeps iterations fast */
  jinja_template *t = NULL;
  sk_err err;
  if (jinja_parse((const char *)data, size, &t, &err) != 0) return 0;
  static const chat_msg msgs[] = {
      {"system", "あなたは銀行の窓口係です。"},
      {"user", "口座を開きたい"},
      {"assistant", "<think>\n確認\n</think>\n\nかしこまりました。"},
      {"user", " 必要な書類は？ "},
  };
  jinja_chat_ctx ctx = {msgs, 4, 1, "<s>", "</s>", 0};
  jinja_limits lim = {200000, 8u << 20, 1u << 20};
  sk_buf out;
  sk_buf_init(&out, 1u << 20);
  (void)jinja_render_chat(t, &ctx, &lim, &out, &err);
  sk_buf_release(&out);
  jinja_free(t);
  return 0;
}
