/* GGUF reader: real files parse; truncated, corrupted and hostile files give errors, never
 * crashes. Oracle models are read from ../shared (skipped with a reason when absent). */
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
#include "engine/gguf.h"
#include "engine/gtype.h"

#define ORACLE "../shared/oracle/models/"

static const char *k_models[] = {
    "llama-spm-Q8_0.gguf",        "llama-spm-F16.gguf",     "llama-spm-e256-Q4_K_M.gguf",
    "llama-spm-e256-Q6_K.gguf",   "llama-bpe-Q4_0.gguf",    "qwen2-Q8_0.gguf",
    "qwen3-Q4_K_M.gguf",          "stories260K-f32.gguf",   "stories260K-Q8_0.gguf",
    "llama-spm-e256-Q4_0.gguf",   "stories260K-Q4_K_M.gguf",
};

static int have(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fclose(f);
  return 1;
}

static void oracle_models_parse(void **state) {
  (void)state;
  int seen = 0;
  for (size_t i = 0; i < sizeof k_models / sizeof k_models[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, ORACLE "%s", k_models[i]);
    if (!have(path)) {
      printf("skip: %s absent\n", path);
      continue;
    }
    seen++;
    gguf_file *f;
    sk_err err;
    int rc = gguf_open(path, &f, &err);
    if (rc) fail_msg("%s: %s", path, err.msg);
    assert_true(gguf_version(f) == 2 || gguf_version(f) == 3);
    gguf_str arch;
    assert_int_equal(gguf_get_str(f, "general.architecture", &arch), SK_OK);
    assert_true(gguf_str_eq(arch, "llama") || gguf_str_eq(arch, "qwen2") ||
                gguf_str_eq(arch, "qwen3"));
    const gguf_tensor *emb = gguf_find_tensor(f, "token_embd.weight");
    assert_non_null(emb);
    assert_int_equal(emb->n_dims, 2);
    uint32_t et;
    uint64_t n_tok;
    assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &n_tok), SK_OK);
    assert_int_equal(et, GGUF_TYPE_STRING);
    assert_int_equal(n_tok, emb->ne[1]);
    gguf_str last;
    assert_int_equal(gguf_arr_str(f, "tokenizer.ggml.tokens", n_tok - 1, &last), SK_OK);
    assert_int_equal(gguf_arr_str(f, "tokenizer.ggml.tokens", n_tok, &last), SK_ERANGE);
    for (size_t t = 0; t < gguf_tensor_count(f); t++) {
      const gguf_tensor *ti = gguf_tensor_at(f, t);
      assert_int_equal(ti->offset % gguf_alignment(f), 0);
      assert_true(gguf_data_offset(f) + ti->offset + ti->size_bytes <= gguf_file_size(f));
    }
    uint32_t n_layer;
    char key[128];
    snprintf(key, sizeof key, "%.*s.block_count", (int)arch.len, arch.ptr);
    assert_int_equal(gguf_get_u32(f, key, &n_layer), SK_OK);
    assert_true(n_layer >= 1 && n_layer <= 8);
    gguf_close(f);
  }
  if (!seen) printf("skip: no oracle models under " ORACLE "\n");
}

/* Every prefix of a real file shorter than its header must fail cleanly, and so must a file
 * whose tensor data is cut. Byte flips in the header must either parse or fail cleanly. */
/* The copy onto 2 MiB pages (GGUF_LOAD_HUGE) holds the same bytes as the mapping: every
 * tensor's data compares equal, the data is aligned as the file says, and AUTO keeps small
 * files mapped. */
static void load_modes_agree(void **state) {
  (void)state;
  int seen = 0;
  for (size_t i = 0; i < sizeof k_models / sizeof k_models[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, ORACLE "%s", k_models[i]);
    if (!have(path)) {
      printf("skip: %s absent\n", path);
      continue;
    }
    seen++;
    gguf_file *fm, *fh, *fa;
    sk_err err;
    if (gguf_open_ex(path, GGUF_LOAD_MAP, &fm, &err)) fail_msg("%s: %s", path, err.msg);
    if (gguf_open_ex(path, GGUF_LOAD_HUGE, &fh, &err)) fail_msg("%s: %s", path, err.msg);
    if (gguf_open_ex(path, GGUF_LOAD_AUTO, &fa, &err)) fail_msg("%s: %s", path, err.msg);
    assert_int_equal(gguf_is_copied(fm), 0);
    assert_int_equal(gguf_is_copied(fh), 1); /* anonymous memory is available here */
    if (gguf_file_size(fa) < GGUF_HUGE_MIN_BYTES) assert_int_equal(gguf_is_copied(fa), 0);
    assert_int_equal(gguf_tensor_count(fm), gguf_tensor_count(fh));
    assert_int_equal(gguf_kv_count(fm), gguf_kv_count(fh));
    for (size_t t = 0; t < gguf_tensor_count(fm); t++) {
      const gguf_tensor *a = gguf_tensor_at(fm, t), *b = gguf_tensor_at(fh, t);
      assert_int_equal(a->size_bytes, b->size_bytes);
      assert_int_equal((uintptr_t)b->data % gguf_alignment(fh), 0);
      assert_memory_equal(a->data, b->data, a->size_bytes);
    }
    gguf_close(fa);
    gguf_close(fh);
    gguf_close(fm);
  }
  if (!seen) printf("skip: no oracle model under " ORACLE "\n");
}

static void truncation_and_corruption_fail_cleanly(void **state) {
  (void)state;
  const char *path = ORACLE "stories260K-f32.gguf";
  if (!have(path)) {
    printf("skip: %s absent\n", path);
    return;
  }
  char *data;
  size_t n;
  sk_err err;
  assert_int_equal(sk_read_file(path, 64u << 20, &data, &n, &err), SK_OK);
  gguf_file *f;
  assert_int_equal(gguf_open_memory(data, n, &f, &err), SK_OK);
  size_t hdr = (size_t)gguf_data_offset(f);
  gguf_close(f);
  for (size_t cut = 0; cut < hdr; cut += (cut < 256 ? 1 : 7)) {
    int rc = gguf_open_memory(data, cut, &f, &err);
    assert_int_not_equal(rc, SK_OK);
    assert_null(f);
    assert_true(strlen(err.msg) > 0);
  }
  assert_int_not_equal(gguf_open_memory(data, n - 1, &f, &err), SK_OK);
  assert_non_null(strstr(err.msg, "past the end"));

  char *copy = malloc(n);
  assert_non_null(copy);
  uint64_t seed = 12345;
  for (int iter = 0; iter < 3000; iter++) {
    memcpy(copy, data, n);
    for (int k = 0; k < 4; k++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      size_t pos = (size_t)((seed >> 33) % hdr);
      copy[pos] = (char)(seed >> 24);
    }
    if (gguf_open_memory(copy, n, &f, &err) == SK_OK) {
      /* walk everything the API exposes */
      for (size_t i = 0; i < gguf_kv_count(f); i++) {
        double d;
        gguf_str s;
        (void)gguf_kv_number(f, i, &d);
        (void)gguf_kv_str(f, i, &s);
      }
      gguf_close(f);
    }
  }
  free(copy);
  sk_free(data);
}

static void hostile_counts_do_not_allocate(void **state) {
  (void)state;
  unsigned char hdr[64] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  uint64_t n_t = 1, n_kv = 0xFFFFFFFFFFull;
  memcpy(hdr + 8, &n_t, 8);
  memcpy(hdr + 16, &n_kv, 8);
  gguf_file *f;
  sk_err err;
  assert_int_equal(gguf_open_memory(hdr, sizeof hdr, &f, &err), SK_EFORMAT);
  assert_non_null(strstr(err.msg, "metadata count"));
  /* a huge string length */
  n_kv = 1;
  n_t = 0;
  memcpy(hdr + 8, &n_t, 8);
  memcpy(hdr + 16, &n_kv, 8);
  uint64_t klen = 0x7FFFFFFFFFFFFFFFull;
  memcpy(hdr + 24, &klen, 8);
  assert_int_equal(gguf_open_memory(hdr, sizeof hdr, &f, &err), SK_EFORMAT);
  assert_non_null(strstr(err.msg, "metadata key"));
  /* wrong magic and version */
  assert_int_equal(gguf_open_memory("GGUX\3\0\0\0", 8, &f, &err), SK_EFORMAT);
  unsigned char v1[24] = {'G', 'G', 'U', 'F', 1};
  assert_int_equal(gguf_open_memory(v1, sizeof v1, &f, &err), SK_ENOTSUP);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(oracle_models_parse),
      cmocka_unit_test(load_modes_agree),
      cmocka_unit_test(truncation_and_corruption_fail_cleanly),
      cmocka_unit_test(hostile_counts_do_not_allocate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
