/* gguf_write.h — writes GGUF version 3 files: metadata of every value type (scalars, strings,
 * arrays of numbers or strings), tensor infos, alignment padding, then tensor data streamed in
 * declaration order, so a multi-gigabyte model never has to sit in memory.
 *
 *   gguf_writer *w; gguf_writer_new(&w, &err);
 *   gguf_writer_add_str(w, "general.architecture", "llama", &err); ...
 *   gguf_writer_add_tensor(w, "token_embd.weight", 2, ne, GTYPE_Q8_0, &err); ...
 *   gguf_writer_begin(w, gguf_sink_file, fp, &err);          // header, metadata, infos, padding
 *   gguf_writer_write(w, row_bytes, n, &err); ...            // each tensor's bytes, in order
 *   gguf_writer_end(w, &err);                                // checks every byte was written
 *   gguf_writer_free(w);
 *
 * Arrays of arrays are not written: the reader (gguf.h) rejects them and no model uses them.
 * Every function returns 0 or a negative sk_code with err filled; after an error the writer only
 * accepts gguf_writer_free. */
#ifndef SK_ENGINE_GGUF_WRITE_H
#define SK_ENGINE_GGUF_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The header (metadata + tensor infos) is built in memory before anything is written; 256 MiB
 * holds the largest vocabularies (~300k merges) many times over. */
#define GGUF_WRITE_MAX_HEADER_BYTES (256u << 20)

/* Where bytes go: returns 0, or a negative sk_code (and may fill err). */
typedef int (*gguf_sink_fn)(void *ctx, const void *data, size_t n, sk_err *err);
int gguf_sink_file(void *fp /* FILE * */, const void *data, size_t n, sk_err *err);
int gguf_sink_buf(void *buf /* sk_buf * */, const void *data, size_t n, sk_err *err);

typedef struct gguf_writer gguf_writer;

/* Creates an empty writer (alignment 32). Caller frees with gguf_writer_free. */
int gguf_writer_new(gguf_writer **out, sk_err *err);
void gguf_writer_free(gguf_writer *w);

/* Sets the data alignment (a power of two ≤ 65536); when it differs from 32 the key
 * general.alignment is written. Only before the first tensor is added. */
int gguf_writer_set_alignment(gguf_writer *w, uint32_t alignment, sk_err *err);

/* Metadata. Keys are copied; duplicates are refused (SK_EEXIST). */
int gguf_writer_add_u8(gguf_writer *w, const char *key, uint8_t v, sk_err *err);
int gguf_writer_add_i8(gguf_writer *w, const char *key, int8_t v, sk_err *err);
int gguf_writer_add_u16(gguf_writer *w, const char *key, uint16_t v, sk_err *err);
int gguf_writer_add_i16(gguf_writer *w, const char *key, int16_t v, sk_err *err);
int gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v, sk_err *err);
int gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v, sk_err *err);
int gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v, sk_err *err);
int gguf_writer_add_i64(gguf_writer *w, const char *key, int64_t v, sk_err *err);
int gguf_writer_add_f32(gguf_writer *w, const char *key, float v, sk_err *err);
int gguf_writer_add_f64(gguf_writer *w, const char *key, double v, sk_err *err);
int gguf_writer_add_bool(gguf_writer *w, const char *key, int v, sk_err *err);
int gguf_writer_add_str(gguf_writer *w, const char *key, const char *v, sk_err *err);
int gguf_writer_add_strn(gguf_writer *w, const char *key, const char *v, size_t len, sk_err *err);
/* Numeric array: elem_type is a scalar gguf_vtype (not STRING/ARRAY); data holds n values in
 * host order (little-endian hosts only, as ggml). */
int gguf_writer_add_arr(gguf_writer *w, const char *key, uint32_t elem_type, const void *data,
                        uint64_t n, sk_err *err);
/* String array of n NUL-terminated strings. */
int gguf_writer_add_arr_str(gguf_writer *w, const char *key, const char *const *strs, uint64_t n,
                            sk_err *err);

/* Declares a tensor (ne[0] contiguous); its data offset follows the previous tensor, aligned.
 * SK_EINVAL for an unknown type, a row length that is not a whole number of blocks, or bad
 * dims; SK_EEXIST for a duplicate name. */
int gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                           uint32_t type, sk_err *err);

/* Writes header, metadata, tensor infos and the padding up to the data section to sink. */
int gguf_writer_begin(gguf_writer *w, gguf_sink_fn sink, void *ctx, sk_err *err);
/* Appends n bytes of tensor data; may span tensors; padding between tensors is inserted when
 * one is complete. SK_ERANGE when more bytes are written than the tensors declared. */
int gguf_writer_write(gguf_writer *w, const void *data, size_t n, sk_err *err);
/* SK_EINVAL when some declared tensor bytes are missing. */
int gguf_writer_end(gguf_writer *w, sk_err *err);

/* Index of the tensor the next gguf_writer_write bytes belong to (== count when all written). */
size_t gguf_writer_current_tensor(const gguf_writer *w);
/* Size of the complete file; valid after gguf_writer_begin. */
uint64_t gguf_writer_total_bytes(const gguf_writer *w);

#endif
