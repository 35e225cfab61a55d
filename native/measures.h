// Native kernels of the progress-measure framework (src/measures/): the O(N x D^2) parts.
#pragma once
#include <cstdint>

namespace grokinfo::measures {

// Gram matrix in float64 of the columns of X (N x D, row-major float32), optionally of their
// indicators (X > 0) instead of the values: G[i][j] = sum_n f(X[n][i]) f(X[n][j]), with
// f(x) = x or f(x) = [x > 0]. Full symmetric D x D output (row-major). Threads over row blocks.
void gram(const float* X, int64_t N, int64_t D, bool indicator, double* G);

// Activation sparsity of a first layer that sees one-hot pairs: the number of (sample, unit) pairs with
// W[k][a[n]] + W[k][vocab + b[n]] + bias[k] < tau, W row-major H x cols (float32, summed in float32 like the
// trainer's forward pass), bias may be null.
int64_t first_layer_below(const float* W, int64_t H, int64_t cols, const float* bias, int64_t vocab,
                          const int32_t* a, const int32_t* b, int64_t N, float tau);

}  // namespace grokinfo::measures
