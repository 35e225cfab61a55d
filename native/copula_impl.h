// The Gaussian copula's per-column transforms (copula.cpp, METHOD.md's rank-to-normal-score step),
// compiled once per instruction set: included ONLY by the per-ISA kernel files (kernels_portable.cpp,
// kernels_avx2.cpp, kernels_avx512.cpp), each with its own -march and its own GROKINFO_KERNEL_NS, so no
// path's code can stand in for another's at link time (the functions take raw pointers and use no
// standard-library template that another path could also instantiate). kernels.h's table picks one path
// at run time.
//
// Results do not depend on the path: the sort is exact, the scores are looked up in the caller's table,
// and each column's mean is the same left-to-right sum on every path.
#pragma once
#ifndef GROKINFO_KERNEL_NS
#error "copula_impl.h is included only by the per-ISA kernel files (kernels_*.cpp)"
#endif
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace grokinfo::copula::GROKINFO_KERNEL_NS {

// Order-preserving unsigned key of a finite float / double (-0 and +0 map to the same key).
inline uint32_t order_key(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  b = b == 0x80000000u ? 0u : b;  // -0 as +0 (branch-free)
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
inline uint64_t order_key(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  b = b == 0x8000000000000000ull ? 0ull : b;
  return (b & 0x8000000000000000ull) ? ~b : (b | 0x8000000000000000ull);
}

// Rows [t0, t1) of the row-major N x D matrix X into its contiguous columns Xt (column c at Xt + c N), in
// 64 x 64 tiles (X is read once, instead of once per column with a stride of a whole row).
template <typename T>
void to_columns(const T* X, int64_t N, int64_t D, int64_t t0, int64_t t1, T* Xt) {
  for (int64_t r0 = t0; r0 < t1; r0 += 64) {
    const int64_t r1 = r0 + 64 < t1 ? r0 + 64 : t1;
    for (int64_t c0 = 0; c0 < D; c0 += 64) {
      const int64_t c1 = c0 + 64 < D ? c0 + 64 : D;
      for (int64_t t = r0; t < r1; ++t)
        for (int64_t c = c0; c < c1; ++c) Xt[c * N + t] = X[t * D + c];
    }
  }
}

// Stable LSD radix sort of one contiguous column x[0..N) (ascending value, ties in row order); the sorted
// keys and their rows end in b.key / b.idx or in the temporaries (b.key_in_tmp / b.idx_in_tmp say which).
// Zeros (ReLU activations are about half zeros) are set aside in row order and only the other values are
// sorted: all digit histograms in one read, a pass skipped when all keys share its digit; the zeros' run
// is put back between the negative and the positive values, which is where a stable sort of the whole
// column puts them. float32: key and row packed in one 64-bit word (key << 32 | row), sorted on the upper
// 32 bits only, in three passes of 11-bit digits; float64: keys and rows in two arrays, eight passes of
// 8-bit digits.
template <typename T>
void sort_column(const T* x, int64_t N, kernels::SortBuffers& bufs) {
  constexpr bool kPacked = sizeof(T) == 4;
  constexpr int kBits = kPacked ? 11 : 8;
  constexpr int kPasses = (8 * static_cast<int>(sizeof(T)) + kBits - 1) / kBits;
  constexpr int kBuckets = 1 << kBits;
  constexpr uint64_t kMask = kBuckets - 1;
  constexpr int kShift0 = kPacked ? 32 : 0;
  const uint64_t kz = order_key(T(0));
  uint64_t* key = bufs.key;
  uint64_t* kt = bufs.key_tmp;
  uint32_t* idx = bufs.idx;
  uint32_t* it = bufs.idx_tmp;
  uint32_t* const zrow = bufs.zrow;
  uint32_t cnt[kPasses][kBuckets];
  std::memset(cnt, 0, sizeof(cnt));
  int64_t m = 0, nz = 0, nneg = 0;
  // Branch-free (zeros and non-zeros interleave at random): every value is written to both lists and only
  // the right list's length advances; the histograms are then counted over the non-zeros (counting the
  // zeros too would chain half the increments on one counter).
  for (int64_t i = 0; i < N; ++i) {
    const uint64_t k = order_key(x[i]);
    const bool zero = k == kz;
    zrow[nz] = static_cast<uint32_t>(i);
    if constexpr (kPacked) {
      key[m] = k << 32 | static_cast<uint64_t>(i);
    } else {
      key[m] = k;
      idx[m] = static_cast<uint32_t>(i);
    }
    nz += zero;
    m += !zero;
    nneg += k < kz;
  }
  for (int64_t i = 0; i < m; ++i) {
    const uint64_t k = kPacked ? key[i] >> 32 : key[i];
#pragma GCC unroll 8
    for (int p = 0; p < kPasses; ++p) cnt[p][(k >> (kBits * p)) & kMask]++;
  }
  for (int pass = 0; pass < kPasses && m > 1; ++pass) {
    uint32_t* c = cnt[pass];
    bool trivial = false;
    uint32_t off = 0;
    for (int b = 0; b < kBuckets; ++b) {
      const uint32_t n = c[b];
      if (n == static_cast<uint32_t>(m)) trivial = true;
      c[b] = off;
      off += n;
    }
    if (trivial) continue;
    const int shift = kShift0 + kBits * pass;
    for (int64_t i = 0; i < m; ++i) {
      const uint32_t dst = c[(key[i] >> shift) & kMask]++;
      kt[dst] = key[i];
      if constexpr (!kPacked) it[dst] = idx[i];
    }
    uint64_t* const ks = key;
    key = kt;
    kt = ks;
    if constexpr (!kPacked) {
      uint32_t* const is = idx;
      idx = it;
      it = is;
    }
  }
  // Sorted non-zeros in key[0..m) (and idx); the result goes to the other buffers: the negatives, the
  // zeros, the positives.
  uint64_t* const ok = kt;
  uint32_t* const oi = kPacked ? idx : it;
  auto put = [&](int64_t a, int64_t b, int64_t p) {
    for (int64_t s = a; s < b; ++s, ++p) {
      if constexpr (kPacked) {
        ok[p] = key[s] >> 32;
        oi[p] = static_cast<uint32_t>(key[s]);
      } else {
        ok[p] = key[s];
        oi[p] = idx[s];
      }
    }
  };
  put(0, nneg, 0);
  for (int64_t j = 0; j < nz; ++j) {
    ok[nneg + j] = kz;
    oi[nneg + j] = zrow[j];
  }
  put(nneg, m, nneg + nz);
  bufs.key_in_tmp = ok != bufs.key;
  bufs.idx_in_tmp = oi != bufs.idx;
}

void sort_f32(const float* x, int64_t N, kernels::SortBuffers& b) { sort_column(x, N, b); }
void sort_f64(const double* x, int64_t N, kernels::SortBuffers& b) { sort_column(x, N, b); }

// The normal scores of a sorted column into gc (row order), demeaned: score[h] is the score of twice the
// 0-based (mid-)rank h. average: a run of equal keys shares its mid-rank; else the p-th row of idx gets
// rank p (ordinal ties, or random ties already reordered by the caller).
void scores(const uint64_t* key, const uint32_t* idx, int64_t N, bool average, const double* score, double* gc) {
  double sum = 0;
  if (average) {
    int64_t a = 0;
    while (a < N) {
      int64_t b = a + 1;
      while (b < N && key[b] == key[a]) ++b;
      const double g = score[a + b - 1];
      for (int64_t t = a; t < b; ++t) gc[idx[t]] = g;
      sum += g * static_cast<double>(b - a);
      a = b;
    }
  } else {
    for (int64_t p = 0; p < N; ++p) {
      const double g = score[2 * p];
      gc[idx[p]] = g;
      sum += g;
    }
  }
  const double mean = sum / static_cast<double>(N);
  for (int64_t i = 0; i < N; ++i) gc[i] -= mean;
}

// Eight score columns (column-major, N each) into columns c8..c8+7 of the row-major G (row stride lda),
// one cache line per row.
void write8(const double* g8, int64_t N, double* G, int64_t lda, int64_t c8) {
  for (int64_t t = 0; t < N; ++t) {
    double* gr = G + t * lda + c8;
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) gr[q] = g8[q * N + t];
  }
}

void columns_f32(const float* X, int64_t N, int64_t D, int64_t t0, int64_t t1, float* Xt) { to_columns(X, N, D, t0, t1, Xt); }
void columns_f64(const double* X, int64_t N, int64_t D, int64_t t0, int64_t t1, double* Xt) { to_columns(X, N, D, t0, t1, Xt); }

}  // namespace grokinfo::copula::GROKINFO_KERNEL_NS
