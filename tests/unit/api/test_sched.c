/* Scheduler tests over the deterministic toy backend: batching must not change any sequence's
 * output, the queue is bounded, long prompts are refused with both lengths, cancellation frees
 * the slot, stop strings cut the text, and output is always valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api/backend.h"
#include "api/sched.h"
#include "base/alloc.h"
#include "base/utf8.h"
#include <stdio.h>

typedef struct fx {
  sched_backend be;
  sched *s;
} fx;

static void fx_open(fx *f, uint32_t parallel, uint32_t queue, uint32_t n_ctx, uint32_t decode_us) {
  sk_err err;
  backend_toy_params tp = {.n_ctx = n_ctx, .n_seq = parallel, .n_batch = 64, .decode_us = decode_us};
  assert_int_equal(backend_toy_new(&tp, &f->be, &err), 0);
  sched_params sp = {.n_parallel = parallel, .max_queue = queue};
  assert_int_equal(sched_new(&f->be, &sp, &f->s, &err), 0);
}

static void fx_close(fx *f) {
  sched_free(f->s);
  f->be.close(f->be.impl);
}

static sched_job *submit(fx *f, const char *prompt, int32_t max_tokens, uint64_t seed, const char *stop) {
  int32_t toks[256];
  size_t n = strlen(prompt);
  assert_true(n < 256);
  for (size_t i = 0; i < n; i++) toks[i] = (unsigned char)prompt[i];
  sampler_params sp = sampler_params_default();
  sp.temperature = 1.0f;
  sp.top_k = 0;
  sp.top_p = 1.0f;
  sp.min_p = 0.0f;
  sp.seed = seed;
  const char *stops[1] = {stop};
  sched_job_params jp = {.prompt = toks, .n_prompt = n, .max_tokens = max_tokens, .sampling = sp,
                         .stop = stops, .n_stop = stop ? 1 : 0};
  sched_job *j = NULL;
  sk_err err;
  assert_int_equal(sched_submit(f->s, &jp, &j, &err), 0);
  return j;
}

static void drain(sched_job *j, sk_buf *out, sched_job_info *info) {
  while (!sched_job_poll(j, 50, out, info)) {}
}

static void batching_does_not_change_outputs(void **state) {
  (void)state;
  enum { N = 8 };
  char *alone[N];
  fx f;
  fx_open(&f, 1, 64, 512, 0);
  for (int i = 0; i < N; i++) {
    char prompt[32];
    snprintf(prompt, sizeof prompt, "prompt number %d", i * 7);
    sched_job *j = submit(&f, prompt, 40 + i, 100 + (uint64_t)i, NULL);
    sk_buf out;
    sk_buf_init(&out, 1 << 20);
    sched_job_info info;
    drain(j, &out, &info);
    assert_true(info.finish == API_FINISH_LENGTH || info.finish == API_FINISH_EOS);
    assert_true(out.len > 0);
    assert_true(sk_utf8_valid(out.data, out.len, NULL));
    alone[i] = sk_buf_detach(&out);
    sched_job_release(j);
  }
  fx_close(&f);

  fx_open(&f, N, 64, 512, 0);
  sched_job *jobs[N];
  for (int i = 0; i < N; i++) {
    char prompt[32];
    snprintf(prompt, sizeof prompt, "prompt number %d", i * 7);
    jobs[i] = submit(&f, prompt, 40 + i, 100 + (uint64_t)i, NULL);
  }
  for (int i = 0; i < N; i++) {
    sk_buf out;
    sk_buf_init(&out, 1 << 20);
    sched_job_info info;
    drain(jobs[i], &out, &info);
    assert_string_equal(out.data, alone[i]);
    sk_buf_release(&out);
    sched_job_release(jobs[i]);
    sk_free(alone[i]);
  }
  sched_stats st;
  sched_get_stats(f.s, &st);
  /* shared decode calls: fewer calls than tokens means sequences were batched together */
  assert_true(st.decode_calls < st.decode_tokens / 2);
  fx_close(&f);
}

static void queue_is_bounded_and_long_prompts_refused(void **state) {
  (void)state;
  fx f;
  fx_open(&f, 1, 2, 64, 2000);
  sched_job *a = submit(&f, "a", 1000, 1, NULL);
  sched_job *b = submit(&f, "b", 1000, 1, NULL);
  sched_job *c = submit(&f, "c", 1000, 1, NULL);
  int32_t t = 'x';
  sched_job_params jp = {.prompt = &t, .n_prompt = 1, .max_tokens = 5, .sampling = sampler_params_default()};
  sched_job *d = NULL;
  sk_err err;
  /* one running (or about to), two queued: the fourth is refused */
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  assert_int_equal(sched_submit(f.s, &jp, &d, &err), SK_EBUSY);
  assert_null(d);
  int32_t big[64];
  for (int i = 0; i < 64; i++) big[i] = 'y';
  jp.prompt = big;
  jp.n_prompt = 64;
  assert_int_equal(sched_submit(f.s, &jp, &d, &err), SK_ELIMIT);
  assert_non_null(strstr(err.msg, "64 tokens"));
  assert_non_null(strstr(err.msg, "limit is 64"));
  sched_job_release(a);
  sched_job_release(b);
  sched_job_release(c);
  fx_close(&f);
}

static void cancel_frees_the_slot(void **state) {
  (void)state;
  fx f;
  fx_open(&f, 1, 4, 2048, 1000);
  sched_job *a = submit(&f, "long one", 30000 > 1900 ? 1900 : 30000, 3, NULL);
  sk_buf out;
  sk_buf_init(&out, 1 << 20);
  sched_job_info info;
  while (out.len == 0) sched_job_poll(a, 20, &out, &info); /* it is generating */
  sched_job_cancel(a);
  drain(a, &out, &info);
  assert_int_equal(info.finish, API_FINISH_CANCELLED);
  sched_stats st;
  sched_get_stats(f.s, &st);
  assert_int_equal(st.active, 0);
  /* the freed slot serves the next request */
  sched_job *b = submit(&f, "next", 3, 4, NULL);
  sk_buf_reset(&out);
  drain(b, &out, &info);
  assert_int_equal(info.n_gen, 3);
  sk_buf_release(&out);
  sched_job_release(a);
  sched_job_release(b);
  fx_close(&f);
}

static void stop_string_cuts_output(void **state) {
  (void)state;
  fx f;
  fx_open(&f, 2, 4, 512, 0);
  sched_job *a = submit(&f, "stop test", 200, 9, NULL);
  sk_buf full;
  sk_buf_init(&full, 1 << 20);
  sched_job_info info;
  drain(a, &full, &info);
  sched_job_release(a);
  assert_true(full.len > 8);
  /* take a stop string from the middle of the text it generates */
  char stop[8];
  size_t cut = full.len / 2;
  while (cut < full.len && (full.data[cut] & 0xC0) == 0x80) cut++;
  size_t sl = 1;
  while (cut + sl < full.len && (full.data[cut + sl] & 0xC0) == 0x80) sl++;
  memcpy(stop, full.data + cut, sl);
  stop[sl] = 0;
  const char *first = strstr(full.data, stop);
  sched_job *b = submit(&f, "stop test", 200, 9, stop);
  sk_buf out;
  sk_buf_init(&out, 1 << 20);
  drain(b, &out, &info);
  assert_int_equal(info.finish, API_FINISH_STOP);
  assert_int_equal(out.len, (size_t)(first - full.data));
  assert_true(out.len == 0 || !memcmp(out.data, full.data, out.len));
  sk_buf_release(&out);
  sk_buf_release(&full);
  sched_job_release(b);
  fx_close(&f);
}

/* Every chunk a reader takes is valid UTF-8 on its own, although the toy model emits "日" as
 * three byte tokens. */
static void chunks_are_whole_characters(void **state) {
  (void)state;
  fx f;
  fx_open(&f, 2, 4, 2048, 200);
  int saw_split_char = 0;
  for (uint64_t seed = 1; seed <= 6; seed++) {
    sched_job *j = submit(&f, "utf8", 150, seed, NULL);
    sched_job_info info;
    for (;;) {
      sk_buf chunk;
      sk_buf_init(&chunk, 1 << 20);
      int fin = sched_job_poll(j, 1, &chunk, &info);
      if (chunk.len) {
        assert_true(sk_utf8_valid(chunk.data, chunk.len, NULL));
        assert_null(strstr(chunk.data, "\xef\xbf\xbd")); /* no U+FFFD */
        for (const char *p = chunk.data; (p = strstr(p, "日")) != NULL; p += 3)
          if (strncmp(p + 3, "本", 3)) saw_split_char = 1; /* not the whole-word token 日本 */
      }
      sk_buf_release(&chunk);
      if (fin) break;
    }
    sched_job_release(j);
  }
  assert_true(saw_split_char);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(batching_does_not_change_outputs),
      cmocka_unit_test(queue_is_bounded_and_long_prompts_refused),
      cmocka_unit_test(cancel_frees_the_slot),
      cmocka_unit_test(stop_string_cuts_output),
      cmocka_unit_test(chunks_are_whole_characters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
