/* gguf.h — read-only access to GGUF files (versions 2 and 3), memory-mapped.
 *
 * Every offset, size, count and string length is validated against the file before use: a
 * truncated, corrupt or hostile file gets SK_EFORMAT with a message naming the field and its
 * byte offset, never a crash, a hang or an allocation larger than the file justifies.
 *
 * Ownership: gguf_open returns a handle the caller frees with gguf_close. Every pointer handed
 * out (strings, array data, tensor data) points into the mapping and stays valid until
 * gguf_close. Strings are NOT NUL-terminated: use the length. */
#ifndef SK_ENGINE_GGUF_H
#define SK_ENGINE_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Bounds (SQLite style: every limit named, with the reason). */
#define GGUF_MAX_KV 65536              /* real models carry < 100 metadata keys */
#define GGUF_MAX_TENSORS 65536         /* 405B models have ~1.1k tensors */
#define GGUF_MAX_ARRAY_LEN (1u << 24)  /* vocabularies reach ~256k tokens, merges ~300k */
#define GGUF_MAX_STRING_LEN (1u << 26) /* chat templates are KBs; 64 MiB is clearly hostile */
#define GGUF_MAX_KEY_LEN 65535         /* the spec limits keys to 65535 bytes */
#define GGUF_MAX_DIMS 4                /* ggml tensors have at most 4 dimensions */
#define GGUF_DEFAULT_ALIGNMENT 32

typedef enum gguf_vtype {
  GGUF_TYPE_UINT8 = 0,
  GGUF_TYPE_INT8 = 1,
  GGUF_TYPE_UINT16 = 2,
  GGUF_TYPE_INT16 = 3,
  GGUF_TYPE_UINT32 = 4,
  GGUF_TYPE_INT32 = 5,
  GGUF_TYPE_FLOAT32 = 6,
  GGUF_TYPE_BOOL = 7,
  GGUF_TYPE_STRING = 8,
  GGUF_TYPE_ARRAY = 9,
  GGUF_TYPE_UINT64 = 10,
  GGUF_TYPE_INT64 = 11,
  GGUF_TYPE_FLOAT64 = 12,
  GGUF_TYPE_COUNT
} gguf_vtype;

typedef struct gguf_str {
  const char *ptr; /* into the mapping; not NUL-terminated */
  uint64_t len;
} gguf_str;

typedef struct gguf_tensor {
  gguf_str name;
  uint32_t n_dims;
  uint64_t ne[GGUF_MAX_DIMS]; /* ne[0] is the row length (contiguous); unused dims are 1 */
  uint32_t type;              /* a gtype */
  uint64_t offset;            /* relative to the data section, as stored */
  uint64_t size_bytes;        /* validated: lies inside the file */
  const void *data;           /* into the mapping, aligned to the file's alignment */
} gguf_tensor;

typedef struct gguf_file gguf_file;

/* Maps and parses path. On failure *out is NULL and err says which field at which offset. */
int gguf_open(const char *path, gguf_file **out, sk_err *err);

/* Where gguf_open_ex puts the file's bytes. Decode reads every weight once per token, so each
 * 4 KiB page costs a TLB miss (a two-level walk in a VM) unless the mapping uses 2 MiB pages; a
 * file mapping gets them only where the page cache happens to hold 2 MiB folios (measured: 58%
 * of one 1.3 GB model, 80% of another, depending on how the file was first read). */
typedef enum gguf_load {
  GGUF_LOAD_MAP,  /* mmap the file (shared page cache, no copy) */
  GGUF_LOAD_HUGE, /* read it into private anonymous memory advised onto 2 MiB pages (THP);
                   * falls back to the mapping when that memory cannot be had */
  GGUF_LOAD_AUTO  /* HUGE for files of at least GGUF_HUGE_MIN_BYTES when THP is not disabled
                   * and the file takes at most half of MemAvailable (a copy cannot be paged
                   * back to the file under memory pressure; the mapping can) */
} gguf_load;
/* Files smaller than this fit the TLB's reach on 4 KiB pages well enough (≈ 2k entries × 4 KiB
 * = 8 MiB on current x86) that a copy would buy little and cost load time. */
#define GGUF_HUGE_MIN_BYTES ((uint64_t)64 << 20)
int gguf_open_ex(const char *path, gguf_load how, gguf_file **out, sk_err *err);
/* 1 when the file's bytes were copied onto (advised) 2 MiB pages, 0 when mapped. */
int gguf_is_copied(const gguf_file *f);
/* Parses a buffer the caller keeps alive until gguf_close (used by tests and the fuzzer). */
int gguf_open_memory(const void *data, size_t size_bytes, gguf_file **out, sk_err *err);
void gguf_close(gguf_file *f);

uint32_t gguf_version(const gguf_file *f);
uint32_t gguf_alignment(const gguf_file *f);
uint64_t gguf_file_size(const gguf_file *f);
uint64_t gguf_data_offset(const gguf_file *f); /* start of the tensor data section */

/* ---- metadata ---- */
size_t gguf_kv_count(const gguf_file *f);
gguf_str gguf_kv_key(const gguf_file *f, size_t i);
uint32_t gguf_kv_type(const gguf_file *f, size_t i); /* a gguf_vtype */
/* Index of key, or -1 when absent. */
long gguf_find_key(const gguf_file *f, const char *key);

/* Typed getters by key. SK_ENOTFOUND when the key is absent; SK_EFORMAT when the stored type
 * cannot represent the request (e.g. a negative int asked as u32, a string asked as int). Any
 * integer type converts when the value fits; float64 converts to float. */
int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out);
int gguf_get_i64(const gguf_file *f, const char *key, int64_t *out);
int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out);
int gguf_get_f32(const gguf_file *f, const char *key, float *out);
int gguf_get_bool(const gguf_file *f, const char *key, int *out);
int gguf_get_str(const gguf_file *f, const char *key, gguf_str *out);

/* Arrays: element type and length of the array stored under key. */
int gguf_get_arr(const gguf_file *f, const char *key, uint32_t *elem_type, uint64_t *len);
/* Element i of a string array (O(1): offsets are indexed at open). */
int gguf_arr_str(const gguf_file *f, const char *key, uint64_t i, gguf_str *out);
/* Copies n elements of a numeric array, converting to the destination type (values that do
 * not fit give SK_EFORMAT). n must be ≤ the array length. */
int gguf_arr_copy_f32(const gguf_file *f, const char *key, float *dst, uint64_t n);
int gguf_arr_copy_i32(const gguf_file *f, const char *key, int32_t *dst, uint64_t n);

/* Same as above but by kv index (for listing everything, e.g. `sekisho info`). */
int gguf_kv_arr(const gguf_file *f, size_t i, uint32_t *elem_type, uint64_t *len);
int gguf_kv_str(const gguf_file *f, size_t i, gguf_str *out);
/* Scalar value of kv i as double (integers, floats, bool); SK_EFORMAT for strings/arrays. */
int gguf_kv_number(const gguf_file *f, size_t i, double *out);

/* ---- tensors ---- */
size_t gguf_tensor_count(const gguf_file *f);
const gguf_tensor *gguf_tensor_at(const gguf_file *f, size_t i);
/* NULL when absent. */
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);

/* Helper: 1 when s equals the NUL-terminated c string. */
int gguf_str_eq(gguf_str s, const char *c);

#endif
