/* Dequantises every tensor of the oracle models (../shared/oracle/models, skipped when absent):
 * shapes agree with the byte sizes, every value is finite, and where the same weights exist in
 * several types (stories260K f32/Q8_0/Q4_K_M, llama-spm F16/Q8_0, llama-spm-e256 Q6_K/Q4_K_M/
 * Q4_0) the dequantised tensors agree with the more precise file within the type's error. That
 * last check would fail on any bit-layout mistake, since llama-quantize wrote these blocks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "engine/gguf.h"
#include "engine/gtype.h"
#include "engine/quant/quant.h"

#define ORACLE "../shared/oracle/models/"

static int have(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fclose(f);
  return 1;
}

/* Dequantises tensor t into a new buffer (caller frees); checks shape and finiteness. */
static float *dequant_tensor(const gguf_tensor *t, const char *file) {
  const size_t be = gtype_block_elems(t->type);
  if (!quant_type_supported(t->type))
    fail_msg("%s: %.*s has unsupported type %s", file, (int)t->name.len, t->name.ptr,
             gtype_name(t->type));
  assert_true(be > 0 && t->ne[0] % be == 0);
  uint64_t rows = 1;
  for (uint32_t d = 1; d < GGUF_MAX_DIMS; d++)
    rows *= t->ne[d];
  const size_t row_bytes = gtype_row_bytes(t->type, t->ne[0]);
  assert_true(row_bytes > 0);
  assert_int_equal(row_bytes * rows, t->size_bytes);
  float *out = sk_malloc(sizeof(float) * t->ne[0] * rows);
  assert_non_null(out);
  for (uint64_t r = 0; r < rows; r++) {
    float *y = out + r * t->ne[0];
    quant_dequantize_row(t->type, (const uint8_t *)t->data + r * row_bytes, y, (int64_t)t->ne[0]);
    for (uint64_t i = 0; i < t->ne[0]; i++)
      if (!isfinite(y[i]))
        fail_msg("%s: %.*s row %llu elem %llu not finite", file, (int)t->name.len, t->name.ptr,
                 (unsigned long long)r, (unsigned long long)i);
  }
  return out;
}

static const char *k_models[] = {
    "llama-spm-Q8_0.gguf",      "llama-spm-F16.gguf",      "llama-spm-e256-Q4_K_M.gguf",
    "llama-spm-e256-Q6_K.gguf", "llama-bpe-Q4_0.gguf",     "qwen2-Q8_0.gguf",
    "qwen3-Q4_K_M.gguf",        "stories260K-f32.gguf",    "stories260K-Q8_0.gguf",
    "llama-spm-e256-Q4_0.gguf", "stories260K-Q4_K_M.gguf",
};

static void every_oracle_tensor_dequantises(void **state) {
  (void)state;
  int seen = 0;
  for (size_t m = 0; m < sizeof k_models / sizeof k_models[0]; m++) {
    char path[512];
    snprintf(path, sizeof path, ORACLE "%s", k_models[m]);
    if (!have(path)) {
      printf("skip: %s absent\n", path);
      continue;
    }
    gguf_file *f;
    sk_err err;
    if (gguf_open(path, &f, &err)) fail_msg("%s: %s", path, err.msg);
    for (size_t i = 0; i < gguf_tensor_count(f); i++)
      sk_free(dequant_tensor(gguf_tensor_at(f, i), path));
    gguf_close(f);
    seen++;
  }
  if (!seen) printf("skip: no oracle models under " ORACLE "\n");
}

/* Relative rms difference of every common tensor of two files; fails above max_rel. */
static void compare_files(const char *precise, const char *coarse, double max_rel) {
  char p1[512], p2[512];
  snprintf(p1, sizeof p1, ORACLE "%s", precise);
  snprintf(p2, sizeof p2, ORACLE "%s", coarse);
  if (!have(p1) || !have(p2)) {
    printf("skip: %s or %s absent\n", p1, p2);
    return;
  }
  gguf_file *a, *b;
  sk_err err;
  if (gguf_open(p1, &a, &err)) fail_msg("%s: %s", p1, err.msg);
  if (gguf_open(p2, &b, &err)) fail_msg("%s: %s", p2, err.msg);
  int compared = 0;
  double worst = 0;
  for (size_t i = 0; i < gguf_tensor_count(b); i++) {
    const gguf_tensor *tb = gguf_tensor_at(b, i);
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)tb->name.len, tb->name.ptr);
    const gguf_tensor *ta = gguf_find_tensor(a, name);
    if (!ta || tb->type == ta->type) continue;
    assert_memory_equal(ta->ne, tb->ne, sizeof ta->ne);
    float *xa = dequant_tensor(ta, p1), *xb = dequant_tensor(tb, p2);
    uint64_t n = 1;
    for (int d = 0; d < GGUF_MAX_DIMS; d++)
      n *= ta->ne[d];
    double e = 0, s = 0;
    for (uint64_t k = 0; k < n; k++) {
      e += ((double)xa[k] - xb[k]) * ((double)xa[k] - xb[k]);
      s += (double)xa[k] * xa[k];
    }
    const double rel = s > 0 ? sqrt(e / s) : sqrt(e);
    if (rel > worst) worst = rel;
    if (rel > max_rel)
      fail_msg("%s %s (%s) vs %s (%s): rel rms %.4f > %.4f", name, coarse, gtype_name(tb->type),
               precise, gtype_name(ta->type), rel, max_rel);
    sk_free(xa);
    sk_free(xb);
    compared++;
  }
  printf("  %s vs %s: %d tensors, worst rel rms %.4f\n", coarse, precise, compared, worst);
  assert_true(compared > 0);
  gguf_close(a);
  gguf_close(b);
}

static void same_weights_agree_across_types(void **state) {
  (void)state;
  compare_files("stories260K-f32.gguf", "stories260K-Q8_0.gguf", 0.01);
  compare_files("stories260K-f32.gguf", "stories260K-Q4_K_M.gguf", 0.15);
  compare_files("llama-spm-F16.gguf", "llama-spm-Q8_0.gguf", 0.01);
  compare_files("llama-spm-e256-Q6_K.gguf", "llama-spm-e256-Q4_K_M.gguf", 0.15);
  compare_files("llama-spm-e256-Q6_K.gguf", "llama-spm-e256-Q4_0.gguf", 0.15);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_oracle_tensor_dequantises),
      cmocka_unit_test(same_weights_agree_across_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
