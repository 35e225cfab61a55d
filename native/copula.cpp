// Gaussian copula and covariance (METHOD.md §2.3): the per-column transforms are the per-ISA kernels of
// copula_impl.h; and the entry of the float64 A^T A kernel shared with Ward (syrk_impl.h, per instruction set).
#include <omp.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <cmath>
#include <string>
#include <vector>

#include "kernels.h"
#include "oinfo.h"
#include "oinfo_cpu.h"
#include "oinfo_linalg.h"

namespace grokinfo {

namespace linalg {

// The kernel itself is syrk_impl.h, compiled once per instruction set (kernels_*.cpp); kernels.h picks
// the path at run time.
void syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
             SyrkScratch* scratch) {
  SyrkScratch local;
  kernels::table().syrk_tn(A, N, D, lda, alpha, out, threads, scratch ? *scratch : local);
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

template <typename T>
Status copula_impl(const T* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                   const Control& ctl, cpu::CopulaScratch& ws, int threads) {
  if (N < 3) return Status::Error(Code::INVALID_ARGUMENT, "samples (rows): must be >= 3 (got " + std::to_string(N) + ")");
  if (D < 1) return Status::Error(Code::INVALID_ARGUMENT, "variables (columns): must be >= 1");
  if (N > 0x7FFFFFFF) return Status::Error(Code::INVALID_ARGUMENT, "samples (rows): must be < 2^31");
  if (const int64_t bad = cpu::first_nonfinite(X, N * D); bad >= 0) {
    const int64_t r = bad / D, c = bad % D;
    return Status::Error(Code::INVALID_DATA, "non-finite value (" + std::to_string(static_cast<double>(X[r * D + c])) +
                                                 ") at row " + std::to_string(r) + ", column " + std::to_string(c));
  }
  const int64_t lda = linalg::syrk_lda(D);
  cpu::grow(ws.G, static_cast<size_t>(N * lda));
  double* const G = ws.G.data();
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
    cpu::grow(cs.zrow, static_cast<size_t>(N));
    if (ties == TiePolicy::Random) cpu::grow(cs.keys, static_cast<size_t>(N));
    cpu::grow(cs.g8, static_cast<size_t>(8 * N));
  }
  // The per-column transforms are the per-ISA copula kernels (kernels.h, copula_impl.h).
  const kernels::Table& kt = kernels::table();
  // The columns, contiguous (X is read once, in row-major tiles, instead of once per column with a
  // stride of a whole row).
  std::vector<T>& Xt = [&]() -> std::vector<T>& {
    if constexpr (std::is_same_v<T, float>) return ws.Xt32;
    else return ws.Xt64;
  }();
  cpu::grow(Xt, static_cast<size_t>(N * D));
  auto tile = [&](int64_t t0) {
    if constexpr (std::is_same_v<T, float>) kt.copula_columns_f32(X, N, D, t0, std::min(N, t0 + 64), Xt.data());
    else kt.copula_columns_f64(X, N, D, t0, std::min(N, t0 + 64), Xt.data());
  };
  // Eight columns at a time: their scores in a per-thread column-major block, then written into the
  // row-major G one cache line (8 doubles) per row; padding columns D..lda-1 zero.
  auto group = [&](int64_t c8, cpu::ColumnScratch& cs) {
    double* const g8 = cs.g8.data();
    for (int64_t c = c8; c < c8 + 8; ++c) {
      double* gc = g8 + (c - c8) * N;
      if (c >= D) {
        std::fill_n(gc, N, 0.0);
        continue;
      }
      const T* xc = Xt.data() + c * N;
      kernels::SortBuffers sb{cs.key.data(), cs.key_tmp.data(), cs.idx.data(), cs.idx_tmp.data(), cs.zrow.data()};
      if constexpr (std::is_same_v<T, float>) kt.copula_sort_f32(xc, N, sb);
      else kt.copula_sort_f64(xc, N, sb);
      if (sb.key_in_tmp) std::swap(cs.key, cs.key_tmp);
      if (sb.idx_in_tmp) std::swap(cs.idx, cs.idx_tmp);
      const uint64_t* key = cs.key.data();  // ascending; equal keys <=> equal values
      uint32_t* idx = cs.idx.data();
      if (ties == TiePolicy::Random) {
        // Ties reordered by a hash of (seed, column, row) within each run of equal values; then the rows
        // take ranks in that order.
        cpu::SortKey* keys = cs.keys.data();
        for (int64_t p = 0; p < N; ++p) keys[p] = {static_cast<double>(xc[idx[p]]), 0, static_cast<int32_t>(idx[p])};
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
        for (int64_t p = 0; p < N; ++p) idx[p] = static_cast<uint32_t>(keys[p].i);
      }
      kt.copula_scores(key, idx, N, ties == TiePolicy::Average, score, gc);
    }
    kt.copula_write8(g8, N, G, lda, c8);
  };
  if (nt == 1) {
    // No OpenMP region: one thread (e.g. one checkpoint of a batch measured side by side), where a nested
    // region would allocate its team on every call.
    for (int64_t t0 = 0; t0 < N; t0 += 64) tile(t0);
    for (int64_t c8 = 0; c8 < lda; c8 += 8) group(c8, ws.thr[0]);
  } else {
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
      for (int64_t t0 = 0; t0 < N; t0 += 64) tile(t0);
      cpu::ColumnScratch& cs = ws.thr[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
      for (int64_t c8 = 0; c8 < lda; c8 += 8) group(c8, cs);
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
