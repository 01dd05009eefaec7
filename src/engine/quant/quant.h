/* quant.h — row-level conversions between F32 and every tensor type the engine reads, and the
 * scalar reference dot products that define the `fast` precision path.
 *
 * Types are gtype ids (engine/gtype.h). A row of n elements of a block type occupies
 * gtype_row_bytes(type, n) bytes; n must be a positive multiple of gtype_block_elems(type).
 *
 * Supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K.
 * Block layouts: quant/blocks.h. Half/bfloat conversions: quant/fp16.h.
 *
 * Exactness contract (checked against llama.cpp's outputs in ../shared/oracle/):
 * - dequantisation produces the same F32 values as ggml's dequantize_row_* (same operations in
 *   the same order);
 * - the activation quantisers for Q8_0, Q8_1 and Q8_K reproduce ggml's reference quantisers bit
 *   for bit;
 * - the dot products use ggml's generic integer arithmetic per block and its float combination
 *   of scales; across blocks the float summation order is the generic one (SIMD builds of ggml
 *   sum in a different order, so results agree to float rounding, not bit for bit).
 * Weight quantisers (Q4_0 … Q6_K) are simple reference fits, not llama-quantize's search. */
#ifndef SK_ENGINE_QUANT_QUANT_H
#define SK_ENGINE_QUANT_QUANT_H

#include <stdint.h>

#include "engine/gtype.h"

#define QUANT_NO_TYPE UINT32_MAX /* returned by quant_vec_dot_type for unsupported weights */

/* 1 when type can be dequantised (and quantised) here, else 0. Loaders must check tensor types
 * from files with this before calling the functions below. */
int quant_type_supported(uint32_t type);

/* Converts n elements of a row of type to F32 in dst (caller-owned, n floats). Preconditions
 * (asserted): type supported, n a positive multiple of the block size. */
void quant_dequantize_row(uint32_t type, const void *src, float *dst, int64_t n);

/* Quantises n floats into dst (caller-owned, gtype_row_bytes(type, n) bytes). Returns 0, or
 * SK_EINVAL when the type is unsupported or n is not a positive multiple of the block size. */
int quant_quantize_row(uint32_t type, const float *src, void *dst, int64_t n);

/* The type llama.cpp quantises activations to before multiplying with a weight of wtype: Q8_0 for
 * Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for Q4_K/Q5_K/Q6_K, and the weight's own type for
 * F32/F16/BF16. QUANT_NO_TYPE for anything else (e.g. Q8_K, which is only an activation type). */
uint32_t quant_vec_dot_type(uint32_t wtype);

/* Dot product of a weight row (wtype) with an activation row already quantised to
 * quant_vec_dot_type(wtype), both n elements. Preconditions (asserted): the pair is supported,
 * n a positive multiple of both block sizes. F32/F16/BF16 accumulate in double, as ggml's
 * generic code does. */
float quant_vec_dot(uint32_t wtype, const void *w_row, const void *act_row, int64_t n);

#endif
