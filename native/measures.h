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

// One dense layer of a float64 MLP: W rows x cols (row-major, PyTorch Linear layout), bias (rows) or null.
struct Layer64 {
  const double* W = nullptr;
  const double* bias = nullptr;
  int64_t rows = 0, cols = 0;
};

// Float64 forward pass of an MLP over N inputs, ReLU between layers, linear last layer. Layer 0 sees
// either one-hot pairs (x == nullptr: pre-activation W[:, a[n]] + W[:, vocab + b[n]] + bias, a gather) or
// dense rows x (N x layers[0].cols). pre[l] receives the N x layers[l].rows pre-activations of layer l
// (the last one: the logits). Rows are independent (threads over rows), so the result does not depend on
// the thread count. Inputs are validated by the caller (bindings/measures.cpp).
void forward_f64(const Layer64* layers, int32_t L, int64_t vocab, const int32_t* a, const int32_t* b,
                 const double* x, int64_t N, double* const* pre);

}  // namespace grokinfo::measures
