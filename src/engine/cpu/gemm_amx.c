/* gemm_amx.c — the prefill matrix product on Intel AMX (Sapphire Rapids and later).
 *
 * One tdpbssd multiplies a 16 × K tile of int8 activations (16 tokens) by a K × 16 tile of int8
 * weight codes (16 rows) into 16 × 16 int32 sums: 8192 multiply-adds for K = 32, about eight
 * times what AVX-512 VNNI does per cycle. Every quantised type keeps a float scale per 32 (Q6_K:
 * 16) weights and the activations one per 32 (Q8_0) or 256 (Q8_K), so each tile product covers
 * exactly one sub-block: the int32 sums are exact (as in vec_dot), then converted and multiplied
 * by (weight scale × activation scale) into float accumulators, one vector operation per 16
 * (token, row) pairs — VNNI needs one per pair, which is what bounds the AVX-512 tile.
 *
 * Layout: A = activations straight from the quantised rows (tileloadd takes any row stride);
 * B = weights, repacked on the fly into AMX's "VNNI" layout (tile row k holds 4 consecutive
 * codes of each of the 16 weight rows) for a panel of AMX_PANEL rows × AMX_KC elements that
 * stays in L1/L2 while every token passes over it, with the per-sub-block scales beside it.
 * Q4_K/Q5_K minimums are a second, float product of the per-32 minimums with the Q8_K bsums.
 *
 * Results differ from vec_dot by float rounding only (the order of the scale products), within
 * a relative 1e-5 of Σ|w·a| (tests/unit/engine/test_gemm_prefill.c). Token groups of fewer than
 * 16, types without a repacker and very long rows take the AVX-512 tile. */
#include "engine/cpu/cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/gtype.h"
#include "engine/quant/blocks.h"

#define AMX_ARCH_GET_XCOMP_PERM 0x1022 /* Linux arch_prctl codes (asm/prctl.h) */
#define AMX_ARCH_REQ_XCOMP_PERM 0x1023
#define AMX_XFEATURE_XTILEDATA 18

/* Process-wide: Linux enables the 8 KB tile state only after a request (once per process). */
static int amx_ok;
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;

static void amx_probe(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  if (!(d & (1u << 24)) || !(d & (1u << 25))) return; /* AMX-TILE, AMX-INT8 */
  if (syscall(SYS_arch_prctl, AMX_ARCH_REQ_XCOMP_PERM, AMX_XFEATURE_XTILEDATA) != 0) return;
  unsigned long perm = 0;
  if (syscall(SYS_arch_prctl, AMX_ARCH_GET_XCOMP_PERM, &perm) != 0) return;
  amx_ok = (perm >> AMX_XFEATURE_XTILEDATA) & 1;
}

int cpu_amx_usable(void) {
  pthread_once(&amx_once, amx_probe);
  return amx_ok;
}

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")
#endif

#define AMX_PANEL 32   /* weight rows per panel: two B tiles of 16 columns */
#define AMX_TM 16      /* tokens per A tile (the tile height) */
#define AMX_TB 32      /* tokens per pass: two A tiles, so each B tile serves two products */
#define AMX_KC 512     /* elements per panel chunk: 32 rows × 512 codes = 16 KB (L1) */
#define AMX_MIN_SUB 16 /* the smallest sub-block (Q6_K); others use 32 */
#define AMX_MIN_TOK AMX_TM
/* Tile numbers (immediates): C00 C01 C10 C11 accumulators, A0 A1 activations, B0 B1 weights. */
/* (macros, not an enum: gcc's tile intrinsics paste the number into the instruction text) */
#define T_C00 0
#define T_C01 1
#define T_C10 2
#define T_C11 3
#define T_A0 4
#define T_A1 5
#define T_B0 6
#define T_B1 7

typedef struct amx_tilecfg {
  uint8_t palette, start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} amx_tilecfg;
_Static_assert(sizeof(amx_tilecfg) == 64, "tile configuration is 64 bytes");

/* The repacked panel of one chunk: codes in B-tile order, then per-sub-block scales. */
typedef struct amx_panel {
  _Alignas(64) int8_t codes[AMX_PANEL * AMX_KC];
  _Alignas(64) int8_t stage[AMX_PANEL][AMX_KC]; /* codes row-major before the transposition */
  _Alignas(64) float ws[AMX_KC / AMX_MIN_SUB][AMX_PANEL]; /* weight scale per sub-block, row */
  _Alignas(64) float mn[AMX_KC / 32][AMX_PANEL];          /* −dmin·m per 32 (Q4_K/Q5_K) */
  _Alignas(64) float fa[AMX_TB][AMX_KC / AMX_MIN_SUB];    /* activation scale per sub-block */
  _Alignas(64) float ab[AMX_KC / 32][AMX_TB];             /* d_a · Σ a per 32 (Q8_K bsums) */
  _Alignas(64) int32_t c[4][AMX_TM * 16]; /* int32 sums of the last four sub-blocks */
} amx_panel;

#define AMX_FA_STRIDE (AMX_KC / AMX_MIN_SUB) /* floats between two tokens' rows of fa */
#define H2F(h) _cvtsh_ss(h)

static inline __m256i ld32(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* 16 bytes of nibbles → the 16 low nibbles, then the 16 high ones. */
static inline __m256i nibbles(const uint8_t *qs) {
  __m128i t = _mm_loadu_si128((const __m128i *)qs);
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0f));
}

/* 32 bits → 32 bytes, 0x10 where the bit is set. */
static inline __m256i bits16(const uint8_t *p) {
  uint32_t x32;
  memcpy(&x32, p, sizeof x32);
  return _mm256_maskz_mov_epi8(x32, _mm256_set1_epi8(0x10));
}

static inline void kq_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
  for (int j = 0; j < 4; j++) {
    sc[j] = q[j] & 63;
    mn[j] = q[j + 4] & 63;
    sc[j + 4] = (uint8_t)((q[j + 8] & 0x0f) | ((q[j] >> 6) << 4));
    mn[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
  }
}

/* Stages 32 codes (elements e..e+31 of the chunk, e a multiple of 32) of panel row r, row-major;
 * transpose() then moves them into B-tile order. */
static inline void put32(amx_panel *p, int ks, int r, int e, __m256i codes) {
  (void)ks;
  _mm256_store_si256((__m256i *)(p->stage[r] + e), codes);
}

/* In-place transpose of an 8 × 8 matrix of dwords. */
static inline void tr8(__m256i r[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; i++) { /* u[4i + j]: columns j and j + 4 of rows 4i..4i+3 */
    u[4 * i + 0] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int j = 0; j < 4; j++) {
    r[j] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x20);
    r[j + 4] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x31);
  }
}

/* Moves the staged codes of the chunk into B-tile order: for each half of 16 rows and 32
 * elements, dword k (codes 4k..4k+3) of the 16 rows becomes tile row k % (ks / 4) of sub-block
 * (e + 4k) / ks — a 16 × 8 dword transpose, two 8 × 8 ones in ymm registers. */
static void transpose(amx_panel *p, int ks, int kc) {
  for (int h = 0; h < 2; h++)
    for (int e = 0; e < kc; e += 32) {
      __m256i lo[8], hi[8];
      for (int i = 0; i < 8; i++) {
        lo[i] = _mm256_load_si256((const __m256i *)(p->stage[16 * h + i] + e));
        hi[i] = _mm256_load_si256((const __m256i *)(p->stage[16 * h + 8 + i] + e));
      }
      tr8(lo);
      tr8(hi);
      int8_t *base = p->codes + (size_t)e * AMX_PANEL + h * 16 * ks;
      for (int k = 0; k < 8; k++)
        _mm512_store_si512(base + (k % (ks / 4)) * 64 + (k / (ks / 4)) * ks * AMX_PANEL,
                           _mm512_inserti64x4(_mm512_castsi256_si512(lo[k]), hi[k], 1));
    }
}

/* Repacks rows [0, nr) of the panel (the rest become zeros), elements [k0, k0 + kc). */
static void repack(uint32_t wtype, const uint8_t *w, size_t w_stride, int nr, int k0, int kc,
                   amx_panel *p) {
  const int ks = wtype == GTYPE_Q6_K ? 16 : 32;
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  for (int r = 0; r < AMX_PANEL; r++) {
    const uint8_t *row = w + (size_t)r * w_stride;
    if (r >= nr) {
      for (int e = 0; e < kc; e += 32) put32(p, ks, r, e, _mm256_setzero_si256());
      for (int s = 0; s < kc / ks; s++) p->ws[s][r] = 0.0f;
      for (int s = 0; s < kc / 32; s++) p->mn[s][r] = 0.0f;
      continue;
    }
    switch (wtype) {
    case GTYPE_Q8_0:
    case GTYPE_Q4_0:
    case GTYPE_Q5_0:
      for (int e = 0; e < kc; e += 32) {
        const int b = (k0 + e) / 32;
        __m256i c;
        uint16_t d;
        if (wtype == GTYPE_Q8_0) {
          const block_q8_0 *x = (const block_q8_0 *)row + b;
          c = ld32(x->qs), d = x->d;
        } else if (wtype == GTYPE_Q4_0) {
          const block_q4_0 *x = (const block_q4_0 *)row + b;
          c = _mm256_sub_epi8(nibbles(x->qs), _mm256_set1_epi8(8)), d = x->d;
        } else {
          const block_q5_0 *x = (const block_q5_0 *)row + b;
          c = _mm256_sub_epi8(_mm256_or_si256(nibbles(x->qs), bits16(x->qh)), _mm256_set1_epi8(16));
          d = x->d;
        }
        put32(p, 32, r, e, c);
        p->ws[e / 32][r] = H2F(d);
      }
      break;
    case GTYPE_Q4_K:
    case GTYPE_Q5_K:
      for (int e = 0; e < kc; e += QK_K) {
        const int ib = (k0 + e) / QK_K;
        const uint8_t *scales, *qs, *qh = NULL;
        uint16_t dh, dminh;
        if (wtype == GTYPE_Q4_K) {
          const block_q4_K *x = (const block_q4_K *)row + ib;
          scales = x->scales, qs = x->qs, dh = x->d, dminh = x->dmin;
        } else {
          const block_q5_K *x = (const block_q5_K *)row + ib;
          scales = x->scales, qs = x->qs, qh = x->qh, dh = x->d, dminh = x->dmin;
        }
        uint8_t sc[8], mn[8];
        kq_scales(scales, sc, mn);
        const float d = H2F(dh), dmin = H2F(dminh);
        const __m256i hv = qh ? ld32(qh) : _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
          const __m256i q = ld32(qs + 32 * (j / 2));
          __m256i c = (j & 1) ? _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)
                              : _mm256_and_si256(q, m4);
          if (qh) /* fifth bit of sub-block j: bit j of qh[l] */
            c = _mm256_or_si256(c, _mm256_slli_epi16(_mm256_and_si256(
                                       _mm256_srl_epi16(hv, _mm_cvtsi32_si128(j)),
                                       _mm256_set1_epi8(1)), 4));
          put32(p, 32, r, e + 32 * j, c);
          p->ws[e / 32 + j][r] = d * (float)sc[j];
          p->mn[e / 32 + j][r] = -(dmin * (float)mn[j]);
        }
      }
      break;
    default: /* GTYPE_Q6_K */
      for (int e = 0; e < kc; e += QK_K) {
        const block_q6_K *x = (const block_q6_K *)row + (k0 + e) / QK_K;
        const float d = H2F(x->d);
        for (int h = 0; h < 2; h++) {
          const __m256i l0 = ld32(x->ql + 64 * h), l1 = ld32(x->ql + 64 * h + 32);
          const __m256i hv = ld32(x->qh + 32 * h);
          for (int k = 0; k < 4; k++) {
            const __m256i l = (k & 1) ? l1 : l0;
            const __m256i lo = k < 2 ? _mm256_and_si256(l, m4)
                                     : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
            const __m256i hi = _mm256_slli_epi16(
                _mm256_and_si256(_mm256_srl_epi16(hv, _mm_cvtsi32_si128(2 * k)),
                                 _mm256_set1_epi8(3)), 4);
            const __m256i c = _mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8(32));
            const int e32 = e + 128 * h + 32 * k;
            put32(p, 16, r, e32, c);
            p->ws[e32 / 16][r] = d * (float)x->scales[8 * h + 2 * k];
            p->ws[e32 / 16 + 1][r] = d * (float)x->scales[8 * h + 2 * k + 1];
          }
        }
      }
      break;
    }
  }
  transpose(p, ks, kc);
}

/* Byte offset of the codes of element e (a sub-block start) in an activation row. */
static inline size_t act_off(uint32_t wtype, int e) {
  if (wtype == GTYPE_Q8_0 || wtype == GTYPE_Q4_0 || wtype == GTYPE_Q5_0)
    return (size_t)(e / 32) * sizeof(block_q8_0) + offsetof(block_q8_0, qs);
  return (size_t)(e / QK_K) * sizeof(block_q8_K) + offsetof(block_q8_K, qs) + (size_t)(e % QK_K);
}

/* Activation scales (and Q8_K sums) of tokens [0, ntb) for the chunk [k0, k0 + kc). */
static void act_scales(uint32_t wtype, const uint8_t *act, size_t act_stride, int ntb, int k0,
                       int kc, amx_panel *p) {
  const int ks = wtype == GTYPE_Q6_K ? 16 : 32;
  const int legacy = wtype == GTYPE_Q8_0 || wtype == GTYPE_Q4_0 || wtype == GTYPE_Q5_0;
  const int mins = wtype == GTYPE_Q4_K || wtype == GTYPE_Q5_K;
  for (int t = 0; t < ntb; t++) {
    const uint8_t *a = act + (size_t)t * act_stride;
    if (legacy) { /* 16 block scales at a time: gather the halves, convert F16 → F32 */
      const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                               11, 12, 13, 14, 15),
                                             _mm512_set1_epi32((int)sizeof(block_q8_0)));
      const uint8_t *a0 = a + (size_t)(k0 / 32) * sizeof(block_q8_0);
      for (int s = 0; s < kc / 32; s += 16) {
        const __mmask16 m = (__mmask16)(kc / 32 - s >= 16 ? 0xffff : (1u << (kc / 32 - s)) - 1);
        /* the last gather stops at the row's last block: 4 bytes from its start, inside it */
        const __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx,
                                                      a0 + (size_t)s * sizeof(block_q8_0), 1);
        _mm512_storeu_ps(p->fa[t] + s, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g)));
      }
      continue;
    }
    for (int e = 0; e < kc; e += QK_K) {
      const block_q8_K *y = (const block_q8_K *)a + (k0 + e) / QK_K;
      for (int s = e / ks; s < (e + QK_K) / ks; s++) p->fa[t][s] = y->d;
      if (mins)
        for (int j = 0; j < 8; j++)
          p->ab[e / 32 + j][t] = y->d * (float)(y->bsums[2 * j] + y->bsums[2 * j + 1]);
    }
  }
}

/* One output block of 16 tokens × 16 rows over one chunk: out += Σ_s (int32 tile of sub-block
 * s) × (weight scale × activation scale), with the 16 accumulators in zmm registers for the
 * whole chunk. Tiles rotate so that nothing waits on the tile before (AMX tiles are not
 * renamed): sub-block s uses A/B tiles s mod 2 and C tile s mod 4, its sums are stored to c[s mod
 * 4] and converted two sub-blocks later, once the tile store has retired (vector loads are not
 * forwarded from tile stores). */
#define AMX_LAG 2 /* sub-blocks between a tile store and the vector loads of its sums */
#define AMX_STEP(ia, ib, ic)                                                                       \
  do {                                                                                             \
    _tile_loadd(ia, a + act_off(wtype, k0 + s * ks), (long)act_stride);                            \
    _tile_loadd(ib, bp + (size_t)s * ks * AMX_PANEL, 64);                                          \
    _tile_zero(ic);                                                                                \
    _tile_dpbssd(ic, ia, ib);                                                                      \
    _tile_stored(ic, p->c[s & 3], 64);                                                             \
  } while (0)

static inline void block16(uint32_t wtype, const uint8_t *a, size_t act_stride, int tg, int h,
                           int k0, int kc, amx_panel *p, float *out, size_t out_stride,
                           __mmask16 m, int first) {
  const int ks = wtype == GTYPE_Q6_K ? 16 : 32, ns = kc / ks;
  const int8_t *bp = p->codes + h * 16 * ks;
  __m512 acc[AMX_TM];
#pragma GCC unroll 16
  for (int t = 0; t < AMX_TM; t++)
    acc[t] = first ? _mm512_setzero_ps()
                   : _mm512_maskz_loadu_ps(m, out + (size_t)t * out_stride);
  for (int s = 0; s < ns + AMX_LAG; s++) {
    if (s < ns) {
      switch (s & 3) {
      case 0: AMX_STEP(T_A0, T_B0, T_C00); break;
      case 1: AMX_STEP(T_A1, T_B1, T_C01); break;
      case 2: AMX_STEP(T_A0, T_B0, T_C10); break;
      default: AMX_STEP(T_A1, T_B1, T_C11); break;
      }
    }
    __asm__ volatile("" ::: "memory"); /* the tile stores wrote p->c behind the compiler's back */
    if (s >= AMX_LAG) {
      const int u = s - AMX_LAG;
      const int32_t *c = p->c[u & 3];
      const __m512 w = _mm512_load_ps(p->ws[u] + h * 16);
      const float *fa = &p->fa[tg][u];
#pragma GCC unroll 16
      for (int t = 0; t < AMX_TM; t++)
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c + t * 16)),
                                 _mm512_mul_ps(w, _mm512_set1_ps(fa[t * AMX_FA_STRIDE])), acc[t]);
    }
  }
  if (wtype == GTYPE_Q4_K || wtype == GTYPE_Q5_K)
    for (int j = 0; j < kc / 32; j++) {
      const __m512 mn = _mm512_load_ps(p->mn[j] + h * 16);
      const float *ab = &p->ab[j][tg];
#pragma GCC unroll 16
      for (int t = 0; t < AMX_TM; t++)
        acc[t] = _mm512_fmadd_ps(mn, _mm512_set1_ps(ab[t]), acc[t]);
    }
#pragma GCC unroll 16
  for (int t = 0; t < AMX_TM; t++) _mm512_mask_storeu_ps(out + (size_t)t * out_stride, m, acc[t]);
}

static int amx_type(uint32_t wtype) {
  switch (wtype) {
  case GTYPE_Q8_0:
  case GTYPE_Q4_0:
  case GTYPE_Q5_0:
  case GTYPE_Q4_K:
  case GTYPE_Q5_K:
  case GTYPE_Q6_K: return 1;
  default: return 0;
  }
}

static void amx_gemm(uint32_t wtype, const void *wv, size_t w_stride, int n_rows, const void *actv,
                     size_t act_stride, int n_tok, float *out, size_t out_stride, int64_t n) {
  const cpu_kernels *vnni = cpu_kernels_avx512();
  const int n_amx = n_tok / AMX_TM * AMX_TM;
  if (!amx_type(wtype) || n_amx < AMX_MIN_TOK || n > INT32_MAX / AMX_PANEL) {
    vnni->gemm(wtype, wv, w_stride, n_rows, actv, act_stride, n_tok, out, out_stride, n);
    return;
  }
  const uint8_t *w = wv, *act = actv;
  const int ks = wtype == GTYPE_Q6_K ? 16 : 32;
  amx_tilecfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int i = T_C00; i <= T_C11; i++) cfg.rows[i] = AMX_TM, cfg.colsb[i] = 64;
  for (int i = T_A0; i <= T_A1; i++) cfg.rows[i] = AMX_TM, cfg.colsb[i] = (uint16_t)ks;
  for (int i = T_B0; i <= T_B1; i++) cfg.rows[i] = (uint8_t)(ks / 4), cfg.colsb[i] = 64;
  _tile_loadconfig(&cfg);
  /* about 70 KB: on the stack of the calling thread (pool threads have the default stack) */
  amx_panel panel, *p = &panel;
  for (int r0 = 0; r0 < n_rows; r0 += AMX_PANEL) {
    const int nr = n_rows - r0 < AMX_PANEL ? n_rows - r0 : AMX_PANEL;
    const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
    const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xffff : nr <= 16 ? 0 : (1u << (nr - 16)) - 1);
    for (int k0 = 0; k0 < (int)n; k0 += AMX_KC) {
      const int kc = (int)n - k0 < AMX_KC ? (int)n - k0 : AMX_KC;
      repack(wtype, w + (size_t)r0 * w_stride, w_stride, nr, k0, kc, p);
      __asm__ volatile("" ::: "memory"); /* the tile loads read p->codes */
      for (int t0 = 0; t0 < n_amx; t0 += AMX_TB) {
        const int ntb = n_amx - t0 < AMX_TB ? n_amx - t0 : AMX_TB;
        const uint8_t *a = act + (size_t)t0 * act_stride;
        act_scales(wtype, a, act_stride, ntb, k0, kc, p);
        for (int g = 0; g < ntb; g += AMX_TM)
          for (int h = 0; h < 2 && h * 16 < nr; h++)
            block16(wtype, a + (size_t)g * act_stride, act_stride, g, h, k0, kc, p,
                    out + (size_t)(t0 + g) * out_stride + r0 + h * 16, out_stride, h ? m1 : m0,
                    k0 == 0);
      }
    }
  }
  _tile_release();
  if (n_amx < n_tok)
    vnni->gemm(wtype, w, w_stride, n_rows, act + (size_t)n_amx * act_stride, act_stride,
               n_tok - n_amx, out + (size_t)n_amx * out_stride, out_stride, n);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

static cpu_kernels k_amx;
static pthread_once_t k_amx_once = PTHREAD_ONCE_INIT;

static void k_amx_init(void) {
  k_amx = *cpu_kernels_avx512(); /* decode and conversions: the AVX-512 kernels */
  k_amx.name = "amx";
  k_amx.gemm = amx_gemm;
}

const cpu_kernels *cpu_kernels_amx(void) {
  if (!cpu_amx_usable()) return NULL;
  pthread_once(&k_amx_once, k_amx_init);
  return &k_amx;
}

#else /* not x86-64 */

int cpu_amx_usable(void) { return 0; }
const cpu_kernels *cpu_kernels_amx(void) { return NULL; }

#endif
