// Host SIMT emulation of the oinfo_cuda*.cu kernels vs direct references (desk review, no GPU).
#include <cuda_runtime.h>
#include "cuda_util.cuh"
namespace grokinfo::cu {
#include "cu_dev.inc"
}
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
EmuBlock g_emu;
#include "oinfo_kernels.inc"
#include <cstdio>
#include <random>
#include <algorithm>
#include <map>
using namespace grokinfo;
using namespace grokinfo::oinfo_cuda;
using u64 = unsigned long long;
static std::mt19937_64 rng(12345);
static double gauss() { static std::normal_distribution<double> n(0, 1); return n(rng); }
static std::vector<double> random_cov(int D, int N = 400, int k = 4) {
  std::vector<double> mix(D * k), X(N * D), C(D * D, 0.0), mean(D, 0.0);
  for (auto& m : mix) m = gauss();
  for (int n = 0; n < N; ++n) { double z[8]; for (int q = 0; q < k; ++q) z[q] = gauss();
    for (int d = 0; d < D; ++d) { double s = gauss(); for (int q = 0; q < k; ++q) s += mix[d * k + q] * z[q]; X[n * D + d] = s; } }
  for (int n = 0; n < N; ++n) for (int d = 0; d < D; ++d) mean[d] += X[n * D + d] / N;
  for (int n = 0; n < N; ++n) for (int i = 0; i < D; ++i) for (int j = 0; j < D; ++j) C[i * D + j] += (X[n * D + i] - mean[i]) * (X[n * D + j] - mean[j]) / (N - 1);
  return C;
}
// Cholesky-based: returns ln|C_S| and fills diag of inverse
static double logdet_inv(const std::vector<double>& C, int D, const std::vector<int>& S, std::vector<double>* pdiag) {
  int n = S.size(); std::vector<double> L(n * n, 0.0);
  for (int i = 0; i < n; ++i) for (int j = 0; j <= i; ++j) {
    double s = C[S[i] * D + S[j]]; for (int k = 0; k < j; ++k) s -= L[i * n + k] * L[j * n + k];
    L[i * n + j] = i == j ? sqrt(s) : s / L[j * n + j]; }
  double ld = 0; for (int i = 0; i < n; ++i) ld += 2 * log(L[i * n + i]);
  if (pdiag) { // inverse of L, then P = Li^T Li
    std::vector<double> Li(n * n, 0.0);
    for (int c = 0; c < n; ++c) for (int r = c; r < n; ++r) { double x = r == c ? 1 : 0; for (int q = c; q < r; ++q) x -= L[r * n + q] * Li[q * n + c]; Li[r * n + c] = x / L[r * n + r]; }
    pdiag->assign(n, 0); for (int j = 0; j < n; ++j) for (int i = j; i < n; ++i) (*pdiag)[j] += Li[i * n + j] * Li[i * n + j]; }
  return ld;
}
static double omega(const std::vector<double>& C, int D, const std::vector<int>& S) {
  std::vector<double> pd; double ld = logdet_inv(C, D, S, &pd);
  double v = -ld; for (size_t j = 0; j < S.size(); ++j) v += 0.5 * log(C[S[j] * D + S[j]]) - 0.5 * log(pd[j]);
  return v;
}
static int fails = 0;
static void expect(bool ok, const char* what, double a = 0, double b = 0) { if (!ok) { ++fails; if (fails < 30) printf("FAIL %s  %.17g vs %.17g\n", what, a, b); } }

// ---------------------------------------------------------------- var_kernel
// Two launches, as the host's bounded launches make them: subsets [0, half) of every chunk, then [half, per)
// (the second continues each chunk's extremes from the first).
template <int KT> void run_var_chunks(VarParams& p, int64_t nchunks) {
  const u64 per = p.per, half = (per + 1) / 2;
  for (u64 s0 : {u64(0), half}) {
    p.s0 = s0; p.s1 = s0 == 0 ? half : per;
    for (int64_t c = 0; c < nchunks; ++c) { blockIdx = dim3(c / 128); threadIdx = dim3(c % 128); blockDim = dim3(128); var_kernel<KT>(p); }
  }
  p.s0 = 0; p.s1 = per;
}
static void test_var(int U, int mind, int maxd, u64 perforce) {
  const int D = U; auto C = random_cov(D);
  std::vector<u64> binom((U + 1) * kBinomCols), pre(maxd * (U + 1));
  for (int n = 0; n <= U; ++n) for (int k = 0; k < kBinomCols; ++k) binom[n * kBinomCols + k] = detail::binom(n, k);
  for (int d = 0; d < maxd; ++d) { u64 acc = 0; for (int x = 0; x <= U; ++x) { pre[d * (U + 1) + x] = acc; if (x < U) acc += detail::lattice_subtree(U, maxd, d + 1, x); } }
  std::vector<int32_t> var(U); for (int u = 0; u < U; ++u) var[u] = u;
  std::vector<double> lnc(U); for (int u = 0; u < U; ++u) lnc[u] = log(C[u * D + u]);
  u64 err = kNoRank;
  for (int k = mind; k <= maxd; ++k) {
    VarParams p{}; p.C = C.data(); p.D = D; p.var = var.data(); p.lnc = lnc.data(); p.U = U; p.k = k; p.maxd = maxd;
    p.total = detail::binom(U, k); p.per = perforce; p.nchunks = (p.total + p.per - 1) / p.per; p.s0 = 0; p.s1 = p.per;
    p.binom = binom.data(); p.pre = pre.data(); p.offset = 0.1 * k; p.scale = 1.5; p.err_rank = &err;
    std::vector<double> tmv(p.nchunks), tMv(p.nchunks); std::vector<u64> tmr(p.nchunks), tMr(p.nchunks);
    p.tmin_v = tmv.data(); p.tmin_r = tmr.data(); p.tmax_v = tMv.data(); p.tmax_r = tMr.data();
    switch (k) { case 2: run_var_chunks<2>(p, p.nchunks); break; case 3: run_var_chunks<3>(p, p.nchunks); break;
      case 4: run_var_chunks<4>(p, p.nchunks); break; case 5: run_var_chunks<5>(p, p.nchunks); break;
      case 6: run_var_chunks<6>(p, p.nchunks); break; case 7: run_var_chunks<7>(p, p.nchunks); break;
      case 8: run_var_chunks<8>(p, p.nchunks); break; default: run_var_chunks<0>(p, p.nchunks); }
    expect(err == kNoRank, "var: unexpected singular");
    // brute force per chunk
    std::vector<double> allv; std::vector<u64> allr;
    for (int64_t ch = 0; ch < p.nchunks; ++ch) {
      double bmin = INFINITY, bmax = -INFINITY; u64 rmin = kNoRank, rmax = kNoRank;
      for (u64 r = ch * p.per; r < std::min<u64>(p.total, (ch + 1) * p.per); ++r) {
        std::vector<int> c(k); detail::comb_unrank_lex(r, k, U, c.data());
        double v = (omega(C, D, c) + p.offset) * p.scale; u64 pr = detail::lattice_rank(c.data(), k, U, maxd);
        allv.push_back(v); allr.push_back(pr);
        if (v < bmin || (v == bmin && pr < rmin)) { bmin = v; rmin = pr; }
        if (v > bmax || (v == bmax && pr < rmax)) { bmax = v; rmax = pr; }
      }
      expect(fabs(tmv[ch] - bmin) <= 1e-10 * std::max(1.0, fabs(bmin)), "var chunk min value", tmv[ch], bmin);
      expect(fabs(tMv[ch] - bmax) <= 1e-10 * std::max(1.0, fabs(bmax)), "var chunk max value", tMv[ch], bmax);
      if (tmr[ch] != rmin && getenv("DBG")) { printf("k=%d chunk %lld: kernel min %.17g r %llu  brute %.17g r %llu\n", k, (long long)ch, tmv[ch], tmr[ch], bmin, rmin);
        for (u64 r = ch * p.per; r < std::min<u64>(p.total, (ch + 1) * p.per); ++r) { std::vector<int> c(k); detail::comb_unrank_lex(r, k, U, c.data()); printf("   r%llu v=%.17g\n", (u64)detail::lattice_rank(c.data(), k, U, maxd), (omega(C, D, c) + p.offset) * p.scale); } }
      if (k > 2) expect(tmr[ch] == rmin, "var chunk min rank", tmr[ch], rmin);
      if (k > 2) expect(tMr[ch] == rmax, "var chunk max rank", tMr[ch], rmax);
    }
    // collect pass with a threshold at the median
    std::vector<double> sv = allv; std::sort(sv.begin(), sv.end()); const double thr = 0.5 * (sv[sv.size() / 2] + sv[sv.size() / 2 + 1]);
    std::vector<double> lo_v(allv.size() + 1), hi_v(allv.size() + 1); std::vector<u64> lo_r(allv.size() + 1), hi_r(allv.size() + 1); u64 cnt[2] = {0, 0};
    p.collect = 1; p.lo_v = thr; p.lo_r = kNoRank; p.hi_v = thr; p.hi_r = 0; p.clo_v = lo_v.data(); p.clo_r = lo_r.data(); p.clo_n = cnt;
    p.chi_v = hi_v.data(); p.chi_r = hi_r.data(); p.chi_n = cnt + 1; p.cap = allv.size() + 1;
    switch (k) { case 2: run_var_chunks<2>(p, p.nchunks); break; case 3: run_var_chunks<3>(p, p.nchunks); break;
      case 4: run_var_chunks<4>(p, p.nchunks); break; case 5: run_var_chunks<5>(p, p.nchunks); break;
      case 6: run_var_chunks<6>(p, p.nchunks); break; case 7: run_var_chunks<7>(p, p.nchunks); break;
      case 8: run_var_chunks<8>(p, p.nchunks); break; default: run_var_chunks<0>(p, p.nchunks); }
    u64 elo = 0, ehi = 0; for (size_t i = 0; i < allv.size(); ++i) { elo += allv[i] <= thr; ehi += allv[i] > thr || (allv[i] == thr && allr[i] <= 0); }
    if (k > 2) expect(cnt[0] == elo, "var collect lo count", cnt[0], elo);
    if (k > 2) expect(cnt[1] == ehi, "var collect hi count", cnt[1], ehi);
  }
  printf("var U=%d sizes %d..%d per=%llu done (fails so far %d)\n", U, mind, maxd, perforce, fails);
}

// ---------------------------------------------------------------- unit_kernel
static void test_units(const std::vector<int>& sizes, int maxd, bool grouped, bool gpan, int minsize = 2) {
  const int U = sizes.size(); int Dc = 0; for (int s : sizes) Dc += s;
  auto C = random_cov(Dc, std::max(400, 3 * Dc), 6);
  std::vector<int32_t> uoff(U + 1, 0); for (int u = 0; u < U; ++u) uoff[u + 1] = uoff[u] + sizes[u];
  std::vector<int> sz = sizes; std::sort(sz.rbegin(), sz.rend()); int nmax = 0; for (int i = 0; i < std::min(U, maxd); ++i) nmax += sz[i];
  const int nmaxp = (nmax + 31) & ~31; const int64_t ld = nmaxp, slot = (int64_t)(nmax + kPanel) * ld;
  std::vector<int32_t> tasks;
  for (int i = 0; i < U; ++i) { if (grouped) { tasks.push_back(0); tasks.push_back(i); tasks.push_back(-1); }
    for (int j = i + 1; j < U; ++j) { tasks.push_back(0); tasks.push_back(i); tasks.push_back(j); } }
  std::vector<double> scratch(slot, std::nan("")), gp(2 * nmaxp * kPanel, std::nan("")), out(1ull << U);
  memset(out.data(), 0xff, out.size() * 8);
  unsigned next = 0; u64 err = kNoRank;
  UnitParams up{}; up.C = C.data(); up.Dc = Dc; up.uoff = uoff.data(); up.cidx = nullptr; up.U = U; up.min_size = minsize; up.max_size = maxd;
  up.grouped = grouped; up.tasks = tasks.data(); up.ntasks = tasks.size() / 3; up.next_task = &next; up.scratch = scratch.data(); up.ld = ld; up.slot = slot;
  up.nmaxp = nmaxp; up.gpanels = gpan ? gp.data() : nullptr; up.out = out.data(); up.err = &err;
  const size_t smem_small = (2 * 32 * 33) * 8 + nmaxp * 4, smem_big = smem_small + 2 * nmaxp * kPanel * 8;
  // poison the dynamic smem
  g_emu.dyn.assign(gpan ? smem_small : smem_big, 0xff);
  emu_block(dim3(0), kUnitThreads, gpan ? smem_small : smem_big, [&] { unit_kernel(up); });
  expect(err == kNoRank, "units: unexpected singular");
  int checked = 0;
  for (u64 mask = 1; mask < (1ull << U); ++mask) {
    int pc = __builtin_popcountll(mask);
    if (pc > maxd) continue;
    bool need = grouped || pc >= minsize;
    if (!need) continue;
    std::vector<int> S; for (int u = 0; u < U; ++u) if (mask >> u & 1) for (int v = uoff[u]; v < uoff[u + 1]; ++v) S.push_back(v);
    double ref = grouped ? logdet_inv(C, Dc, S, nullptr) : omega(C, Dc, S);
    expect(fabs(out[mask] - ref) <= 1e-9 * std::max(1.0, fabs(ref)), grouped ? "units grouped ln|C_S|" : "units omega", out[mask], ref);
    ++checked;
  }
  printf("units sizes [");
  for (int s : sizes) printf("%d ", s);
  printf("] maxd %d grouped %d gpanels %d: %d nodes checked (fails so far %d)\n", maxd, grouped, gpan, checked, fails);
}

// ---------------------------------------------------------------- copula / gram / scan
static uint64_t sm64(uint64_t x) { x += 0x9E3779B97F4A7C15ULL; x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL; x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL; return x ^ (x >> 31); }
static void test_copula(int N, int H, int ties) {
  std::uniform_real_distribution<float> uf(-1, 1);
  std::vector<float> Z(N * H);
  for (int t = 0; t < N; ++t) for (int h = 0; h < H; ++h) {
    float v = uf(rng); int mode = (t * 7 + h) % 11;
    if (v < 0) v = (mode == 3) ? -0.0f : 0.0f;           // ReLU zeros, some -0
    if (mode == 5) v = 0.25f;                            // repeated positive value
    if (mode == 7 && h == 1) v = 1e-40f;                 // subnormal
    Z[t * H + h] = v; }
  std::vector<int32_t> alive_idx(H), dest(H); for (int h = 0; h < H; ++h) { alive_idx[h] = h; dest[h] = (h + 1) % H; }
  int nal = H; int npad = 1; while (npad < N) npad <<= 1; npad = std::max(npad, kCopulaThreads);
  std::vector<double> score(2 * N - 1); for (int h = 0; h < 2 * N - 1; ++h) score[h] = h + 0.37 * sin(h * 1.7);
  std::vector<double> G(N * H, std::nan(""));
  const uint64_t seed = 99;
  for (int j = 0; j < H; ++j)
    emu_block(dim3(j, 0), kCopulaThreads, npad * 20, [&] { copula_kernel(Z.data(), N, H, alive_idx.data(), dest.data(), H, &nal, ties, seed, score.data(), npad, G.data(), H, (int64_t)N * H); });
  // reference (CPU semantics)
  for (int j = 0; j < H; ++j) {
    struct K { double v; uint64_t k; int i; };
    std::vector<K> ks(N);
    for (int i = 0; i < N; ++i) { float f = Z[i * H + j]; if (f == 0.0f) f = 0.0f;
      ks[i] = {(double)f, ties == 1 ? sm64(seed ^ sm64((uint64_t)j * 0x100000001B3ULL + (uint64_t)i)) : (uint64_t)i, i}; }
    std::stable_sort(ks.begin(), ks.end(), [](const K& a, const K& b) { return a.v < b.v || (a.v == b.v && a.k < b.k); });
    std::vector<double> g(N); double sum = 0;
    if (ties == 0) { int a = 0; while (a < N) { int b = a + 1; while (b < N && ks[b].v == ks[a].v) ++b; for (int t = a; t < b; ++t) g[ks[t].i] = score[a + b - 1]; sum += score[a + b - 1] * (b - a); a = b; } }
    else for (int p = 0; p < N; ++p) { g[ks[p].i] = score[2 * p]; sum += score[2 * p]; }
    const double mean = sum / N;
    double worst = 0; for (int i = 0; i < N; ++i) worst = std::max(worst, fabs(G[i * H + dest[j]] - (g[i] - mean)));
    expect(worst < 1e-9, "copula column", worst, j);
  }
  printf("copula N=%d H=%d ties=%d done (fails so far %d)\n", N, H, ties, fails);
}
static void test_gram(int N, int n, int ld) {
  std::uniform_real_distribution<float> uf(-1, 1);
  std::vector<float> X(N * ld); for (auto& x : X) x = uf(rng);
  std::vector<int32_t> cols(n); for (int i = 0; i < n; ++i) cols[i] = (i * 5 + 2) % ld;
  int nc = n; std::vector<double> out(n * n, std::nan(""));
  const int gx = (n + 63) / 64;
  for (int by = 0; by < gx; ++by) for (int bx = 0; bx < gx; ++bx)
    emu_block(dim3(bx, by, 0), 256, 0, [&] { gram_kernel<float>(X.data(), ld, (int64_t)N * ld, cols.data(), n, &nc, N, 0.5, out.data(), n, (int64_t)n * n); });
  double worst = 0;
  for (int i = 0; i < n; ++i) for (int j = 0; j < n; ++j) { double s = 0; for (int t = 0; t < N; ++t) s += (double)X[t * ld + cols[i]] * X[t * ld + cols[j]];
    worst = std::max(worst, fabs(out[i * n + j] - 0.5 * s) / std::max(1.0, fabs(s))); }
  expect(worst < 1e-12, "gram", worst);
  printf("gram N=%d n=%d done (fails so far %d)\n", N, n, fails);
}
static void test_scan() {
  const int N = 50, H = 6; std::vector<float> Z(N * H, 1.0f);
  for (int t = 0; t < N; ++t) { Z[t * H + 0] = (t % 2) ? -0.0f : 0.0f; Z[t * H + 1] = (t == 7) ? 1e-40f : 0.0f; Z[t * H + 2] = 3.0f; Z[t * H + 3] = t; Z[t * H + 4] = 0; }
  Z[13 * H + 5] = NAN; Z[20 * H + 4] = INFINITY;
  std::vector<uint8_t> alive(H, 7); u64 bad = kNoRank;
  for (int h = 0; h < H; ++h) { blockIdx = dim3(0, 0); threadIdx = dim3(h); blockDim = dim3(128); scan_columns_kernel(Z.data(), N, H, alive.data(), &bad); }
  expect(alive[0] == 0 && alive[1] == 1 && alive[2] == 0 && alive[3] == 1, "scan alive flags", alive[0] * 1000 + alive[1] * 100 + alive[2] * 10 + alive[3]);
  expect(bad == 13 * H + 5, "scan first non-finite", bad, 13 * H + 5);
  printf("scan done (fails so far %d)\n", fails);
}
int main(int argc, char** argv) {
  test_scan();
  test_gram(37, 70, 90);
  test_gram(16, 64, 64);
  for (int t = 0; t < 3; ++t) test_copula(700, 3, t);
  for (int t = 0; t < 3; ++t) test_copula(3763, 2, t);
  test_copula(200, 2, 0);
  test_var(9, 2, 9, 3);
  test_var(11, 2, 4, 7);
  test_var(12, 9, 11, 5);
  test_units({3, 35, 5, 10}, 4, false, false);
  test_units({3, 35, 5, 10}, 3, false, true);
  test_units({1, 2, 33, 4, 64}, 5, true, false);
  test_units({7, 1, 1, 40, 2}, 4, false, false, 3);
  if (getenv("BIG")) { test_units({100, 120, 90}, 3, false, false); test_units({100, 120, 90}, 3, true, true); }
  printf("%s (%d failures)\n", fails ? "FAILED" : "ALL OK", fails);
  return fails != 0;
}
