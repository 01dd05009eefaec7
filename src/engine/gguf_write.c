/* gguf_write.c — GGUF v3 writer (see gguf_write.h). */
#include "engine/gguf_write.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/gguf.h"
#include "engine/gtype.h"

#define GGUF_WRITE_VERSION 3u

typedef struct wtensor {
  char *name;
  uint32_t n_dims;
  uint64_t ne[GGUF_MAX_DIMS];
  uint32_t type;
  uint64_t offset; /* relative to the data section */
  uint64_t size_bytes;
} wtensor;

enum { W_BUILD, W_DATA, W_DONE, W_FAILED };

struct gguf_writer {
  int state;
  uint32_t alignment;
  sk_buf kv; /* serialised key/value pairs */
  uint64_t n_kv;
  char **keys; /* for duplicate checks */
  size_t keys_cap;
  wtensor *tensors;
  size_t n_tensors, tensors_cap;
  uint64_t data_bytes; /* size of the data section, padded */
  /* streaming state */
  gguf_sink_fn sink;
  void *sink_ctx;
  size_t cur;           /* tensor being written */
  uint64_t cur_written; /* bytes of it written so far */
  uint64_t header_bytes;
};

int gguf_sink_file(void *fp, const void *data, size_t n, sk_err *err) {
  if (n && fwrite(data, 1, n, (FILE *)fp) != n)
    return sk_err_set(err, SK_EIO, "write failed: %s", strerror(errno));
  return SK_OK;
}

int gguf_sink_buf(void *buf, const void *data, size_t n, sk_err *err) {
  int rc = sk_buf_append((sk_buf *)buf, data, n);
  if (rc) return sk_err_set(err, rc, "in-memory GGUF buffer: %s", sk_code_str(rc));
  return SK_OK;
}

int gguf_writer_new(gguf_writer **out, sk_err *err) {
  gguf_writer *w = sk_calloc(1, sizeof *w);
  *out = NULL;
  if (!w) return sk_err_set(err, SK_ENOMEM, "out of memory creating a GGUF writer");
  w->alignment = GGUF_DEFAULT_ALIGNMENT;
  sk_buf_init(&w->kv, GGUF_WRITE_MAX_HEADER_BYTES);
  *out = w;
  return SK_OK;
}

void gguf_writer_free(gguf_writer *w) {
  if (!w) return;
  for (uint64_t i = 0; i < w->n_kv; i++)
    sk_free(w->keys[i]);
  sk_free(w->keys);
  for (size_t i = 0; i < w->n_tensors; i++)
    sk_free(w->tensors[i].name);
  sk_free(w->tensors);
  sk_buf_release(&w->kv);
  sk_free(w);
}

static int fail(gguf_writer *w, sk_err *err, int code, const char *what) {
  w->state = W_FAILED;
  return sk_err_set(err, code, "GGUF writer: %s", what);
}

static int put(sk_buf *b, const void *p, size_t n, sk_err *err) {
  int rc = sk_buf_append(b, p, n);
  if (rc == SK_ELIMIT)
    return sk_err_set(err, rc, "GGUF header exceeds %u bytes", GGUF_WRITE_MAX_HEADER_BYTES);
  if (rc) return sk_err_set(err, rc, "out of memory building the GGUF header");
  return SK_OK;
}
static int put_u32(sk_buf *b, uint32_t v, sk_err *err) { return put(b, &v, 4, err); }
static int put_u64(sk_buf *b, uint64_t v, sk_err *err) { return put(b, &v, 8, err); }
static int put_str(sk_buf *b, const char *s, size_t n, sk_err *err) {
  int rc = put_u64(b, n, err);
  return rc ? rc : put(b, s, n, err);
}

/* Checks the state and the key, records it, and writes the key and the value type. */
static int begin_kv(gguf_writer *w, const char *key, uint32_t vtype, sk_err *err) {
  if (w->state != W_BUILD) return sk_err_set(err, SK_EINVAL, "GGUF writer: metadata after begin");
  size_t klen = key ? strlen(key) : 0;
  if (klen == 0 || klen > GGUF_MAX_KEY_LEN)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: metadata key length %zu invalid", klen);
  if (w->n_kv >= GGUF_MAX_KV)
    return sk_err_set(err, SK_ELIMIT, "GGUF writer: more than %d metadata keys", GGUF_MAX_KV);
  for (uint64_t i = 0; i < w->n_kv; i++)
    if (!strcmp(w->keys[i], key))
      return sk_err_set(err, SK_EEXIST, "GGUF writer: duplicate metadata key '%s'", key);
  if (w->n_kv == w->keys_cap) {
    size_t cap = w->keys_cap ? 2 * w->keys_cap : 32;
    char **k = sk_realloc(w->keys, cap * sizeof *k);
    if (!k) return fail(w, err, SK_ENOMEM, "out of memory");
    w->keys = k;
    w->keys_cap = cap;
  }
  char *copy = sk_strdup(key);
  if (!copy) return fail(w, err, SK_ENOMEM, "out of memory");
  int rc = put_str(&w->kv, key, klen, err);
  if (!rc) rc = put_u32(&w->kv, vtype, err);
  if (rc) {
    sk_free(copy);
    w->state = W_FAILED;
    return rc;
  }
  w->keys[w->n_kv++] = copy;
  return SK_OK;
}

static int add_scalar(gguf_writer *w, const char *key, uint32_t t, const void *v, size_t n,
                      sk_err *err) {
  int rc = begin_kv(w, key, t, err);
  if (!rc && (rc = put(&w->kv, v, n, err))) w->state = W_FAILED;
  return rc;
}

int gguf_writer_add_u8(gguf_writer *w, const char *k, uint8_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_UINT8, &v, 1, e);
}
int gguf_writer_add_i8(gguf_writer *w, const char *k, int8_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_INT8, &v, 1, e);
}
int gguf_writer_add_u16(gguf_writer *w, const char *k, uint16_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_UINT16, &v, 2, e);
}
int gguf_writer_add_i16(gguf_writer *w, const char *k, int16_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_INT16, &v, 2, e);
}
int gguf_writer_add_u32(gguf_writer *w, const char *k, uint32_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_UINT32, &v, 4, e);
}
int gguf_writer_add_i32(gguf_writer *w, const char *k, int32_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_INT32, &v, 4, e);
}
int gguf_writer_add_u64(gguf_writer *w, const char *k, uint64_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_UINT64, &v, 8, e);
}
int gguf_writer_add_i64(gguf_writer *w, const char *k, int64_t v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_INT64, &v, 8, e);
}
int gguf_writer_add_f32(gguf_writer *w, const char *k, float v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_FLOAT32, &v, 4, e);
}
int gguf_writer_add_f64(gguf_writer *w, const char *k, double v, sk_err *e) {
  return add_scalar(w, k, GGUF_TYPE_FLOAT64, &v, 8, e);
}
int gguf_writer_add_bool(gguf_writer *w, const char *k, int v, sk_err *e) {
  const uint8_t b = v ? 1 : 0;
  return add_scalar(w, k, GGUF_TYPE_BOOL, &b, 1, e);
}

int gguf_writer_add_strn(gguf_writer *w, const char *key, const char *v, size_t len, sk_err *err) {
  if (len > GGUF_MAX_STRING_LEN)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: string for '%s' is %zu bytes", key, len);
  int rc = begin_kv(w, key, GGUF_TYPE_STRING, err);
  if (!rc && (rc = put_str(&w->kv, v, len, err))) w->state = W_FAILED;
  return rc;
}

int gguf_writer_add_str(gguf_writer *w, const char *key, const char *v, sk_err *err) {
  return gguf_writer_add_strn(w, key, v, strlen(v), err);
}

static size_t scalar_bytes(uint32_t t) {
  switch (t) {
  case GGUF_TYPE_UINT8:
  case GGUF_TYPE_INT8:
  case GGUF_TYPE_BOOL: return 1;
  case GGUF_TYPE_UINT16:
  case GGUF_TYPE_INT16: return 2;
  case GGUF_TYPE_UINT32:
  case GGUF_TYPE_INT32:
  case GGUF_TYPE_FLOAT32: return 4;
  case GGUF_TYPE_UINT64:
  case GGUF_TYPE_INT64:
  case GGUF_TYPE_FLOAT64: return 8;
  default: return 0;
  }
}

int gguf_writer_add_arr(gguf_writer *w, const char *key, uint32_t elem_type, const void *data,
                        uint64_t n, sk_err *err) {
  const size_t es = scalar_bytes(elem_type);
  if (es == 0)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: array '%s' element type %u is not a number",
                      key, elem_type);
  if (n > GGUF_MAX_ARRAY_LEN)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: array '%s' has %llu elements", key,
                      (unsigned long long)n);
  int rc = begin_kv(w, key, GGUF_TYPE_ARRAY, err);
  if (!rc) rc = put_u32(&w->kv, elem_type, err);
  if (!rc) rc = put_u64(&w->kv, n, err);
  if (!rc) rc = put(&w->kv, data, (size_t)n * es, err);
  if (rc) w->state = W_FAILED;
  return rc;
}

int gguf_writer_add_arr_str(gguf_writer *w, const char *key, const char *const *strs, uint64_t n,
                            sk_err *err) {
  if (n > GGUF_MAX_ARRAY_LEN)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: array '%s' has %llu elements", key,
                      (unsigned long long)n);
  int rc = begin_kv(w, key, GGUF_TYPE_ARRAY, err);
  if (!rc) rc = put_u32(&w->kv, GGUF_TYPE_STRING, err);
  if (!rc) rc = put_u64(&w->kv, n, err);
  for (uint64_t i = 0; !rc && i < n; i++)
    rc = put_str(&w->kv, strs[i], strlen(strs[i]), err);
  if (rc) w->state = W_FAILED;
  return rc;
}

int gguf_writer_set_alignment(gguf_writer *w, uint32_t alignment, sk_err *err) {
  if (w->state != W_BUILD || w->n_tensors)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: alignment must be set before tensors");
  if (alignment == 0 || (alignment & (alignment - 1)) || alignment > (1u << 16))
    return sk_err_set(err, SK_EINVAL, "GGUF writer: alignment %u is not a power of two <= 65536",
                      alignment);
  w->alignment = alignment;
  return SK_OK;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

int gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                           uint32_t type, sk_err *err) {
  if (w->state != W_BUILD) return sk_err_set(err, SK_EINVAL, "GGUF writer: tensor after begin");
  size_t nlen = name ? strlen(name) : 0;
  if (nlen == 0 || nlen > GGUF_MAX_KEY_LEN)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: tensor name length %zu invalid", nlen);
  if (n_dims == 0 || n_dims > GGUF_MAX_DIMS)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: tensor '%s' has %u dims", name, n_dims);
  if (w->n_tensors >= GGUF_MAX_TENSORS)
    return sk_err_set(err, SK_ELIMIT, "GGUF writer: more than %d tensors", GGUF_MAX_TENSORS);
  const size_t be = gtype_block_elems(type);
  if (be == 0)
    return sk_err_set(err, SK_EINVAL, "GGUF writer: '%s' has unknown type %u", name, type);
  uint64_t rows = 1;
  for (uint32_t d = 0; d < n_dims; d++) {
    if (ne[d] == 0 || ne[d] > (1ull << 40))
      return sk_err_set(err, SK_EINVAL, "GGUF writer: '%s' dim %u = %llu", name, d,
                        (unsigned long long)ne[d]);
    if (d > 0) rows *= ne[d];
  }
  if (ne[0] % be)
    return sk_err_set(err, SK_EINVAL,
                      "GGUF writer: '%s' row of %llu is not a multiple of the %s "
                      "block size %zu",
                      name, (unsigned long long)ne[0], gtype_name(type), be);
  for (size_t i = 0; i < w->n_tensors; i++)
    if (!strcmp(w->tensors[i].name, name))
      return sk_err_set(err, SK_EEXIST, "GGUF writer: duplicate tensor '%s'", name);
  if (w->n_tensors == w->tensors_cap) {
    size_t cap = w->tensors_cap ? 2 * w->tensors_cap : 64;
    wtensor *t = sk_realloc(w->tensors, cap * sizeof *t);
    if (!t) return fail(w, err, SK_ENOMEM, "out of memory");
    w->tensors = t;
    w->tensors_cap = cap;
  }
  wtensor *t = &w->tensors[w->n_tensors];
  memset(t, 0, sizeof *t);
  if (!(t->name = sk_strdup(name))) return fail(w, err, SK_ENOMEM, "out of memory");
  t->n_dims = n_dims;
  for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++)
    t->ne[d] = d < n_dims ? ne[d] : 1;
  t->type = type;
  t->size_bytes = gtype_row_bytes(type, ne[0]) * rows;
  t->offset = w->data_bytes;
  w->data_bytes = align_up(t->offset + t->size_bytes, w->alignment);
  w->n_tensors++;
  return SK_OK;
}

static const uint8_t k_zeros[1u << 16]; /* padding source: alignment ≤ 65536 */

int gguf_writer_begin(gguf_writer *w, gguf_sink_fn sink, void *ctx, sk_err *err) {
  if (w->state != W_BUILD) return sk_err_set(err, SK_EINVAL, "GGUF writer: begin called twice");
  int rc = SK_OK;
  if (w->alignment != GGUF_DEFAULT_ALIGNMENT)
    if ((rc = gguf_writer_add_u32(w, "general.alignment", w->alignment, err))) return rc;
  sk_buf h;
  sk_buf_init(&h, GGUF_WRITE_MAX_HEADER_BYTES);
  rc = put(&h, "GGUF", 4, err);
  if (!rc) rc = put_u32(&h, GGUF_WRITE_VERSION, err);
  if (!rc) rc = put_u64(&h, w->n_tensors, err);
  if (!rc) rc = put_u64(&h, w->n_kv, err);
  if (!rc && w->kv.len) rc = put(&h, w->kv.data, w->kv.len, err);
  for (size_t i = 0; !rc && i < w->n_tensors; i++) {
    const wtensor *t = &w->tensors[i];
    rc = put_str(&h, t->name, strlen(t->name), err);
    if (!rc) rc = put_u32(&h, t->n_dims, err);
    for (uint32_t d = 0; !rc && d < t->n_dims; d++)
      rc = put_u64(&h, t->ne[d], err);
    if (!rc) rc = put_u32(&h, t->type, err);
    if (!rc) rc = put_u64(&h, t->offset, err);
  }
  if (!rc) {
    const size_t pad = (size_t)(align_up(h.len, w->alignment) - h.len);
    rc = put(&h, k_zeros, pad, err);
  }
  if (!rc) rc = sink(ctx, h.data, h.len, err);
  w->header_bytes = h.len;
  sk_buf_release(&h);
  if (rc) {
    w->state = W_FAILED;
    return rc;
  }
  w->sink = sink;
  w->sink_ctx = ctx;
  w->state = W_DATA;
  w->cur = 0;
  w->cur_written = 0;
  return SK_OK;
}

/* Skips finished tensors, writing the padding after each. */
static int advance(gguf_writer *w, sk_err *err) {
  while (w->cur < w->n_tensors && w->cur_written == w->tensors[w->cur].size_bytes) {
    const wtensor *t = &w->tensors[w->cur];
    const uint64_t end = t->offset + t->size_bytes;
    const uint64_t next =
        w->cur + 1 < w->n_tensors ? w->tensors[w->cur + 1].offset : align_up(end, w->alignment);
    if (next > end) {
      int rc = w->sink(w->sink_ctx, k_zeros, (size_t)(next - end), err);
      if (rc) return rc;
    }
    w->cur++;
    w->cur_written = 0;
  }
  return SK_OK;
}

int gguf_writer_write(gguf_writer *w, const void *data, size_t n, sk_err *err) {
  if (w->state != W_DATA) return sk_err_set(err, SK_EINVAL, "GGUF writer: write outside data");
  const uint8_t *p = data;
  while (n > 0) {
    int rc = advance(w, err);
    if (rc) {
      w->state = W_FAILED;
      return rc;
    }
    if (w->cur >= w->n_tensors) {
      w->state = W_FAILED;
      return sk_err_set(err, SK_ERANGE, "GGUF writer: %zu bytes beyond the declared tensors", n);
    }
    const uint64_t left = w->tensors[w->cur].size_bytes - w->cur_written;
    const size_t chunk = n < left ? n : (size_t)left;
    if ((rc = w->sink(w->sink_ctx, p, chunk, err))) {
      w->state = W_FAILED;
      return rc;
    }
    w->cur_written += chunk;
    p += chunk;
    n -= chunk;
  }
  int rc = advance(w, err);
  if (rc) w->state = W_FAILED;
  return rc;
}

int gguf_writer_end(gguf_writer *w, sk_err *err) {
  if (w->state != W_DATA) return sk_err_set(err, SK_EINVAL, "GGUF writer: end without begin");
  if (w->cur < w->n_tensors) {
    w->state = W_FAILED;
    return sk_err_set(err, SK_EINVAL, "GGUF writer: tensor '%s' is missing %llu bytes",
                      w->tensors[w->cur].name,
                      (unsigned long long)(w->tensors[w->cur].size_bytes - w->cur_written));
  }
  w->state = W_DONE;
  return SK_OK;
}

size_t gguf_writer_current_tensor(const gguf_writer *w) { return w->cur; }

uint64_t gguf_writer_total_bytes(const gguf_writer *w) { return w->header_bytes + w->data_bytes; }
