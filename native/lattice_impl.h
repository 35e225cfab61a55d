// The lattice kernels of the CPU O-information engine's general walker (oinfo_cpu.cpp, GeneralWalker::
// extend), compiled once per instruction set: included ONLY by the per-ISA kernel files
// (kernels_portable.cpp, kernels_avx2.cpp, kernels_avx512.cpp), each with its own -march and its own
// GROKINFO_KERNEL_NS, so every path's code has its own symbols (no inline function or template of one
// path can stand in for another's at link time). W: doubles per register (4: portable / AVX2, 8: AVX-512).
//
// Summation order, for every W: a dot product keeps 8 partial sums, lane l taking the elements
// i = l (mod 8) in ascending order (one 8-wide register, or two 4-wide ones), then a 4-element tail into
// lanes 0..3, the lanes added pairwise ((0+4) + (1+5)) + ((2+6) + (3+7)), then the scalar tail; a
// lower-triangular product sums each element over ascending rows with one multiply-add per term. So the
// AVX2 and AVX-512 paths are bitwise equal, and the portable path (no FMA) differs from them only by the
// rounding of unfused multiply-adds.
#pragma once
#ifndef GROKINFO_KERNEL_NS
#error "lattice_impl.h is included only by the per-ISA kernel files (kernels_*.cpp)"
#endif
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace grokinfo::linalg::GROKINFO_KERNEL_NS {

typedef double v8 __attribute__((vector_size(64)));
typedef double v4 __attribute__((vector_size(32)));
typedef long long v8l __attribute__((vector_size(64)));
typedef long long v4l __attribute__((vector_size(32)));

// c + a b, fused where the path has FMA (as linalg::madd: the same scalar tails as linalg::dot).
inline double madd(double a, double b, double c) {
#ifdef __FMA__
  return __builtin_fma(a, b, c);
#else
  return a * b + c;
#endif
}

inline v8 ld8(const double* p) {
  v8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline v4 ld4(const double* p) {
  v4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The 8 partial sums -> the dot product (the 4-element block, the lane sums, the scalar tail).
inline double finish(v8 s, const double* a, const double* b, int64_t i, int64_t n) {
  v4 lo = __builtin_shufflevector(s, s, 0, 1, 2, 3), hi = __builtin_shufflevector(s, s, 4, 5, 6, 7);
  if (i + 4 <= n) {
    lo += ld4(a + i) * ld4(b + i);
    i += 4;
  }
  const v4 t = lo + hi;
  double r = (t[0] + t[1]) + (t[2] + t[3]);
  for (; i < n; ++i) r = madd(a[i], b[i], r);
  return r;
}

// B[a][i] = sum_{j <= i} L[i][j] X[a][j] for i < n, a < k (L lower triangular, row stride ldl; X rows
// of stride ldx; B rows of stride ldb): the dot products of the Linv rows with the new variables'
// covariances, kMvRows rows of L by four variables at a time (each load of L serves four variables and
// each load of X kMvRows rows). A row's dot product keeps its own order: the rows' common 8-blocks
// together, then each row's own last 8-block (rows differ in length by less than 8), then finish().
#ifdef __AVX512F__
constexpr int kMvRows = 4;  // 16 accumulators of 32 registers
#else
constexpr int kMvRows = 1;  // 16 registers (an 8-wide sum is two of them)
#endif
template <int R>
inline void lower_mv_rows(const double* L, int64_t ldl, const double* const x[4], int64_t i, double* B, int64_t ldb,
                          int64_t a) {
  v8 s[R][4] = {};
  const double* row[R];
  for (int r = 0; r < R; ++r) row[r] = L + (i + r) * ldl;
  const int64_t len0 = i + 1;
  int64_t j = 0;
  for (; j + 8 <= len0; j += 8) {
    v8 xq[4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) xq[q] = ld8(x[q] + j);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const v8 lr = ld8(row[r] + j);
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) s[r][q] += lr * xq[q];
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const int64_t len = len0 + r;
    int64_t jr = j;
    if (jr + 8 <= len) {
      const v8 lr = ld8(row[r] + jr);
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) s[r][q] += lr * ld8(x[q] + jr);
      jr += 8;
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) B[(a + q) * ldb + i + r] = finish(s[r][q], row[r], x[q], jr, len);
  }
}

inline void lower_mv(const double* L, int64_t ldl, const double* X, int64_t ldx, int64_t k, int64_t n, double* B,
                     int64_t ldb) {
  int64_t a = 0;
  for (; a + 4 <= k; a += 4) {
    const double* x[4] = {X + a * ldx, X + (a + 1) * ldx, X + (a + 2) * ldx, X + (a + 3) * ldx};
    int64_t i = 0;
    for (; i + kMvRows <= n; i += kMvRows) lower_mv_rows<kMvRows>(L, ldl, x, i, B, ldb, a);
    for (; i < n; ++i) lower_mv_rows<1>(L, ldl, x, i, B, ldb, a);
  }
  for (; a < k; ++a) {
    const double* x = X + a * ldx;
    for (int64_t i = 0; i < n; ++i) {
      const double* row = L + i * ldl;
      const int64_t len = i + 1;
      v8 s = {};
      int64_t j = 0;
      for (; j + 8 <= len; j += 8) s += ld8(row + j) * ld8(x + j);
      B[a * ldb + i] = finish(s, row, x, j, len);
    }
  }
}

template <int W>
struct Vec;
template <>
struct Vec<4> {
  typedef v4 type;
  typedef v4l lanes;
  static type load(const double* p) { return ld4(p); }
};
template <>
struct Vec<8> {
  typedef v8 type;
  typedef v8l lanes;
  static type load(const double* p) { return ld8(p); }
};

// Rows a < k of R (row stride ldr), R[a][j] = sum_{i = j..n-1} B[a][i] L[i][j] for j < n (contract of
// linalg::lower_tn in oinfo_linalg.h: a row of L may be read up to 2W - 1 <= kLowerPad - 1 elements
// past column n - 1). Blocks of 2W columns by QR rows of B in registers (8 rows with AVX-512's 32
// registers while 8 remain, else 4; a short last block repeats its last row and stores only its own).
template <int W, int QR>
inline void lower_tn_block(const double* L, int64_t ldl, const double* B, int64_t ldb, int64_t a, int64_t na,
                           int64_t j0, int64_t n, double* R, int64_t ldr) {
  using T = typename Vec<W>::type;
  using TL = typename Vec<W>::lanes;
  constexpr int64_t CB = 2 * W;
  TL lane;
  for (int l = 0; l < W; ++l) lane[l] = l;
  const T zero = {};
  const int64_t jn = std::min<int64_t>(CB, n - j0);
  const double* b[QR];
  for (int q = 0; q < QR; ++q) b[q] = B + (a + std::min<int64_t>(q, na - 1)) * ldb;
  T c0[QR], c1[QR];
  for (int q = 0; q < QR; ++q) c0[q] = c1[q] = zero;
  // The diagonal block: row i holds columns j0..i only.
  const int64_t id = std::min(n, j0 + CB);
  for (int64_t i = j0; i < id; ++i) {
    const double* li = L + i * ldl + j0;
    const TL lim = TL{} + (i - j0);
    const T l0 = (lane <= lim) ? Vec<W>::load(li) : zero;
    const T l1 = (lane + W <= lim) ? Vec<W>::load(li + W) : zero;
#pragma GCC unroll 8
    for (int q = 0; q < QR; ++q) {
      const T bq = zero + b[q][i];
      c0[q] += bq * l0;
      c1[q] += bq * l1;
    }
  }
  for (int64_t i = id; i < n; ++i) {
    const double* li = L + i * ldl + j0;
    const T l0 = Vec<W>::load(li), l1 = Vec<W>::load(li + W);
#pragma GCC unroll 8
    for (int q = 0; q < QR; ++q) {
      const T bq = zero + b[q][i];
      c0[q] += bq * l0;
      c1[q] += bq * l1;
    }
  }
  for (int q = 0; q < na; ++q) {
    double tmp[CB];
    std::memcpy(tmp, &c0[q], sizeof(T));
    std::memcpy(tmp + W, &c1[q], sizeof(T));
    double* r = R + (a + q) * ldr + j0;
    for (int64_t t = 0; t < jn; ++t) r[t] = tmp[t];
  }
}

template <int W>
void lower_tn(const double* L, int64_t ldl, const double* B, int64_t ldb, int64_t k, int64_t n, double* R,
              int64_t ldr) {
#ifdef __AVX512F__
  constexpr bool kWide = true;
#else
  constexpr bool kWide = false;
#endif
  for (int64_t j0 = 0; j0 < n; j0 += 2 * W) {
    int64_t a = 0;
    if constexpr (kWide)
      for (; a + 8 <= k; a += 8) lower_tn_block<W, 8>(L, ldl, B, ldb, a, 8, j0, n, R, ldr);
    for (; a < k; a += 4) lower_tn_block<W, 4>(L, ldl, B, ldb, a, std::min<int64_t>(4, k - a), j0, n, R, ldr);
  }
}

}  // namespace grokinfo::linalg::GROKINFO_KERNEL_NS
