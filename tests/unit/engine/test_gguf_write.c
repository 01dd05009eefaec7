/* GGUF writer: everything written reads back identically through the reader
 * (gguf_open_memory), alignment and padding are right, and misuse gives errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/gtype.h"

#define MAX_FILE (1u << 24)

static void ok(int rc, const sk_err *err) {
  if (rc) fail_msg("rc %d: %s", rc, err->msg);
}

/* Builds a file with every value type and three tensors; returns it in b. */
static void build(sk_buf *b, uint32_t alignment) {
  sk_err err;
  gguf_writer *w;
  ok(gguf_writer_new(&w, &err), &err);
  if (alignment != 32) ok(gguf_writer_set_alignment(w, alignment, &err), &err);
  ok(gguf_writer_add_str(w, "general.architecture", "llama", &err), &err);
  ok(gguf_writer_add_u8(w, "t.u8", 200, &err), &err);
  ok(gguf_writer_add_i8(w, "t.i8", -100, &err), &err);
  ok(gguf_writer_add_u16(w, "t.u16", 60000, &err), &err);
  ok(gguf_writer_add_i16(w, "t.i16", -30000, &err), &err);
  ok(gguf_writer_add_u32(w, "t.u32", 4000000000u, &err), &err);
  ok(gguf_writer_add_i32(w, "t.i32", -2000000000, &err), &err);
  ok(gguf_writer_add_u64(w, "t.u64", 1ull << 60, &err), &err);
  ok(gguf_writer_add_i64(w, "t.i64", -(1ll << 60), &err), &err);
  ok(gguf_writer_add_f32(w, "t.f32", 0.125f, &err), &err);
  ok(gguf_writer_add_f64(w, "t.f64", 1e300, &err), &err);
  ok(gguf_writer_add_bool(w, "t.bool", 1, &err), &err);
  ok(gguf_writer_add_strn(w, "t.str", "関所\0x", 8, &err), &err); /* embedded NUL kept */
  const float fa[4] = {1.5f, -2.0f, 0.0f, 1e-3f};
  const int32_t ia[3] = {-1, 0, 7};
  const uint8_t ua[5] = {1, 2, 3, 4, 255};
  ok(gguf_writer_add_arr(w, "t.arr_f32", GGUF_TYPE_FLOAT32, fa, 4, &err), &err);
  ok(gguf_writer_add_arr(w, "t.arr_i32", GGUF_TYPE_INT32, ia, 3, &err), &err);
  ok(gguf_writer_add_arr(w, "t.arr_u8", GGUF_TYPE_UINT8, ua, 5, &err), &err);
  ok(gguf_writer_add_arr(w, "t.arr_empty", GGUF_TYPE_INT64, NULL, 0, &err), &err);
  const char *sa[4] = {"<s>", "", "▁日本", "x"};
  ok(gguf_writer_add_arr_str(w, "t.arr_str", sa, 4, &err), &err);
  const uint64_t ne_a[2] = {3, 2}, ne_b[1] = {64}, ne_c[3] = {32, 1, 3};
  ok(gguf_writer_add_tensor(w, "a", 2, ne_a, GTYPE_F32, &err), &err);
  ok(gguf_writer_add_tensor(w, "b", 1, ne_b, GTYPE_F16, &err), &err);
  ok(gguf_writer_add_tensor(w, "c", 3, ne_c, GTYPE_Q8_0, &err), &err);
  sk_buf_init(b, MAX_FILE);
  ok(gguf_writer_begin(w, gguf_sink_buf, b, &err), &err);
  float a[6] = {1, 2, 3, 4, 5, 6};
  ok(gguf_writer_write(w, a, sizeof a, &err), &err);
  uint8_t bytes[128 + 3 * 34];
  for (size_t i = 0; i < sizeof bytes; i++)
    bytes[i] = (uint8_t)(i * 7 + 1);
  ok(gguf_writer_write(w, bytes, 100, &err), &err); /* spans tensors b and c */
  ok(gguf_writer_write(w, bytes + 100, sizeof bytes - 100, &err), &err);
  ok(gguf_writer_end(w, &err), &err);
  assert_int_equal(gguf_writer_total_bytes(w), b->len);
  gguf_writer_free(w);
}

static void check(const sk_buf *b, uint32_t alignment) {
  gguf_file *f;
  sk_err err;
  ok(gguf_open_memory(b->data, b->len, &f, &err), &err);
  assert_int_equal(gguf_version(f), 3);
  assert_int_equal(gguf_alignment(f), alignment);
  assert_int_equal(gguf_kv_count(f), 18 + (alignment != 32));
  gguf_str s;
  ok(gguf_get_str(f, "general.architecture", &s), &err);
  assert_true(gguf_str_eq(s, "llama"));
  double d;
  const struct {
    const char *key;
    uint32_t type;
    double value;
  } nums[] = {{"t.u8", GGUF_TYPE_UINT8, 200},      {"t.i8", GGUF_TYPE_INT8, -100},
              {"t.u16", GGUF_TYPE_UINT16, 60000},  {"t.i16", GGUF_TYPE_INT16, -30000},
              {"t.u32", GGUF_TYPE_UINT32, 4e9},    {"t.i32", GGUF_TYPE_INT32, -2e9},
              {"t.f32", GGUF_TYPE_FLOAT32, 0.125}, {"t.f64", GGUF_TYPE_FLOAT64, 1e300},
              {"t.bool", GGUF_TYPE_BOOL, 1}};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    long k = gguf_find_key(f, nums[i].key);
    assert_true(k >= 0);
    assert_int_equal(gguf_kv_type(f, (size_t)k), nums[i].type);
    ok(gguf_kv_number(f, (size_t)k, &d), &err);
    if (d != nums[i].value) fail_msg("%s = %g, want %g", nums[i].key, d, nums[i].value);
  }
  uint64_t u64;
  int64_t i64;
  ok(gguf_get_u64(f, "t.u64", &u64), &err);
  assert_true(u64 == 1ull << 60);
  ok(gguf_get_i64(f, "t.i64", &i64), &err);
  assert_true(i64 == -(1ll << 60));
  ok(gguf_get_str(f, "t.str", &s), &err);
  assert_int_equal(s.len, 8);
  assert_memory_equal(s.ptr, "関所\0x", 8);
  uint32_t et;
  uint64_t n;
  float fa[4];
  int32_t ia[3];
  ok(gguf_get_arr(f, "t.arr_f32", &et, &n), &err);
  assert_int_equal(et, GGUF_TYPE_FLOAT32);
  assert_int_equal(n, 4);
  ok(gguf_arr_copy_f32(f, "t.arr_f32", fa, 4), &err);
  assert_true(fa[0] == 1.5f && fa[1] == -2.0f && fa[2] == 0.0f && fa[3] == 1e-3f);
  ok(gguf_arr_copy_i32(f, "t.arr_i32", ia, 3), &err);
  assert_true(ia[0] == -1 && ia[1] == 0 && ia[2] == 7);
  ok(gguf_get_arr(f, "t.arr_u8", &et, &n), &err);
  assert_int_equal(et, GGUF_TYPE_UINT8);
  assert_int_equal(n, 5);
  ok(gguf_get_arr(f, "t.arr_empty", &et, &n), &err);
  assert_int_equal(n, 0);
  ok(gguf_get_arr(f, "t.arr_str", &et, &n), &err);
  assert_int_equal(et, GGUF_TYPE_STRING);
  assert_int_equal(n, 4);
  const char *sa[4] = {"<s>", "", "▁日本", "x"};
  for (uint64_t i = 0; i < 4; i++) {
    ok(gguf_arr_str(f, "t.arr_str", i, &s), &err);
    assert_true(gguf_str_eq(s, sa[i]));
  }
  assert_int_equal(gguf_tensor_count(f), 3);
  const gguf_tensor *a = gguf_find_tensor(f, "a"), *tb = gguf_find_tensor(f, "b"),
                    *c = gguf_find_tensor(f, "c");
  assert_non_null(a);
  assert_non_null(tb);
  assert_non_null(c);
  assert_int_equal(a->n_dims, 2);
  assert_int_equal(a->ne[0], 3);
  assert_int_equal(a->ne[1], 2);
  assert_int_equal(a->type, GTYPE_F32);
  assert_int_equal(c->n_dims, 3);
  assert_int_equal(c->ne[2], 3);
  assert_int_equal(c->size_bytes, 3 * 34);
  for (int i = 0; i < 6; i++)
    assert_true(((const float *)a->data)[i] == (float)(i + 1));
  for (size_t i = 0; i < 128; i++)
    assert_int_equal(((const uint8_t *)tb->data)[i], (uint8_t)(i * 7 + 1));
  for (size_t i = 0; i < 102; i++)
    assert_int_equal(((const uint8_t *)c->data)[i], (uint8_t)((i + 128) * 7 + 1));
  for (size_t i = 0; i < 3; i++) {
    const gguf_tensor *t = gguf_tensor_at(f, i);
    assert_int_equal(((const char *)t->data - b->data) % alignment, 0);
  }
  assert_int_equal(b->len % alignment, 0); /* the last tensor is padded too */
  gguf_close(f);
}

static void round_trip_default_alignment(void **state) {
  (void)state;
  sk_buf b;
  build(&b, 32);
  check(&b, 32);
  sk_buf_release(&b);
}

static void round_trip_alignment_64(void **state) {
  (void)state;
  sk_buf b;
  build(&b, 64);
  check(&b, 64);
  sk_buf_release(&b);
}

static void misuse_is_an_error(void **state) {
  (void)state;
  sk_err err;
  gguf_writer *w;
  ok(gguf_writer_new(&w, &err), &err);
  ok(gguf_writer_add_u32(w, "k", 1, &err), &err);
  assert_int_equal(gguf_writer_add_u32(w, "k", 2, &err), SK_EEXIST);
  assert_int_equal(gguf_writer_add_u32(w, "", 2, &err), SK_EINVAL);
  assert_int_equal(gguf_writer_add_arr(w, "nested", GGUF_TYPE_ARRAY, NULL, 0, &err), SK_EINVAL);
  const uint64_t ne[2] = {33, 2}, ne_ok[2] = {32, 2};
  assert_int_equal(gguf_writer_add_tensor(w, "q", 2, ne, GTYPE_Q8_0, &err), SK_EINVAL);
  assert_int_equal(gguf_writer_add_tensor(w, "q", 2, ne_ok, 77, &err), SK_EINVAL);
  assert_int_equal(gguf_writer_add_tensor(w, "q", 5, ne_ok, GTYPE_F32, &err), SK_EINVAL);
  ok(gguf_writer_add_tensor(w, "q", 2, ne_ok, GTYPE_Q8_0, &err), &err);
  assert_int_equal(gguf_writer_add_tensor(w, "q", 2, ne_ok, GTYPE_Q8_0, &err), SK_EEXIST);
  assert_int_equal(gguf_writer_set_alignment(w, 64, &err), SK_EINVAL); /* after a tensor */
  assert_int_equal(gguf_writer_write(w, "x", 1, &err), SK_EINVAL);     /* before begin */
  sk_buf b;
  sk_buf_init(&b, MAX_FILE);
  ok(gguf_writer_begin(w, gguf_sink_buf, &b, &err), &err);
  assert_int_equal(gguf_writer_add_u32(w, "late", 1, &err), SK_EINVAL);
  uint8_t zeros[2 * 34 + 1] = {0};
  ok(gguf_writer_write(w, zeros, 34, &err), &err);
  assert_int_equal(gguf_writer_end(w, &err), SK_EINVAL); /* 34 bytes missing */
  gguf_writer_free(w);
  ok(gguf_writer_new(&w, &err), &err);
  ok(gguf_writer_add_tensor(w, "q", 2, ne_ok, GTYPE_Q8_0, &err), &err);
  sk_buf_reset(&b);
  ok(gguf_writer_begin(w, gguf_sink_buf, &b, &err), &err);
  assert_int_equal(gguf_writer_write(w, zeros, sizeof zeros, &err), SK_ERANGE); /* one too many */
  gguf_writer_free(w);
  ok(gguf_writer_new(&w, &err), &err);
  assert_int_equal(gguf_writer_set_alignment(w, 48, &err), SK_EINVAL);
  gguf_writer_free(w);
  sk_buf_release(&b);
}

/* Every allocation failure gives SK_ENOMEM (or a clean success once past the failures) and no
 * leak (LeakSanitizer checks). */
static void allocation_failures_are_clean(void **state) {
  (void)state;
  for (long nth = 1; nth < 40; nth++) {
    sk_err err;
    gguf_writer *w = NULL;
    sk_buf b;
    sk_buf_init(&b, MAX_FILE);
    sk_alloc_fail_after(nth);
    int rc = gguf_writer_new(&w, &err);
    const char *strs[2] = {"a", "b"};
    const uint64_t ne[1] = {32};
    if (!rc) rc = gguf_writer_add_str(w, "general.name", "x", &err);
    if (!rc) rc = gguf_writer_add_arr_str(w, "s", strs, 2, &err);
    if (!rc) rc = gguf_writer_add_tensor(w, "t", 1, ne, GTYPE_F32, &err);
    if (!rc) rc = gguf_writer_begin(w, gguf_sink_buf, &b, &err);
    sk_alloc_fail_after(0);
    assert_true(rc == SK_OK || rc == SK_ENOMEM);
    gguf_writer_free(w);
    sk_buf_release(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_default_alignment),
      cmocka_unit_test(round_trip_alignment_64),
      cmocka_unit_test(misuse_is_an_error),
      cmocka_unit_test(allocation_failures_are_clean),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
