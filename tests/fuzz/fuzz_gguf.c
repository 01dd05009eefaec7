/* fuzz_gguf.c — libFuzzer target for the GGUF reader: parse any bytes with gguf_open_memory,
 * then walk every metadata value, array element and tensor (and dequantise each tensor's first
 * row) the way `sekisho info` and the model loader do. Anything but a clean error or success
 * (crash, sanitizer report, hang, huge allocation) is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/gtype.h"
#include "engine/quant/quant.h"

#define FUZZ_MAX_ELEMS 4096 /* array elements / row elements touched per item: keeps runs fast */

static volatile uint64_t g_sink; /* keeps reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gguf_file *f = NULL;
  sk_err err;
  if (gguf_open_memory(data, size, &f, &err)) return 0;
  static float fbuf[FUZZ_MAX_ELEMS];
  static int32_t ibuf[FUZZ_MAX_ELEMS];
  for (size_t i = 0; i < gguf_kv_count(f); i++) {
    gguf_str k = gguf_kv_key(f, i);
    static char key[GGUF_MAX_KEY_LEN + 1];
    memcpy(key, k.ptr, (size_t)k.len);
    key[k.len] = 0;
    g_sink += (uint64_t)gguf_find_key(f, key);
    double d;
    gguf_str s;
    uint32_t et;
    uint64_t n;
    uint32_t u;
    int64_t i64;
    float fl;
    int b;
    g_sink += (uint64_t)gguf_kv_number(f, i, &d);
    if (!gguf_kv_str(f, i, &s) && s.len) g_sink += (uint8_t)s.ptr[s.len - 1];
    g_sink += (uint64_t)gguf_get_u32(f, key, &u) + (uint64_t)gguf_get_i64(f, key, &i64) +
              (uint64_t)gguf_get_f32(f, key, &fl) + (uint64_t)gguf_get_bool(f, key, &b) +
              (uint64_t)gguf_get_str(f, key, &s);
    if (gguf_kv_arr(f, i, &et, &n)) continue;
    const uint64_t m = n < FUZZ_MAX_ELEMS ? n : FUZZ_MAX_ELEMS;
    if (et == GGUF_TYPE_STRING) {
      for (uint64_t j = 0; j < m; j++)
        if (!gguf_arr_str(f, key, j, &s) && s.len) g_sink += (uint8_t)s.ptr[0];
      g_sink += (uint64_t)gguf_arr_str(f, key, n, &s); /* one past the end: an error */
    } else {
      g_sink += (uint64_t)gguf_arr_copy_f32(f, key, fbuf, m);
      g_sink += (uint64_t)gguf_arr_copy_i32(f, key, ibuf, m);
    }
  }
  for (size_t i = 0; i < gguf_tensor_count(f); i++) {
    const gguf_tensor *t = gguf_tensor_at(f, i);
    static char name[GGUF_MAX_KEY_LEN + 1];
    memcpy(name, t->name.ptr, (size_t)t->name.len);
    name[t->name.len] = 0;
    g_sink += gguf_find_tensor(f, name) != NULL;
    if (t->size_bytes) {
      g_sink += ((const uint8_t *)t->data)[0] + ((const uint8_t *)t->data)[t->size_bytes - 1];
    }
    if (quant_type_supported(t->type) && t->ne[0] <= FUZZ_MAX_ELEMS &&
        gtype_row_bytes(t->type, t->ne[0]) <= t->size_bytes) {
      quant_dequantize_row(t->type, t->data, fbuf, (int64_t)t->ne[0]);
      uint32_t bits;
      memcpy(&bits, &fbuf[0], sizeof bits); /* no float→int conversion: NaN/inf are fine */
      g_sink += bits;
    }
  }
  gguf_close(f);
  return 0;
}
