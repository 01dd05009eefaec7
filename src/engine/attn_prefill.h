/* attn_prefill.h — blocked attention for prefill batches (see attn_prefill.c). */
#ifndef SK_ENGINE_ATTN_PREFILL_H
#define SK_ENGINE_ATTN_PREFILL_H

#include <stdint.h>

#include "engine/ctx_impl.h"

/* Attention of layer il for the batch c->toks (queries q, output att, as ops_attention) when the
 * blocked path applies (fast precision, AVX-512 kernels; any batch size): returns
 * 1 after filling att, 0 (nothing done) when the caller must use the per-token path. */
int attn_prefill(eng_ctx *c, uint32_t il, const float *q, float *att);

#endif
