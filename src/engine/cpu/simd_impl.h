/* simd_impl.h — the bodies of the x86 SIMD kernels, compiled once per instruction-set level.
 *
 * avx2.c and avx512.c include this file after switching the compiler's target (a pragma, so no
 * other file of the build needs -mavx2: the binary still runs on any x86-64 and picks a level at
 * run time, see dispatch.c). They differ in one primitive, the unsigned×signed byte dot product
 * that feeds every integer kernel:
 *
 *   SIMD_DOT_US(acc, u, s)         acc[i] += Σ_{k<4} u[4i+k] * s[4i+k]       (u8 × s8 → s32)
 *   SIMD_DOT_US2(acc, u, s, a, b)  the same, lanes 0..3 scaled by a and lanes 4..7 by b
 *                                   (the two 16-byte halves belong to different sub-blocks)
 *
 * AVX2 builds them from vpmaddubsw + vpmaddwd; AVX-512 VNNI has vpdpbusd. Operands are kept in
 * ranges where vpmaddubsw cannot saturate (|u| ≤ 128 and |s| ≤ 127, or u ≤ 63), so both give the
 * same integers, and every integer sum equals the scalar reference's exactly. The float
 * combination of the block scales runs in 8 lanes, so results differ from the scalar order by
 * float rounding only (a test bounds it).
 *
 * Integer kernels are written once for nt = 1..SIMD_NT activation rows ("tokens"): the weight
 * block is loaded and unpacked once and multiplied into every token. nt is a compile-time
 * constant at each call (always_inline), so the decode case (nt = 1) is as lean as a plain dot
 * product and prefill reuses each weight block SIMD_NT times from registers. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "engine/gtype.h"
#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"
#include "engine/quant/quant.h"

#ifndef SIMD_NT
#define SIMD_NT 4 /* tokens per weight-block pass: 4 accumulators fit the 16 ymm registers */
#endif
#define SIMD_ROWS 16  /* weight rows per tile: 16 rows of a 4864-wide Q8_0 matrix are 82 KB (L2) */
#define SIMD_INLINE static inline __attribute__((always_inline))

SIMD_INLINE float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

SIMD_INLINE float h2f(uint16_t h) { return _cvtsh_ss(h); }

SIMD_INLINE __m256i load32(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* 16 bytes of packed nibbles → 32 bytes: the low nibbles (elements 0..15), then the high ones. */
SIMD_INLINE __m256i unpack_nibbles16(const uint8_t *qs) {
  __m128i t = _mm_loadu_si128((const __m128i *)qs);
  __m256i v = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x0f));
}

/* 32 bits → 32 bytes, 0xff where the bit is set (bit j → byte j). */
SIMD_INLINE __m256i bits_to_bytes(const uint8_t *p) {
  uint32_t x32;
  memcpy(&x32, p, sizeof x32);
  const __m256i shuf = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                          0x0202020202020202, 0x0303030303030303);
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x32), shuf);
  v = _mm256_or_si256(v, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8(v, _mm256_set1_epi64x(-1));
}

/* Signed × signed bytes (|x| ≤ 128, |y| ≤ 127) as unsigned × signed: |x| · sign(y, x). */
SIMD_INLINE __m256i dot_ss(__m256i x, __m256i y) {
  return SIMD_DOT_US(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

/* ---- legacy 32-element blocks ------------------------------------------------------------- */

/* Weight code vectors of one block of each legacy type (signed for *_0, unsigned for *_1). */
SIMD_INLINE __m256i codes_q8_0(const block_q8_0 *b) { return load32(b->qs); }
SIMD_INLINE __m256i codes_q4_0(const block_q4_0 *b) {
  return _mm256_sub_epi8(unpack_nibbles16(b->qs), _mm256_set1_epi8(8));
}
SIMD_INLINE __m256i codes_q5_0(const block_q5_0 *b) {
  /* nibble + 16·bit − 16: where the bit is clear, nibble − 16 = nibble | 0xf0 as a signed byte */
  __m256i hi = _mm256_andnot_si256(bits_to_bytes(b->qh), _mm256_set1_epi8((char)0xf0));
  return _mm256_or_si256(unpack_nibbles16(b->qs), hi);
}
SIMD_INLINE __m256i codes_q4_1(const block_q4_1 *b) { return unpack_nibbles16(b->qs); }
SIMD_INLINE __m256i codes_q5_1(const block_q5_1 *b) {
  __m256i hi = _mm256_and_si256(bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
  return _mm256_or_si256(unpack_nibbles16(b->qs), hi);
}

/* Weights with signed codes (Q8_0, Q4_0, Q5_0) against Q8_0 activations. */
#define DEF_DOT_SIGNED(NAME, BT)                                                                  \
  SIMD_INLINE void dot_##NAME##_n(const void *w, const void *const *a, float *out, int64_t n,    \
                                  const int nt) {                                                \
    const BT *x = w;                                                                             \
    __m256 acc[SIMD_NT];                                                                         \
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();                                   \
    for (int64_t i = 0; i < n / 32; i++) {                                                       \
      const __m256i qx = codes_##NAME(&x[i]);                                                    \
      const __m256i ax = _mm256_sign_epi8(qx, qx);                                               \
      const float dx = h2f(x[i].d);                                                              \
      for (int t = 0; t < nt; t++) {                                                             \
        const block_q8_0 *y = (const block_q8_0 *)a[t] + i;                                      \
        __m256i p = SIMD_DOT_US(_mm256_setzero_si256(), ax, _mm256_sign_epi8(load32(y->qs), qx)); \
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * h2f(y->d)), _mm256_cvtepi32_ps(p), acc[t]);  \
      }                                                                                          \
    }                                                                                            \
    for (int t = 0; t < nt; t++) out[t] = hsum_ps(acc[t]);                                       \
  }
DEF_DOT_SIGNED(q8_0, block_q8_0)
DEF_DOT_SIGNED(q4_0, block_q4_0)
DEF_DOT_SIGNED(q5_0, block_q5_0)

/* Weights with unsigned codes and a minimum (Q4_1, Q5_1) against Q8_1 activations:
 * Σ (d·q + m)·(dy·y) = d·dy·Σ q·y + m·s where s = dy·Σ y is stored in the Q8_1 block. */
#define DEF_DOT_MIN(NAME, BT)                                                                     \
  SIMD_INLINE void dot_##NAME##_n(const void *w, const void *const *a, float *out, int64_t n,    \
                                  const int nt) {                                                \
    const BT *x = w;                                                                             \
    __m256 acc[SIMD_NT];                                                                         \
    float mins[SIMD_NT];                                                                         \
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps(), mins[t] = 0.0f;                  \
    for (int64_t i = 0; i < n / 32; i++) {                                                       \
      const __m256i qx = codes_##NAME(&x[i]);                                                    \
      const float dx = h2f(x[i].d), mx = h2f(x[i].m);                                            \
      for (int t = 0; t < nt; t++) {                                                             \
        const block_q8_1 *y = (const block_q8_1 *)a[t] + i;                                      \
        __m256i p = SIMD_DOT_US(_mm256_setzero_si256(), qx, load32(y->qs));                      \
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * h2f(y->d)), _mm256_cvtepi32_ps(p), acc[t]);  \
        mins[t] += mx * h2f(y->s);                                                               \
      }                                                                                          \
    }                                                                                            \
    for (int t = 0; t < nt; t++) out[t] = hsum_ps(acc[t]) + mins[t];                             \
  }
DEF_DOT_MIN(q4_1, block_q4_1)
DEF_DOT_MIN(q5_1, block_q5_1)

/* ---- K-quants (256-element super-blocks, Q8_K activations) -------------------------------- */

static inline void k_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
  for (int j = 0; j < 4; j++) {
    sc[j] = q[j] & 63;
    mn[j] = q[j + 4] & 63;
    sc[j + 4] = (uint8_t)((q[j + 8] & 0x0f) | ((q[j] >> 6) << 4));
    mn[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
  }
}

SIMD_INLINE int32_t hsum_epi32(__m256i v) {
  __m128i h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
  return _mm_cvtsi128_si32(h);
}

/* The 8 minimums of a Q4_K/Q5_K block as 16 int16, each twice (mins[j / 2] for bsum j). */
SIMD_INLINE __m256i mins16(const uint8_t mn[8]) {
  const __m128i m = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
  return _mm256_setr_m128i(_mm_unpacklo_epi16(m, m), _mm_unpackhi_epi16(m, m));
}

/* Q4_K and Q5_K: 4 groups of 64 elements, each two 32-element sub-blocks (low / high nibbles). */
#define DEF_DOT_K45(NAME, BT, LO, HI)                                                             \
  SIMD_INLINE void dot_##NAME##_n(const void *w, const void *const *a, float *out, int64_t n,    \
                                  const int nt) {                                                \
    const BT *x = w;                                                                             \
    __m256 acc[SIMD_NT];                                                                         \
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();                                   \
    const __m256i m4 = _mm256_set1_epi8(0x0f);                                                   \
    for (int64_t i = 0; i < n / QK_K; i++) {                                                     \
      uint8_t sc[8], mn[8];                                                                      \
      k_scales(x[i].scales, sc, mn);                                                             \
      const __m256i mn16 = mins16(mn);                                                           \
      const __m256 vdx = _mm256_set1_ps(h2f(x[i].d)), vdmx = _mm256_set1_ps(h2f(x[i].dmin));     \
      __m256i isum[SIMD_NT];                                                                     \
      for (int t = 0; t < nt; t++) isum[t] = _mm256_setzero_si256();                             \
      for (int g = 0; g < 4; g++) {                                                              \
        const __m256i q = load32(x[i].qs + 32 * g);                                              \
        const __m256i lo = LO, hi = HI;                                                          \
        for (int t = 0; t < nt; t++) {                                                           \
          const int8_t *yq = ((const block_q8_K *)a[t] + i)->qs + 64 * g;                        \
          isum[t] = SIMD_DOT_US2(isum[t], lo, load32(yq), sc[2 * g], sc[2 * g]);                 \
          isum[t] = SIMD_DOT_US2(isum[t], hi, load32(yq + 32), sc[2 * g + 1], sc[2 * g + 1]);    \
        }                                                                                        \
      }                                                                                          \
      /* per token: acc += dy · (dx · Σ sc·q·y − dmin · Σ m·bsum), all in 8 lanes (no       */  \
      /* horizontal sum per super-block: the lanes are added once, at the end of the row)    */  \
      for (int t = 0; t < nt; t++) {                                                             \
        const block_q8_K *y = (const block_q8_K *)a[t] + i;                                      \
        const __m256 mt = _mm256_mul_ps(vdmx, _mm256_cvtepi32_ps(_mm256_madd_epi16(             \
                              _mm256_loadu_si256((const __m256i *)y->bsums), mn16)));            \
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(y->d),                                     \
                                 _mm256_fmsub_ps(vdx, _mm256_cvtepi32_ps(isum[t]), mt), acc[t]);  \
      }                                                                                          \
    }                                                                                            \
    for (int t = 0; t < nt; t++) out[t] = hsum_ps(acc[t]);                                       \
  }

DEF_DOT_K45(q4_K, block_q4_K, _mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4))

/* Q5_K: the fifth bit of element 64g + l is bit 2g of qh[l], of 64g + 32 + l bit 2g + 1. */
#define Q5K_HBIT(sh) \
  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, (sh)), _mm256_set1_epi8(1)), 4)
SIMD_INLINE __m256i q5k_lo(__m256i q, __m256i qh, __m256i m4, int g) {
  __m256i h;
  switch (g) { /* shift counts must be immediates for some compilers */
  case 0: h = Q5K_HBIT(0); break;
  case 1: h = Q5K_HBIT(2); break;
  case 2: h = Q5K_HBIT(4); break;
  default: h = Q5K_HBIT(6); break;
  }
  return _mm256_or_si256(_mm256_and_si256(q, m4), h);
}
SIMD_INLINE __m256i q5k_hi(__m256i q, __m256i qh, __m256i m4, int g) {
  __m256i h;
  switch (g) {
  case 0: h = Q5K_HBIT(1); break;
  case 1: h = Q5K_HBIT(3); break;
  case 2: h = Q5K_HBIT(5); break;
  default: h = Q5K_HBIT(7); break;
  }
  return _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h);
}
#define QH5 load32(x[i].qh)
DEF_DOT_K45(q5_K, block_q5_K, q5k_lo(q, QH5, m4, g), q5k_hi(q, QH5, m4, g))

/* Q6_K: two halves of 128; element 32k + l (k = 0..3) of a half takes nibble (k < 2 ? low :
 * high) of ql[l + 32 (k & 1)] and bits 2k, 2k+1 of qh[l]; the code is that 6-bit value − 32.
 * Σ sc·(q − 32)·y = Σ sc·q·y − 32 Σ_j sc_j·bsum_j, so the unsigned codes go straight in. */
SIMD_INLINE void dot_q6_K_n(const void *w, const void *const *a, float *out, int64_t n,
                            const int nt) {
  const block_q6_K *x = w;
  __m256 acc[SIMD_NT];
  for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < n / QK_K; i++) {
    const int8_t *sc = x[i].scales;
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
    __m256i isum[SIMD_NT];
    for (int t = 0; t < nt; t++) isum[t] = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
      const __m256i l0 = load32(x[i].ql + 64 * h), l1 = load32(x[i].ql + 64 * h + 32);
      const __m256i qh = load32(x[i].qh + 32 * h);
      __m256i c[4];
      c[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                             _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
      c[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
      c[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
      c[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
      for (int k = 0; k < 4; k++) {
        const int s0 = sc[8 * h + 2 * k], s1 = sc[8 * h + 2 * k + 1];
        for (int t = 0; t < nt; t++) {
          const int8_t *yq = ((const block_q8_K *)a[t] + i)->qs + 128 * h + 32 * k;
          isum[t] = SIMD_DOT_US2(isum[t], c[k], load32(yq), s0, s1);
        }
      }
    }
    /* the −32 offset: 32 Σ_j sc_j·bsum_j subtracted in 8 integer lanes (no horizontal sum) */
    const __m256 vdx = _mm256_set1_ps(h2f(x[i].d));
    for (int t = 0; t < nt; t++) {
      const block_q8_K *y = (const block_q8_K *)a[t] + i;
      const __m256i corr =
          _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y->bsums), sc16);
      const __m256i s = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(corr, 5));
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(vdx, _mm256_set1_ps(y->d)),
                               _mm256_cvtepi32_ps(s), acc[t]);
    }
  }
  for (int t = 0; t < nt; t++) out[t] = hsum_ps(acc[t]);
}

/* ---- float rows ---------------------------------------------------------------------------- */

SIMD_INLINE __m256 load_f16x8(const uint16_t *p) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
SIMD_INLINE __m256 load_bf16x8(const uint16_t *p) {
  __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
SIMD_INLINE __m256 load_f32x8(const float *p) { return _mm256_loadu_ps(p); }

/* Four independent accumulators hide the FMA latency; the tail (n % 8) is added in float. */
#define DEF_DOT_FLOAT(NAME, WT, AT, LOADW, LOADA, CVTW, CVTA)                                     \
  static float dot_##NAME(const void *wv, const void *av, int64_t n) {                           \
    const WT *w = wv;                                                                            \
    const AT *x = av;                                                                            \
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                                  \
    int64_t i = 0;                                                                               \
    for (; i + 32 <= n; i += 32) {                                                               \
      s0 = _mm256_fmadd_ps(LOADW(w + i), LOADA(x + i), s0);                                      \
      s1 = _mm256_fmadd_ps(LOADW(w + i + 8), LOADA(x + i + 8), s1);                              \
      s2 = _mm256_fmadd_ps(LOADW(w + i + 16), LOADA(x + i + 16), s2);                            \
      s3 = _mm256_fmadd_ps(LOADW(w + i + 24), LOADA(x + i + 24), s3);                            \
    }                                                                                            \
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(LOADW(w + i), LOADA(x + i), s0);             \
    float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));              \
    for (; i < n; i++) s += CVTW(w[i]) * CVTA(x[i]);                                             \
    return s;                                                                                    \
  }
#define ID(v) (v)
DEF_DOT_FLOAT(f32, float, float, load_f32x8, load_f32x8, ID, ID)
DEF_DOT_FLOAT(f16, uint16_t, uint16_t, load_f16x8, load_f16x8, h2f, h2f)
DEF_DOT_FLOAT(bf16, uint16_t, uint16_t, load_bf16x8, load_bf16x8, bf16_to_fp32, bf16_to_fp32)

static float simd_dot_f32(const float *a, const float *b, int64_t n) { return dot_f32(a, b, n); }

/* ---- activation quantisers (bit-identical to quant/q8_0.c and quant/k_quants.c) ------------ */

/* roundf: nearest, ties away from zero, for |v| < 2^23 (|v| − trunc|v| is exact there). */
SIMD_INLINE __m256 round_away(__m256 v) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 av = _mm256_andnot_ps(sign, v);
  __m256 t = _mm256_round_ps(av, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 up = _mm256_cmp_ps(_mm256_sub_ps(av, t), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  t = _mm256_add_ps(t, _mm256_and_ps(up, _mm256_set1_ps(1.0f)));
  return _mm256_or_ps(t, _mm256_and_ps(sign, v));
}

/* Four vectors of 8 int32 (elements 0..31 in order) → 32 int8, saturating. */
SIMD_INLINE __m256i pack32(__m256i i0, __m256i i1, __m256i i2, __m256i i3) {
  __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

SIMD_INLINE float amax32(const float *x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x)),
                           _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8)));
  m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 16)));
  m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 24)));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* codes = clamp(roundf(x · id), −127, 127) for 32 floats; returns their sum. */
SIMD_INLINE int q8_codes32(const float *x, float id, int8_t *qs) {
  const __m256 vid = _mm256_set1_ps(id);
  __m256i i[4];
  for (int k = 0; k < 4; k++) {
    __m256 v = round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid));
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    i[k] = _mm256_cvttps_epi32(v);
  }
  _mm256_storeu_si256((__m256i *)qs, pack32(i[0], i[1], i[2], i[3]));
  __m256i s = _mm256_add_epi32(_mm256_add_epi32(i[0], i[1]), _mm256_add_epi32(i[2], i[3]));
  __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
  return _mm_cvtsi128_si32(h);
}

static void quantize_q8_0(const float *src, void *dst, int64_t n) {
  block_q8_0 *y = dst;
  for (int64_t b = 0; b < n / 32; b++) {
    const float d = amax32(src + 32 * b) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    (void)q8_codes32(src + 32 * b, id, y[b].qs);
  }
}

static void quantize_q8_1(const float *src, void *dst, int64_t n) {
  block_q8_1 *y = dst;
  for (int64_t b = 0; b < n / 32; b++) {
    const float d = amax32(src + 32 * b) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    int sum = q8_codes32(src + 32 * b, id, y[b].qs);
    y[b].s = fp32_to_fp16((float)sum * d);
  }
}

/* Q8_K: the scale comes from the first element of largest magnitude (its sign matters). */
static void quantize_q8_K(const float *src, void *dst, int64_t n) {
  block_q8_K *y = dst;
  for (int64_t b = 0; b < n / QK_K; b++) {
    const float *x = src + QK_K * b;
    float amax = 0.0f;
    for (int k = 0; k < QK_K; k += 32) {
      float m = amax32(x + k);
      if (m > amax) amax = m;
    }
    int j = 0;
    while (j < QK_K && fabsf(x[j]) != amax) j++;
    if (amax == 0.0f || !isfinite(amax) || j == QK_K) { /* as the reference: an all-zero block */
      memset(&y[b], 0, sizeof y[b]);
      continue;
    }
    const float iscale = -127.0f / x[j];
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int k = 0; k < QK_K; k += 32) {
      __m256i i[4];
      for (int q = 0; q < 4; q++) {
        __m256 v = _mm256_mul_ps(vs, _mm256_loadu_ps(x + k + 8 * q));
        v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
        i[q] = _mm256_cvttps_epi32(v);
      }
      _mm256_storeu_si256((__m256i *)(y[b].qs + k), pack32(i[0], i[1], i[2], i[3]));
    }
    for (int s = 0; s < QK_K / 16; s++) {
      __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(y[b].qs + 16 * s)));
      v = _mm256_madd_epi16(v, _mm256_set1_epi16(1));
      __m128i h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
      h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
      y[b].bsums[s] = (int16_t)_mm_cvtsi128_si32(h);
    }
    y[b].d = 1.0f / iscale;
  }
}

static void quantize_f16(const float *src, void *dst, int64_t n) {
  uint16_t *h = dst;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i *)(h + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) h[i] = fp32_to_fp16(src[i]);
}

static void simd_quantize_act(uint32_t act_type, const float *src, void *dst, int64_t n) {
  switch (act_type) {
  case GTYPE_Q8_0: quantize_q8_0(src, dst, n); break;
  case GTYPE_Q8_1: quantize_q8_1(src, dst, n); break;
  case GTYPE_Q8_K: quantize_q8_K(src, dst, n); break;
  case GTYPE_F16: quantize_f16(src, dst, n); break;
  case GTYPE_F32: memcpy(dst, src, (size_t)n * sizeof *src); break;
  default: (void)quant_quantize_row(act_type, src, dst, n); break;
  }
}

/* ---- dequantisation (same float operations as the reference: bit-identical) --------------- */

static void simd_dequantize_row(uint32_t wtype, const void *src, float *dst, int64_t n) {
  switch (wtype) {
  case GTYPE_F16: {
    const uint16_t *h = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_f16x8(h + i));
    for (; i < n; i++) dst[i] = h2f(h[i]);
    return;
  }
  case GTYPE_BF16: {
    const uint16_t *h = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_bf16x8(h + i));
    for (; i < n; i++) dst[i] = bf16_to_fp32(h[i]);
    return;
  }
  case GTYPE_Q8_0: {
    const block_q8_0 *x = src;
    for (int64_t b = 0; b < n / 32; b++) {
      const __m256 d = _mm256_set1_ps(h2f(x[b].d));
      for (int k = 0; k < 4; k++) {
        __m128i q = _mm_loadl_epi64((const __m128i *)(x[b].qs + 8 * k));
        _mm256_storeu_ps(dst + 32 * b + 8 * k,
                         _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d));
      }
    }
    return;
  }
  case GTYPE_Q4_0: {
    const block_q4_0 *x = src;
    for (int64_t b = 0; b < n / 32; b++) {
      const __m256 d = _mm256_set1_ps(h2f(x[b].d));
      int8_t c[32];
      _mm256_storeu_si256((__m256i *)c, codes_q4_0(&x[b]));
      for (int k = 0; k < 4; k++) {
        __m128i q = _mm_loadl_epi64((const __m128i *)(c + 8 * k));
        _mm256_storeu_ps(dst + 32 * b + 8 * k,
                         _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d));
      }
    }
    return;
  }
  default: quant_dequantize_row(wtype, src, dst, n); return;
  }
}

/* ---- dispatch by type ---------------------------------------------------------------------- */

#define NT_SWITCH(FN)                                                                             \
  switch (nt) {                                                                                  \
  case 1: FN(w, a, o, n, 1); break;                                                              \
  case 2: FN(w, a, o, n, 2); break;                                                              \
  case 3: FN(w, a, o, n, 3); break;                                                              \
  NT_CASES_5_8(FN)                                                                               \
  default: FN(w, a, o, n, SIMD_NT); break;                                                       \
  }
#if SIMD_NT == 8
#define NT_CASES_5_8(FN)                                                                          \
  case 4: FN(w, a, o, n, 4); break;                                                              \
  case 5: FN(w, a, o, n, 5); break;                                                              \
  case 6: FN(w, a, o, n, 6); break;                                                              \
  case 7: FN(w, a, o, n, 7); break;
#elif SIMD_NT == 4
#define NT_CASES_5_8(FN)
#else
#error "SIMD_NT must be 4 or 8"
#endif

/* o[t] = row w · activation row a[t] for t < nt (1..SIMD_NT). Returns 0 when the type has no
 * SIMD kernel (the caller falls back to the scalar reference). */
static int dot_rows(uint32_t wtype, const void *w, const void *const *a, float *o, int64_t n,
                    int nt) {
  switch (wtype) {
  case GTYPE_Q8_0: NT_SWITCH(dot_q8_0_n) return 1;
  case GTYPE_Q4_0: NT_SWITCH(dot_q4_0_n) return 1;
  case GTYPE_Q5_0: NT_SWITCH(dot_q5_0_n) return 1;
  case GTYPE_Q4_1: NT_SWITCH(dot_q4_1_n) return 1;
  case GTYPE_Q5_1: NT_SWITCH(dot_q5_1_n) return 1;
  case GTYPE_Q4_K: NT_SWITCH(dot_q4_K_n) return 1;
  case GTYPE_Q5_K: NT_SWITCH(dot_q5_K_n) return 1;
  case GTYPE_Q6_K: NT_SWITCH(dot_q6_K_n) return 1;
  case GTYPE_F32:
    for (int t = 0; t < nt; t++) o[t] = dot_f32(w, a[t], n);
    return 1;
  case GTYPE_F16:
    for (int t = 0; t < nt; t++) o[t] = dot_f16(w, a[t], n);
    return 1;
  case GTYPE_BF16:
    for (int t = 0; t < nt; t++) o[t] = dot_bf16(w, a[t], n);
    return 1;
  default: return 0;
  }
}

static float simd_vec_dot(uint32_t wtype, const void *w, const void *act, int64_t n) {
  float o;
  const void *a[1] = {act};
  if (!dot_rows(wtype, w, a, &o, n, 1)) return quant_vec_dot(wtype, w, act, n);
  return o;
}

#ifdef SIMD_VNNI
/* Prefill micro-kernel for weights whose activations are Q8_0 (Q8_0, Q4_0, Q5_0), VNNI only:
 * 2 rows × MK_NT tokens per pass. vpdpbusd wants one unsigned operand; instead of the sign trick
 * per (row, token) pair, the activation codes are offset once per token to y + 128 (a XOR), and
 * the offset's contribution 128·Σx is subtracted by starting each row's accumulation at
 * −128·Σx (computed once per row and block). Per pair and block that leaves vpdpbusd, a convert
 * and two float operations. The scales multiply in the same order as vec_dot, so results are
 * bit-identical to it. dy holds the activation scales as floats, [t][block]. */
#define MK_NT 8 /* tokens per pass: 2 × 8 accumulators fit AVX-512VL's 32 ymm registers */
#define MK_MAX_BLOCKS 512 /* rows up to 16384 elements; longer rows take the generic path */
#define DEF_MK(NAME, BT)                                                                          \
  SIMD_INLINE void mk_##NAME(const uint8_t *w0, const uint8_t *w1, const void *const *a,         \
                             const float *dy, int nb, float *o, const int nr, const int nt) {    \
    const BT *x0 = (const BT *)w0, *x1 = (const BT *)w1;                                         \
    const __m256i off = _mm256_set1_epi8((char)0x80);                                            \
    __m256 acc[2][MK_NT];                                                                      \
    float sc[2][MK_NT] __attribute__((aligned(32)));                                           \
    for (int r = 0; r < nr; r++)                                                                 \
      for (int t = 0; t < nt; t++) acc[r][t] = _mm256_setzero_ps();                              \
    for (int i = 0; i < nb; i++) {                                                               \
      __m256i x[2], nc[2];                                                                       \
      const __m256 dy8 = _mm256_loadu_ps(dy + MK_NT * i);                                         \
      for (int r = 0; r < nr; r++) {                                                             \
        const BT *b = r ? &x1[i] : &x0[i];                                                       \
        x[r] = codes_##NAME(b);                                                                  \
        nc[r] = _mm256_sub_epi32(_mm256_setzero_si256(),                                         \
                                 _mm256_dpbusd_epi32(_mm256_setzero_si256(), off, x[r]));        \
        /* the (row, token) scales of this block, broadcast back from memory: a load-port    */  \
        /* operation instead of a multiply per pair on the two FMA pipes                     */  \
        _mm256_store_ps(sc[r], _mm256_mul_ps(_mm256_set1_ps(h2f(b->d)), dy8));                            \
      }                                                                                          \
      __asm__ volatile("" ::"m"(sc) : "memory");                                                 \
      for (int t = 0; t < nt; t++) {                                                             \
        const block_q8_0 *y = (const block_q8_0 *)a[t] + i;                                      \
        const __m256i u = _mm256_xor_si256(load32(y->qs), off);                                  \
        for (int r = 0; r < nr; r++)                                                             \
          acc[r][t] = _mm256_fmadd_ps(_mm256_broadcast_ss(&sc[r][t]),                            \
                                      _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(nc[r], u, x[r])),   \
                                      acc[r][t]);                                                \
      }                                                                                          \
    }                                                                                            \
    for (int r = 0; r < nr; r++)                                                                 \
      for (int t = 0; t < nt; t++) o[r * MK_NT + t] = hsum_ps(acc[r][t]);                      \
  }
DEF_MK(q8_0, block_q8_0)
DEF_MK(q4_0, block_q4_0)
DEF_MK(q5_0, block_q5_0)

#define MK_CALL(FN, NR)                                                                             switch (nt) {                                                                                    case 1: FN(w0, w1, a, dy, nb, o, NR, 1); break;                                                  case 2: FN(w0, w1, a, dy, nb, o, NR, 2); break;                                                  case 3: FN(w0, w1, a, dy, nb, o, NR, 3); break;                                                  case 4: FN(w0, w1, a, dy, nb, o, NR, 4); break;                                                \
  case 5: FN(w0, w1, a, dy, nb, o, NR, 5); break;                                                \
  case 6: FN(w0, w1, a, dy, nb, o, NR, 6); break;                                                \
  case 7: FN(w0, w1, a, dy, nb, o, NR, 7); break;                                                \
  default: FN(w0, w1, a, dy, nb, o, NR, 8); break;                                                 }
#define MK_TYPE(FN)                                                                                 if (w1) MK_CALL(FN, 2) else MK_CALL(FN, 1)

static void mk_dispatch(uint32_t wtype, const uint8_t *w0, const uint8_t *w1, const void *const *a,
                        const float *dy, int nb, float *o, int nt) {
  switch (wtype) {
  case GTYPE_Q8_0: MK_TYPE(mk_q8_0) break;
  case GTYPE_Q4_0: MK_TYPE(mk_q4_0) break;
  default: MK_TYPE(mk_q5_0) break;
  }
}

/* Returns 0 when the micro-kernel does not apply (the caller takes the generic tile). */
static int gemm_q8_family(uint32_t wtype, const uint8_t *w, size_t w_stride, int n_rows,
                          const uint8_t *act, size_t act_stride, int n_tok, float *out,
                          size_t out_stride, int64_t n) {
  if (wtype != GTYPE_Q8_0 && wtype != GTYPE_Q4_0 && wtype != GTYPE_Q5_0) return 0;
  if (n_tok < 2 || n / 32 > MK_MAX_BLOCKS) return 0;
  const int nb = (int)(n / 32);
  float dy[MK_NT * MK_MAX_BLOCKS]; /* [block][token]: activation scales as floats */
  for (int t0 = 0; t0 < n_tok; t0 += MK_NT) {
    const int nt = n_tok - t0 < MK_NT ? n_tok - t0 : MK_NT;
    const void *a[MK_NT];
    for (int t = 0; t < MK_NT; t++) {
      const block_q8_0 *y = (const block_q8_0 *)(act + (size_t)(t0 + t) * act_stride);
      if (t < nt) a[t] = y;
      for (int i = 0; i < nb; i++) dy[MK_NT * i + t] = t < nt ? h2f(y[i].d) : 0.0f;
    }
    for (int r = 0; r < n_rows; r += 2) {
      const uint8_t *w0 = w + (size_t)r * w_stride;
      const uint8_t *w1 = r + 1 < n_rows ? w0 + w_stride : NULL;
      float o[2 * MK_NT];
      mk_dispatch(wtype, w0, w1, a, dy, nb, o, nt);
      for (int rr = 0; rr < (w1 ? 2 : 1); rr++)
        for (int t = 0; t < nt; t++)
          out[(size_t)(t0 + t) * out_stride + (size_t)(r + rr)] = o[rr * MK_NT + t];
    }
  }
  return 1;
}
#endif

/* The prefill tile: SIMD_ROWS weight rows stay in cache while every group of SIMD_NT tokens
 * passes over them, and each weight block is unpacked once per group. */
static void simd_gemm(uint32_t wtype, const void *wv, size_t w_stride, int n_rows,
                      const void *actv, size_t act_stride, int n_tok, float *out,
                      size_t out_stride, int64_t n) {
  const uint8_t *w = wv, *act = actv;
#ifdef SIMD_VNNI
  for (int r0 = 0; r0 < n_rows; r0 += SIMD_ROWS) { /* same tiling: SIMD_ROWS rows in cache */
    const int nr = n_rows - r0 < SIMD_ROWS ? n_rows - r0 : SIMD_ROWS;
    if (!gemm_q8_family(wtype, w + (size_t)r0 * w_stride, w_stride, nr, act, act_stride, n_tok,
                        out + r0, out_stride, n))
      break;
    if (r0 + nr == n_rows) return;
  }
#endif
  for (int r0 = 0; r0 < n_rows; r0 += SIMD_ROWS) {
    const int r1 = r0 + SIMD_ROWS < n_rows ? r0 + SIMD_ROWS : n_rows;
    for (int t0 = 0; t0 < n_tok; t0 += SIMD_NT) {
      const int nt = n_tok - t0 < SIMD_NT ? n_tok - t0 : SIMD_NT;
      const void *a[SIMD_NT];
      for (int t = 0; t < nt; t++) a[t] = act + (size_t)(t0 + t) * act_stride;
      for (int r = r0; r < r1; r++) {
        float o[SIMD_NT];
        const uint8_t *wr = w + (size_t)r * w_stride;
        if (!dot_rows(wtype, wr, a, o, n, nt))
          for (int t = 0; t < nt; t++) o[t] = quant_vec_dot(wtype, wr, a[t], n);
        for (int t = 0; t < nt; t++) out[(size_t)(t0 + t) * out_stride + (size_t)r] = o[t];
      }
    }
  }
}
