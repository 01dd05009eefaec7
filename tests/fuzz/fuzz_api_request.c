/* Fuzzes the request parsers (OpenAI chat/completions, Anthropic messages) and the renderers of
 * what they accept: hostile bodies must give an error record, never a crash or a leak. The first
 * byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/anthropic.h"
#include "api/openai.h"
#include "api/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > API_MAX_BODY_BYTES) return 0;
  api_request r;
  api_request_init(&r);
  api_error e;
  memset(&e, 0, sizeof e);
  const char *body = (const char *)data + 1;
  size_t n = size - 1;
  int rc;
  switch (data[0] % 3) {
  case 0: rc = openai_parse_chat(body, n, &r, &e); break;
  case 1: rc = openai_parse_completion(body, n, &r, &e); break;
  default: rc = anthropic_parse_messages(body, n, &r, &e); break;
  }
  sk_buf b;
  sk_buf_init(&b, 1 << 20);
  if (rc) {
    if (e.message[0] == '\0') __builtin_trap(); /* every refusal says why */
    openai_render_error(&e, &b);
    anthropic_render_error(&e, &b);
  } else {
    api_result res = {.id = "x", .model = r.model, .text = r.n_messages ? r.messages[0].content : r.prompt,
                      .finish = API_FINISH_STOP, .stop_seq = r.n_stop ? r.stop[0] : NULL};
    res.text_len = res.text ? strlen(res.text) : 0;
    if (r.proto == API_PROTO_ANTHROPIC) anthropic_render_result(&r, &res, &b);
    else openai_render_result(&r, &res, &b);
  }
  sk_buf_release(&b);
  api_request_release(&r);
  return 0;
}
