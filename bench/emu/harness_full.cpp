#include <cuda_runtime.h>
#include "cuda_util.cuh"
namespace grokinfo::cu {
#include "cu_dev.inc"
}
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
EmuBlock g_emu;
#include "oinfo_full.inc"
#include <cstdio>
#include <random>
#include <atomic>
#include <thread>
using namespace grokinfo;
static std::mt19937_64 rng(2024);
static double gauss() { static std::normal_distribution<double> n(0, 1); return n(rng); }
static int fails = 0;
static std::vector<double> random_cov(int D, int N = 400, int k = 4) {
  std::vector<double> mix(D * k), X(N * D), C(D * D, 0.0), mean(D, 0.0);
  for (auto& m : mix) m = gauss();
  for (int n = 0; n < N; ++n) { double z[8]; for (int q = 0; q < k; ++q) z[q] = gauss();
    for (int d = 0; d < D; ++d) { double s = gauss(); for (int q = 0; q < k; ++q) s += mix[d * k + q] * z[q]; X[n * D + d] = s; } }
  for (int n = 0; n < N; ++n) for (int d = 0; d < D; ++d) mean[d] += X[n * D + d] / N;
  for (int n = 0; n < N; ++n) for (int i = 0; i < D; ++i) for (int j = 0; j < D; ++j) C[i * D + j] += (X[n * D + i] - mean[i]) * (X[n * D + j] - mean[j]) / (N - 1);
  return C;
}
static double rel(double a, double b) { return a == b ? 0 : fabs(a - b) / std::max({fabs(a), fabs(b), 1e-300}); }
static void cmp(const char* name, const std::vector<OInfoResult>& A, const std::vector<OInfoResult>& B, double tol) {
  double worst = 0; int mm = 0, cm = 0, zeros = 0;
  auto m = [&](const Multiplet& x, const Multiplet& y) { if (std::isnan(x.value) && std::isnan(y.value)) return;
    if (fabs(x.value) < 1e-11 && fabs(y.value) < 1e-11) { ++zeros; return; }  // identically-zero Omega (2 variables / 2 groups): rounding noise
    worst = std::max(worst, rel(x.value, y.value)); if (x.members != y.members) { ++mm; if (getenv("DBG")) printf("   %.17g vs %.17g\n", x.value, y.value); } };
  for (size_t b = 0; b < A.size(); ++b) {
    cm += A[b].count != B[b].count; m(A[b].min, B[b].min); m(A[b].max, B[b].max);
    cm += A[b].by_size.size() != B[b].by_size.size();
    for (size_t s = 0; s < std::min(A[b].by_size.size(), B[b].by_size.size()); ++s) { cm += A[b].by_size[s].count != B[b].by_size[s].count; m(A[b].by_size[s].min, B[b].by_size[s].min); m(A[b].by_size[s].max, B[b].by_size[s].max); }
    cm += A[b].top_synergy.size() != B[b].top_synergy.size(); cm += A[b].top_redundancy.size() != B[b].top_redundancy.size();
    for (size_t i = 0; i < std::min(A[b].top_synergy.size(), B[b].top_synergy.size()); ++i) m(A[b].top_synergy[i], B[b].top_synergy[i]);
    for (size_t i = 0; i < std::min(A[b].top_redundancy.size(), B[b].top_redundancy.size()); ++i) m(A[b].top_redundancy[i], B[b].top_redundancy[i]);
  }
  bool ok = worst <= tol && mm == 0 && cm == 0; fails += !ok;
  printf("%s  %s: max rel %.2e, member mismatches %d, count mismatches %d (zero-valued skipped %d)\n", ok ? "PASS" : "FAIL", name, worst, mm, cm, zeros);
}
static Units make_units(const std::vector<int>& sizes, int D) {
  std::vector<int> perm(D); for (int i = 0; i < D; ++i) perm[i] = i; std::shuffle(perm.begin(), perm.end(), rng);
  Units u; u.count = sizes.size(); u.offsets.assign(sizes.size() + 1, 0);
  for (size_t i = 0; i < sizes.size(); ++i) u.offsets[i + 1] = u.offsets[i] + sizes[i];
  u.members.assign(perm.begin(), perm.begin() + u.offsets.back());
  for (size_t i = 0; i < sizes.size(); ++i) std::sort(u.members.begin() + u.offsets[i], u.members.begin() + u.offsets[i + 1]);
  return u;
}
static void run_oinfo(const char* name, int D, const std::vector<int>& sizes, OInfoOptions o, int batch) {
  std::vector<double> cov; for (int b = 0; b < batch; ++b) { auto c = random_cov(D, std::max(3 * D, 200)); cov.insert(cov.end(), c.begin(), c.end()); }
  Units u = make_units(sizes, D);
  std::vector<OInfoResult> rc, rg;
  Status a = oinfo_multiplets(Backend::CPU, cov.data(), batch, D, u, o, rc);
  Status b = oinfo_multiplets_cuda(cov.data(), batch, D, u, o, rg, Control());
  if (!a.ok() || !b.ok()) { printf("FAIL %s: %s / %s\n", name, a.message.c_str(), b.message.c_str()); ++fails; return; }
  cmp(name, rc, rg, 1e-9);
}
int main() {
  if (getenv("P1")) {  // P1=<tie policy: 0 average, 1 random, 2 ordinal>: one paper-size checkpoint
    const int N = 3763, H = 250; std::vector<float> Z(N * H); std::vector<double> mix(H * 6); for (auto& m : mix) m = gauss();
    for (int n = 0; n < N; ++n) { double z[6]; for (auto& q : z) q = gauss(); for (int h = 0; h < H; ++h) { double s = 0.3 * gauss() + 0.2; for (int q = 0; q < 6; ++q) s += mix[h * 6 + q] * z[q]; Z[n * H + h] = h < 10 ? 0.f : (float)std::max(0.0, s); } }
    MeasureOptions mo; mo.bins = 10; mo.top_k = 5; mo.ties = (TiePolicy)atoi(getenv("P1"));
    std::vector<MeasureResult> mc, mg;
    Status a = measure_checkpoints(Backend::CPU, Z.data(), 1, N, H, mo, mc), b = measure_checkpoints_cuda(Z.data(), 1, N, H, mo, mg, Control());
    if (!a.ok() || !b.ok()) { printf("FAIL P1: %s / %s\n", a.message.c_str(), b.message.c_str()); return 1; }
    const bool lok = mc[0].labels == mg[0].labels && mc[0].dead == mg[0].dead; fails += !lok;
    printf("%s  P1 labels equal %d, dead %d/%d\n", lok ? "PASS" : "FAIL", mc[0].labels == mg[0].labels, mc[0].dead, mg[0].dead);
    cmp("P1 3763 x 250, 10 bins", {mc[0].oinfo}, {mg[0].oinfo}, 1e-9);
    printf("%s (%d failures)\n", fails ? "FAILED" : "ALL OK", fails);
    return fails != 0;
  }
  auto singles = [](int D) { return std::vector<int>(D, 1); };
  if (getenv("GPANELS")) {  // union of 450 > 416 variables: the host path chooses global-memory panels
    OInfoOptions o; o.min_size = 2; o.max_size = 3; o.top_k = 3;
    run_oinfo("bins units [200, 150, 100] sizes 2..3 (global-memory panels)", 450, {200, 150, 100}, o, 1);
    printf("%s (%d failures)\n", fails ? "FAILED" : "ALL OK", fails);
    return fails != 0;
  }
  { OInfoOptions o; o.min_size = 2; o.max_size = 3; o.top_k = 30; run_oinfo("vars D=6 sizes 2..3 top 30 (fewer chunks than k)", 6, singles(6), o, 1); }
  { OInfoOptions o; o.min_size = 3; o.max_size = 4; o.top_k = 30; run_oinfo("vars D=7 sizes 3..4 top 30 (fewer chunks than k)", 7, singles(7), o, 1); }
  { OInfoOptions o; o.min_size = 3; o.max_size = 3; o.top_k = 20; run_oinfo("vars D=8 size 3 top 20 (7 chunks)", 8, singles(8), o, 1); }
  { OInfoOptions o; o.min_size = 4; o.max_size = 4; o.top_k = 40; run_oinfo("vars D=9 size 4 top 40 (16 chunks)", 9, singles(9), o, 1); }
  { OInfoOptions o; o.min_size = 2; o.max_size = 3; o.top_k = 200; run_oinfo("vars D=6 sizes 2..3 top 200 (k > count)", 6, singles(6), o, 1); }
  { OInfoOptions o; o.min_size = 3; o.max_size = 5; o.top_k = 7; o.scale = 1 / M_LN2; o.bias_samples = 300; run_oinfo("vars D=10 sizes 3..5 top 7 bits+bias", 10, singles(10), o, 2); }
  { OInfoOptions o; o.min_size = 9; o.max_size = 10; o.top_k = 3; run_oinfo("vars D=11 sizes 9..10", 11, singles(11), o, 1); }
  { OInfoOptions o; o.min_size = 2; o.max_size = 4; o.top_k = 5; run_oinfo("bins 5 units sizes 2..4", 60, {3, 33, 5, 1, 12}, o, 2); }
  { OInfoOptions o; o.min_size = 2; o.max_size = 4; o.top_k = 5; o.grouped = true; o.bias_samples = 500; run_oinfo("grouped 5 units sizes 2..4 bias", 30, {1, 2, 3, 4, 5}, o, 1); }
  // measure
  for (int ties = 0; ties < 3; ++ties) {
    const int batch = 3, N = 300, H = 20;
    std::vector<float> Z(batch * N * H);
    std::vector<double> mix(H * 5);
    for (int b = 0; b < batch; ++b) { for (auto& m : mix) m = gauss();
      for (int n = 0; n < N; ++n) { double z[5]; for (auto& q : z) q = gauss();
        for (int h = 0; h < H; ++h) { double s = 0.3 * gauss() + 0.2; for (int q = 0; q < 5; ++q) s += mix[h * 5 + q] * z[q];
          int dead = b == 1 ? 18 : (b == 2 ? 5 : 2);  // checkpoint 1: 2 alive (bins 2), checkpoint 2: 15 alive
          Z[(b * N + n) * H + h] = h < dead ? 0.f : (float)std::max(0.0, s); } } }
    MeasureOptions mo; mo.bins = 4; mo.ties = (TiePolicy)ties; mo.seed = 5; mo.top_k = 3;
    std::vector<MeasureResult> mc, mg;
    Status a = measure_checkpoints(Backend::CPU, Z.data(), batch, N, H, mo, mc);
    Status b = measure_checkpoints_cuda(Z.data(), batch, N, H, mo, mg, Control());
    if (!a.ok() || !b.ok()) { printf("FAIL measure: %s / %s\n", a.message.c_str(), b.message.c_str()); ++fails; continue; }
    int lab = 0, dd = 0; std::vector<OInfoResult> oc, og;
    for (int i = 0; i < batch; ++i) { lab += mc[i].labels != mg[i].labels; dd += mc[i].dead != mg[i].dead; oc.push_back(mc[i].oinfo); og.push_back(mg[i].oinfo); }
    printf("%s  measure ties=%d labels mismatches %d dead mismatches %d\n", lab || dd ? "FAIL" : "PASS", ties, lab, dd); fails += lab || dd;
    cmp("measure oinfo", oc, og, 1e-9);
  }

  // singular inputs: both backends INVALID_DATA
  {
    const int D = 12; auto C = random_cov(D); for (int j = 0; j < D; ++j) { C[9 * D + j] = C[8 * D + j]; C[j * D + 9] = C[j * D + 8]; } C[9 * D + 9] = C[8 * D + 8];
    std::vector<OInfoResult> r1, r2; OInfoOptions o; o.min_size = 2; o.max_size = 3;
    Units sv; sv.count = D; for (int i = 0; i <= D; ++i) sv.offsets.push_back(i); for (int i = 0; i < D; ++i) sv.members.push_back(i);
    Status a = oinfo_multiplets(Backend::CPU, C.data(), 1, D, sv, o, r1), b = oinfo_multiplets_cuda(C.data(), 1, D, sv, o, r2, Control());
    printf("%s  singular vars: %s | %s\n", a.code == Code::INVALID_DATA && b.code == Code::INVALID_DATA ? "PASS" : "FAIL", a.message.c_str(), b.message.c_str());
    fails += !(a.code == Code::INVALID_DATA && b.code == Code::INVALID_DATA);
    Units ub; ub.count = 4; ub.offsets = {0, 3, 6, 9, 12}; ub.members = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    o.max_size = 4; a = oinfo_multiplets(Backend::CPU, C.data(), 1, D, ub, o, r1); b = oinfo_multiplets_cuda(C.data(), 1, D, ub, o, r2, Control());
    printf("%s  singular bins: %s | %s\n", a.code == Code::INVALID_DATA && b.code == Code::INVALID_DATA ? "PASS" : "FAIL", a.message.c_str(), b.message.c_str());
    fails += !(a.code == Code::INVALID_DATA && b.code == Code::INVALID_DATA);
    const int N = 200, H = 8; std::vector<float> Z(2 * N * H); for (auto& z : Z) z = (float)std::max(0.0, gauss());
    for (int n = 0; n < N; ++n) Z[(N + n) * H + 5] = Z[(N + n) * H + 4];  // checkpoint 1: duplicate neuron
    MeasureOptions mo; mo.bins = 3; std::vector<MeasureResult> m1, m2;
    a = measure_checkpoints(Backend::CPU, Z.data(), 2, N, H, mo, m1); b = measure_checkpoints_cuda(Z.data(), 2, N, H, mo, m2, Control());
    printf("%s  singular measure: %s | %s\n", a.code == Code::INVALID_DATA && b.code == Code::INVALID_DATA ? "PASS" : "FAIL", a.message.c_str(), b.message.c_str());
    fails += !(a.code == Code::INVALID_DATA && b.code == Code::INVALID_DATA);
  }
  // bounded launches (oinfo_cuda_lattice.cu): the planner's counts against brute force, results that do
  // not depend on the launch size, progress that reaches the total, a cancel honoured between launches
  {
    using namespace grokinfo::oinfo_cuda;
    int bad = 0;
    for (u64 total : {1ull, 7ull, 64ull, 1000ull})
      for (u64 per : {1ull, 3ull, 8ull, 13ull})
        for (u64 step : {1ull, 2ull, 5ull, 100ull}) {
          u64 sum = 0;  // subset i lies in chunk i / per at offset i % per
          for (u64 s0 = 0; s0 < per; s0 += step) {
            const u64 s1 = std::min(per, s0 + step);
            u64 brute = 0;
            for (u64 i = 0; i < total; ++i) brute += i % per >= s0 && i % per < s1;
            bad += slice_subsets(total, per, s0, s1) != brute;
            sum += brute;
          }
          bad += sum != total;
        }
    printf("%s  slice_subsets vs brute force (%d mismatches)\n", bad ? "FAIL" : "PASS", bad);
    fails += bad != 0;
  }
  setenv("GROKINFO_CUDA_SLICE", "5", 1);  // 5 multiplets (var) / lattice nodes (units) per launch
  { OInfoOptions o; o.min_size = 2; o.max_size = 3; o.top_k = 30; run_oinfo("sliced: vars D=6 sizes 2..3 top 30", 6, singles(6), o, 1); }
  { OInfoOptions o; o.min_size = 3; o.max_size = 5; o.top_k = 7; o.scale = 1 / M_LN2; o.bias_samples = 300; run_oinfo("sliced: vars D=10 sizes 3..5 top 7 bits+bias", 10, singles(10), o, 2); }
  { OInfoOptions o; o.min_size = 2; o.max_size = 4; o.top_k = 5; run_oinfo("sliced: bins 5 units sizes 2..4", 60, {3, 33, 5, 1, 12}, o, 2); }
  { OInfoOptions o; o.min_size = 2; o.max_size = 4; o.top_k = 5; o.grouped = true; run_oinfo("sliced: grouped 5 units sizes 2..4", 30, {1, 2, 3, 4, 5}, o, 1); }
  {
    const int D = 10; auto C = random_cov(D);
    Units sv; sv.count = D; for (int i = 0; i <= D; ++i) sv.offsets.push_back(i); for (int i = 0; i < D; ++i) sv.members.push_back(i);
    OInfoOptions o; o.min_size = 2; o.max_size = 5;
    std::vector<OInfoResult> r;
    double blk[4] = {0, 0, 0, 0};
    Status a = oinfo_multiplets_cuda(C.data(), 1, D, sv, o, r, Control(blk));
    const bool pok = a.ok() && blk[2] == 627 && blk[1] == blk[2];  // C(10,2..5) = 45 + 120 + 210 + 252
    printf("%s  sliced progress: done %g of %g (%s)\n", pok ? "PASS" : "FAIL", blk[1], blk[2], a.message.c_str());
    fails += !pok;
    double cb[4] = {0, 0, 0, 0};
    std::atomic<bool> stop{false};
    std::thread watcher([&] {  // cancels as soon as the first launch has reported progress
      while (!stop.load()) {
        double d; __atomic_load(&cb[1], &d, __ATOMIC_RELAXED);
        if (d > 0) { double one = 1; __atomic_store(&cb[0], &one, __ATOMIC_RELAXED); return; }
        std::this_thread::yield();
      }
    });
    Status b = oinfo_multiplets_cuda(C.data(), 1, D, sv, o, r, Control(cb));
    stop = true;
    watcher.join();
    const bool cok = b.code == Code::CANCELLED && cb[1] > 0 && cb[1] < cb[2];
    printf("%s  sliced cancel: %s after %g of %g multiplets\n", cok ? "PASS" : "FAIL", b.message.c_str(), cb[1], cb[2]);
    fails += !cok;
  }
  unsetenv("GROKINFO_CUDA_SLICE");
  printf("%s (%d failures)\n", fails ? "FAILED" : "ALL OK", fails);
  return fails != 0;
}
