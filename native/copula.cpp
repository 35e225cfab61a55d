// Gaussian copula and covariance (METHOD.md §2.3), plus the float64 A^T A kernel shared with Ward.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <cmath>
#include <string>
#include <vector>

#include "oinfo.h"
#include "oinfo_linalg.h"

namespace grokinfo {

namespace linalg {

void syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads) {
  std::vector<double> Cp(static_cast<size_t>(lda * lda), 0.0);
  const int64_t nib = (D + 3) / 4;
  const int64_t TB = 256;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (int64_t ib = 0; ib < nib; ++ib) {
    const int64_t i0 = ib * 4;
    const int64_t jstart = (i0 / 8) * 8;
    for (int64_t t0 = 0; t0 < N; t0 += TB) {
      const int64_t t1 = std::min(N, t0 + TB);
      for (int64_t j = jstart; j < D; j += 8) {
        v4d c00 = {0, 0, 0, 0}, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int64_t t = t0; t < t1; ++t) {
          const double* row = A + t * lda;
          v4d b0 = load4(row + j), b1 = load4(row + j + 4);
          double a0 = row[i0], a1 = row[i0 + 1], a2 = row[i0 + 2], a3 = row[i0 + 3];
          c00 += a0 * b0;
          c01 += a0 * b1;
          c10 += a1 * b0;
          c11 += a1 * b1;
          c20 += a2 * b0;
          c21 += a2 * b1;
          c30 += a3 * b0;
          c31 += a3 * b1;
        }
        double* o = Cp.data() + i0 * lda + j;
        store4(o, load4(o) + c00);
        store4(o + 4, load4(o + 4) + c01);
        store4(o + lda, load4(o + lda) + c10);
        store4(o + lda + 4, load4(o + lda + 4) + c11);
        store4(o + 2 * lda, load4(o + 2 * lda) + c20);
        store4(o + 2 * lda + 4, load4(o + 2 * lda + 4) + c21);
        store4(o + 3 * lda, load4(o + 3 * lda) + c30);
        store4(o + 3 * lda + 4, load4(o + 3 * lda + 4) + c31);
      }
    }
  }
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < D; ++j) out[i * D + j] = alpha * (i <= j ? Cp[i * lda + j] : Cp[j * lda + i]);
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

struct Key {
  double v;
  uint64_t k;
  int32_t i;
};

template <typename T>
Status copula_impl(const T* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                   const Control& ctl) {
  if (N < 3) return Status::Error(Code::INVALID_ARGUMENT, "samples (rows): must be >= 3 (got " + std::to_string(N) + ")");
  if (D < 1) return Status::Error(Code::INVALID_ARGUMENT, "variables (columns): must be >= 1");
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < D; ++c)
      if (!std::isfinite(static_cast<double>(X[r * D + c])))
        return Status::Error(Code::INVALID_DATA, "non-finite value (" + std::to_string(static_cast<double>(X[r * D + c])) +
                                                     ") at row " + std::to_string(r) + ", column " + std::to_string(c));
  const int64_t lda = (D + 7) / 8 * 8;
  std::vector<double> G(static_cast<size_t>(N * lda));
  std::vector<double> Gt(static_cast<size_t>(N * D));  // column-major scores (one column contiguous)
  // Twice the 0-based (mid-)rank h = 0..2N-2 indexes the normal scores: u = (h/2 + 1)/(N + 1).
  std::vector<double> score(static_cast<size_t>(2 * N - 1));
  for (int64_t h = 0; h < 2 * N - 1; ++h) score[h] = ndtri(static_cast<double>(h + 2) / static_cast<double>(2 * (N + 1)));
#pragma omp parallel
  {
    std::vector<Key> keys(static_cast<size_t>(N));
    std::vector<uint64_t> rk(std::is_same_v<T, float> ? static_cast<size_t>(N) : 0), tmp(rk.size());
#pragma omp for schedule(dynamic, 4)
    for (int64_t c = 0; c < D; ++c) {
      if constexpr (std::is_same_v<T, float>) {
        // float32: stable LSD radix sort on an order-preserving 32-bit key (ties stay in index
        // order), then random ties reordered by their hash within each run.
        for (int64_t i = 0; i < N; ++i) {
          float v = X[i * D + c];
          if (v == 0.0f) v = 0.0f;  // -0 == +0
          uint32_t b;
          std::memcpy(&b, &v, 4);
          b = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
          rk[i] = (static_cast<uint64_t>(b) << 32) | static_cast<uint64_t>(i);
        }
        for (int pass = 0; pass < 4; ++pass) {
          const int shift = 32 + 8 * pass;
          size_t cnt[257] = {0};
          for (int64_t i = 0; i < N; ++i) cnt[((rk[i] >> shift) & 255) + 1]++;
          for (int b = 0; b < 256; ++b) cnt[b + 1] += cnt[b];
          for (int64_t i = 0; i < N; ++i) tmp[cnt[(rk[i] >> shift) & 255]++] = rk[i];
          rk.swap(tmp);
        }
        for (int64_t i = 0; i < N; ++i) {
          const int32_t idx = static_cast<int32_t>(rk[i] & 0xFFFFFFFFu);
          keys[i] = {static_cast<double>(X[idx * D + c]), static_cast<uint64_t>(idx), idx};
        }
        if (ties == TiePolicy::Random) {
          int64_t a = 0;
          while (a < N) {
            int64_t b = a + 1;
            while (b < N && keys[b].v == keys[a].v) ++b;
            if (b - a > 1) {
              for (int64_t t = a; t < b; ++t)
                keys[t].k = splitmix64(seed ^ splitmix64(static_cast<uint64_t>(c) * 0x100000001B3ULL + static_cast<uint64_t>(keys[t].i)));
              std::sort(keys.begin() + a, keys.begin() + b, [](const Key& x, const Key& y) { return x.k < y.k; });
            }
            a = b;
          }
        }
      } else {
      for (int64_t i = 0; i < N; ++i) {
        uint64_t k = ties == TiePolicy::Random ? splitmix64(seed ^ splitmix64(static_cast<uint64_t>(c) * 0x100000001B3ULL + static_cast<uint64_t>(i)))
                                               : static_cast<uint64_t>(i);
        keys[i] = {static_cast<double>(X[i * D + c]), k, static_cast<int32_t>(i)};
      }
      std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.v < b.v || (a.v == b.v && a.k < b.k); });
      }
      double* gc = Gt.data() + c * N;
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
  linalg::syrk_tn(G.data(), N, D, lda, 1.0 / static_cast<double>(N - 1), cov, 0);
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
  return copula_impl(X, N, D, ties, seed, cov, ctl);
}
Status copula_covariance(const double* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed, double* cov,
                         const Control& ctl) {
  return copula_impl(X, N, D, ties, seed, cov, ctl);
}

}  // namespace grokinfo
