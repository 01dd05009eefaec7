/* simd_gemv.h — the decode kernel (cpu_kernels.gemv): many weight rows against ONE activation
 * row. Included by avx2.c / avx512.c after simd_impl.h (same primitives, same target pragma).
 *
 * Decode streams every weight once per token, so the kernel only has to keep up with memory:
 * ~11 GB/s per core here. The shared nt = 1 bodies of simd_impl.h do not: each row is one long
 * dependency chain (one FMA per 32-element block for Q8_0, eight vpdpwssd per 256-element
 * super-block for the K-quants), so a core waits on latency, not on loads, and streams 6-12 GB/s
 * even from cache. Here every row keeps several independent accumulators:
 *
 *   Q8_0 / Q4_0 / Q5_0: four float accumulators over blocks i mod 4 (float rounding differs
 *                        from vec_dot by reordering only; a test bounds it);
 *   Q4_K / Q5_K / Q6_K: one integer accumulator per 64-element group, summed once per
 *                        super-block (integers: the result is bit-identical to vec_dot).
 *
 * Rows are processed two at a time so the activation block loaded (and, for the signed types,
 * sign-adjusted) for one row serves the other, and the next rows are prefetched. */

#ifndef GV_PREFETCH_ROWS
#define GV_PREFETCH_ROWS 0 /* software prefetch distance in rows (0: none) */
#endif

SIMD_INLINE void gv_prefetch_row(const uint8_t *p, size_t bytes) {
  for (size_t o = 0; o < bytes; o += 64) _mm_prefetch((const char *)p + o, _MM_HINT_T0);
}

/* Signed-code weights against Q8_0 activations: rows w0 (and w1 when nr = 2). */
#define DEF_GV_SIGNED(NAME, BT)                                                                   \
  SIMD_INLINE void gv_##NAME(const uint8_t *w0, const uint8_t *w1, const block_q8_0 *y,          \
                             int64_t nb, float *o, const int nr) {                               \
    const BT *x[2] = {(const BT *)w0, (const BT *)w1};                                           \
    __m256 acc[2][4];                                                                            \
    for (int r = 0; r < 2; r++)                                                                  \
      for (int u = 0; u < 4; u++) acc[r][u] = _mm256_setzero_ps();                               \
    int64_t i = 0;                                                                               \
    for (; i + 4 <= nb; i += 4) {                                                                \
      for (int u = 0; u < 4; u++) {                                                              \
        const __m256i qy = load32(y[i + u].qs);                                                  \
        const float dy = h2f(y[i + u].d);                                                        \
        for (int r = 0; r < nr; r++) {                                                           \
          const __m256i qx = codes_##NAME(&x[r][i + u]);                                         \
          __m256i p = SIMD_DOT_US(_mm256_setzero_si256(), _mm256_sign_epi8(qx, qx),              \
                                  _mm256_sign_epi8(qy, qx));                                     \
          acc[r][u] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[r][i + u].d) * dy),                   \
                                      _mm256_cvtepi32_ps(p), acc[r][u]);                         \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    for (; i < nb; i++) {                                                                        \
      const __m256i qy = load32(y[i].qs);                                                        \
      const float dy = h2f(y[i].d);                                                              \
      for (int r = 0; r < nr; r++) {                                                             \
        const __m256i qx = codes_##NAME(&x[r][i]);                                               \
        __m256i p = SIMD_DOT_US(_mm256_setzero_si256(), _mm256_sign_epi8(qx, qx),                \
                                _mm256_sign_epi8(qy, qx));                                       \
        acc[r][0] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[r][i].d) * dy), _mm256_cvtepi32_ps(p),  \
                                    acc[r][0]);                                                  \
      }                                                                                          \
    }                                                                                            \
    for (int r = 0; r < nr; r++)                                                                 \
      o[r] = hsum_ps(_mm256_add_ps(_mm256_add_ps(acc[r][0], acc[r][1]),                          \
                                   _mm256_add_ps(acc[r][2], acc[r][3])));                        \
  }
DEF_GV_SIGNED(q8_0, block_q8_0)
DEF_GV_SIGNED(q4_0, block_q4_0)
DEF_GV_SIGNED(q5_0, block_q5_0)

/* Q4_K / Q5_K: the sums of simd_impl.h's DEF_DOT_K45 with one integer accumulator per group. */
#define DEF_GV_K45(NAME, BT, LO, HI)                                                              \
  SIMD_INLINE void gv_##NAME(const uint8_t *w0, const uint8_t *w1, const block_q8_K *y,          \
                             int64_t nb, float *o, const int nr) {                               \
    const BT *xs[2] = {(const BT *)w0, (const BT *)w1};                                          \
    __m256 acc[2];                                                                               \
    for (int r = 0; r < 2; r++) acc[r] = _mm256_setzero_ps();                                    \
    const __m256i m4 = _mm256_set1_epi8(0x0f);                                                   \
    for (int64_t i = 0; i < nb; i++) {                                                           \
      const __m256i bsums = _mm256_loadu_si256((const __m256i *)y[i].bsums);                     \
      for (int r = 0; r < nr; r++) {                                                             \
        const BT *x = xs[r];                                                                     \
        uint8_t sc[8], mn[8];                                                                    \
        k_scales(x[i].scales, sc, mn);                                                           \
        __m256i is[4];                                                                           \
        for (int g = 0; g < 4; g++) {                                                            \
          const __m256i q = load32(x[i].qs + 32 * g);                                            \
          const __m256i lo = LO, hi = HI;                                                        \
          const int8_t *yq = y[i].qs + 64 * g;                                                   \
          is[g] = SIMD_DOT_US2(_mm256_setzero_si256(), lo, load32(yq), sc[2 * g], sc[2 * g]);    \
          is[g] = SIMD_DOT_US2(is[g], hi, load32(yq + 32), sc[2 * g + 1], sc[2 * g + 1]);        \
        }                                                                                        \
        const __m256i isum =                                                                     \
            _mm256_add_epi32(_mm256_add_epi32(is[0], is[1]), _mm256_add_epi32(is[2], is[3]));    \
        const __m256 mt = _mm256_mul_ps(_mm256_set1_ps(h2f(x[i].dmin)),                          \
                                        _mm256_cvtepi32_ps(_mm256_madd_epi16(bsums, mins16(mn)))); \
        acc[r] = _mm256_fmadd_ps(                                                                \
            _mm256_set1_ps(y[i].d),                                                              \
            _mm256_fmsub_ps(_mm256_set1_ps(h2f(x[i].d)), _mm256_cvtepi32_ps(isum), mt), acc[r]); \
      }                                                                                          \
    }                                                                                            \
    for (int r = 0; r < nr; r++) o[r] = hsum_ps(acc[r]);                                         \
  }
DEF_GV_K45(q4_K, block_q4_K, _mm256_and_si256(q, m4),
           _mm256_and_si256(_mm256_srli_epi16(q, 4), m4))
DEF_GV_K45(q5_K, block_q5_K, q5k_lo(q, QH5, m4, g), q5k_hi(q, QH5, m4, g))

/* Q6_K: simd_impl.h's dot_q6_K_n with one integer accumulator per 32-element quarter. */
SIMD_INLINE void gv_q6_K(const uint8_t *w0, const uint8_t *w1, const block_q8_K *y, int64_t nb,
                         float *o, const int nr) {
  const block_q6_K *xs[2] = {(const block_q6_K *)w0, (const block_q6_K *)w1};
  __m256 acc[2];
  for (int r = 0; r < 2; r++) acc[r] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < nb; i++) {
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)y[i].bsums);
    for (int r = 0; r < nr; r++) {
      const block_q6_K *x = xs[r];
      const int8_t *sc = x[i].scales;
      const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
      __m256i is[4];
      for (int k = 0; k < 4; k++) is[k] = _mm256_setzero_si256();
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
          const int8_t *yq = y[i].qs + 128 * h + 32 * k;
          is[k] = SIMD_DOT_US2(is[k], c[k], load32(yq), sc[8 * h + 2 * k], sc[8 * h + 2 * k + 1]);
        }
      }
      const __m256i isum =
          _mm256_add_epi32(_mm256_add_epi32(is[0], is[1]), _mm256_add_epi32(is[2], is[3]));
      const __m256i corr = _mm256_madd_epi16(bsums, sc16);
      const __m256i s = _mm256_sub_epi32(isum, _mm256_slli_epi32(corr, 5));
      acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(h2f(x[i].d)), _mm256_set1_ps(y[i].d)),
                               _mm256_cvtepi32_ps(s), acc[r]);
    }
  }
  for (int r = 0; r < nr; r++) o[r] = hsum_ps(acc[r]);
}

#define GV_PAIR(FN, YT, BLK)                                                                      \
  for (; r + 2 <= n_rows; r += 2) {                                                              \
    const uint8_t *w0 = w + (size_t)r * w_stride;                                                \
    if (GV_PREFETCH_ROWS && r + GV_PREFETCH_ROWS + 2 <= n_rows)                                  \
      gv_prefetch_row(w0 + (size_t)GV_PREFETCH_ROWS * w_stride, 2 * w_stride);                   \
    FN(w0, w0 + w_stride, (const YT *)act, n / (BLK), out + r, 2);                               \
  }                                                                                              \
  if (r < n_rows) FN(w + (size_t)r * w_stride, NULL, (const YT *)act, n / (BLK), out + r, 1);    \
  return

/* out[r] = row r · act for r < n_rows (decode). */
static void simd_gemv(uint32_t wtype, const void *wv, size_t w_stride, int n_rows,
                      const void *act, float *out, int64_t n) {
  const uint8_t *w = wv;
  int r = 0;
  switch (wtype) {
  case GTYPE_Q8_0: GV_PAIR(gv_q8_0, block_q8_0, 32);
  case GTYPE_Q4_0: GV_PAIR(gv_q4_0, block_q8_0, 32);
  case GTYPE_Q5_0: GV_PAIR(gv_q5_0, block_q8_0, 32);
  case GTYPE_Q4_K: GV_PAIR(gv_q4_K, block_q8_K, QK_K);
  case GTYPE_Q5_K: GV_PAIR(gv_q5_K, block_q8_K, QK_K);
  case GTYPE_Q6_K: GV_PAIR(gv_q6_K, block_q8_K, QK_K);
  default:
    for (; r < n_rows; r++) out[r] = simd_vec_dot(wtype, w + (size_t)r * w_stride, act, n);
    return;
  }
}
