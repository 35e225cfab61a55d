// The float64 A^T A kernel (linalg::syrk_tn, oinfo_linalg.h) as a template over the vector width W
// (doubles per register: 4 for AVX2 / portable, 8 for AVX-512). Included ONLY by the per-ISA kernel
// files (kernels_portable.cpp, kernels_avx2.cpp, kernels_avx512.cpp), each compiled with its own -march,
// so the instructions follow the file and the dispatcher (kernels.cpp) picks one at run time.
//
// Each file defines GROKINFO_KERNEL_NS (its own namespace) first, so every path's code has its own
// symbols: a template instantiated by two files must not be merged by the linker into one copy.
//
// Summation order, for every W, thread count and packing: each output element is one FMA chain (or,
// without FMA, multiply-then-add) over rows in chunks of kSyrkChunk rows starting at multiples of it,
// from zero, the chunks added in order. So the AVX2 and AVX-512 paths are bitwise equal, and the
// portable path differs from them only by the rounding of unfused multiply-adds.
#pragma once
#ifndef GROKINFO_KERNEL_NS
#error "syrk_impl.h is included only by the per-ISA kernel files (kernels_*.cpp)"
#endif
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "oinfo_linalg.h"

namespace grokinfo::linalg::syrk_detail::GROKINFO_KERNEL_NS {

constexpr int64_t kSyrkChunk = 256;
// Rows of C per micro-kernel (one row panel): 8 with AVX-512 (8 x 3 accumulators + 3 loads + 1 broadcast
// of its 32 registers: 24 FMAs per 11 loads), 4 with 16 registers (AVX2, portable).
template <int W>
constexpr int kRowsOf = W == 8 ? 8 : 4;
constexpr int kNP = 3;  // column panels per micro-kernel (kRows x kNP W-wide accumulators)

template <int W>
struct V;
template <>
struct V<4> {
  typedef double type __attribute__((vector_size(32)));
};
template <>
struct V<8> {
  typedef double type __attribute__((vector_size(64)));
};
template <int W>
inline typename V<W>::type vload(const double* p) {
  typename V<W>::type v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
template <int W>
inline void vstore(double* p, typename V<W>::type v) {
  std::memcpy(p, &v, sizeof(v));
}
template <int W>
inline typename V<W>::type vsplat(double x) {
  return typename V<W>::type{} + x;
}

// Packed layout of rows t0..t0+kc: columns Wp..Wp+W-1 go to panel p, kc x W contiguous (panel stride
// W kc), so the micro-kernel streams contiguous memory instead of rows 8 lda bytes apart (which, for lda
// a multiple of 64, fall into a few L1 sets and evict each other).
template <int W>
void pack(const double* A, int64_t lda, int64_t t0, int64_t kc, int64_t p0, int64_t p1, double* P) {
  for (int64_t t = 0; t < kc; ++t) {
    const double* row = A + (t0 + t) * lda;
    for (int64_t p = p0; p < p1; ++p) vstore<W>(P + p * W * kc + W * t, vload<W>(row + W * p));
  }
}

// C[r][W q + c] (r < kRows, q < NP, row stride ldc) (+)= sum_t a[t sa + r] * b[q sq + t sb + c] over
// t < kc, in kRows NP vector accumulators; chunked as kSyrkChunk; first: store.
template <int W, int NP, int kRows = kRowsOf<W>>
void micro(const double* __restrict a, int64_t sa, const double* __restrict b, int64_t sb, int64_t sq, int64_t kc,
           double* __restrict C, int64_t ldc, bool first) {
  using T = typename V<W>::type;
  for (int64_t c0 = 0; c0 < kc; c0 += kSyrkChunk) {
    const int64_t c1 = std::min(kc, c0 + kSyrkChunk);
    T c[kRows][NP];
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 3
      for (int q = 0; q < NP; ++q) c[r][q] = vsplat<W>(0.0);
    const double* pa = a + c0 * sa;
    const double* pb = b + c0 * sb;
#pragma GCC unroll 2
    for (int64_t t = c0; t < c1; ++t, pa += sa, pb += sb) {
      T bq[NP];
#pragma GCC unroll 3
      for (int q = 0; q < NP; ++q) bq[q] = vload<W>(pb + q * sq);
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        const T ar = vsplat<W>(pa[r]);
#pragma GCC unroll 3
        for (int q = 0; q < NP; ++q) c[r][q] += ar * bq[q];
      }
    }
    const bool st = first && c0 == 0;
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 3
      for (int q = 0; q < NP; ++q) {
        double* o = C + r * ldc + W * q;
        vstore<W>(o, st ? c[r][q] : vload<W>(o) + c[r][q]);
      }
  }
}

// First column panel of row panel ip's blocks (blocks of kNP panels, the diagonal's block first).
template <int W>
inline int64_t first_panel(int64_t ip) {
  return (kRowsOf<W> * ip) / (W * kNP) * kNP;
}

template <int W>
void row_blocks(int64_t ip, int64_t np, const double* a, int64_t sa, const double* b0, int64_t sb, int64_t sq,
                int64_t kc, double* Cp, int64_t ldc, bool first) {
  double* crow = Cp + ip * kRowsOf<W> * ldc;
  for (int64_t p0 = first_panel<W>(ip); p0 < np; p0 += kNP) {
    const double* b = b0 + p0 * sq;
    const int64_t w = std::min<int64_t>(kNP, np - p0);
    if (w == 3)
      micro<W, 3>(a, sa, b, sb, sq, kc, crow + W * p0, ldc, first);
    else if (w == 2)
      micro<W, 2>(a, sa, b, sb, sq, kc, crow + W * p0, ldc, first);
    else
      micro<W, 1>(a, sa, b, sb, sq, kc, crow + W * p0, ldc, first);
  }
}

// Upper-triangle kRows x (kNP W) register blocks, then the mirror (per row panel, by its thread). Work items are ranges of row panels of
// about equal work, each run by one thread over all rows in k-blocks of about 512 KB of A (so a k-block
// serves all the item's panels from L2); a single item with one thread. A with a row stride that is a
// multiple of 2 KB is packed first (one barrier), other A is read in place.
template <int W>
void syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
             SyrkScratch& sc) {
  if (D <= 0) return;
  if (N <= 0) {
    for (int64_t i = 0; i < D * D; ++i) out[i] = 0.0;
    return;
  }
  const int64_t np = (D + W - 1) / W;           // W-column panels covering the used columns (W np <= lda)
  constexpr int kRows = kRowsOf<W>;
  const int64_t nr = (D + kRows - 1) / kRows;   // row panels
  const int64_t ldc = W * np;
  const int64_t crows = std::max<int64_t>(kRows * nr, ldc);
  // Packing pays where the row stride is a multiple of 2 KB (all rows in two L1 sets); elsewhere reading A
  // in place measured as fast or faster (bench/kernels/syrk_bench.cpp).
  const bool pack_a = lda % 256 == 0;
  const int64_t KC = std::min(N, std::max<int64_t>(1, (int64_t{1} << 16) / ldc / kSyrkChunk) * kSyrkChunk);
  const int64_t nkb = (N + KC - 1) / KC;
  // Items: row-panel ranges of about equal work. Small products run on fewer threads (at least ~2 MFLOP
  // each); the result does not depend on it.
  auto work = [&](int64_t ip) { return np - first_panel<W>(ip); };
  int64_t total = 0;
  for (int64_t ip = 0; ip < nr; ++ip) total += work(ip);
  const int64_t nt = std::max<int64_t>(
      1, std::min<int64_t>(threads > 0 ? threads : omp_get_max_threads(), 8 * W * N * total / 2000000));
  std::vector<int64_t>& cut = sc.cut;
  cut.clear();
  cut.reserve(static_cast<size_t>(nr) + 2);
  cut.push_back(0);
  {
    const int64_t want = nt <= 1 ? 1 : std::min<int64_t>(nr, 4 * nt);
    int64_t acc = 0;
    for (int64_t ip = 0; ip < nr; ++ip) {
      acc += work(ip);
      if (acc * want >= total * static_cast<int64_t>(cut.size()) && ip + 1 < nr) cut.push_back(ip + 1);
    }
    cut.push_back(nr);
  }
  const int64_t nitems = static_cast<int64_t>(cut.size()) - 1;
  // Grown, never shrunk, and never cleared: every element read is written first (kb == 0 stores).
  if (sc.C.size() < static_cast<size_t>(crows * ldc)) sc.C.resize(static_cast<size_t>(crows * ldc));
  if (pack_a && sc.P.size() < static_cast<size_t>(N * ldc)) sc.P.resize(static_cast<size_t>(N * ldc));
  double* const Cp = sc.C.data();
  double* const P = pack_a ? sc.P.data() : nullptr;
  const int64_t gp = std::max<int64_t>(1, 32 / W);  // packing items: 256 bytes of a row by one k-block
  const int64_t npk = (np + gp - 1) / gp;
  auto pack_item = [&](int64_t g) {
    const int64_t kb = g / npk, q = g % npk, t0 = kb * KC;
    pack<W>(A, lda, t0, std::min(KC, N - t0), gp * q, std::min(np, gp * q + gp), P + t0 * ldc);
  };
  // Row panel ip's rows of out (upper part) and their mirror (the same columns of the rows below), by the
  // thread that computed them: out's rows are written contiguously and C's columns read 8 rows at a time.
  auto mirror = [&](int64_t ip) {
    const int64_t r0 = kRows * ip, r1 = std::min<int64_t>(D, r0 + kRows);
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t j = r; j < D; ++j) out[r * D + j] = alpha * Cp[r * ldc + j];
    for (int64_t j = r0 + 1; j < D; ++j)
      for (int64_t r = r0, re = std::min(r1, j); r < re; ++r) out[j * D + r] = alpha * Cp[r * ldc + j];
  };
  auto run_item = [&](int64_t it) {
    for (int64_t kb = 0; kb < nkb; ++kb) {
      const int64_t t0 = kb * KC, kc = std::min(KC, N - t0);
      for (int64_t ip = cut[it]; ip < cut[it + 1]; ++ip) {
        const int64_t r0 = kRows * ip;
        if (pack_a) {
          const double* Pb = P + t0 * ldc;
          row_blocks<W>(ip, np, Pb + (r0 / W) * W * kc + r0 % W, W, Pb, W, W * kc, kc, Cp, ldc, kb == 0);
        } else {
          const double* At = A + t0 * lda;
          row_blocks<W>(ip, np, At + r0, lda, At, lda, W, kc, Cp, ldc, kb == 0);
        }
      }
    }
    for (int64_t ip = cut[it]; ip < cut[it + 1]; ++ip) mirror(ip);
  };
  if (nitems == 1) {
    if (pack_a)
      for (int64_t g = 0; g < npk * nkb; ++g) pack_item(g);
    run_item(0);
  } else {
#pragma omp parallel num_threads(static_cast<int>(std::min(nt, nitems)))
    {
      if (pack_a) {
#pragma omp for schedule(static)
        for (int64_t g = 0; g < npk * nkb; ++g) pack_item(g);
      }
#pragma omp for schedule(dynamic, 1)
      for (int64_t it = 0; it < nitems; ++it) run_item(it);
    }
  }
}

}  // namespace grokinfo::linalg::syrk_detail::GROKINFO_KERNEL_NS
