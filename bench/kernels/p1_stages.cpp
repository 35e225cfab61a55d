// Stage breakdown of the P1 measurement (3763 x 250 ReLU-like float32, Ward 10 bins, 1013 unions) on
// the CPU engine, one process, no Node: the same data generator as `grokinfo bench` (src/commands/
// bench.ts reluCase, seed 2408; the JS and C math libraries may differ in the last bits, so the data are
// the same up to rounding), then per stage (dead-column scan + compaction, Ward = float64 Gram + chain,
// copula = ranks + scores + covariance syrk, lattice = 1013 unions) and the whole OInfoEngine::measure,
// each a median of --repeats calls on warm scratch. Build and run (see BENCHMARKS.md):
//   g++ -std=c++20 -O3 -march=x86-64-v3 -ffp-contract=fast -fno-math-errno -fopenmp -Inative \
//     bench/kernels/p1_stages.cpp native/{copula,clustering,oinfo,oinfo_cpu,kernels,measures}.cpp \
//     <per-ISA kernels_*.cpp objects> -o /tmp/p1_stages && /tmp/p1_stages 15
// (bench/kernels/p1_stages.sh does exactly this with the per-ISA flags of CMakeLists.txt.)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cstring>
#include <ctime>
#include <vector>

#include "kernels.h"
#include "oinfo.h"
#include "oinfo_cpu.h"

using namespace grokinfo;

namespace {

struct Normals {
  uint32_t a;
  double u() {
    a += 0x6d2b79f5u;
    uint32_t t = a;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return (static_cast<double>(t ^ (t >> 14)) + 0.5) / 4294967296.0;
  }
  double operator()() {
    double r = std::sqrt(-2 * std::log(u()));
    return r * std::cos(2 * M_PI * u());
  }
};

std::vector<float> relu_case(int rows, int cols, uint32_t seed) {
  Normals z{seed};
  const int rank = 8;
  std::vector<double> W(cols * rank), bias(cols);
  for (auto& w : W) w = z();
  for (auto& b : bias) b = -0.5 + 0.5 * z();
  std::vector<float> out(static_cast<size_t>(rows) * cols);
  std::vector<double> f(rank);
  for (int t = 0; t < rows; ++t) {
    const int comp = t % 4;
    for (int k = 0; k < rank; ++k) f[k] = z() + (k % 4 == comp ? 1.5 : 0);
    for (int j = 0; j < cols; ++j) {
      double s = bias[j] + 0.3 * z();
      for (int k = 0; k < rank; ++k) s += W[j * rank + k] * f[k] * 0.4;
      out[static_cast<size_t>(t) * cols + j] = static_cast<float>(std::max(0.0, s));
    }
  }
  return out;
}

// CPU_TIME=1: process CPU time (user + system of all threads) instead of wall time; on a loaded machine
// the CPU time of a 1-thread run (OMP_NUM_THREADS=1) is the steadier figure.
double now_ms() {
  static const bool cpu = std::getenv("CPU_TIME") && std::getenv("CPU_TIME")[0] == '1';
  if (cpu) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void die(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 11;
  const int N = 3763, H = 250, bins = 10;
  std::vector<float> Z = relu_case(N, H, 2408);
  std::printf("kernels: %s, threads: %d\n", kernels::isa_name(kernels::active_isa()), omp_get_max_threads());

  // Dead columns and the compact alive copy (as bins_stage does).
  std::vector<uint8_t> alive(H, 0);
  std::vector<int32_t> idx;
  std::vector<float> Xa;
  cpu::WardScratch wws;
  cpu::CopulaScratch cws;
  std::vector<int32_t> labels(H);
  std::vector<double> cov;
  Units un;
  std::vector<OInfoResult> res;
  auto* es = cpu::new_scratch();
  OInfoEngine eng;
  std::vector<MeasureResult> mres;
  MeasureOptions mo;
  mo.bins = bins;
  mo.scale = 1.0 / std::log(2.0);
  mo.top_k = 0;
  // TIES=random|ordinal (default average) and F64=1 (the copula of a float64 copy) for bitwise checks.
  const char* tenv = std::getenv("TIES");
  const TiePolicy ties = tenv && std::string(tenv) == "random"    ? TiePolicy::Random
                         : tenv && std::string(tenv) == "ordinal" ? TiePolicy::Ordinal
                                                                  : TiePolicy::Average;
  mo.ties = ties;
  mo.seed = 7;
  const bool f64 = std::getenv("F64") && std::getenv("F64")[0] == '1';
  std::vector<double> Xa64;

  std::vector<double> tdead, tward, tcop, tlat, ttot;
  for (int r = 0; r <= repeats; ++r) {
    double t0 = now_ms();
    idx.clear();
    for (int h = 0; h < H; ++h) {
      alive[h] = 0;
      for (int t = 1; t < N; ++t)
        if (Z[static_cast<size_t>(t) * H + h] != Z[h]) {
          alive[h] = 1;
          break;
        }
      if (alive[h]) idx.push_back(h);
    }
    const int A = static_cast<int>(idx.size());
    Xa.resize(static_cast<size_t>(N) * A);
    for (int t = 0; t < N; ++t)
      for (int j = 0; j < A; ++j) Xa[static_cast<size_t>(t) * A + j] = Z[static_cast<size_t>(t) * H + idx[j]];
    double t1 = now_ms();
    die(cpu::ward_cluster(Z.data(), N, H, alive.data(), bins, labels.data(), Control(), wws, 0));
    double t2 = now_ms();
    cov.resize(static_cast<size_t>(A) * A);
    if (f64) {
      Xa64.assign(Xa.begin(), Xa.end());
      die(cpu::copula_covariance(Xa64.data(), N, A, ties, mo.seed, cov.data(), Control(), cws, 0));
    } else {
      die(cpu::copula_covariance(Xa.data(), N, A, ties, mo.seed, cov.data(), Control(), cws, 0));
    }
    double t3 = now_ms();
    un.count = bins;
    un.offsets.assign(bins + 1, 0);
    for (int j = 0; j < A; ++j) un.offsets[labels[idx[j]] + 1]++;
    for (int u = 0; u < bins; ++u) un.offsets[u + 1] += un.offsets[u];
    un.members.resize(A);
    std::vector<int32_t> fill(un.offsets.begin(), un.offsets.end() - 1);
    for (int j = 0; j < A; ++j) un.members[fill[labels[idx[j]]]++] = j;
    OInfoOptions oo;
    oo.min_size = 2;
    oo.max_size = bins;
    oo.scale = mo.scale;
    die(cpu::oinfo_multiplets(*es, cov.data(), 1, A, un, oo, res, Control()));
    double t4 = now_ms();
    die(eng.measure(Z.data(), 1, N, H, mo, mres));
    double t5 = now_ms();
    if (r == 0) {
      // Bit fingerprints of the covariance and of every by-size extreme (to compare builds bitwise).
      uint64_t hc = 1469598103934665603ull, hv = hc;
      for (double v : cov) {
        uint64_t b;
        std::memcpy(&b, &v, 8);
        hc = (hc ^ b) * 1099511628211ull;
      }
      for (const auto& e : mres[0].oinfo.by_size)
        for (double v : {e.min.value, e.max.value}) {
          uint64_t b;
          std::memcpy(&b, &v, 8);
          hv = (hv ^ b) * 1099511628211ull;
        }
      std::printf("fingerprints: covariance %016llx, extremes %016llx\n", static_cast<unsigned long long>(hc),
                  static_cast<unsigned long long>(hv));
      // EXTREMES=1: every per-size extreme in full (to compare two builds' values, not only their bits).
      if (std::getenv("EXTREMES"))
        for (const auto& e : mres[0].oinfo.by_size) std::printf("size %d: min %.17g max %.17g\n", e.size, e.min.value, e.max.value);
      std::printf("alive %d, bins %d, multiplets %llu, min %.6f max %.6f (engine measure: min %.6f)\n", A, bins,
                  static_cast<unsigned long long>(res[0].count), res[0].min.value, res[0].max.value, mres[0].oinfo.min.value);
      continue;  // warm-up
    }
    tdead.push_back(t1 - t0);
    tward.push_back(t2 - t1);
    tcop.push_back(t3 - t2);
    tlat.push_back(t4 - t3);
    ttot.push_back(t5 - t4);
  }
  std::printf("median of %d (ms): dead+compact %.2f  ward %.2f  copula %.2f  lattice %.2f  | sum %.2f | measure() %.2f (min %.2f)\n",
              repeats, median(tdead), median(tward), median(tcop), median(tlat),
              median(tdead) + median(tward) + median(tcop) + median(tlat), median(ttot),
              *std::min_element(ttot.begin(), ttot.end()));
  cpu::delete_scratch(es);
  return 0;
}
