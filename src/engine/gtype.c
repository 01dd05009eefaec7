#include "engine/gtype.h"

#include <strings.h>

typedef struct gtype_info {
  const char *name;
  uint16_t block_elems;
  uint16_t block_bytes;
} gtype_info;

/* Geometry from the GGUF specification / ggml block layouts. */
static const gtype_info k_types[GTYPE_COUNT] = {
    [GTYPE_F32] = {"F32", 1, 4},
    [GTYPE_F16] = {"F16", 1, 2},
    [GTYPE_Q4_0] = {"Q4_0", 32, 2 + 16},
    [GTYPE_Q4_1] = {"Q4_1", 32, 2 + 2 + 16},
    [GTYPE_Q5_0] = {"Q5_0", 32, 2 + 4 + 16},
    [GTYPE_Q5_1] = {"Q5_1", 32, 2 + 2 + 4 + 16},
    [GTYPE_Q8_0] = {"Q8_0", 32, 2 + 32},
    [GTYPE_Q8_1] = {"Q8_1", 32, 4 + 32},
    [GTYPE_Q2_K] = {"Q2_K", 256, 16 + 64 + 2 + 2},
    [GTYPE_Q3_K] = {"Q3_K", 256, 32 + 64 + 12 + 2},
    [GTYPE_Q4_K] = {"Q4_K", 256, 2 + 2 + 12 + 128},
    [GTYPE_Q5_K] = {"Q5_K", 256, 2 + 2 + 12 + 32 + 128},
    [GTYPE_Q6_K] = {"Q6_K", 256, 128 + 64 + 16 + 2},
    [GTYPE_Q8_K] = {"Q8_K", 256, 4 + 256 + 32},
    [GTYPE_I8] = {"I8", 1, 1},
    [GTYPE_I16] = {"I16", 1, 2},
    [GTYPE_I32] = {"I32", 1, 4},
    [GTYPE_I64] = {"I64", 1, 8},
    [GTYPE_F64] = {"F64", 1, 8},
    [GTYPE_BF16] = {"BF16", 1, 2},
};

size_t gtype_block_elems(uint32_t t) { return t < GTYPE_COUNT ? k_types[t].block_elems : 0; }
size_t gtype_block_bytes(uint32_t t) { return t < GTYPE_COUNT ? k_types[t].block_bytes : 0; }
const char *gtype_name(uint32_t t) {
  return t < GTYPE_COUNT && k_types[t].name ? k_types[t].name : "?";
}

int gtype_from_name(const char *name) {
  for (int t = 0; t < GTYPE_COUNT; t++)
    if (k_types[t].name && !strcasecmp(k_types[t].name, name)) return t;
  return -1;
}

size_t gtype_row_bytes(uint32_t t, uint64_t n) {
  size_t be = gtype_block_elems(t);
  if (be == 0 || n % be) return 0;
  return (size_t)(n / be) * gtype_block_bytes(t);
}
