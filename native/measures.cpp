// See measures.h. Rank-1 updates over samples in row blocks of G, each block owned by one thread, so
// the summation order (samples ascending) and the result are independent of the thread count.
#include "measures.h"

#include <algorithm>
#include <vector>

namespace grokinfo::measures {

void gram(const float* X, int64_t N, int64_t D, bool indicator, double* G) {
  std::fill(G, G + D * D, 0.0);
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (D + kBlock - 1) / kBlock;
#pragma omp parallel
  {
    std::vector<double> row(static_cast<size_t>(D));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t i0 = b * kBlock, i1 = std::min(D, i0 + kBlock);
      for (int64_t n = 0; n < N; ++n) {
        const float* x = X + n * D;
        for (int64_t j = i0; j < D; ++j) row[j] = indicator ? (x[j] > 0.0f ? 1.0 : 0.0) : static_cast<double>(x[j]);
        for (int64_t i = i0; i < i1; ++i) {
          const double xi = row[i];
          if (xi == 0.0) continue;
          double* g = G + i * D;
          for (int64_t j = i; j < D; ++j) g[j] += xi * row[j];
        }
      }
    }
  }
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < i; ++j) G[i * D + j] = G[j * D + i];
}

int64_t first_layer_below(const float* W, int64_t H, int64_t cols, const float* bias, int64_t vocab,
                          const int32_t* a, const int32_t* b, int64_t N, float tau) {
  // transposed columns (one contiguous row per token) with the bias minus tau folded into the a-rows
  std::vector<float> WT(static_cast<size_t>(cols * H));
  for (int64_t k = 0; k < H; ++k)
    for (int64_t c = 0; c < cols; ++c) WT[c * H + k] = W[k * cols + c];
  std::vector<float> shift(static_cast<size_t>(H));
  for (int64_t k = 0; k < H; ++k) shift[k] = (bias ? bias[k] : 0.0f) - tau;
  int64_t below = 0;
  for (int64_t n = 0; n < N; ++n) {
    const float* ra = WT.data() + static_cast<int64_t>(a[n]) * H;
    const float* rb = WT.data() + (vocab + static_cast<int64_t>(b[n])) * H;
    int64_t c = 0;
    for (int64_t k = 0; k < H; ++k) c += (ra[k] + rb[k] + shift[k] < 0.0f) ? 1 : 0;
    below += c;
  }
  return below;
}

void forward_f64(const Layer64* layers, int32_t L, int64_t vocab, const int32_t* a, const int32_t* b,
                 const double* x, int64_t N, double* const* pre) {
  // transposed weights: one contiguous row of outputs per input, so every layer is axpy over its inputs
  std::vector<std::vector<double>> WT(static_cast<size_t>(L));
  for (int32_t l = 0; l < L; ++l) {
    const Layer64& ly = layers[l];
    WT[l].resize(static_cast<size_t>(ly.rows * ly.cols));
    for (int64_t k = 0; k < ly.rows; ++k)
      for (int64_t j = 0; j < ly.cols; ++j) WT[l][j * ly.rows + k] = ly.W[k * ly.cols + j];
  }
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    for (int32_t l = 0; l < L; ++l) {
      const Layer64& ly = layers[l];
      const int64_t H = ly.rows;
      double* z = pre[l] + n * H;
      const double* wt = WT[l].data();
      if (l == 0 && x == nullptr) {
        const double* ra = wt + static_cast<int64_t>(a[n]) * H;
        const double* rb = wt + (vocab + static_cast<int64_t>(b[n])) * H;
        for (int64_t k = 0; k < H; ++k) z[k] = ra[k] + rb[k] + (ly.bias ? ly.bias[k] : 0.0);
        continue;
      }
      for (int64_t k = 0; k < H; ++k) z[k] = ly.bias ? ly.bias[k] : 0.0;
      const int64_t K = ly.cols;
      const double* in = (l == 0) ? x + n * K : pre[l - 1] + n * K;
      for (int64_t j = 0; j < K; ++j) {
        double v = in[j];
        if (l > 0 && !(v > 0.0)) continue;  // ReLU of the previous layer (zeros contribute nothing)
        const double* w = wt + j * H;
        for (int64_t k = 0; k < H; ++k) z[k] += v * w[k];
      }
    }
  }
}

}  // namespace grokinfo::measures
