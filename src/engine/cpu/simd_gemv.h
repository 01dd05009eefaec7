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

#ifndef GV_PREFETCH_BYTES
#define GV_PREFETCH_BYTES 0 /* whole-row prefetch per row (0: none; GV_PF_DIST is the one in use) */
#endif

/* Software prefetch as the blocks go: each step of the block loop prefetches the lines
 * GV_PF_DIST bytes ahead of the block it reads (into the next rows of the thread's slice; past
 * its end a prefetch is a harmless wasted line). Streaming from memory the kernels otherwise
 * behaved as if loads and arithmetic did not overlap (time ≈ bytes / bandwidth + the in-cache
 * compute time): the hardware prefetchers do not run far enough ahead of a loop this dense and
 * restart at every 4 KiB page. bench_gemv --rows 16384 --n-in 4096 (one thread, from memory,
 * loaded machine): +25-40% GB/s for every type at 2-4 KiB, no change in cache. 4 KiB ≈ 400 ns
 * of one core's stream: several memory latencies, also when two cores share the controller. */
#ifndef GV_PF_DIST
#define GV_PF_DIST 4096 /* bytes; 0 turns the prefetch off */
#endif
/* Prefetch the LINES lines at p + GV_PF_DIST. */
#define GV_PF(p, LINES)                                                                           \
  do {                                                                                           \
    if (GV_PF_DIST)                                                                              \
      for (int l_ = 0; l_ < (LINES); l_++)                                                       \
        _mm_prefetch((const char *)(p) + GV_PF_DIST + 64 * l_, _MM_HINT_T0);                     \
  } while (0)

SIMD_INLINE void gv_prefetch_row(const uint8_t *p, size_t bytes) {
  for (size_t o = 0; o < bytes; o += 64) _mm_prefetch((const char *)p + o, _MM_HINT_T0);
}

/* Unsigned codes u of the legacy signed types (the code is u − off): Q4_0 the nibble (off 8),
 * Q5_0 the nibble plus 16·bit (off 16). VNNI builds set the fifth bit with a mask register. */
SIMD_INLINE __m256i ucodes_q4_0(const block_q4_0 *b) { return unpack_nibbles16(b->qs); }
#ifdef SIMD_VNNI
SIMD_INLINE __m256i ucodes_q5_0(const block_q5_0 *b) {
  uint32_t qh;
  memcpy(&qh, b->qh, sizeof qh);
  const __m256i nib = unpack_nibbles16(b->qs);
  return _mm256_mask_add_epi8(nib, _cvtu32_mask32(qh), nib, _mm256_set1_epi8(0x10));
}
#else
SIMD_INLINE __m256i ucodes_q5_0(const block_q5_0 *b) {
  return _mm256_or_si256(unpack_nibbles16(b->qs),
                         _mm256_and_si256(bits_to_bytes(b->qh), _mm256_set1_epi8(0x10)));
}
#endif

/* Σ (u − off)·y = Σ u·y − off·Σ y: the offset term is one vpdpbusd per ACTIVATION block, shared
 * by the rows of a pair, and the weight codes go into the byte product unsigned (no vpsignb). */
#define GV_OFF_BLOCK(NAME, I, U)                                                                  \
  do {                                                                                           \
    const __m256i qy = load32(y[I].qs);                                                          \
    const __m256i corr = _mm256_sub_epi32(_mm256_setzero_si256(),                                \
                                          SIMD_DOT_US(_mm256_setzero_si256(), voff, qy));        \
    const float dy = dyf[I];                                                                     \
    for (int r = 0; r < nr; r++) {                                                               \
      const __m256i p = SIMD_DOT_US(corr, ucodes_##NAME(&x[r][I]), qy);                          \
      acc[r][U] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[r][I].d) * dy), _mm256_cvtepi32_ps(p),    \
                                  acc[r][U]);                                                    \
    }                                                                                            \
  } while (0)
#define DEF_GV_OFFSET(NAME, BT, OFF)                                                              \
  SIMD_INLINE void gv_##NAME(const uint8_t *w0, const uint8_t *w1, const block_q8_0 *y,          \
                             const float *dyf, int64_t nb, float *o, const int nr) {             \
    const BT *x[2] = {(const BT *)w0, (const BT *)w1};                                           \
    __m256 acc[2][4];                                                                            \
    for (int r = 0; r < 2; r++)                                                                  \
      for (int u = 0; u < 4; u++) acc[r][u] = _mm256_setzero_ps();                               \
    const __m256i voff = _mm256_set1_epi8(OFF);                                                  \
    for (int64_t i0 = 0; i0 < nb; i0 += 4) {                                                     \
      for (int r = 0; r < nr; r++) GV_PF(&x[r][i0], 3);                                          \
      if (i0 + 4 <= nb) {                                                                        \
        for (int u = 0; u < 4; u++) GV_OFF_BLOCK(NAME, i0 + u, u);                               \
      } else {                                                                                   \
        for (int64_t i = i0; i < nb; i++) GV_OFF_BLOCK(NAME, i, 0);                              \
      }                                                                                          \
    }                                                                                            \
    for (int r = 0; r < nr; r++)                                                                 \
      o[r] = hsum_ps(_mm256_add_ps(_mm256_add_ps(acc[r][0], acc[r][1]),                          \
                                   _mm256_add_ps(acc[r][2], acc[r][3])));                        \
  }
DEF_GV_OFFSET(q4_0, block_q4_0, 8)
DEF_GV_OFFSET(q5_0, block_q5_0, 16)

#ifdef SIMD_VNNI
/* 512-bit Q4_0 / Q5_0 (AVX-512 F/BW + VNNI only; no VBMI): TWO blocks per instruction. The
 * 256-bit bodies above are compute-bound at ~7-8 GB/s per core (~16 uops per 22-byte Q5_0
 * block: unpacking, the per-block scale, the offset); here a block pair costs about as many.
 *   - one masked 64-byte load holds both blocks (fault-free past the pair's end);
 *   - vpermw puts the two 16-byte code arrays in the lanes [A, A, B, B] (qs starts at an even
 *     byte in both layouts), a per-lane vpsrlvw (0, 4, 0, 4) and a mask give the 64 nibbles;
 *     Q5_0's fifth bits are one 64-bit mask register (qh of A, then of B);
 *   - the same load's two F16 scales go to [dA x8, dB x8] by a second vpermw + vcvtph2ps;
 *   - the activation of the call is laid out once per call (GVZ_ACT): codes contiguous, the
 *     float scales and the offset term (-off * per-lane y sums, as GV_OFF_BLOCK) per pair.
 * Sums are reordered against vec_dot (lanes per block pair, two accumulators): float rounding
 * only; exact on the integer data of the equivalence test. */
#define GVZ_MAX_N 8192 /* longest row the per-call activation layout serves (24 KiB of stack) */
typedef struct gvz_act {
  _Alignas(64) int8_t q[GVZ_MAX_N];    /* activation codes, contiguous */
  _Alignas(64) float d[GVZ_MAX_N / 4]; /* per pair: 8 x dy[A], 8 x dy[B] */
  _Alignas(64) int32_t c[GVZ_MAX_N / 4]; /* per pair: -off * (per-lane sums of y), 16 lanes */
} gvz_act;

SIMD_INLINE void gvz_prepare(gvz_act *za, const block_q8_0 *y, const float *dyf, int64_t nb,
                             int off) {
  const __m512i voff = _mm512_set1_epi8((char)off);
  for (int64_t p = 0; p < nb / 2; p++) {
    const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(load32(y[2 * p].qs)),
                                         load32(y[2 * p + 1].qs), 1);
    _mm512_store_si512((__m512i *)(za->q + 64 * p), q);
    _mm512_store_si512((__m512i *)(za->c + 16 * p),
                       _mm512_sub_epi32(_mm512_setzero_si512(),
                                        _mm512_dpbusd_epi32(_mm512_setzero_si512(), voff, q)));
    _mm512_store_ps(za->d + 16 * p,
                    _mm512_castpd_ps(_mm512_insertf64x4(
                        _mm512_castps_pd(_mm512_set1_ps(dyf[2 * p])),
                        _mm256_castps_pd(_mm256_set1_ps(dyf[2 * p + 1])), 1)));
  }
}

/* Word index vectors for vpermw over a block pair whose blocks are BS bytes and whose codes
 * start at byte QS: codes [A, A, B, B] by 128-bit lane; scales [dA x8, dB x8] (d at byte 0). */
SIMD_INLINE __m512i gvz_idx_codes(int bs, int qs) {
  _Alignas(64) int16_t ix[32];
  for (int l = 0; l < 4; l++)
    for (int j = 0; j < 8; j++) ix[8 * l + j] = (int16_t)((l < 2 ? 0 : bs / 2) + qs / 2 + j);
  return _mm512_load_si512((const __m512i *)ix);
}
SIMD_INLINE __m512i gvz_idx_scales(int bs) {
  _Alignas(64) int16_t ix[32];
  for (int j = 0; j < 32; j++) ix[j] = (int16_t)(j < 8 ? 0 : bs / 2);
  return _mm512_load_si512((const __m512i *)ix);
}

#define GVZ_PAIR(NAME, P, ACC)                                                                    \
  do {                                                                                           \
    const uint8_t *pb = (const uint8_t *)&x[2 * (P)];                                            \
    GV_PF(pb, 1);                                                                                \
    const __m512i z = _mm512_maskz_loadu_epi8(lmask, pb);                                        \
    __m512i u = _mm512_and_si512(                                                                \
        _mm512_srlv_epi16(_mm512_permutexvar_epi16(ixq, z), shifts), m4);                        \
    GVZ_HIGH_##NAME(u, P);                                                                       \
    const __m512i pi = _mm512_dpbusd_epi32(_mm512_load_si512((const __m512i *)(za->c + 16 * (P))), \
                                           u, _mm512_load_si512((const __m512i *)(za->q + 64 * (P)))); \
    const __m512 sc = _mm512_mul_ps(                                                             \
        _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(ixd, z))),              \
        _mm512_load_ps(za->d + 16 * (P)));                                                       \
    ACC = _mm512_fmadd_ps(sc, _mm512_cvtepi32_ps(pi), ACC);                                      \
  } while (0)
#define GVZ_HIGH_q4_0(u, P) (void)0
#define GVZ_HIGH_q5_0(u, P)                                                                       \
  do {                                                                                           \
    uint32_t ha, hb;                                                                             \
    memcpy(&ha, x[2 * (P)].qh, 4);                                                               \
    memcpy(&hb, x[2 * (P) + 1].qh, 4);                                                           \
    u = _mm512_mask_add_epi8(u, _cvtu64_mask64((uint64_t)hb << 32 | ha), u,                      \
                             _mm512_set1_epi8(0x10));                                            \
  } while (0)
#define DEF_GVZ(NAME, BT)                                                                         \
  SIMD_INLINE void gvz_##NAME(const uint8_t *w, const gvz_act *za, int64_t nb, float *o) {       \
    const BT *x = (const BT *)w;                                                                 \
    const __mmask64 lmask = _cvtu64_mask64((1ull << (2 * sizeof(BT))) - 1);                      \
    const __m512i ixq = gvz_idx_codes((int)sizeof(BT), (int)offsetof(BT, qs));                   \
    const __m512i ixd = gvz_idx_scales((int)sizeof(BT));                                         \
    const __m512i shifts = _mm512_setr_epi64(0, 0, 0x0004000400040004ll, 0x0004000400040004ll,  \
                                             0, 0, 0x0004000400040004ll, 0x0004000400040004ll); \
    const __m512i m4 = _mm512_set1_epi8(0x0f);                                                   \
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();                                   \
    const int64_t np = nb / 2;                                                                   \
    int64_t p = 0;                                                                               \
    for (; p + 2 <= np; p += 2) {                                                                \
      GVZ_PAIR(NAME, p, a0);                                                                     \
      GVZ_PAIR(NAME, p + 1, a1);                                                                 \
    }                                                                                            \
    if (p < np) GVZ_PAIR(NAME, p, a0);                                                           \
    *o = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));                                            \
  }
DEF_GVZ(q4_0, block_q4_0)
DEF_GVZ(q5_0, block_q5_0)
#endif

/* Q8_0: codes use the whole signed byte range, so the sign trick stays (x + 128 would overflow
 * vpmaddubsw's 16-bit pair sums on AVX2). */
#define GV_Q8_BLOCK(I, U)                                                                         \
  do {                                                                                           \
    const __m256i qy = load32(y[I].qs);                                                          \
    const float dy = dyf[I];                                                                     \
    for (int r = 0; r < nr; r++) {                                                               \
      const __m256i qx = load32(x[r][I].qs);                                                     \
      const __m256i p = SIMD_DOT_US(_mm256_setzero_si256(), _mm256_sign_epi8(qx, qx),            \
                                    _mm256_sign_epi8(qy, qx));                                   \
      acc[r][U] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[r][I].d) * dy), _mm256_cvtepi32_ps(p),    \
                                  acc[r][U]);                                                    \
    }                                                                                            \
  } while (0)
SIMD_INLINE void gv_q8_0(const uint8_t *w0, const uint8_t *w1, const block_q8_0 *y,
                         const float *dyf, int64_t nb, float *o, const int nr) {
  const block_q8_0 *x[2] = {(const block_q8_0 *)w0, (const block_q8_0 *)w1};
  __m256 acc[2][4];
  for (int r = 0; r < 2; r++)
    for (int u = 0; u < 4; u++) acc[r][u] = _mm256_setzero_ps();
  for (int64_t i0 = 0; i0 < nb; i0 += 4) {
    for (int r = 0; r < nr; r++) GV_PF(&x[r][i0], 3);
    if (i0 + 4 <= nb) {
      for (int u = 0; u < 4; u++) GV_Q8_BLOCK(i0 + u, u);
    } else {
      for (int64_t i = i0; i < nb; i++) GV_Q8_BLOCK(i, 0);
    }
  }
  for (int r = 0; r < nr; r++)
    o[r] = hsum_ps(_mm256_add_ps(_mm256_add_ps(acc[r][0], acc[r][1]),
                                 _mm256_add_ps(acc[r][2], acc[r][3])));
}

/* s16 pair sums of u·s, multiplied by the s16 scales of sc and accumulated in s32. */
#ifdef SIMD_VNNI
#define GV_DOT_SC(acc, u, s, sc) _mm256_dpwssd_epi32((acc), _mm256_maddubs_epi16((u), (s)), (sc))
#else
#define GV_DOT_SC(acc, u, s, sc)                                                                  \
  _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), (sc)))
#endif

/* The 8 six-bit scales and 8 minimums of a Q4_K/Q5_K block as 16 int16 (scales, then mins):
 * k_scales's unpacking done on the three 32-bit words u0..u2 of the 12 scale bytes, in four
 * vector lanes: (u0 & 63s, (u2 & 15s) | (u0 >> 6 & 3s) << 4, u1 & 63s, (u2 >> 4 & 15s) | (u1 >> 6
 * & 3s) << 4), "63s" meaning 0x3f in every byte. The 16-byte load ends inside the block's qs. */
SIMD_INLINE __m256i k_scales16(const uint8_t *q) {
  const __m128i v = _mm_loadu_si128((const __m128i *)q);
  const __m128i a = _mm_shuffle_epi32(v, 0x98); /* u0 u2 u1 u2 */
  const __m128i b = _mm_shuffle_epi32(v, 0x50); /* u0 u0 u1 u1 */
  const __m128i hi =
      _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(b, 6), _mm_set1_epi8(0x03)), 4);
  const __m128i odd = _mm_or_si128(
      _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)), _mm_set1_epi8(0x0f)), hi);
  const __m128i even = _mm_and_si128(a, _mm_set1_epi8(0x3f));
  return _mm256_cvtepu8_epi16(_mm_blend_epi32(even, odd, 0x0a));
}

/* vpshufb masks that broadcast int16 element j of each 128-bit lane to the whole lane. */
SIMD_INLINE __m256i lane_bcast16(int j) { return _mm256_set1_epi16((short)((2 * j + 1) << 8 | 2 * j)); }

/* Q4_K / Q5_K: DEF_DOT_K45's sums with one integer accumulator per group and the scales
 * broadcast by vpshufb from one register. */
#define DEF_GV_K45(NAME, BT, LO, HI)                                                              \
  SIMD_INLINE void gv_##NAME(const uint8_t *w0, const uint8_t *w1, const block_q8_K *y,          \
                             int64_t nb, float *o, const int nr) {                               \
    const BT *xs[2] = {(const BT *)w0, (const BT *)w1};                                          \
    __m256 acc[2];                                                                               \
    for (int r = 0; r < 2; r++) acc[r] = _mm256_setzero_ps();                                    \
    const __m256i m4 = _mm256_set1_epi8(0x0f);                                                   \
    for (int64_t i = 0; i < nb; i++) {                                                           \
      for (int r = 0; r < nr; r++) GV_PF(&xs[r][i], 3);                                          \
      const __m256i bsums = _mm256_loadu_si256((const __m256i *)y[i].bsums);                     \
      for (int r = 0; r < nr; r++) {                                                             \
        const BT *x = xs[r];                                                                     \
        const __m256i sm = k_scales16(x[i].scales);                                              \
        const __m256i scv = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(sm));             \
        const __m128i mn = _mm256_extracti128_si256(sm, 1);                                      \
        const __m256i mn16 = _mm256_setr_m128i(_mm_unpacklo_epi16(mn, mn),                       \
                                               _mm_unpackhi_epi16(mn, mn));                      \
        __m256i is[4];                                                                           \
        for (int g = 0; g < 4; g++) {                                                            \
          const __m256i q = load32(x[i].qs + 32 * g);                                            \
          const __m256i lo = LO, hi = HI;                                                        \
          const int8_t *yq = y[i].qs + 64 * g;                                                   \
          is[g] = GV_DOT_SC(_mm256_setzero_si256(), lo, load32(yq),                              \
                            _mm256_shuffle_epi8(scv, lane_bcast16(2 * g)));                      \
          is[g] = GV_DOT_SC(is[g], hi, load32(yq + 32),                                          \
                            _mm256_shuffle_epi8(scv, lane_bcast16(2 * g + 1)));                  \
        }                                                                                        \
        const __m256i isum =                                                                     \
            _mm256_add_epi32(_mm256_add_epi32(is[0], is[1]), _mm256_add_epi32(is[2], is[3]));    \
        const __m256 mt = _mm256_mul_ps(_mm256_set1_ps(h2f(x[i].dmin)),                          \
                                        _mm256_cvtepi32_ps(_mm256_madd_epi16(bsums, mn16)));     \
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

/* Q6_K: dot_q6_K_n's sums with one integer accumulator per 32-element quarter; the scale pair
 * (lanes 0..3, 4..7) of a quarter comes from one vpshufb of the half's eight scales. */
SIMD_INLINE void gv_q6_K(const uint8_t *w0, const uint8_t *w1, const block_q8_K *y, int64_t nb,
                         float *o, const int nr) {
  const block_q6_K *xs[2] = {(const block_q6_K *)w0, (const block_q6_K *)w1};
  __m256 acc[2];
  for (int r = 0; r < 2; r++) acc[r] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < nb; i++) {
    for (int r = 0; r < nr; r++) GV_PF(&xs[r][i], 3);
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)y[i].bsums);
    for (int r = 0; r < nr; r++) {
      const block_q6_K *x = xs[r];
      const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x[i].scales));
      __m256i is[4];
      for (int k = 0; k < 4; k++) is[k] = _mm256_setzero_si256();
      for (int h = 0; h < 2; h++) {
        const __m256i l0 = load32(x[i].ql + 64 * h), l1 = load32(x[i].ql + 64 * h + 32);
        const __m256i qh = load32(x[i].qh + 32 * h);
        const __m256i sch = h ? _mm256_permute2x128_si256(sc16, sc16, 0x11)
                              : _mm256_permute2x128_si256(sc16, sc16, 0x00);
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
          const __m256i scm = _mm256_setr_m128i(_mm256_castsi256_si128(lane_bcast16(2 * k)),
                                                _mm256_castsi256_si128(lane_bcast16(2 * k + 1)));
          is[k] = GV_DOT_SC(is[k], c[k], load32(yq), _mm256_shuffle_epi8(sch, scm));
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

#ifndef GV_ROWS
#define GV_ROWS 1 /* rows per kernel call (2 measured slower when streaming from memory) */
#endif
#define GV_PAIR(FN, YT, BLK, ...)                                                                 \
  for (; r + GV_ROWS <= n_rows; r += GV_ROWS) {                                                  \
    const uint8_t *w0 = w + (size_t)r * w_stride;                                                \
    if (GV_PREFETCH_BYTES &&                                                                     \
        (size_t)(n_rows - r) * w_stride > GV_PREFETCH_BYTES + GV_ROWS * w_stride)                \
      gv_prefetch_row(w0 + GV_PREFETCH_BYTES, GV_ROWS * w_stride);                               \
    FN(w0, GV_ROWS == 2 ? w0 + w_stride : NULL, (const YT *)act, __VA_ARGS__ n / (BLK), out + r, \
       GV_ROWS);                                                                                 \
  }                                                                                              \
  if (r < n_rows)                                                                                \
    FN(w + (size_t)r * w_stride, NULL, (const YT *)act, __VA_ARGS__ n / (BLK), out + r, 1);      \
  return

/* Activation blocks whose scales are converted to float once per call rather than once per row;
 * longer rows (none in today's models) take vec_dot. */
#define GV_MAX_NB 2048

/* out[r] = row r · act for r < n_rows (decode). */
static void simd_gemv(uint32_t wtype, const void *wv, size_t w_stride, int n_rows,
                      const void *act, float *out, int64_t n) {
  const uint8_t *w = wv;
  int r = 0;
  float dyf[GV_MAX_NB];
  uint32_t kind = wtype;
  if (wtype == GTYPE_Q8_0 || wtype == GTYPE_Q4_0 || wtype == GTYPE_Q5_0) {
    const block_q8_0 *y = act;
    if (n / 32 > GV_MAX_NB) kind = GTYPE_COUNT; /* the default case below */
    else
      for (int64_t i = 0; i < n / 32; i++) dyf[i] = h2f(y[i].d);
  }
#ifdef SIMD_VNNI
  if ((kind == GTYPE_Q4_0 || kind == GTYPE_Q5_0) && n % 64 == 0 && n <= GVZ_MAX_N) {
    gvz_act za;
    gvz_prepare(&za, act, dyf, n / 32, kind == GTYPE_Q4_0 ? 8 : 16);
    for (; r < n_rows; r++) {
      if (kind == GTYPE_Q4_0) gvz_q4_0(w + (size_t)r * w_stride, &za, n / 32, out + r);
      else gvz_q5_0(w + (size_t)r * w_stride, &za, n / 32, out + r);
    }
    return;
  }
#endif
  switch (kind) {
  case GTYPE_Q8_0: GV_PAIR(gv_q8_0, block_q8_0, 32, dyf, );
  case GTYPE_Q4_0: GV_PAIR(gv_q4_0, block_q8_0, 32, dyf, );
  case GTYPE_Q5_0: GV_PAIR(gv_q5_0, block_q8_0, 32, dyf, );
  case GTYPE_Q4_K: GV_PAIR(gv_q4_K, block_q8_K, QK_K, );
  case GTYPE_Q5_K: GV_PAIR(gv_q5_K, block_q8_K, QK_K, );
  case GTYPE_Q6_K: GV_PAIR(gv_q6_K, block_q8_K, QK_K, );
  default:
    for (; r < n_rows; r++) out[r] = simd_vec_dot(wtype, w + (size_t)r * w_stride, act, n);
    return;
  }
}

/* ---- the F16 KV cache (attention of the fast path) ---------------------------------------- */

static float simd_dot_f16_f32(const uint16_t *x, const float *y, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(load_f16x8(x + i), _mm256_loadu_ps(y + i), s0);
    s1 = _mm256_fmadd_ps(load_f16x8(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(load_f16x8(x + i), _mm256_loadu_ps(y + i), s0);
  float s = hsum_ps(_mm256_add_ps(s0, s1));
  for (; i < n; i++) s += h2f(x[i]) * y[i];
  return s;
}

static void simd_f16_axpy(float *y, float a, const uint16_t *x, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, load_f16x8(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += a * h2f(x[i]);
}
