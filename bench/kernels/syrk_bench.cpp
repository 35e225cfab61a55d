// Micro-benchmark of linalg::syrk_tn (out = alpha A^T A, the Ward Gram and the copula covariance) against
// the previous kernel (unpacked 4 x 8 blocks, kept here only as the baseline), on the shapes the engine
// uses. Checks: max relative error vs a plain triple-loop float64 reference, bitwise equality between 1
// and 2 threads (and 3). Timing: old and new interleaved in the same binary; median over the rounds of the
// wall time and of the thread CPU time (1 thread), and the wall time with 2 threads.
// GFLOP/s counts the useful flops of a syrk, N D (D + 1) (upper triangle, one multiply and one add each).
// Build and run:
//   g++ -std=c++20 -O3 -march=x86-64-v3 -ffp-contract=fast -fno-math-errno -fopenmp -Inative
//       bench/kernels/syrk_bench.cpp native/copula.cpp native/kernels*.cpp -o /tmp/syrk_bench && /tmp/syrk_bench [rounds]
#include <omp.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "oinfo_linalg.h"

using namespace grokinfo::linalg;

// The kernel before packing (native/copula.cpp at 838bd50), verbatim.
static void old_syrk_tn(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads) {
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

static double now_wall() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static double now_thread_cpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Shape {
  int64_t N, D;
};

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 11;
  utsname un;
  uname(&un);
  std::string cpu = "?";
  if (FILE* f = std::fopen("/proc/cpuinfo", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, f))
      if (!std::strncmp(line, "model name", 10)) {
        cpu = std::strchr(line, ':') + 2;
        cpu.pop_back();
        break;
      }
    std::fclose(f);
  }
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("machine: %s, %s %s, omp_get_max_threads %d, load average %.2f\n", cpu.c_str(), un.sysname, un.release,
              omp_get_max_threads(), load[0]);
  std::printf("rounds %d (old and new interleaved); medians; GFLOP/s = N D (D+1) / time\n\n", rounds);
  const Shape shapes[] = {{3763, 250}, {2000, 24}, {9409, 10}, {2000, 100}, {3763, 97}, {500, 250}, {37, 13}, {1, 5}, {3763, 128}, {3763, 64}, {3763, 200}, {3763, 60}, {1000, 256}, {200, 500}, {100, 251}};
  bool all_ok = true;
  std::printf("%6s %4s | %9s | %25s | %25s | %17s | %s\n", "N", "D", "maxrelerr", "1 thread CPU ms old/new (x)",
              "1 thread wall GF/s old/new", "2 thr wall GF/s", "bitwise 1=2=3 thr");
  for (const Shape& s : shapes) {
    const int64_t N = s.N, D = s.D, lda = (D + 7) / 8 * 8;
    std::mt19937_64 g(42 + N * 1000 + D);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<double> A(static_cast<size_t>(N * lda), 0.0);
    for (int64_t t = 0; t < N; ++t)
      for (int64_t j = 0; j < D; ++j) A[t * lda + j] = nd(g) + 0.3 * (j % 7);
    const double alpha = 1.0 / static_cast<double>(std::max<int64_t>(N - 1, 1));
    // Plain reference (long double accumulation so that it is the more accurate side).
    std::vector<double> ref(static_cast<size_t>(D * D)), scale(static_cast<size_t>(D * D));
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < D; ++j) {
        long double acc = 0, aabs = 0;
        for (int64_t t = 0; t < N; ++t) {
          acc += static_cast<long double>(A[t * lda + i]) * A[t * lda + j];
          aabs += std::fabs(static_cast<long double>(A[t * lda + i]) * A[t * lda + j]);
        }
        ref[i * D + j] = static_cast<double>(acc * alpha);
        scale[i * D + j] = static_cast<double>(aabs * alpha);
      }
    std::vector<double> o1(D * D), o2(D * D), o3(D * D), oo(D * D);
    syrk_tn(A.data(), N, D, lda, alpha, o1.data(), 1);
    syrk_tn(A.data(), N, D, lda, alpha, o2.data(), 2);
    syrk_tn(A.data(), N, D, lda, alpha, o3.data(), 3);
    old_syrk_tn(A.data(), N, D, lda, alpha, oo.data(), 1);
    double maxrel = 0, maxrel_old = 0;
    for (int64_t k = 0; k < D * D; ++k) {
      // relative to sum |a b| (the condition scale of a dot product), which is >= |ref|
      double sc = std::max(scale[k], 1e-300);
      maxrel = std::max(maxrel, std::fabs(o1[k] - ref[k]) / sc);
      maxrel_old = std::max(maxrel_old, std::fabs(oo[k] - ref[k]) / sc);
    }
    const bool bit = !std::memcmp(o1.data(), o2.data(), sizeof(double) * D * D) &&
                     !std::memcmp(o1.data(), o3.data(), sizeof(double) * D * D);
    bool sym = true;
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < D; ++j) sym = sym && o1[i * D + j] == o1[j * D + i];
    bool same_old = true;  // informational: the chunked order is the old kernel's (not required)
    for (int64_t k = 0; k < D * D; ++k) same_old = same_old && o1[k] == oo[k];
    const bool ok = bit && sym && maxrel < 1e-13;
    all_ok = all_ok && ok;
    // Timing: repeat each call enough to take >= ~20 ms per sample.
    const double flops = static_cast<double>(N) * D * (D + 1);
    int reps = std::max(1, static_cast<int>(2e7 / std::max(flops, 1.0) / 1.0));
    reps = std::min(reps, 20000);
    std::vector<double> cpu_old, cpu_new, wall_old, wall_new, w2_old, w2_new;
    auto time1 = [&](auto&& f, std::vector<double>& cpuv, std::vector<double>& wallv) {
      double w0 = now_wall(), c0 = now_thread_cpu();
      for (int r = 0; r < reps; ++r) f();
      double c1 = now_thread_cpu(), w1 = now_wall();
      cpuv.push_back((c1 - c0) / reps);
      wallv.push_back((w1 - w0) / reps);
    };
    std::vector<double> dummy;
    for (int r = 0; r < rounds; ++r) {
      time1([&] { old_syrk_tn(A.data(), N, D, lda, alpha, oo.data(), 1); }, cpu_old, wall_old);
      time1([&] { syrk_tn(A.data(), N, D, lda, alpha, o1.data(), 1); }, cpu_new, wall_new);
      time1([&] { old_syrk_tn(A.data(), N, D, lda, alpha, oo.data(), 2); }, dummy, w2_old);
      time1([&] { syrk_tn(A.data(), N, D, lda, alpha, o2.data(), 2); }, dummy, w2_new);
    }
    const double co = median(cpu_old), cn = median(cpu_new);
    std::printf("%6lld %4lld | %9.1e | %9.3f / %7.3f (%.2fx) | %10.1f / %6.1f (%.2fx) | %6.1f / %6.1f | %s%s  (old err %.1e%s)\n",
                static_cast<long long>(N), static_cast<long long>(D), maxrel, 1e3 * co, 1e3 * cn, co / cn,
                flops / median(wall_old) * 1e-9, flops / median(wall_new) * 1e-9, median(wall_old) / median(wall_new),
                flops / median(w2_old) * 1e-9, flops / median(w2_new) * 1e-9, bit ? "yes" : "NO",
                sym ? "" : " NOT SYMMETRIC", maxrel_old,
                same_old ? ", new == old" : ", new != old");
    std::fflush(stdout);
    // spread of the 1-thread CPU-time samples (min..max) as a noise indicator
    std::printf("%13s cpu ms spread old %.3f..%.3f new %.3f..%.3f; cpu GF/s old %.1f new %.1f\n", "",
                1e3 * *std::min_element(cpu_old.begin(), cpu_old.end()), 1e3 * *std::max_element(cpu_old.begin(), cpu_old.end()),
                1e3 * *std::min_element(cpu_new.begin(), cpu_new.end()), 1e3 * *std::max_element(cpu_new.begin(), cpu_new.end()),
                flops / co * 1e-9, flops / cn * 1e-9);
  }
  std::printf("\n%s\n", all_ok ? "all checks passed" : "CHECK FAILED");
  return all_ok ? 0 : 1;
}
