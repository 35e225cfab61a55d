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

}  // namespace grokinfo::measures
