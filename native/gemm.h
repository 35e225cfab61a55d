// Hand-written float32 kernels of the CPU training engine (see mlp_cpu.cpp for how they chain).
//
// Sample-panel layout ("S16"): a matrix of R rows (features) over N samples is stored as
// P = ceil(N/16) panels, each R x 16 floats: X[(j*R + r)*16 + i] is feature r of sample 16j+i.
// Every kernel works on whole panels (padded samples must hold finite values; the loss gradient of a
// padded sample is zero, so padding never reaches a parameter gradient).
//
// Determinism: each output element is computed by one kernel call whose summation order depends only
// on the shapes (never on the range a thread was given), so results are bitwise identical whatever
// the partition of panels / row tiles over threads.
#pragma once
#include <cstdint>

namespace grokinfo::gemm {

constexpr int kPanel = 16;  // samples per panel
constexpr int kMR = 6;      // rows per register tile of gemm_panels / gemm_masked

inline int64_t panels(int64_t n) { return (n + kPanel - 1) / kPanel; }
inline int64_t row_tiles(int64_t m) { return (m + kMR - 1) / kMR; }
inline int64_t packed_a_floats(int64_t m, int64_t k) { return row_tiles(m) * kMR * k; }

// Packs A (M x K; element (i, k) at a[i*rs + k*cs]) into kMR-row tiles [tile][k][kMR], zero padded.
void pack_a(const float* a, int64_t rs, int64_t cs, int64_t M, int64_t K, float* out);

// Forward: for panels [p0, p1): C[j] (M x 16) = A (packed, M x K) * B[j] (K x 16), plus bias[i]
// when bias != nullptr, then ReLU when relu.
void gemm_panels(const float* ap, int64_t M, int64_t K, const float* B, const float* bias, bool relu,
                 float* C, int64_t p0, int64_t p1);

// Backward through a ReLU: for row tiles [t0, t1) and every panel j < P:
// C[j] = (A * B[j]) masked by H[j] > 0 (C may alias H).
void gemm_masked(const float* ap, int64_t M, int64_t K, const float* B, const float* H, float* C,
                 int64_t P, int64_t t0, int64_t t1);

// Weight gradient: C (M x N row-major) = sum over the P panels' samples of X[i] * Y[k], X with M rows
// and Y with N rows (both S16). Row tiles of kDotM rows of C in [t0, t1).
constexpr int kDotM = 4, kDotN = 3;
inline int64_t dot_tiles(int64_t m) { return (m + kDotM - 1) / kDotM; }
void gemm_dot(const float* X, int64_t M, const float* Y, int64_t N, int64_t P, float* C, int64_t t0,
              int64_t t1);

// Row sums over samples of X (S16, R rows, P panels) for rows [r0, r1): out[r] = sum.
void row_sums(const float* X, int64_t R, int64_t P, float* out, int64_t r0, int64_t r1);

// Layer 0 works on the transposed first-layer matrix WT (2*vocab rows of ldt >= round_up(Hn, 8)
// floats: WT[c*ldt + k] = W[k*ld + c], zero padded), so that a token's column is one contiguous row.
inline int64_t padded8(int64_t n) { return (n + 7) / 8 * 8; }
void transpose_pad(const float* W, int64_t rows, int64_t cols, int64_t ld, float* WT, int64_t ldt);
// WT rows [c0, c1) -> W (rows x ld, columns c0..c1): W[k*ld + c] = WT[c*ldt + k].
void untranspose(const float* WT, int64_t ldt, int64_t rows, float* W, int64_t ld, int64_t c0, int64_t c1);

// Layer 0 forward (a gather): for panels [p0, p1): H[j][k][i] = ReLU(WT[ia[n]][k] + WT[ib[n]][k] + b[k])
// for n = 16j+i; ia/ib hold the rows of WT (a and vocab+b) padded to whole panels; b may be null.
void gather_relu(const float* WT, int64_t ldt, const float* b, int64_t Hn, const int32_t* ia,
                 const int32_t* ib, float* H, int64_t p0, int64_t p1);

// Layer 0 backward (a scatter-add) for the blocks of 8 rows [kb0, kb1) of dZ (Hn rows, S16):
// dWT[c][k] = sum of dZ[k] over the samples (in order) whose row ia or ib is c, for c < rowsT;
// db[k] = sum of dZ[k] (db may be null).
void scatter_rows(const float* dZ, int64_t Hn, int64_t N, const int32_t* ia, const int32_t* ib,
                  int64_t rowsT, float* dWT, int64_t ldt, float* db, int64_t kb0, int64_t kb1);

// Softmax cross-entropy on S16 logits L (C classes) for panels [p0, p1), N real samples:
// loss[n] = logsumexp(L[:, n]) - L[y[n], n], correct[n] = (first argmax == y[n]). When grad, L is
// replaced by (softmax - onehot(y)) * scale (zero for padded samples).
void softmax_xent(float* L, int64_t C, const int32_t* y, int64_t N, bool grad, float scale,
                  double* loss, uint8_t* correct, int64_t p0, int64_t p1);

// MSE on one-hot targets for S16 outputs L (C classes), panels [p0, p1), N real samples:
// loss[n] = (1/C) sum_c (L[c, n] - onehot(y[n])_c)^2 (summed in double), correct[n] = (first argmax
// == y[n]). When grad, L is replaced by (L - onehot(y)) * (2 * scale / C) (zero for padded samples),
// the gradient of scale * sum_n loss[n] (scale = 1/batch: PyTorch's MSELoss(reduction='mean')).
void mse_onehot(float* L, int64_t C, const int32_t* y, int64_t N, bool grad, float scale, double* loss,
                uint8_t* correct, int64_t p0, int64_t p1);

// Gathers whole samples of S16 data into S16 panels: column i of out (i < N) = column idx[i] of X
// (R rows), columns N .. round_up(N, 16) zero.
void gather_cols(const float* X, int64_t R, const int32_t* idx, int64_t N, float* out);

// S16 -> row-major (N x R) for rows [0, R).
void unpanel(const float* X, int64_t R, int64_t N, float* out);

}  // namespace grokinfo::gemm
