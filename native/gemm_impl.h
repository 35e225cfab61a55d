// The float32 kernels of the CPU training engine that depend on the instruction set (contracts in
// gemm.h): compiled once per path, included ONLY by the per-ISA kernel files (kernels_portable.cpp:
// scalar, kernels_avx2.cpp: AVX2 + FMA, kernels_avx512.cpp: AVX-512 for the forward and masked products,
// AVX2 code for the rest), each defining its own GROKINFO_KERNEL_NS so that no path's symbols can stand
// in for another's. kernels.h's table picks one at run time.
//
// Every path computes each output element with the same operations in the same order (one multiply-add
// chain per product element, the same 8-lane partial sums of gemm_dot). The AVX2 and AVX-512 paths fuse
// every multiply-add, so their results are bitwise equal; the portable path (CPUs without FMA) rounds the
// product and the sum apart (an exact std::fma there is a software routine, ~250x slower) and its exp is
// std::exp where the vector paths use one polynomial, so its results differ in the last bits.
#pragma once
#ifndef GROKINFO_KERNEL_NS
#error "gemm_impl.h is included only by the per-ISA kernel files (kernels_*.cpp)"
#endif
#include <algorithm>
#include <cmath>
#include <cstring>

#include "gemm.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GROKINFO_AVX2 1
#else
#undef GROKINFO_AVX2
#endif

namespace grokinfo::gemm::GROKINFO_KERNEL_NS {

// c + a b: fused where the instruction set has FMA, else rounded twice (see above).
static inline float madd(float a, float b, float c) {
#ifdef __FMA__
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}


#ifdef GROKINFO_AVX2

static inline float hsum8(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// One register tile: acc[r][0..1] = sum_k ap[k][r] * b[k][0..15] for r < MR, then the epilogue:
// MODE 0: + bias, ReLU (forward); MODE 1: masked by h > 0 (backward). The accumulators are locals of
// this one function so that they stay in registers.
template <int MR, int MODE>
static void nn_kernel(const float* ap, const float* b, int64_t K, const float* bias, bool relu,
                      const float* h, float* c) {
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; k++) {
    const __m256 b0 = _mm256_loadu_ps(b + k * kPanel), b1 = _mm256_loadu_ps(b + k * kPanel + 8);
    const float* a = ap + k * kMR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  const __m256 z = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    __m256 v0 = acc[r][0], v1 = acc[r][1];
    if constexpr (MODE == 0) {
      if (bias) {
        const __m256 bv = _mm256_broadcast_ss(bias + r);
        v0 = _mm256_add_ps(v0, bv);
        v1 = _mm256_add_ps(v1, bv);
      }
      if (relu) {
        v0 = _mm256_max_ps(v0, z);
        v1 = _mm256_max_ps(v1, z);
      }
    } else {
      v0 = _mm256_and_ps(v0, _mm256_cmp_ps(_mm256_loadu_ps(h + r * kPanel), z, _CMP_GT_OQ));
      v1 = _mm256_and_ps(v1, _mm256_cmp_ps(_mm256_loadu_ps(h + r * kPanel + 8), z, _CMP_GT_OQ));
    }
    _mm256_storeu_ps(c + r * kPanel, v0);
    _mm256_storeu_ps(c + r * kPanel + 8, v1);
  }
}

template <int MR>
static void nn_fwd(const float* ap, const float* b, int64_t K, const float* bias, bool relu, float* c) {
  nn_kernel<MR, 0>(ap, b, K, bias, relu, nullptr, c);
}

template <int MR>
static void nn_masked(const float* ap, const float* b, int64_t K, const float* h, float* c) {
  nn_kernel<MR, 1>(ap, b, K, nullptr, false, h, c);
}

#else  // portable fallback

template <int MR>
static inline void nn_tile(const float* ap, const float* b, int64_t K, float (&acc)[kMR][kPanel]) {
  for (int r = 0; r < MR; r++)
    for (int i = 0; i < kPanel; i++) acc[r][i] = 0.0f;
  for (int64_t k = 0; k < K; k++)
    for (int r = 0; r < MR; r++)
      for (int i = 0; i < kPanel; i++) acc[r][i] = madd(ap[k * kMR + r], b[k * kPanel + i], acc[r][i]);
}

template <int MR>
static void nn_fwd(const float* ap, const float* b, int64_t K, const float* bias, bool relu, float* c) {
  float acc[kMR][kPanel];
  nn_tile<MR>(ap, b, K, acc);
  for (int r = 0; r < MR; r++)
    for (int i = 0; i < kPanel; i++) {
      float v = acc[r][i];
      if (bias) v += bias[r];
      if (relu) v = v > 0.0f ? v : 0.0f;
      c[r * kPanel + i] = v;
    }
}

template <int MR>
static void nn_masked(const float* ap, const float* b, int64_t K, const float* h, float* c) {
  float acc[kMR][kPanel];
  nn_tile<MR>(ap, b, K, acc);
  for (int r = 0; r < MR; r++)
    for (int i = 0; i < kPanel; i++) c[r * kPanel + i] = h[r * kPanel + i] > 0.0f ? acc[r][i] : 0.0f;
}

#endif

using FwdFn = void (*)(const float*, const float*, int64_t, const float*, bool, float*);
using MaskFn = void (*)(const float*, const float*, int64_t, const float*, float*);
static const FwdFn kFwd[kMR + 1] = {nullptr, nn_fwd<1>, nn_fwd<2>, nn_fwd<3>, nn_fwd<4>, nn_fwd<5>, nn_fwd<6>};
static const MaskFn kMask[kMR + 1] = {nullptr, nn_masked<1>, nn_masked<2>, nn_masked<3>,
                                      nn_masked<4>, nn_masked<5>, nn_masked<6>};


#if defined(__AVX512F__)
// AVX-512: a panel row (16 samples) is one register, and two panels share each broadcast of A, so a tile
// holds 2 MR accumulators. Each element is still the one FMA chain over k of the AVX2 and portable
// kernels, then the same epilogue: bitwise the same results.
template <int MR, int MODE, int NB>
static void nn_kernel512(const float* ap, const float* const* b, int64_t K, const float* bias, bool relu,
                         const float* const* h, float* const* c) {
  __m512 acc[NB][MR];
#pragma GCC unroll 2
  for (int p = 0; p < NB; p++)
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) acc[p][r] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; k++) {
    __m512 bv[NB];
#pragma GCC unroll 2
    for (int p = 0; p < NB; p++) bv[p] = _mm512_loadu_ps(b[p] + k * kPanel);
    const float* a = ap + k * kMR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 2
      for (int p = 0; p < NB; p++) acc[p][r] = _mm512_fmadd_ps(av, bv[p], acc[p][r]);
    }
  }
  const __m512 z = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int p = 0; p < NB; p++)
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      __m512 v = acc[p][r];
      if constexpr (MODE == 0) {
        if (bias) v = _mm512_add_ps(v, _mm512_set1_ps(bias[r]));
        if (relu) v = _mm512_max_ps(v, z);
      } else {
        v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(h[p] + r * kPanel), z, _CMP_GT_OQ), v);
      }
      _mm512_storeu_ps(c[p] + r * kPanel, v);
    }
}

template <int MR, int NB>
static void nn_fwd512(const float* ap, const float* const* b, int64_t K, const float* bias, bool relu, float* const* c) {
  nn_kernel512<MR, 0, NB>(ap, b, K, bias, relu, nullptr, c);
}
template <int MR, int NB>
static void nn_masked512(const float* ap, const float* const* b, int64_t K, const float* const* h, float* const* c) {
  nn_kernel512<MR, 1, NB>(ap, b, K, nullptr, false, h, c);
}
using Fwd512 = void (*)(const float*, const float* const*, int64_t, const float*, bool, float* const*);
using Mask512 = void (*)(const float*, const float* const*, int64_t, const float* const*, float* const*);
static const Fwd512 kFwd512[2][kMR + 1] = {
    {nullptr, nn_fwd512<1, 1>, nn_fwd512<2, 1>, nn_fwd512<3, 1>, nn_fwd512<4, 1>, nn_fwd512<5, 1>, nn_fwd512<6, 1>},
    {nullptr, nn_fwd512<1, 2>, nn_fwd512<2, 2>, nn_fwd512<3, 2>, nn_fwd512<4, 2>, nn_fwd512<5, 2>, nn_fwd512<6, 2>}};
static const Mask512 kMask512[2][kMR + 1] = {
    {nullptr, nn_masked512<1, 1>, nn_masked512<2, 1>, nn_masked512<3, 1>, nn_masked512<4, 1>, nn_masked512<5, 1>,
     nn_masked512<6, 1>},
    {nullptr, nn_masked512<1, 2>, nn_masked512<2, 2>, nn_masked512<3, 2>, nn_masked512<4, 2>, nn_masked512<5, 2>,
     nn_masked512<6, 2>}};

inline void gemm_panels(const float* ap, int64_t M, int64_t K, const float* B, const float* bias, bool relu,
                 float* C, int64_t p0, int64_t p1) {
  const int64_t T = row_tiles(M);
  for (int64_t j = p0; j < p1; j += 2) {
    const int nb = j + 1 < p1 ? 2 : 1;
    const float* b[2] = {B + j * K * kPanel, B + (j + nb - 1) * K * kPanel};
    for (int64_t t = 0; t < T; t++) {
      const int64_t i0 = t * kMR;
      const int mr = static_cast<int>(std::min<int64_t>(kMR, M - i0));
      float* c[2] = {C + j * M * kPanel + i0 * kPanel, C + (j + nb - 1) * M * kPanel + i0 * kPanel};
      kFwd512[nb - 1][mr](ap + t * K * kMR, b, K, bias ? bias + i0 : nullptr, relu, c);
    }
  }
}

inline void gemm_masked(const float* ap, int64_t M, int64_t K, const float* B, const float* H, float* C,
                 int64_t P, int64_t t0, int64_t t1) {
  constexpr int64_t kChunk = 16;
  for (int64_t jc = 0; jc < P; jc += kChunk) {
    const int64_t je = std::min(P, jc + kChunk);
    for (int64_t t = t0; t < t1; t++) {
      const int64_t i0 = t * kMR;
      const int mr = static_cast<int>(std::min<int64_t>(kMR, M - i0));
      const float* a = ap + t * K * kMR;
      for (int64_t j = jc; j < je; j += 2) {
        const int nb = j + 1 < je ? 2 : 1;
        const int64_t j2 = j + nb - 1;
        const float* b[2] = {B + j * K * kPanel, B + j2 * K * kPanel};
        const float* h[2] = {H + (j * M + i0) * kPanel, H + (j2 * M + i0) * kPanel};
        float* c[2] = {C + (j * M + i0) * kPanel, C + (j2 * M + i0) * kPanel};
        kMask512[nb - 1][mr](a, b, K, h, c);
      }
    }
  }
}

#else
inline void gemm_panels(const float* ap, int64_t M, int64_t K, const float* B, const float* bias, bool relu,
                 float* C, int64_t p0, int64_t p1) {
  const int64_t T = row_tiles(M);
  for (int64_t j = p0; j < p1; j++) {
    const float* b = B + j * K * kPanel;
    float* c = C + j * M * kPanel;
    for (int64_t t = 0; t < T; t++) {
      const int64_t i0 = t * kMR;
      const int mr = static_cast<int>(std::min<int64_t>(kMR, M - i0));
      kFwd[mr](ap + t * K * kMR, b, K, bias ? bias + i0 : nullptr, relu, c + i0 * kPanel);
    }
  }
}

inline void gemm_masked(const float* ap, int64_t M, int64_t K, const float* B, const float* H, float* C,
                 int64_t P, int64_t t0, int64_t t1) {
  // Panels in chunks so that a chunk of B stays in cache while the tiles of this range sweep it.
  constexpr int64_t kChunk = 16;
  for (int64_t jc = 0; jc < P; jc += kChunk) {
    const int64_t je = std::min(P, jc + kChunk);
    for (int64_t t = t0; t < t1; t++) {
      const int64_t i0 = t * kMR;
      const int mr = static_cast<int>(std::min<int64_t>(kMR, M - i0));
      const float* a = ap + t * K * kMR;
      for (int64_t j = jc; j < je; j++)
        kMask[mr](a, B + j * K * kPanel, K, H + (j * M + i0) * kPanel, C + (j * M + i0) * kPanel);
    }
  }
}

#endif  // __AVX512F__

#if defined(__AVX512F__)
// AVX-512: two rows of X share a register (row 2p in the low 8 lanes, row 2p + 1 in the high 8), each
// half-panel of Y broadcast to both halves; every 8-lane accumulator is the AVX2 kernel's, fed in the same
// order (panel by panel, low half then high half) and reduced by the same hsum8: bitwise the same sums.
template <int TM, int TN>
static void dot_tile(const float* X, int64_t M, const float* Y, int64_t N, int64_t j0, int64_t j1,
                     float* c, int64_t ldc, bool first) {
  constexpr int NP = (TM + 1) / 2;
  __m512 acc[NP][TN];
#pragma GCC unroll 2
  for (int p = 0; p < NP; p++)
#pragma GCC unroll 6
    for (int b = 0; b < TN; b++) acc[p][b] = _mm512_setzero_ps();
  for (int64_t j = j0; j < j1; j++) {
    const float* x = X + j * M * kPanel;
    const float* y = Y + j * N * kPanel;
    __m512 xs[2][NP];
#pragma GCC unroll 2
    for (int p = 0; p < NP; p++) {
      const __m512 r0 = _mm512_loadu_ps(x + 2 * p * kPanel);
      const __m512 r1 = 2 * p + 1 < TM ? _mm512_loadu_ps(x + (2 * p + 1) * kPanel) : r0;
      xs[0][p] = _mm512_shuffle_f32x4(r0, r1, 0x44);  // low halves of rows 2p, 2p + 1
      xs[1][p] = _mm512_shuffle_f32x4(r0, r1, 0xEE);  // high halves
    }
#pragma GCC unroll 2
    for (int half = 0; half < 2; half++)
#pragma GCC unroll 6
      for (int b = 0; b < TN; b++) {
        const __m512 yv = _mm512_broadcast_f32x8(_mm256_loadu_ps(y + b * kPanel + half * 8));
#pragma GCC unroll 2
        for (int p = 0; p < NP; p++) acc[p][b] = _mm512_fmadd_ps(xs[half][p], yv, acc[p][b]);
      }
  }
  for (int p = 0; p < NP; p++)
    for (int b = 0; b < TN; b++)
      for (int q = 0; q < 2 && 2 * p + q < TM; q++) {
        const int a = 2 * p + q;
        const float s = hsum8(q == 0 ? _mm512_castps512_ps256(acc[p][b]) : _mm512_extractf32x8_ps(acc[p][b], 1));
        c[a * ldc + b] = first ? s : c[a * ldc + b] + s;
      }
}
#elif defined(GROKINFO_AVX2)
template <int TM, int TN>
static void dot_tile(const float* X, int64_t M, const float* Y, int64_t N, int64_t j0, int64_t j1,
                     float* c, int64_t ldc, bool first) {
  __m256 acc[kDotM][kDotN];
  for (int a = 0; a < TM; a++)
    for (int b = 0; b < TN; b++) acc[a][b] = _mm256_setzero_ps();
  for (int64_t j = j0; j < j1; j++) {
    const float* x = X + j * M * kPanel;
    const float* y = Y + j * N * kPanel;
    for (int half = 0; half < 2; half++) {
      __m256 yv[kDotN];
      for (int b = 0; b < TN; b++) yv[b] = _mm256_loadu_ps(y + b * kPanel + half * 8);
      for (int a = 0; a < TM; a++) {
        const __m256 xv = _mm256_loadu_ps(x + a * kPanel + half * 8);
        for (int b = 0; b < TN; b++) acc[a][b] = _mm256_fmadd_ps(xv, yv[b], acc[a][b]);
      }
    }
  }
  for (int a = 0; a < TM; a++)
    for (int b = 0; b < TN; b++) {
      const float s = hsum8(acc[a][b]);
      c[a * ldc + b] = first ? s : c[a * ldc + b] + s;
    }
}
#else
template <int TM, int TN>
static void dot_tile(const float* X, int64_t M, const float* Y, int64_t N, int64_t j0, int64_t j1,
                     float* c, int64_t ldc, bool first) {
  float acc[kDotM][kDotN][8] = {};
  for (int64_t j = j0; j < j1; j++)
    for (int half = 0; half < 2; half++)
      for (int a = 0; a < TM; a++)
        for (int b = 0; b < TN; b++)
          for (int l = 0; l < 8; l++)
            acc[a][b][l] = madd(X[(j * M + a) * kPanel + half * 8 + l], Y[(j * N + b) * kPanel + half * 8 + l],
                                acc[a][b][l]);
  for (int a = 0; a < TM; a++)
    for (int b = 0; b < TN; b++) {
      float* v = acc[a][b];
      const float s = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
      c[a * ldc + b] = first ? s : c[a * ldc + b] + s;
    }
}
#endif

using DotFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, int64_t, float*, int64_t, bool);
// Columns of C per tile: AVX-512 takes 6 (2 x 6 accumulators of its 32 registers: the FMA latency hidden,
// 24 multiply-adds per 16 loads per panel), the others kDotN. Each element's sums are the same for any
// width (the tile only groups elements), so the paths stay bitwise equal.
#if defined(__AVX512F__)
constexpr int kDotTN = 6;
#else
constexpr int kDotTN = kDotN;
#endif
template <int TM, int TN = kDotTN>
static DotFn dot_fn_n(int tn) {
  if constexpr (TN == 1) {
    (void)tn;
    return dot_tile<TM, 1>;
  } else {
    return tn >= TN ? dot_tile<TM, TN> : dot_fn_n<TM, TN - 1>(tn);
  }
}
static DotFn dot_fn(int tm, int tn) {
  switch (tm) {
    case 1: return dot_fn_n<1>(tn);
    case 2: return dot_fn_n<2>(tn);
    case 3: return dot_fn_n<3>(tn);
    default: return dot_fn_n<4>(tn);
  }
}

inline void gemm_dot(const float* X, int64_t M, const float* Y, int64_t N, int64_t P, float* C, int64_t t0,
              int64_t t1) {
  constexpr int64_t kChunk = 32;  // panels per pass: X rows of a tile stay in L1, Y's chunk in L2
  for (int64_t jc = 0; jc < P; jc += kChunk) {
    const int64_t je = std::min(P, jc + kChunk);
    for (int64_t t = t0; t < t1; t++) {
      const int64_t i0 = t * kDotM;
      const int tm = static_cast<int>(std::min<int64_t>(kDotM, M - i0));
      const DotFn full = dot_fn(tm, kDotTN);
      for (int64_t k0 = 0; k0 < N; k0 += kDotTN) {
        const int tn = static_cast<int>(std::min<int64_t>(kDotTN, N - k0));
        DotFn f = tn == kDotTN ? full : dot_fn(tm, tn);
        f(X + i0 * kPanel, M, Y + k0 * kPanel, N, jc, je, C + i0 * N + k0, N, jc == 0);
      }
    }
  }
}

#ifdef GROKINFO_AVX2
// In-register transpose of 8 rows of 8 floats.
static inline void transpose8(__m256 (&r)[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

inline void gather_relu(const float* WT, int64_t ldt, const float* b, int64_t Hn, const int32_t* ia,
                 const int32_t* ib, float* H, int64_t p0, int64_t p1) {
  for (int64_t j = p0; j < p1; j++) {
    const int32_t* a = ia + j * kPanel;
    const int32_t* bb = ib + j * kPanel;
    float* h = H + j * Hn * kPanel;
#ifdef GROKINFO_AVX2
    const __m256 z = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < Hn; k0 += 8) {
      const int kn = static_cast<int>(std::min<int64_t>(8, Hn - k0));
      __m256 bias = z;
      if (b) {
        if (kn == 8) bias = _mm256_loadu_ps(b + k0);
        else {
          alignas(32) float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          for (int q = 0; q < kn; q++) t[q] = b[k0 + q];
          bias = _mm256_load_ps(t);
        }
      }
      for (int half = 0; half < 2; half++) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) {
          const int s = half * 8 + i;
          r[i] = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(WT + a[s] * ldt + k0), _mm256_loadu_ps(WT + bb[s] * ldt + k0)), bias);
          r[i] = _mm256_max_ps(r[i], z);
        }
        transpose8(r);
        for (int q = 0; q < kn; q++) _mm256_storeu_ps(h + (k0 + q) * kPanel + half * 8, r[q]);
      }
    }
#else
    for (int64_t k = 0; k < Hn; k++)
      for (int i = 0; i < kPanel; i++) {
        float v = WT[a[i] * ldt + k] + WT[bb[i] * ldt + k];
        if (b) v += b[k];
        h[k * kPanel + i] = v > 0.0f ? v : 0.0f;
      }
#endif
  }
}

inline void scatter_rows(const float* dZ, int64_t Hn, int64_t N, const int32_t* ia, const int32_t* ib,
                  int64_t rowsT, float* dWT, int64_t ldt, float* db, int64_t kb0, int64_t kb1) {
  const int64_t P = panels(N);
  const int64_t k0 = kb0 * 8, k1 = std::min(Hn, kb1 * 8);
  if (k0 >= k1) return;
  for (int64_t c = 0; c < rowsT; c++) std::memset(dWT + c * ldt + k0, 0, sizeof(float) * (kb1 - kb0) * 8);
#ifdef GROKINFO_AVX2
  // Panels outer (dZ is read once, in order), blocks of 8 rows inner; each dWT element still sums
  // its samples in sample order.
  constexpr int kMaxBlocks = 64;
  __m256 dbv[kMaxBlocks];
  for (int64_t kbs = kb0; kbs < kb1; kbs += kMaxBlocks) {
    const int64_t kbe = std::min(kb1, kbs + kMaxBlocks);
    for (int64_t q = 0; q < kbe - kbs; q++) dbv[q] = _mm256_setzero_ps();
    for (int64_t j = 0; j < P; j++) {
      const int lim = static_cast<int>(std::min<int64_t>(kPanel, N - j * kPanel));
      for (int64_t kb = kbs; kb < kbe; kb++) {
        const int64_t kk = kb * 8;
        const int kn = static_cast<int>(std::min<int64_t>(8, Hn - kk));
        __m256 acc = dbv[kb - kbs];
        for (int half = 0; half < 2; half++) {
          if (half * 8 >= lim) break;
          __m256 r[8];
          for (int q = 0; q < 8; q++)
            r[q] = q < kn ? _mm256_loadu_ps(dZ + (j * Hn + kk + q) * kPanel + half * 8) : _mm256_setzero_ps();
          transpose8(r);
          const int n = std::min(8, lim - half * 8);
          for (int i = 0; i < n; i++) {
            const int s = static_cast<int>(j * kPanel) + half * 8 + i;
            float* wa = dWT + ia[s] * ldt + kk;
            float* wb = dWT + ib[s] * ldt + kk;
            _mm256_storeu_ps(wa, _mm256_add_ps(_mm256_loadu_ps(wa), r[i]));
            _mm256_storeu_ps(wb, _mm256_add_ps(_mm256_loadu_ps(wb), r[i]));
            acc = _mm256_add_ps(acc, r[i]);
          }
        }
        dbv[kb - kbs] = acc;
      }
    }
    if (db)
      for (int64_t kb = kbs; kb < kbe; kb++) {
        alignas(32) float t[8];
        _mm256_store_ps(t, dbv[kb - kbs]);
        for (int q = 0; q < 8 && kb * 8 + q < Hn; q++) db[kb * 8 + q] = t[q];
      }
  }
#else
  for (int64_t n = 0; n < N; n++) {
    const int64_t j = n / kPanel, i = n % kPanel;
    for (int64_t k = k0; k < k1; k++) {
      const float v = dZ[(j * Hn + k) * kPanel + i];
      dWT[ia[n] * ldt + k] += v;
      dWT[ib[n] * ldt + k] += v;
    }
  }
  if (db)
    for (int64_t kb = kb0; kb < kb1; kb++) {
      float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t n = 0; n < N; n++)
        for (int q = 0; q < 8 && kb * 8 + q < Hn; q++) t[q] += dZ[((n / kPanel) * Hn + kb * 8 + q) * kPanel + n % kPanel];
      for (int q = 0; q < 8 && kb * 8 + q < Hn; q++) db[kb * 8 + q] = t[q];
    }
#endif
}

#ifdef GROKINFO_AVX2
// exp(x) for x <= 0 region mostly (softmax after max subtraction); accurate to ~2 ulp over the range.
static inline __m256 exp256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.3f);
  x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));  // NaN propagates (second operand)
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
#endif

inline void softmax_xent(float* L, int64_t C, const int32_t* y, int64_t N, bool grad, float scale,
                  double* loss, uint8_t* correct, int64_t p0, int64_t p1) {
  // Numerics: near a perfect fit the correct class contributes ~1 to the sum of exponentials and every
  // other term is tiny; a float sum over all classes rounds those terms away (below ~6e-8 each), which
  // biases the loss and, through softmax_y - 1 = -R/S, the correct class's gradient. So the wrong
  // classes are summed on their own, R (float: no large term, so no absorption), S = e_y + R is formed
  // in double, the correct-class gradient is -R/S (no cancellation) and the loss log1p(R) when the
  // correct class holds the maximum.
  for (int64_t j = p0; j < p1; j++) {
    float* l = L + j * C * kPanel;
    const int lim = static_cast<int>(std::min<int64_t>(kPanel, N - j * kPanel));
    float ly[kPanel];
    int32_t yl[kPanel];
    for (int i = 0; i < kPanel; i++) {
      yl[i] = i < lim ? y[j * kPanel + i] : -1;
      ly[i] = i < lim ? l[yl[i] * kPanel + i] : 0.0f;
    }
    float mx[kPanel], rest[kPanel];
    int32_t arg[kPanel];
#ifdef GROKINFO_AVX2
    for (int h = 0; h < 2; h++) {
      __m256 m = _mm256_loadu_ps(l + h * 8);
      __m256i am = _mm256_setzero_si256();
      for (int64_t c = 1; c < C; c++) {
        const __m256 v = _mm256_loadu_ps(l + c * kPanel + h * 8);
        const __m256 gt = _mm256_cmp_ps(v, m, _CMP_GT_OQ);
        am = _mm256_blendv_epi8(am, _mm256_set1_epi32(static_cast<int32_t>(c)), _mm256_castps_si256(gt));
        m = _mm256_max_ps(v, m);
      }
      const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yl + h * 8));
      __m256 r = _mm256_setzero_ps();
      for (int64_t c = 0; c < C; c++) {
        const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(l + c * kPanel + h * 8), m));
        if (grad) _mm256_storeu_ps(l + c * kPanel + h * 8, e);
        const __m256 isy = _mm256_castsi256_ps(_mm256_cmpeq_epi32(yv, _mm256_set1_epi32(static_cast<int32_t>(c))));
        r = _mm256_add_ps(r, _mm256_andnot_ps(isy, e));
      }
      _mm256_storeu_ps(mx + h * 8, m);
      _mm256_storeu_ps(rest + h * 8, r);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(arg + h * 8), am);
    }
#else
    for (int i = 0; i < kPanel; i++) {
      float m = l[i];
      int32_t am = 0;
      for (int64_t c = 1; c < C; c++) {
        const float v = l[c * kPanel + i];
        if (v > m) { m = v; am = static_cast<int32_t>(c); }
      }
      float r = 0.0f;
      for (int64_t c = 0; c < C; c++) {
        const float e = std::exp(l[c * kPanel + i] - m);
        if (grad) l[c * kPanel + i] = e;
        if (c != yl[i]) r += e;
      }
      mx[i] = m;
      rest[i] = r;
      arg[i] = am;
    }
#endif
    // S = e_y + R in double; e_y = exp(ly - max) (exactly 1 when the correct class holds the maximum)
    double sum[kPanel];
    for (int i = 0; i < kPanel; i++)
      sum[i] = (i < lim ? (ly[i] == mx[i] ? 1.0 : std::exp(static_cast<double>(ly[i]) - static_cast<double>(mx[i]))) : 1.0) +
               static_cast<double>(rest[i]);
    for (int i = 0; i < lim; i++) {
      const int64_t n = j * kPanel + i;
      // NaN logits give a NaN loss (the max/compare above skip NaN, the sum does not).
      loss[n] = ly[i] == mx[i] ? std::log1p(rest[i])
                               : std::log(sum[i]) + static_cast<double>(mx[i]) - static_cast<double>(ly[i]);
      if (correct) correct[n] = arg[i] == y[n];
    }
    if (grad) {
      float f[kPanel];
      for (int i = 0; i < kPanel; i++) f[i] = i < lim ? static_cast<float>(static_cast<double>(scale) / sum[i]) : 0.0f;
      for (int64_t c = 0; c < C; c++)
        for (int i = 0; i < kPanel; i++) l[c * kPanel + i] *= f[i];
      for (int i = 0; i < lim; i++)
        l[yl[i] * kPanel + i] = static_cast<float>(-static_cast<double>(scale) * rest[i] / sum[i]);
    }
  }
}

}  // namespace grokinfo::gemm::GROKINFO_KERNEL_NS
