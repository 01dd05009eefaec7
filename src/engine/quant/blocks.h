/* blocks.h — on-disk block layouts of ggml's quantised tensor types (byte-exact with GGUF).
 *
 * Every struct's size is _Static_assert'ed against the GGUF geometry, so a layout mistake is a
 * compile error. Scales are stored as raw binary16 bits (uint16_t), converted with fp16.h.
 * The structs are packed (alignment 1): a GGUF file may declare general.alignment = 1, so tensor
 * data can start at any byte, and member access must not assume natural alignment (x86 and
 * arm64 load unaligned halves at no cost). Never take the address of a wider-than-byte member. */
#ifndef SK_ENGINE_QUANT_BLOCKS_H
#define SK_ENGINE_QUANT_BLOCKS_H

#include <stdint.h>

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256        /* super-block of the K-quants */
#define K_SCALE_SIZE 12 /* 8 six-bit scales + 8 six-bit mins of Q4_K/Q5_K, packed */
#define QBLOCK __attribute__((packed))

/* Q4_0: x = d * (q - 8), q in 0..15; element j in the low nibble of qs[j], j+16 in the high. */
typedef struct QBLOCK block_q4_0 {
  uint16_t d;
  uint8_t qs[QK4_0 / 2];
} block_q4_0;
_Static_assert(sizeof(block_q4_0) == 2 + QK4_0 / 2, "block_q4_0 layout");

/* Q4_1: x = d * q + m. */
typedef struct QBLOCK block_q4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[QK4_1 / 2];
} block_q4_1;
_Static_assert(sizeof(block_q4_1) == 4 + QK4_1 / 2, "block_q4_1 layout");

/* Q5_0: x = d * (q - 16), q in 0..31; fifth bits in qh (bit j for element j, little endian). */
typedef struct QBLOCK block_q5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[QK5_0 / 2];
} block_q5_0;
_Static_assert(sizeof(block_q5_0) == 2 + 4 + QK5_0 / 2, "block_q5_0 layout");

/* Q5_1: x = d * q + m. */
typedef struct QBLOCK block_q5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[QK5_1 / 2];
} block_q5_1;
_Static_assert(sizeof(block_q5_1) == 4 + 4 + QK5_1 / 2, "block_q5_1 layout");

/* Q8_0: x = d * q. */
typedef struct QBLOCK block_q8_0 {
  uint16_t d;
  int8_t qs[QK8_0];
} block_q8_0;
_Static_assert(sizeof(block_q8_0) == 2 + QK8_0, "block_q8_0 layout");

/* Q8_1 (activations paired with Q4_1/Q5_1): x = d * q; s = d * sum(q). */
typedef struct QBLOCK block_q8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[QK8_1];
} block_q8_1;
_Static_assert(sizeof(block_q8_1) == 4 + QK8_1, "block_q8_1 layout");

/* Q4_K: 8 sub-blocks of 32; x = d * sc[j] * q - dmin * m[j]; 6-bit sc/m packed in scales. */
typedef struct QBLOCK block_q4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[K_SCALE_SIZE];
  uint8_t qs[QK_K / 2];
} block_q4_K;
_Static_assert(sizeof(block_q4_K) == 4 + K_SCALE_SIZE + QK_K / 2, "block_q4_K layout");

/* Q5_K: as Q4_K plus a fifth bit per element in qh. */
typedef struct QBLOCK block_q5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[K_SCALE_SIZE];
  uint8_t qh[QK_K / 8];
  uint8_t qs[QK_K / 2];
} block_q5_K;
_Static_assert(sizeof(block_q5_K) == 4 + K_SCALE_SIZE + QK_K / 8 + QK_K / 2, "block_q5_K layout");

/* Q6_K: 16 sub-blocks of 16; x = d * scales[j] * (q - 32), q 6 bits (4 in ql, 2 in qh). */
typedef struct QBLOCK block_q6_K {
  uint8_t ql[QK_K / 2];
  uint8_t qh[QK_K / 4];
  int8_t scales[QK_K / 16];
  uint16_t d;
} block_q6_K;
_Static_assert(sizeof(block_q6_K) == QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, "block_q6_K layout");

/* Q8_K (activations paired with the K-quants): x = d * q; bsums = sums of 16 q's. */
typedef struct QBLOCK block_q8_K {
  float d;
  int8_t qs[QK_K];
  int16_t bsums[QK_K / 16];
} block_q8_K;
_Static_assert(sizeof(block_q8_K) == 4 + QK_K + QK_K / 16 * 2, "block_q8_K layout");

#endif
