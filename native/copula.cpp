// Gaussian copula and covariance (METHOD.md §2.3), plus the float64 A^T A kernel shared with Ward.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <cmath>
#include <string>
#include <vector>

#include "oinfo.h"
#include "oinfo_cpu.h"
#include "oinfo_linalg.h"

namespace grokinfo {

namespace linalg {

namespace {

// Summation order of syrk_tn, whatever the loop structure or thread count: rows in chunks of kSyrkChunk
// (at multiples of kSyrkChunk), each chunk an FMA chain from zero in row order, the chunks added in order.
constexpr int64_t kSyrkChunk = 256;

// Packed layout of rows t0..t0+kc: columns 4p..4p+3 go to panel p, kc x 4 contiguous (panel stride 4 kc),
// so the micro-kernel streams contiguous memory instead of rows 8 lda bytes apart (which, for lda a
// multiple of 64, fall into a few L1 sets and evict each other).
void syrk_pack(const double* A, int64_t lda, int64_t t0, int64_t kc, int64_t p0, int64_t p1, double* P) {
  for (int64_t t = 0; t < kc; ++t) {
    const double* row = A + (t0 + t) * lda;
    for (int64_t p = p0; p < p1; ++p) store4(P + p * 4 * kc + 4 * t, load4(row + 4 * p));
  }
}

// C[r][4q + c] (r < 4, q < NP, row stride ldc) (+)= sum_t a[t sa + r] * b[q sq + t sb + c] over t < kc, in
// 4 NP ymm accumulators; chunked as kSyrkChunk (kc blocks start at multiples of it); first: store.
template <int NP>
void syrk_micro(const double* __restrict a, int64_t sa, const double* __restrict b, int64_t sb, int64_t sq,
                int64_t kc, double* __restrict C, int64_t ldc, bool first) {
  for (int64_t c0 = 0; c0 < kc; c0 += kSyrkChunk) {
    const int64_t c1 = std::min(kc, c0 + kSyrkChunk);
    v4d c[4][NP];
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r)
#pragma GCC unroll 3
      for (int q = 0; q < NP; ++q) c[r][q] = v4d{0, 0, 0, 0};
    const double* pa = a + c0 * sa;
    const double* pb = b + c0 * sb;
#pragma GCC unroll 2
    for (int64_t t = c0; t < c1; ++t, pa += sa, pb += sb) {
      v4d bq[NP];
#pragma GCC unroll 3
      for (int q = 0; q < NP; ++q) bq[q] = load4(pb + q * sq);
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) {
        const double x = pa[r];
        const v4d ar = {x, x, x, x};
#pragma GCC unroll 3
        for (int q = 0; q < NP; ++q) c[r][q] += ar * bq[q];
      }
    }
    const bool st = first && c0 == 0;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r)
#pragma GCC unroll 3
      for (int q = 0; q < NP; ++q) {
        double* o = C + r * ldc + 4 * q;
        store4(o, st ? c[r][q] : load4(o) + c[r][q]);
      }
  }
}

// The 4 x 4w blocks (w <= 3 panels) of rows 4 ip.. of the upper triangle, for rows t0..t0+kc.
inline void syrk_row_blocks(int64_t ip, int64_t np, const double* a, int64_t sa, const double* b0, int64_t sb,
                            int64_t sq, int64_t kc, double* Cp, int64_t ldc, bool first) {
  double* crow = Cp + ip * 4 * ldc;
  for (int64_t p0 = (ip / 3) * 3; p0 < np; p0 += 3) {
    const double* b = b0 + p0 * sq;
    const int64_t w = std::min<int64_t>(3, np - p0);
    if (w == 3)
      syrk_micro<3>(a, sa, b, sb, sq, kc, crow + 4 * p0, ldc, first);
    else if (w == 2)
      syrk_micro<2>(a, sa, b, sb, sq, kc, crow + 4 * p0, ldc, first);
    else
      syrk_micro<1>(a, sa, b, sb, sq, kc, crow + 4 * p0, ldc, first);
  }
}

}  // namespace

// Upper-triangle 4 x 12 register blocks, then the mirror. Work items are ranges of 4-row panels of about
// equal work, each run by one thread over all rows in k-blocks of about 512 KB of A (so a k-block serves
// all the item's panels from L2); a single item with one thread. A with a row stride that is a multiple of
// 2 KB is packed first (one barrier), other A is read in place. Every path sums in kSyrkChunk's order, so
// the result is bitwise the same for any thread count (and for packed or not).
void syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
             SyrkScratch* scratch) {
  if (D <= 0) return;
  SyrkScratch local;
  SyrkScratch& sc = scratch ? *scratch : local;
  if (N <= 0) {
    for (int64_t i = 0; i < D * D; ++i) out[i] = 0.0;
    return;
  }
  const int64_t np = (D + 3) / 4;  // 4-column panels covering the used columns (4 np <= lda)
  const int64_t ldc = 4 * np;
  // Packing pays where the row stride is a multiple of 2 KB (all rows in two L1 sets); elsewhere reading A
  // in place measured as fast or faster (bench/kernels/syrk_bench.cpp).
  const bool pack = lda % 256 == 0;
  const int64_t KC =
      std::min(N, std::max<int64_t>(1, (int64_t{1} << 16) / ldc / kSyrkChunk) * kSyrkChunk);
  const int64_t nkb = (N + KC - 1) / KC;
  // Items: panel ranges of about equal work (panel ip has np - 3 floor(ip / 3) panels of blocks). Small
  // products run on fewer threads (at least ~2 MFLOP each); the result does not depend on it.
  int64_t total = 0;
  for (int64_t ip = 0; ip < np; ++ip) total += np - ip / 3 * 3;
  const int64_t nt = std::max<int64_t>(
      1, std::min<int64_t>(threads > 0 ? threads : omp_get_max_threads(), 32 * N * total / 2000000));
  std::vector<int64_t>& cut = sc.cut;
  cut.clear();
  cut.reserve(static_cast<size_t>(np) + 2);
  cut.push_back(0);
  {
    const int64_t want = nt <= 1 ? 1 : std::min<int64_t>(np, 4 * nt);
    int64_t acc = 0;
    for (int64_t ip = 0; ip < np; ++ip) {
      acc += np - ip / 3 * 3;
      if (acc * want >= total * static_cast<int64_t>(cut.size()) && ip + 1 < np) cut.push_back(ip + 1);
    }
    cut.push_back(np);
  }
  const int64_t nitems = static_cast<int64_t>(cut.size()) - 1;
  // Grown, never shrunk, and never cleared: every element read is written first (kb == 0 stores).
  if (sc.C.size() < static_cast<size_t>(ldc * ldc)) sc.C.resize(static_cast<size_t>(ldc * ldc));
  if (pack && sc.P.size() < static_cast<size_t>(N * ldc)) sc.P.resize(static_cast<size_t>(N * ldc));
  double* const Cp = sc.C.data();
  double* const P = pack ? sc.P.data() : nullptr;
  const int64_t npk = (np + 7) / 8;  // packing items: 8 panels (256 bytes of a row) by one k-block
  auto pack_item = [&](int64_t g) {
    const int64_t kb = g / npk, q = g % npk, t0 = kb * KC;
    syrk_pack(A, lda, t0, std::min(KC, N - t0), 8 * q, std::min(np, 8 * q + 8), P + t0 * ldc);
  };
  auto run_item = [&](int64_t it) {
    for (int64_t kb = 0; kb < nkb; ++kb) {
      const int64_t t0 = kb * KC, kc = std::min(KC, N - t0);
      for (int64_t ip = cut[it]; ip < cut[it + 1]; ++ip) {
        if (pack) {
          const double* Pb = P + t0 * ldc;
          syrk_row_blocks(ip, np, Pb + ip * 4 * kc, 4, Pb, 4, 4 * kc, kc, Cp, ldc, kb == 0);
        } else {
          const double* At = A + t0 * lda;
          syrk_row_blocks(ip, np, At + 4 * ip, lda, At, lda, 4, kc, Cp, ldc, kb == 0);
        }
      }
    }
  };
  if (nitems == 1) {
    if (pack)
      for (int64_t g = 0; g < npk * nkb; ++g) pack_item(g);
    run_item(0);
  } else {
#pragma omp parallel num_threads(static_cast<int>(std::min(nt, nitems)))
    {
      if (pack) {
#pragma omp for schedule(static)
        for (int64_t g = 0; g < npk * nkb; ++g) pack_item(g);
      }
#pragma omp for schedule(dynamic, 1)
      for (int64_t it = 0; it < nitems; ++it) run_item(it);
    }
  }
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < D; ++j) out[i * D + j] = alpha * (i <= j ? Cp[i * ldc + j] : Cp[j * ldc + i]);
}

}  // namespace linalg

namespace {

// Wichura (1988), Algorithm AS 241 (PPND16): the lower half, p in (0, 0.5].
double ppnd16_lower(double p) {
  double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    double r = 0.180625 - q * q;
    return q *
           (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
                45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
             133.14166789178437745) * r + 3.387132872796366608) /
           (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
                21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
             42.313330701600911252) * r + 1.0);
  }
  double r = std::sqrt(-std::log(p));
  double val;
  if (r <= 5.0) {
    r -= 1.6;
    val = (((((((r * 7.7454501427834140764e-4 + .0227238449892691845833) * r + .24178072517745061177) * r +
               1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
            4.6303378461565452959) * r + 1.42343711074968357734) /
          (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + .0151986665636164571966) * r +
               .14810397642748007459) * r + .68976733498510000455) * r + 1.6763848301838038494) * r +
            2.05319162663775882187) * r + 1.0);
  } else {
    r -= 5.0;
    val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + .0012426609473880784386) * r +
               .026532189526576123093) * r + .29656057182850489123) * r + 1.7848265399172913358) * r +
            5.4637849111641143699) * r + 6.6579046435011037772) /
          (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
               7.868691311456132591e-4) * r + .0148753612908506148525) * r + .13692988092273580531) * r +
            .59983220655588793769) * r + 1.0);
  }
  return -val;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Order-preserving unsigned key of a finite float / double (-0 and +0 map to the same key).
inline uint32_t order_key(float v) {
  if (v == 0.0f) v = 0.0f;
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
inline uint64_t order_key(double v) {
  if (v == 0.0) v = 0.0;
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return (b & 0x8000000000000000ull) ? ~b : (b | 0x8000000000000000ull);
}

// Stable LSD radix sort of column c of X (N rows, row stride D) into cs.keys (ascending value, ties in
// row order), 8-bit digits, a pass skipped when all keys share its digit. float32 and float64 alike.
template <typename T>
void sort_column(const T* X, int64_t N, int64_t D, int64_t c, cpu::ColumnScratch& cs) {
  constexpr int kBytes = sizeof(T);
  uint64_t* key = cs.key.data();
  uint64_t* kt = cs.key_tmp.data();
  uint32_t* idx = cs.idx.data();
  uint32_t* it = cs.idx_tmp.data();
  for (int64_t i = 0; i < N; ++i) {
    key[i] = order_key(X[i * D + c]);
    idx[i] = static_cast<uint32_t>(i);
  }
  for (int pass = 0; pass < kBytes; ++pass) {
    const int shift = 8 * pass;
    size_t cnt[257] = {0};
    for (int64_t i = 0; i < N; ++i) cnt[((key[i] >> shift) & 255) + 1]++;
    bool trivial = false;
    for (int b = 1; b <= 256; ++b)
      if (cnt[b] == static_cast<size_t>(N)) trivial = true;
    if (trivial) continue;
    for (int b = 0; b < 256; ++b) cnt[b + 1] += cnt[b];
    for (int64_t i = 0; i < N; ++i) {
      const size_t dst = cnt[(key[i] >> shift) & 255]++;
      kt[dst] = key[i];
      it[dst] = idx[i];
    }
    std::swap(key, kt);
    std::swap(idx, it);
  }
  cpu::SortKey* keys = cs.keys.data();
  for (int64_t p = 0; p < N; ++p) {
    const uint32_t i = idx[p];
    keys[p] = {static_cast<double>(X[static_cast<int64_t>(i) * D + c]), static_cast<uint64_t>(i), static_cast<int32_t>(i)};
  }
}

template <typename T>
Status copula_impl(const T* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                   const Control& ctl, cpu::CopulaScratch& ws, int threads) {
  if (N < 3) return Status::Error(Code::INVALID_ARGUMENT, "samples (rows): must be >= 3 (got " + std::to_string(N) + ")");
  if (D < 1) return Status::Error(Code::INVALID_ARGUMENT, "variables (columns): must be >= 1");
  if (N > 0x7FFFFFFF) return Status::Error(Code::INVALID_ARGUMENT, "samples (rows): must be < 2^31");
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < D; ++c)
      if (!std::isfinite(static_cast<double>(X[r * D + c])))
        return Status::Error(Code::INVALID_DATA, "non-finite value (" + std::to_string(static_cast<double>(X[r * D + c])) +
                                                     ") at row " + std::to_string(r) + ", column " + std::to_string(c));
  const int64_t lda = (D + 7) / 8 * 8;
  cpu::grow(ws.G, static_cast<size_t>(N * lda));
  cpu::grow(ws.Gt, static_cast<size_t>(N * D));  // column-major scores (one column contiguous)
  double* const G = ws.G.data();
  double* const Gt = ws.Gt.data();
  // Twice the 0-based (mid-)rank h = 0..2N-2 indexes the normal scores: u = (h/2 + 1)/(N + 1).
  if (ws.score_n != N) {
    cpu::grow(ws.score, static_cast<size_t>(2 * N - 1));
    for (int64_t h = 0; h < 2 * N - 1; ++h) ws.score[h] = ndtri(static_cast<double>(h + 2) / static_cast<double>(2 * (N + 1)));
    ws.score_n = N;
  }
  const double* const score = ws.score.data();
  const int nt = threads > 0 ? threads : omp_get_max_threads();
  if (ws.thr.size() < static_cast<size_t>(nt)) ws.thr.resize(static_cast<size_t>(nt));
  for (int t = 0; t < nt; ++t) {
    cpu::ColumnScratch& cs = ws.thr[t];
    cpu::grow(cs.key, static_cast<size_t>(N));
    cpu::grow(cs.key_tmp, static_cast<size_t>(N));
    cpu::grow(cs.idx, static_cast<size_t>(N));
    cpu::grow(cs.idx_tmp, static_cast<size_t>(N));
    cpu::grow(cs.keys, static_cast<size_t>(N));
  }
#pragma omp parallel num_threads(nt)
  {
    cpu::ColumnScratch& cs = ws.thr[omp_get_thread_num()];
    cpu::SortKey* keys = cs.keys.data();
#pragma omp for schedule(dynamic, 4)
    for (int64_t c = 0; c < D; ++c) {
      sort_column(X, N, D, c, cs);
      if (ties == TiePolicy::Random) {
        // Ties reordered by a hash of (seed, column, row) within each run of equal values.
        int64_t a = 0;
        while (a < N) {
          int64_t b = a + 1;
          while (b < N && keys[b].v == keys[a].v) ++b;
          if (b - a > 1) {
            for (int64_t t = a; t < b; ++t)
              keys[t].k = splitmix64(seed ^ splitmix64(static_cast<uint64_t>(c) * 0x100000001B3ULL + static_cast<uint64_t>(keys[t].i)));
            std::sort(keys + a, keys + b, [](const cpu::SortKey& x, const cpu::SortKey& y) { return x.k < y.k; });
          }
          a = b;
        }
      }
      double* gc = Gt + c * N;
      double sum = 0;
      if (ties == TiePolicy::Average) {
        int64_t a = 0;
        while (a < N) {
          int64_t b = a + 1;
          while (b < N && keys[b].v == keys[a].v) ++b;
          double g = score[a + b - 1];
          for (int64_t t = a; t < b; ++t) gc[keys[t].i] = g;
          sum += g * static_cast<double>(b - a);
          a = b;
        }
      } else {
        for (int64_t p = 0; p < N; ++p) {
          double g = score[2 * p];
          gc[keys[p].i] = g;
          sum += g;
        }
      }
      double mean = sum / static_cast<double>(N);
      for (int64_t i = 0; i < N; ++i) gc[i] -= mean;
    }
    // Transpose to row-major N x lda in tiles (zero padding columns).
#pragma omp for schedule(static)
    for (int64_t t0 = 0; t0 < N; t0 += 32) {
      const int64_t t1 = std::min(N, t0 + 32);
      for (int64_t c0 = 0; c0 < lda; c0 += 32) {
        const int64_t c1 = std::min(lda, c0 + 32);
        for (int64_t t = t0; t < t1; ++t)
          for (int64_t c = c0; c < c1; ++c) G[t * lda + c] = c < D ? Gt[c * N + t] : 0.0;
      }
    }
  }
  if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
  linalg::syrk_tn(G, N, D, lda, 1.0 / static_cast<double>(N - 1), cov, threads, &ws.syrk);
  return Status::Ok();
}

}  // namespace

double ndtri(double u) {
  if (!(u > 0.0 && u < 1.0)) {
    if (u == 0.0) return -HUGE_VAL;
    if (u == 1.0) return HUGE_VAL;
    return std::nan("");
  }
  if (u > 0.5) return -ndtri(1.0 - u);  // 1 - u is exact for u >= 0.5
  double x = ppnd16_lower(u);
  // One Newton step on the lower tail, where erfc is accurate to the last bits.
  double e = 0.5 * std::erfc(-x / M_SQRT2) - u;
  x -= e * std::sqrt(2 * M_PI) * std::exp(0.5 * x * x);
  return x;
}

Status copula_covariance(const float* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl) {
  cpu::CopulaScratch ws;
  return copula_impl(X, N, D, ties, seed, cov, ctl, ws, 0);
}
Status copula_covariance(const double* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl) {
  cpu::CopulaScratch ws;
  return copula_impl(X, N, D, ties, seed, cov, ctl, ws, 0);
}

namespace cpu {
Status copula_covariance(const float* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl, CopulaScratch& ws, int threads) {
  return copula_impl(X, N, D, ties, seed, cov, ctl, ws, threads);
}
Status copula_covariance(const double* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl, CopulaScratch& ws, int threads) {
  return copula_impl(X, N, D, ties, seed, cov, ctl, ws, threads);
}
}  // namespace cpu

}  // namespace grokinfo
