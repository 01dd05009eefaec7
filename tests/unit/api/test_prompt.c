/* Prompt building with the truncation opt-in, over the toy backend (one token per byte, template
 * "<|role|>content\n" per message + "<|assistant|>"): without the opt-in nothing is cut; with it
 * system messages stay, the oldest turns go first, whole exchanges are kept, the last message is
 * cut from its start at a character boundary only when it alone is too long, and a system prompt
 * that cannot fit is an error naming both lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api/backend.h"
#include "api/openai.h"
#include "api/anthropic.h"
#include "api/prompt.h"
#include "base/alloc.h"
#include "base/utf8.h"

#define CTX 128

static sched_backend open_toy(void) {
  sk_err err;
  sched_backend be;
  backend_toy_params tp = {.n_ctx = CTX, .n_seq = 1, .n_batch = 64};
  assert_int_equal(backend_toy_new(&tp, &be, &err), 0);
  return be;
}

/* The prompt text back from toy tokens (token id == byte). */
static void detok(const int32_t *t, size_t n, char *out, size_t cap) {
  assert_true(n < cap);
  for (size_t i = 0; i < n; i++) out[i] = (char)t[i];
  out[n] = 0;
}

static int parse_chat(const char *body, api_request *r) {
  api_error e;
  api_request_init(r);
  return openai_parse_chat(body, strlen(body), r, &e);
}

#define TURNS                                                                                       \
  "{\"role\":\"system\",\"content\":\"SYS keep me\"},"                                             \
  "{\"role\":\"user\",\"content\":\"u1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"                        \
  "{\"role\":\"assistant\",\"content\":\"a1 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"},"                   \
  "{\"role\":\"user\",\"content\":\"u2 cccccccccccccccccccccccccccccccc\"},"                        \
  "{\"role\":\"assistant\",\"content\":\"a2 dddddddddddddddddddddddddddddddd\"},"                   \
  "{\"role\":\"user\",\"content\":\"u3 last question\"}"

static void no_opt_in_no_cut(void **state) {
  (void)state;
  sched_backend be = open_toy();
  api_request r;
  assert_int_equal(parse_chat("{\"model\":\"m\",\"max_tokens\":8,\"messages\":[" TURNS "]}", &r), 0);
  assert_int_equal(r.truncate_start, 0);
  int32_t *t = NULL;
  size_t n = 0;
  api_prompt_cut cut;
  api_error e;
  assert_int_equal(api_prompt_build(&be, &r, &t, &n, &cut, &e), 0);
  assert_true(n > CTX); /* too long, and left for sched_submit to refuse with both lengths */
  assert_int_equal(cut.n_before, 0);
  sk_free(t);
  api_request_release(&r);
  be.close(be.impl);
}

static void drops_oldest_turns_keeps_system(void **state) {
  (void)state;
  sched_backend be = open_toy();
  api_request r;
  assert_int_equal(parse_chat("{\"model\":\"m\",\"max_tokens\":8,\"sekisho\":{\"truncate\":\"start\"},"
                              "\"messages\":[" TURNS "]}",
                              &r),
                   0);
  assert_int_equal(r.truncate_start, 1);
  int32_t *t = NULL;
  size_t n = 0;
  api_prompt_cut cut;
  api_error e;
  assert_int_equal(api_prompt_build(&be, &r, &t, &n, &cut, &e), 0);
  uint32_t budget = api_prompt_budget(CTX, 8);
  assert_int_equal(budget, CTX - 8);
  assert_true(n <= budget);
  char txt[CTX + 1];
  detok(t, n, txt, sizeof txt);
  assert_non_null(strstr(txt, "<|system|>SYS keep me\n"));
  assert_non_null(strstr(txt, "u3 last question"));
  assert_null(strstr(txt, "u1 ")); /* oldest turn gone */
  assert_null(strstr(txt, "a1 "));
  /* system 22 + template 13 + u3 25 = 60 tokens; + a2 (49) fits 120 but would start with an
   * assistant turn, so the kept conversation starts at the next user turn: u3 alone */
  const char *first_turn = strstr(txt, "<|system|>SYS keep me\n") + strlen("<|system|>SYS keep me\n");
  assert_memory_equal(first_turn, "<|user|>", 8);
  assert_int_equal(cut.dropped_messages, 4);
  assert_null(strstr(txt, "a2 "));
  assert_int_equal(cut.dropped_bytes, 0);
  assert_true(cut.n_before > CTX);
  sk_free(t);
  api_request_release(&r);
  be.close(be.impl);
}

static void cuts_last_message_at_char_boundary(void **state) {
  (void)state;
  sched_backend be = open_toy();
  /* one user message of 60 three-byte characters (180 bytes) after a short system prompt */
  char body[1024];
  char big[200] = {0};
  for (int i = 0; i < 60; i++) strcat(big, "関");
  snprintf(body, sizeof body,
           "{\"model\":\"m\",\"max_tokens\":16,\"sekisho\":{\"truncate\":\"start\"},\"messages\":["
           "{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"%s\"}]}",
           big);
  api_request r;
  assert_int_equal(parse_chat(body, &r), 0);
  int32_t *t = NULL;
  size_t n = 0;
  api_prompt_cut cut;
  api_error e;
  assert_int_equal(api_prompt_build(&be, &r, &t, &n, &cut, &e), 0);
  uint32_t budget = api_prompt_budget(CTX, 16);
  assert_true(n <= budget);
  assert_true(n + 3 > budget); /* as little cut as possible: one more character would not fit */
  char txt[CTX + 1];
  detok(t, n, txt, sizeof txt);
  assert_true(sk_utf8_valid(txt, n, NULL));
  assert_memory_equal(txt, "<|system|>S\n<|user|>関", strlen("<|system|>S\n<|user|>関"));
  assert_int_equal(cut.dropped_messages, 0);
  assert_int_equal(cut.dropped_bytes % 3, 0);
  assert_true(cut.dropped_bytes > 0);
  sk_free(t);
  api_request_release(&r);
  be.close(be.impl);
}

static void system_alone_too_long_is_an_error(void **state) {
  (void)state;
  sched_backend be = open_toy();
  char body[1024], sys[200];
  memset(sys, 'x', 150);
  sys[150] = 0;
  snprintf(body, sizeof body,
           "{\"model\":\"m\",\"max_tokens\":4,\"system\":\"%s\",\"sekisho\":{\"truncate\":\"start\"},"
           "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
           sys);
  api_request r;
  api_error e;
  api_request_init(&r);
  assert_int_equal(anthropic_parse_messages(body, strlen(body), &r, &e), 0);
  assert_int_equal(r.truncate_start, 1);
  int32_t *t = NULL;
  size_t n = 0;
  memset(&e, 0, sizeof e);
  assert_int_equal(api_prompt_build(&be, &r, &t, &n, NULL, &e), -1);
  assert_int_equal(e.kind, API_ERR_INVALID);
  assert_non_null(strstr(e.message, "128-token context"));
  assert_null(t);
  api_request_release(&r);
  be.close(be.impl);
}

static void completion_prompt_keeps_its_end(void **state) {
  (void)state;
  sched_backend be = open_toy();
  char body[1024], p[300];
  for (int i = 0; i < 299; i++) p[i] = (char)('a' + i % 26);
  p[299] = 0;
  snprintf(body, sizeof body, "{\"model\":\"m\",\"prompt\":\"%s\",\"max_tokens\":1000,\"sekisho\":{\"truncate\":\"start\"}}", p);
  api_request r;
  api_error e;
  api_request_init(&r);
  assert_int_equal(openai_parse_completion(body, strlen(body), &r, &e), 0);
  int32_t *t = NULL;
  size_t n = 0;
  api_prompt_cut cut;
  assert_int_equal(api_prompt_build(&be, &r, &t, &n, &cut, &e), 0);
  assert_int_equal(n, CTX / 2); /* max_tokens reserves at most half the context */
  assert_int_equal(t[n - 1], (unsigned char)p[298]);
  assert_int_equal(cut.dropped_bytes, 299 - CTX / 2);
  sk_free(t);
  api_request_release(&r);
  be.close(be.impl);
}

static void bad_truncate_value_named(void **state) {
  (void)state;
  api_request r;
  api_error e;
  api_request_init(&r);
  const char *b = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"sekisho\":{\"truncate\":\"middle\"}}";
  assert_int_equal(openai_parse_chat(b, strlen(b), &r, &e), -1);
  assert_string_equal(e.param, "sekisho.truncate");
  api_request_init(&r);
  b = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"sekisho\":{\"truncate\":\"none\"}}";
  assert_int_equal(openai_parse_chat(b, strlen(b), &r, &e), 0);
  assert_int_equal(r.truncate_start, 0);
  api_request_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(no_opt_in_no_cut),
      cmocka_unit_test(drops_oldest_turns_keeps_system),
      cmocka_unit_test(cuts_last_message_at_char_boundary),
      cmocka_unit_test(system_alone_too_long_is_an_error),
      cmocka_unit_test(completion_prompt_keeps_its_end),
      cmocka_unit_test(bad_truncate_value_named),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
