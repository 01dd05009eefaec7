/* gtype.h — tensor element types as numbered in GGUF files (ggml's type ids), with their block
 * geometry. The quantised block layouts themselves live in quant/ as _Static_assert'ed structs. */
#ifndef SK_ENGINE_GTYPE_H
#define SK_ENGINE_GTYPE_H

#include <stddef.h>
#include <stdint.h>

typedef enum gtype {
  GTYPE_F32 = 0,
  GTYPE_F16 = 1,
  GTYPE_Q4_0 = 2,
  GTYPE_Q4_1 = 3,
  GTYPE_Q5_0 = 6,
  GTYPE_Q5_1 = 7,
  GTYPE_Q8_0 = 8,
  GTYPE_Q8_1 = 9,
  GTYPE_Q2_K = 10,
  GTYPE_Q3_K = 11,
  GTYPE_Q4_K = 12,
  GTYPE_Q5_K = 13,
  GTYPE_Q6_K = 14,
  GTYPE_Q8_K = 15,
  GTYPE_I8 = 24,
  GTYPE_I16 = 25,
  GTYPE_I32 = 26,
  GTYPE_I64 = 27,
  GTYPE_F64 = 28,
  GTYPE_BF16 = 30,
  GTYPE_COUNT = 40 /* upper bound of ids we know the geometry of */
} gtype;

/* Elements per block (1 for plain types) and bytes per block; 0 for unknown ids. */
size_t gtype_block_elems(uint32_t type);
size_t gtype_block_bytes(uint32_t type);
/* "Q4_K", "F16", ...; "?" for unknown. */
const char *gtype_name(uint32_t type);
/* Parses a name as printed by gtype_name (case-insensitive); -1 when unknown. */
int gtype_from_name(const char *name);
/* Bytes of a row of n elements; 0 when n is not a multiple of the block size or type unknown. */
size_t gtype_row_bytes(uint32_t type, uint64_t n);

#endif
