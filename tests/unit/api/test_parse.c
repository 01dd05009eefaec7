#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "api/anthropic.h"
#include "api/openai.h"
#include "api/request.h"

static int chat(const char *body, api_request *r, api_error *e) {
  api_request_init(r);
  memset(e, 0, sizeof *e);
  return openai_parse_chat(body, strlen(body), r, e);
}

static int msgs(const char *body, api_request *r, api_error *e) {
  api_request_init(r);
  memset(e, 0, sizeof *e);
  return anthropic_parse_messages(body, strlen(body), r, e);
}

static void openai_chat_fields(void **state) {
  (void)state;
  api_request r;
  api_error e;
  assert_int_equal(chat("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"関\"},{\"type\":\"text\",\"text\":\"所\"}]}],"
                        "\"max_completion_tokens\":7,\"temperature\":0,\"top_p\":0.5,\"seed\":42,\"stop\":\"END\","
                        "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"response_format\":{\"type\":\"text\"}}",
                        &r, &e),
                   0);
  assert_string_equal(r.model, "m");
  assert_int_equal(r.n_messages, 2);
  assert_int_equal(r.messages[0].role, API_ROLE_SYSTEM);
  assert_string_equal(r.messages[1].content, "関所");
  assert_int_equal(r.max_tokens, 7);
  assert_true(r.temperature == 0.0);
  assert_true(r.top_p == 0.5);
  assert_true(r.has_seed);
  assert_int_equal(r.seed, 42);
  assert_int_equal(r.n_stop, 1);
  assert_string_equal(r.stop[0], "END");
  assert_true(r.stream && r.include_usage);
  api_request_release(&r);
}

static void openai_chat_errors_name_the_field(void **state) {
  (void)state;
  static const struct {
    const char *body;
    const char *param;
  } cases[] = {
      {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model"},
      {"{\"model\":\"m\",\"messages\":[]}", "messages"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].role"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", "n"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "temperature"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}", "max_tokens"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_object\"}}", "response_format.type"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":true}}", "stream_options"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    api_request r;
    api_error e;
    assert_int_equal(chat(cases[i].body, &r, &e), -1);
    assert_int_equal(api_err_status(e.kind), 400);
    assert_string_equal(e.param, cases[i].param);
    assert_true(strlen(e.message) > 5);
    assert_null(r.model); /* released on failure */
  }
}

static void malformed_and_invalid_utf8(void **state) {
  (void)state;
  api_request r;
  api_error e;
  assert_int_equal(chat("{\"model\":", &r, &e), -1);
  assert_non_null(strstr(e.message, "malformed JSON"));
  assert_int_equal(chat("[1,2]", &r, &e), -1);
  assert_int_equal(chat("{\"model\":\"m\xff\"}", &r, &e), -1);
  assert_non_null(strstr(e.message, "UTF-8"));
  assert_int_equal(chat("{\"model\":\"m\",\"model\":\"n\",\"messages\":[]}", &r, &e), -1);
}

static void anthropic_system_blocks_and_stops(void **state) {
  (void)state;
  api_request r;
  api_error e;
  assert_int_equal(msgs("{\"model\":\"m\",\"max_tokens\":9,\"system\":[{\"type\":\"text\",\"text\":\"sys\"}],"
                        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"q\"}]},"
                        "{\"role\":\"assistant\",\"content\":\"a\"}],\"stop_sequences\":[\"X\",\"Y\"]}",
                        &r, &e),
                   0);
  assert_int_equal(r.proto, API_PROTO_ANTHROPIC);
  assert_int_equal(r.n_messages, 3);
  assert_int_equal(r.messages[0].role, API_ROLE_SYSTEM);
  assert_string_equal(r.messages[0].content, "sys");
  assert_int_equal(r.messages[2].role, API_ROLE_ASSISTANT);
  assert_int_equal(r.n_stop, 2);
  api_request_release(&r);
  assert_int_equal(msgs("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}", &r, &e), -1);
  assert_string_equal(e.param, "max_tokens");
  assert_int_equal(msgs("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":"
                        "[{\"type\":\"image\",\"source\":{}}]}]}", &r, &e), -1);
  assert_non_null(strstr(e.message, "image"));
}

static void error_shapes(void **state) {
  (void)state;
  api_error e;
  api_err(&e, API_ERR_RATE_LIMIT, "", "busy");
  sk_buf b;
  sk_buf_init(&b, 4096);
  assert_int_equal(openai_render_error(&e, &b), 0);
  assert_non_null(strstr(b.data, "\"error\":{"));
  assert_non_null(strstr(b.data, "\"code\":\"rate_limit_exceeded\""));
  sk_buf_reset(&b);
  assert_int_equal(anthropic_render_error(&e, &b), 0);
  assert_non_null(strstr(b.data, "\"type\":\"error\""));
  assert_non_null(strstr(b.data, "\"rate_limit_error\""));
  assert_int_equal(api_err_status(e.kind), 429);
  sk_buf_release(&b);
}

static void anthropic_stream_event_order(void **state) {
  (void)state;
  api_request r;
  api_request_init(&r);
  r.proto = API_PROTO_ANTHROPIC;
  api_result res = {.id = "msg_1", .model = "m", .n_prompt = 3, .n_gen = 2, .finish = API_FINISH_EOS};
  sk_buf b;
  sk_buf_init(&b, 1 << 16);
  assert_int_equal(anthropic_stream_begin(&r, &res, &b), 0);
  assert_int_equal(anthropic_stream_delta(&r, &res, "日本", strlen("日本"), &b), 0);
  assert_int_equal(anthropic_stream_end(&r, &res, &b), 0);
  static const char *const order[] = {"event: message_start", "event: content_block_start", "event: ping",
                                      "event: content_block_delta", "event: content_block_stop",
                                      "event: message_delta", "event: message_stop"};
  const char *p = b.data;
  for (size_t i = 0; i < 7; i++) {
    const char *q = strstr(p, order[i]);
    assert_non_null(q);
    p = q + 1;
  }
  assert_non_null(strstr(b.data, "\"stop_reason\":\"end_turn\""));
  sk_buf_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(openai_chat_fields),          cmocka_unit_test(openai_chat_errors_name_the_field),
      cmocka_unit_test(malformed_and_invalid_utf8),  cmocka_unit_test(anthropic_system_blocks_and_stops),
      cmocka_unit_test(error_shapes),                cmocka_unit_test(anthropic_stream_event_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
