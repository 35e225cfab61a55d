// Dense float64 kernels used by the copula, Ward clustering and the O-information engine (CPU).
// Written with GCC/Clang vector extensions so they vectorise without -ffast-math.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace grokinfo::linalg {

typedef double v4d __attribute__((vector_size(32)));

inline v4d load4(const double* p) {
  v4d v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(double* p, v4d v) { std::memcpy(p, &v, sizeof(v)); }
inline double hsum(v4d v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// sum_{i<n} a[i] b[i]
inline double dot(const double* a, const double* b, int64_t n) {
  v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 += load4(a + i) * load4(b + i);
    s1 += load4(a + i + 4) * load4(b + i + 4);
  }
  for (; i + 4 <= n; i += 4) s0 += load4(a + i) * load4(b + i);
  double s = hsum(s0 + s1);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// o[q] = dot(a, b_q, n) for four vectors b_q at once (a read once): the same operations, in the same
// order, as four calls of dot, so bitwise the same.
inline void dot4(const double* a, const double* b0, const double* b1, const double* b2, const double* b3, int64_t n,
                 double* o) {
  const double* b[4] = {b0, b1, b2, b3};
  v4d s0[4], s1[4];
  for (int q = 0; q < 4; ++q) s0[q] = s1[q] = v4d{0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v4d a0 = load4(a + i), a1 = load4(a + i + 4);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      s0[q] += a0 * load4(b[q] + i);
      s1[q] += a1 * load4(b[q] + i + 4);
    }
  }
  if (i + 4 <= n) {
    const v4d a0 = load4(a + i);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) s0[q] += a0 * load4(b[q] + i);
    i += 4;
  }
  for (int q = 0; q < 4; ++q) {
    double s = hsum(s0[q] + s1[q]);
    for (int64_t j = i; j < n; ++j) s += a[j] * b[q][j];
    o[q] = s;
  }
}

// Rows a < k of R (row stride ldr), R[a][j] = sum_{i = j..n-1} B[a][i] L[i][j] for j < n, L lower
// triangular (row stride ldl; entries above the diagonal are not read as values, may be anything finite
// or not, and a row may be read up to kLowerPad - 1 elements past column n - 1: the buffer must have
// them). Each sum runs over ascending i from zero with one multiply-add per term, as the row-by-row
// update R[a][0..i] += B[a][i] L[i][0..i] does, so the result is bitwise that of the axpy loop.
constexpr int64_t kLowerPad = 8;
inline void lower_tn(const double* L, int64_t ldl, const double* B, int64_t ldb, int64_t k, int64_t n, double* R,
                     int64_t ldr) {
  const v4d zero = {0, 0, 0, 0};
  typedef long long v4l __attribute__((vector_size(32)));
  const v4l lane = {0, 1, 2, 3};
  for (int64_t j0 = 0; j0 < n; j0 += 8) {
    const int64_t jn = std::min<int64_t>(8, n - j0);
    int64_t a = 0;
    for (; a < k; a += 4) {
      const int64_t na = std::min<int64_t>(4, k - a);
      const double* b[4];
      for (int q = 0; q < 4; ++q) b[q] = B + (a + std::min<int64_t>(q, na - 1)) * ldb;
      v4d c0[4], c1[4];
      for (int q = 0; q < 4; ++q) c0[q] = c1[q] = zero;
      // The diagonal block: row i holds columns j0..i only.
      const int64_t id = std::min(n, j0 + 8);
      for (int64_t i = j0; i < id; ++i) {
        const double* li = L + i * ldl + j0;
        const v4l lim = v4l{0, 0, 0, 0} + (i - j0);
        const v4d l0 = (lane <= lim) ? load4(li) : zero;
        const v4d l1 = (lane + 4 <= lim) ? load4(li + 4) : zero;
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
          const v4d bq = zero + b[q][i];
          c0[q] += bq * l0;
          c1[q] += bq * l1;
        }
      }
      for (int64_t i = id; i < n; ++i) {
        const double* li = L + i * ldl + j0;
        const v4d l0 = load4(li), l1 = load4(li + 4);
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
          const v4d bq = zero + b[q][i];
          c0[q] += bq * l0;
          c1[q] += bq * l1;
        }
      }
      for (int q = 0; q < na; ++q) {
        double tmp[8];
        store4(tmp, c0[q]);
        store4(tmp + 4, c1[q]);
        double* r = R + (a + q) * ldr + j0;
        for (int64_t t = 0; t < jn; ++t) r[t] = tmp[t];
      }
    }
  }
}

// y[i] += a * x[i]
inline void axpy(double a, const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Scratch of syrk_tn, kept by the caller between calls (buffers only grow: no allocation once warm).
struct SyrkScratch {
  std::vector<double> C, P;
  std::vector<int64_t> cut;
};

// out (D x D, row-major, full symmetric) = alpha * A^T A, A is N x lda row-major (samples x columns)
// with lda a multiple of 8 and columns D..lda-1 zero. Parallel (OpenMP) over row panels of the output;
// bitwise the same result for any thread count (threads <= 0: omp_get_max_threads()). scratch ==
// nullptr: temporary buffers.
void syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
             SyrkScratch* scratch = nullptr);

}  // namespace grokinfo::linalg
