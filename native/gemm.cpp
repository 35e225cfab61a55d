// Hand-written float32 kernels of the CPU training engine (layouts and contracts in gemm.h). The layout
// helpers are here; the products, layer 0 and the softmax are per instruction set (gemm_impl.h, compiled
// by kernels_*.cpp) and reached through the run-time table of kernels.h.
#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"

namespace grokinfo::gemm {

void gemm_panels(const float* ap, int64_t M, int64_t K, const float* B, const float* bias, bool relu,
                 float* C, int64_t p0, int64_t p1) {
  kernels::table().gemm_panels(ap, M, K, B, bias, relu, C, p0, p1);
}

void gemm_masked(const float* ap, int64_t M, int64_t K, const float* B, const float* H, float* C,
                 int64_t P, int64_t t0, int64_t t1) {
  kernels::table().gemm_masked(ap, M, K, B, H, C, P, t0, t1);
}

void gemm_dot(const float* X, int64_t M, const float* Y, int64_t N, int64_t P, float* C, int64_t t0,
              int64_t t1) {
  kernels::table().gemm_dot(X, M, Y, N, P, C, t0, t1);
}

void gather_relu(const float* WT, int64_t ldt, const float* b, int64_t Hn, const int32_t* ia,
                 const int32_t* ib, float* H, int64_t p0, int64_t p1) {
  kernels::table().gather_relu(WT, ldt, b, Hn, ia, ib, H, p0, p1);
}

void scatter_rows(const float* dZ, int64_t Hn, int64_t N, const int32_t* ia, const int32_t* ib,
                  int64_t rowsT, float* dWT, int64_t ldt, float* db, int64_t kb0, int64_t kb1) {
  kernels::table().scatter_rows(dZ, Hn, N, ia, ib, rowsT, dWT, ldt, db, kb0, kb1);
}

void softmax_xent(float* L, int64_t C, const int32_t* y, int64_t N, bool grad, float scale,
                  double* loss, uint8_t* correct, int64_t p0, int64_t p1) {
  kernels::table().softmax_xent(L, C, y, N, grad, scale, loss, correct, p0, p1);
}

void pack_a(const float* a, int64_t rs, int64_t cs, int64_t M, int64_t K, float* out) {
  const int64_t T = row_tiles(M);
  for (int64_t t = 0; t < T; t++) {
    float* o = out + t * K * kMR;
    for (int64_t k = 0; k < K; k++)
      for (int r = 0; r < kMR; r++) {
        const int64_t i = t * kMR + r;
        o[k * kMR + r] = i < M ? a[i * rs + k * cs] : 0.0f;
      }
  }
}


void row_sums(const float* X, int64_t R, int64_t P, float* out, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = 0; j < P; j++) {
      const float* x = X + (j * R + r) * kPanel;
      for (int l = 0; l < 8; l++) lane[l] += x[l] + x[l + 8];
    }
    out[r] = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
  }
}

void transpose_pad(const float* W, int64_t rows, int64_t cols, int64_t ld, float* WT, int64_t ldt) {
  constexpr int64_t B = 32;
  for (int64_t c0 = 0; c0 < cols; c0 += B)
    for (int64_t k0 = 0; k0 < rows; k0 += B)
      for (int64_t c = c0; c < std::min(cols, c0 + B); c++)
        for (int64_t k = k0; k < std::min(rows, k0 + B); k++) WT[c * ldt + k] = W[k * ld + c];
  for (int64_t c = 0; c < cols; c++)
    for (int64_t k = rows; k < ldt; k++) WT[c * ldt + k] = 0.0f;
}

void untranspose(const float* WT, int64_t ldt, int64_t rows, float* W, int64_t ld, int64_t c0, int64_t c1) {
  constexpr int64_t B = 32;
  for (int64_t k0 = 0; k0 < rows; k0 += B)
    for (int64_t cb = c0; cb < c1; cb += B)
      for (int64_t k = k0; k < std::min(rows, k0 + B); k++)
        for (int64_t c = cb; c < std::min(c1, cb + B); c++) W[k * ld + c] = WT[c * ldt + k];
}


void mse_onehot(float* L, int64_t C, const int32_t* y, int64_t N, bool grad, float scale, double* loss,
                uint8_t* correct, int64_t p0, int64_t p1) {
  const float f = static_cast<float>(2.0 * static_cast<double>(scale) / static_cast<double>(C));
  for (int64_t j = p0; j < p1; j++) {
    float* l = L + j * C * kPanel;
    const int lim = static_cast<int>(std::min<int64_t>(kPanel, N - j * kPanel));
    for (int i = 0; i < kPanel; i++) {
      if (i >= lim) {
        if (grad)
          for (int64_t c = 0; c < C; c++) l[c * kPanel + i] = 0.0f;
        continue;
      }
      const int64_t n = j * kPanel + i;
      const int32_t yi = y[n];
      double s = 0;
      float m = l[i];
      int32_t am = 0;
      for (int64_t c = 0; c < C; c++) {
        const float z = l[c * kPanel + i];
        if (c > 0 && z > m) { m = z; am = static_cast<int32_t>(c); }
        const double d = static_cast<double>(z) - (c == yi ? 1.0 : 0.0);
        s += d * d;
        if (grad) l[c * kPanel + i] = (z - (c == yi ? 1.0f : 0.0f)) * f;
      }
      loss[n] = s / static_cast<double>(C);
      if (correct) correct[n] = am == yi;
    }
  }
}

void gather_cols(const float* X, int64_t R, const int32_t* idx, int64_t N, float* out) {
  const int64_t P = panels(N);
  for (int64_t jb = 0; jb < P; jb++) {
    float* o = out + jb * R * kPanel;
    for (int ib = 0; ib < kPanel; ib++) {
      const int64_t n = jb * kPanel + ib;
      if (n >= N) {
        for (int64_t r = 0; r < R; r++) o[r * kPanel + ib] = 0.0f;
        continue;
      }
      const int64_t s = idx[n];
      const float* x = X + (s / kPanel) * R * kPanel + s % kPanel;
      for (int64_t r = 0; r < R; r++) o[r * kPanel + ib] = x[r * kPanel];
    }
  }
}

void unpanel(const float* X, int64_t R, int64_t N, float* out) {
  for (int64_t n = 0; n < N; n++) {
    const int64_t j = n / kPanel, i = n % kPanel;
    for (int64_t r = 0; r < R; r++) out[n * R + r] = X[(j * R + r) * kPanel + i];
  }
}

}  // namespace grokinfo::gemm
