// Micro-benchmark of the training kernels at paper size (p = 97, hidden 250, 3763 training rows),
// single thread, on the kernel path GROKINFO_CPU_KERNELS names (default: the best this CPU runs). Build
// and run: bash bench/kernels/train_kernels.sh [portable] [avx2] [avx512] (the flags of CMakeLists.txt).
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "gemm.h"
#include "kernels.h"

using namespace grokinfo::gemm;

template <class F>
static double best_ms(F&& f, int reps = 20) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

int main() {
  const int64_t N = 3763, H = 250, C = 97, V = 97, P = panels(N);
  std::mt19937 g(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> W0(H * 2 * V), b0(H), W1(C * H), Hs(P * 16 * H), L(P * 16 * C), dW1(C * H), dW0(H * 2 * V),
      db0(H), ap(packed_a_floats(H, C) + packed_a_floats(C, H));
  std::vector<int32_t> ia(P * 16), ib(P * 16), y(P * 16);
  std::vector<double> loss(P * 16);
  std::vector<uint8_t> corr(P * 16);
  for (auto& x : W0) x = u(g);
  for (auto& x : W1) x = u(g) * 0.1f;
  for (int64_t i = 0; i < P * 16; i++) {
    ia[i] = g() % V;
    ib[i] = V + g() % V;
    y[i] = g() % C;
  }
  std::printf("kernels: %s\n", grokinfo::kernels::isa_name(grokinfo::kernels::active_isa()));
  const double gf = 2.0 * N * H * C * 1e-9;
  double t;
  const int64_t ldt = padded8(H);
  std::vector<float> WTv(2 * V * ldt + 16), dWTv(2 * V * ldt + 16);
  auto al = [](std::vector<float>& v) { return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(v.data()) + 63) & ~uintptr_t(63)); };
  float* WTp = al(WTv); float* dWTp = al(dWTv);
  t = best_ms([&] { transpose_pad(W0.data(), H, 2 * V, 2 * V, WTp, ldt); gather_relu(WTp, ldt, b0.data(), H, ia.data(), ib.data(), Hs.data(), 0, P); });
  std::printf("gather_relu        %7.3f ms\n", t);
  t = best_ms([&] { pack_a(W1.data(), H, 1, C, H, ap.data()); gemm_panels(ap.data(), C, H, Hs.data(), nullptr, false, L.data(), 0, P); });
  std::printf("fwd logits (nn)    %7.3f ms  %6.1f GFLOP/s\n", t, gf / t * 1e3);
  t = best_ms([&] { softmax_xent(L.data(), C, y.data(), N, false, 1.0f / N, loss.data(), corr.data(), 0, P); });
  std::printf("softmax_xent       %7.3f ms\n", t);
  {
    std::vector<float> Lc(L);
    t = best_ms([&] {
      std::copy(L.begin(), L.end(), Lc.begin());
      softmax_xent(Lc.data(), C, y.data(), N, true, 1.0f / N, loss.data(), nullptr, 0, P);
    });
    const double tc = best_ms([&] { std::copy(L.begin(), L.end(), Lc.begin()); });
    std::printf("softmax_xent+grad  %7.3f ms (copy of the logits excluded)\n", t - tc);
  }
  t = best_ms([&] { gemm_dot(L.data(), C, Hs.data(), H, P, dW1.data(), 0, dot_tiles(C)); });
  std::printf("dW1 (dot)          %7.3f ms  %6.1f GFLOP/s\n", t, gf / t * 1e3);
  std::vector<float> Hc = Hs;
  t = best_ms([&] { pack_a(W1.data(), 1, H, H, C, ap.data()); gemm_masked(ap.data(), H, C, L.data(), Hs.data(), Hc.data(), P, 0, row_tiles(H)); });
  std::printf("dH (masked nn)     %7.3f ms  %6.1f GFLOP/s\n", t, gf / t * 1e3);
  t = best_ms([&] { scatter_rows(Hc.data(), H, N, ia.data(), ib.data(), 2 * V, dWTp, ldt, db0.data(), 0, ldt / 8);
                    untranspose(dWTp, ldt, H, dW0.data(), 2 * V, 0, 2 * V); });
  std::printf("scatter dW0        %7.3f ms\n", t);
  return 0;
}
