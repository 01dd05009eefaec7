#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>

#include "api/anthropic.h"
#include "api/openai.h"
#include "api/request.h"
#include "base/buf.h"

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

/* The results are written as text: each must be exactly what jansson writes for the same
 * document (key order included), for every protocol and way of finishing; text jansson would
 * refuse as UTF-8 and text with a NUL byte keep their old renderings. */
static void render_result_matches_jansson(void **state) {
  (void)state;
  static const api_proto protos[] = {API_PROTO_OPENAI_CHAT, API_PROTO_OPENAI_COMPLETION, API_PROTO_ANTHROPIC};
  static const api_finish fins[] = {API_FINISH_NONE, API_FINISH_EOS, API_FINISH_LENGTH, API_FINISH_STOP,
                                    API_FINISH_CANCELLED};
  const char text[] = "田中 \"quoted\" \\ back\nline\ttab";
  for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++)
    for (size_t f = 0; f < sizeof fins / sizeof fins[0]; f++) {
      api_request req;
      api_request_init(&req);
      req.proto = protos[p];
      api_result r = {.id = "msg_1\"x", .model = "m/関", .created = 1700000000123LL, .text = text,
                      .text_len = strlen(text), .finish = fins[f], .stop_seq = f == 3 ? "END\n" : NULL,
                      .n_prompt = 11, .n_gen = 7};
      sk_buf b;
      sk_buf_init(&b, 1 << 20);
      assert_int_equal(protos[p] == API_PROTO_ANTHROPIC ? anthropic_render_result(&req, &r, &b)
                                                        : openai_render_result(&req, &r, &b),
                       0);
      json_error_t je;
      json_t *j = json_loadb(b.data, b.len, 0, &je);
      assert_non_null(j);
      char *again = json_dumps(j, JSON_COMPACT);
      assert_string_equal(b.data, again);
      free(again);
      json_t *t = protos[p] == API_PROTO_ANTHROPIC ? json_object_get(json_array_get(json_object_get(j, "content"), 0), "text")
                  : protos[p] == API_PROTO_OPENAI_CHAT
                      ? json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content")
                      : json_object_get(json_array_get(json_object_get(j, "choices"), 0), "text");
      assert_string_equal(json_string_value(t), text);
      json_decref(j);
      sk_buf_release(&b);
    }
  /* invalid UTF-8 and a NUL byte: the tree's renderings (U+FFFD; \u0000) */
  const char bad[] = "ab\xff", nul[] = "a\0b";
  for (int k = 0; k < 2; k++)
    for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++) {
      api_request req;
      api_request_init(&req);
      req.proto = protos[p];
      api_result r = {.id = "x", .model = "m", .text = k ? nul : bad, .text_len = 3, .finish = API_FINISH_EOS};
      sk_buf b;
      sk_buf_init(&b, 1 << 20);
      sk_buf_append_str(&b, "prefix:");
      assert_int_equal(protos[p] == API_PROTO_ANTHROPIC ? anthropic_render_result(&req, &r, &b)
                                                        : openai_render_result(&req, &r, &b),
                       0);
      assert_memory_equal(b.data, "prefix:{", 8);
      assert_non_null(strstr(b.data, k ? "a\\u0000b" : "\xef\xbf\xbd"));
      json_t *j = json_loads(b.data + 7, JSON_ALLOW_NUL, NULL);
      assert_non_null(j);
      json_decref(j);
      sk_buf_release(&b);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(openai_chat_fields),          cmocka_unit_test(openai_chat_errors_name_the_field),
      cmocka_unit_test(malformed_and_invalid_utf8),  cmocka_unit_test(anthropic_system_blocks_and_stops),
      cmocka_unit_test(error_shapes),                cmocka_unit_test(anthropic_stream_event_order),
      cmocka_unit_test(render_result_matches_jansson),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
