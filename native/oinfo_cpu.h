// Internals of the CPU O-information engine shared by copula.cpp, clustering.cpp and oinfo_cpu.cpp:
// the persistent scratch of each stage. Every buffer is a std::vector that only grows (resize within
// its capacity allocates nothing), so an engine that keeps these between calls allocates nothing and
// faults no pages once it has seen a problem at least as large. Nothing here knows about Node.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "oinfo.h"
#include "oinfo_linalg.h"

namespace grokinfo::cpu {

// Grows v to at least n elements (never shrinks; contents of the old part are kept).
template <class V>
inline void grow(V& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// Index of the first non-finite element of x[0..n), or -1. Branch-free over blocks (vectorised: exponent
// bits all ones means inf or NaN), then the block that has one is searched element by element.
template <typename T>
inline int64_t first_nonfinite(const T* x, int64_t n) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr U kExp = static_cast<U>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
  constexpr int64_t kBlock = 1024;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t b1 = std::min(n, b0 + kBlock);
    U bad = 0;
    for (int64_t i = b0; i < b1; ++i) {
      U u;
      std::memcpy(&u, x + i, sizeof(U));
      bad |= static_cast<U>((u & kExp) == kExp);
    }
    if (bad)
      for (int64_t i = b0; i < b1; ++i)
        if (!std::isfinite(static_cast<double>(x[i]))) return i;
  }
  return -1;
}

// One column's sort scratch (one per thread).
struct SortKey {
  double v;
  uint64_t k;
  int32_t i;
};
struct ColumnScratch {
  std::vector<uint64_t> key, key_tmp;
  std::vector<uint32_t> idx, idx_tmp, zrow;  // zrow: a column's zero rows (copula sort)
  std::vector<SortKey> keys;
  std::vector<double> g8;  // the scores of 8 columns, column-major (copula)
};

struct CopulaScratch {
  std::vector<double> G, score;
  std::vector<float> Xt32;  // the input's columns, contiguous (float32 or float64 input)
  std::vector<double> Xt64;
  int64_t score_n = 0;  // score holds the normal scores of this sample count
  std::vector<ColumnScratch> thr;
  linalg::SyrkScratch syrk;
};

struct WardMerge {
  int32_t a, b;
  double dist;
};
struct WardScratch {
  std::vector<int32_t> cols, chain, order, parent, id, pos;
  std::vector<double> A, Gm, Dm;
  std::vector<int64_t> size;
  std::vector<WardMerge> merges;
  std::vector<char> keep;
  linalg::SyrkScratch syrk;
};

// The stages with caller-kept scratch (same contracts as the public functions in oinfo.h). threads <= 0:
// all cores.
Status copula_covariance(const float* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl, CopulaScratch& ws, int threads = 0);
Status copula_covariance(const double* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl, CopulaScratch& ws, int threads = 0);
Status ward_cluster(const float* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                    const Control& ctl, WardScratch& ws, int threads = 0);
Status ward_cluster(const double* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                    const Control& ctl, WardScratch& ws, int threads = 0);
void ward_from_gram(const double* gram, int64_t n, int32_t k, int32_t* labels, WardScratch& ws);

// The whole engine's scratch (defined in oinfo_cpu.cpp), owned by an OInfoEngine.
struct EngineScratch;
EngineScratch* new_scratch();
void delete_scratch(EngineScratch* s);

// CPU implementations behind OInfoEngine (arguments already checked by native/oinfo.cpp).
Status oinfo_multiplets(EngineScratch& ws, const double* cov, int64_t batch, int64_t D, const Units& units,
                        const OInfoOptions& opt, std::vector<OInfoResult>& results, const Control& ctl);
Status measure_bins(EngineScratch& ws, const float* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                    std::vector<MeasureResult>& results, const Control& ctl);
Status measure_bins(EngineScratch& ws, const double* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                    std::vector<MeasureResult>& results, const Control& ctl);

}  // namespace grokinfo::cpu
