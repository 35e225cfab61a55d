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

// c + a b, fused wherever the instruction set has FMA (explicit: whether the compiler contracts a scalar
// a * b + c can depend on how it vectorised the code around it).
inline double madd(double a, double b, double c) {
#ifdef __FMA__
  return __builtin_fma(a, b, c);
#else
  return a * b + c;
#endif
}

// sum_{i<n} a[i] b[i] (in the order of the lattice kernels' dot products, lattice_impl.h)
inline double dot(const double* a, const double* b, int64_t n) {
  v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 += load4(a + i) * load4(b + i);
    s1 += load4(a + i + 4) * load4(b + i + 4);
  }
  for (; i + 4 <= n; i += 4) s0 += load4(a + i) * load4(b + i);
  double s = hsum(s0 + s1);
  for (; i < n; ++i) s = madd(a[i], b[i], s);
  return s;
}

// A row of the lower-triangular factor handed to the per-ISA lattice kernels (kernels.h: lower_tn) may be
// read up to kLowerPad - 1 elements past its last used column: the buffer must have them.
constexpr int64_t kLowerPad = 16;

// y[i] += a * x[i]
inline void axpy(double a, const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Scratch of syrk_tn, kept by the caller between calls (buffers only grow: no allocation once warm).
struct SyrkScratch {
  std::vector<double> C, P;
  std::vector<int64_t> cut;
};

// The row stride of a syrk_tn input with D columns: a multiple of 8, but not of 256 (2 KB), where rows
// fall into a few L1 sets and syrk_tn would first copy A into panels; one 8-column pad avoids that pass.
inline int64_t syrk_lda(int64_t D) {
  const int64_t lda = (D + 7) / 8 * 8;
  return lda % 256 == 0 ? lda + 8 : lda;
}

// out (D x D, row-major, full symmetric) = alpha * A^T A, A is N x lda row-major (samples x columns)
// with lda a multiple of 8 and columns D..lda-1 zero. Parallel (OpenMP) over row panels of the output;
// bitwise the same result for any thread count (threads <= 0: omp_get_max_threads()). scratch ==
// nullptr: temporary buffers.
void syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
             SyrkScratch* scratch = nullptr);

}  // namespace grokinfo::linalg
