/* jscan (the relay's one-pass event reader) against jansson, the parser it replaced, and
 * sk_json_str (the writer the relay builds request bodies with) round-tripped through jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/err.h"
#include "base/jsonw.h"
#include "upstream/jscan.h"

/* jansson's view of a path ("a.0.b"): the value or NULL. */
static json_t *jpath(json_t *root, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *v = root;
  for (char *seg = strtok(buf, "."); seg && v; seg = strtok(NULL, ".")) {
    if (json_is_array(v)) {
      char *end;
      long i = strtol(seg, &end, 10);
      v = *end ? NULL : json_array_get(v, (size_t)i);
    } else {
      v = json_object_get(v, seg);
    }
  }
  return v;
}

/* Both parsers agree on validity, and on every field's type and value. */
static void agree(const char *text, const char *const *paths, size_t n) {
  json_error_t je;
  json_t *j = json_loadb(text, strlen(text), 0, &je);
  jscan_field f[8];
  assert_true(n <= 8);
  for (size_t i = 0; i < n; i++) f[i].path = paths[i];
  int rc = jscan(text, strlen(text), f, n);
  if (!j) {
    if (rc == 0) fail_msg("jscan accepted what jansson refused: %s", text);
    return;
  }
  if (rc) fail_msg("jscan refused what jansson accepted: %s", text);
  for (size_t i = 0; i < n; i++) {
    json_t *v = jpath(j, paths[i]);
    if (!v) {
      assert_int_equal(f[i].type, JSCAN_ABSENT);
      continue;
    }
    switch (json_typeof(v)) {
    case JSON_STRING: {
      assert_int_equal(f[i].type, JSCAN_STRING);
      sk_buf b;
      sk_buf_init(&b, 1 << 20);
      assert_int_equal(jscan_string(&f[i], &b), 0);
      assert_int_equal(b.len, json_string_length(v));
      assert_memory_equal(b.data ? b.data : "", json_string_value(v), b.len);
      sk_buf_release(&b);
      break;
    }
    case JSON_INTEGER: assert_int_equal(jscan_int(&f[i]), json_integer_value(v)); break;
    case JSON_REAL: assert_int_equal(f[i].type, JSCAN_NUMBER); assert_int_equal(jscan_int(&f[i]), 0); break;
    case JSON_OBJECT: assert_int_equal(f[i].type, JSCAN_OBJECT); break;
    case JSON_ARRAY: assert_int_equal(f[i].type, JSCAN_ARRAY); break;
    case JSON_NULL: assert_int_equal(f[i].type, JSCAN_NULL); break;
    default: assert_int_equal(f[i].type, JSCAN_BOOL); break;
    }
  }
  json_decref(j);
}

static void jscan_reads_provider_events_like_jansson(void **state) {
  (void)state;
  static const char *const ant[] = {"type", "delta.text", "message.usage.input_tokens", "usage.output_tokens",
                                    "delta.stop_reason", "error.message"};
  static const char *const oai[] = {"choices.0.delta.content", "choices.0.finish_reason", "usage",
                                    "usage.prompt_tokens", "usage.completion_tokens", "error"};
  static const char *const texts[] = {
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"田中 \\\"様\\\"\\n\"}}",
      "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":11,\"output_tokens\":0}}}",
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":-7}}",
      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded\",\"message\":\"busy \\u00e9\\ud83d\\ude00\"}}",
      " { \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"a\\tb\\\\c\\/\" } , \"finish_reason\" : null } ] } ",
      "{\"choices\":[],\"usage\":{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":1.5e3}}",
      "{\"choices\":[{\"delta\":{}},{\"delta\":{\"content\":\"second\"}}],\"error\":null}",
      "{\"type\":\"a\",\"type\":\"b\"}",
      "{\"delta\":{\"text\":123},\"usage\":[1,2,{\"x\":true}],\"t\":false}",
      "[1,2,3]", "{\"x\":7767e7677}", "{\"x\":-1e309}", "{\"x\":1e-400}", "{\"usage.output_tokens\":5,\"delta\":{\"text\":\"x\"}}", "{\"type\":\"a\",\"\":{\"type\":\"b\",\"delta\":{\"text\":\"c\"}}}",
      /* invalid: both must refuse */
      "{\"type\":\"x\"", "{\"type\":\"x\",}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
      "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xc3\x28\"}", "{\"a\":tru}",
      "{\"a\":99999999999999999999}", "{\"a\":-9223372036854775809}", "{\"a\":1} x", "", "{\"a\":[1,]}", "{a:1}",
      "{\"a\":\"\xed\xa0\x80\"}", "\"n\"", "12", "null",
  };
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    agree(texts[i], ant, 6);
    agree(texts[i], oai, 6);
  }
}

static void jscan_bounds_nesting(void **state) {
  (void)state;
  char deep[2 * JSCAN_MAX_DEPTH + 8];
  size_t n = 0;
  for (int i = 0; i < JSCAN_MAX_DEPTH + 2; i++) deep[n++] = '[';
  for (int i = 0; i < JSCAN_MAX_DEPTH + 2; i++) deep[n++] = ']';
  jscan_field f = {"0"};
  assert_int_equal(jscan(deep, n, &f, 1), -1);
}

static void json_writer_round_trips_through_jansson(void **state) {
  (void)state;
  static const char *const strs[] = {"", "plain", "田中太郎さん", "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f", "😀 end"};
  for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
    sk_buf b;
    sk_buf_init(&b, 1 << 16);
    assert_int_equal(sk_buf_append_byte(&b, '{'), 0);
    assert_int_equal(sk_json_key(&b, "k"), 0);
    assert_int_equal(sk_json_cstr(&b, strs[i]), 0);
    assert_int_equal(sk_json_key(&b, "n"), 0);
    assert_int_equal(sk_json_cstr(&b, NULL), 0);
    assert_int_equal(sk_buf_append_byte(&b, '}'), 0);
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "k")), strs[i]);
    assert_true(json_is_null(json_object_get(j, "n")));
    json_decref(j);
    sk_buf_release(&b);
  }
  sk_buf b;
  sk_buf_init(&b, 64);
  assert_int_equal(sk_json_str(&b, "a\xc3", 2), SK_EINVAL); /* truncated UTF-8 */
  assert_int_equal(sk_json_str(&b, "a\0b", 3), SK_EINVAL);
  assert_int_equal(b.len, 0);
  sk_buf_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(jscan_reads_provider_events_like_jansson),
      cmocka_unit_test(jscan_bounds_nesting),
      cmocka_unit_test(json_writer_round_trips_through_jansson),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
