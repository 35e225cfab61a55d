// Ward agglomerative clustering of columns (METHOD.md §2.2): nearest-neighbour chain on squared
// Euclidean distances with the Lance–Williams update (the same merges as scipy's ward, which applies
// the same update to unsquared distances), O(D^2) time and memory. Distances come from the float64
// Gram matrix of the columns.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "oinfo.h"
#include "oinfo_cpu.h"
#include "oinfo_linalg.h"

namespace grokinfo {

namespace {

int32_t find_root(int32_t* parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

template <typename T>
Status ward_impl(const T* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                 const Control& ctl, cpu::WardScratch& ws, int threads) {
  if (N < 1 || D < 1) return Status::Error(Code::INVALID_ARGUMENT, "ward: the data must have rows and columns");
  std::vector<int32_t>& cols = ws.cols;
  cols.clear();
  cols.reserve(static_cast<size_t>(D));
  for (int64_t d = 0; d < D; ++d)
    if (!use || use[d]) cols.push_back(static_cast<int32_t>(d));
  const int64_t n = static_cast<int64_t>(cols.size());
  for (int64_t d = 0; d < D; ++d) labels[d] = -1;
  if (k < 1 || k > n)
    return Status::Error(Code::INVALID_ARGUMENT, "bins (ward clusters): must be in [1, " + std::to_string(n) +
                                                     "] (the number of columns used), got " + std::to_string(k));
  if (n == 1) {
    labels[cols[0]] = 0;
    return Status::Ok();
  }
  // Gram matrix of the used columns in float64 (padding columns n..lda-1 zero).
  const int64_t lda = linalg::syrk_lda(n);
  cpu::grow(ws.A, static_cast<size_t>(N * lda));
  double* const A = ws.A.data();
  for (int64_t t = 0; t < N; ++t) {
    double* row = A + t * lda;
    const T* xr = X + t * D;
    const int32_t* cj = cols.data();
    for (int64_t j = 0; j < n; ++j) row[j] = static_cast<double>(xr[cj[j]]);
    if (const int64_t j = cpu::first_nonfinite(row, n); j >= 0)
      return Status::Error(Code::INVALID_DATA, "non-finite value at row " + std::to_string(t) + ", column " + std::to_string(cols[j]));
    for (int64_t j = n; j < lda; ++j) row[j] = 0.0;
  }
  cpu::grow(ws.Gm, static_cast<size_t>(n * n));
  linalg::syrk_tn(A, N, n, lda, 1.0, ws.Gm.data(), threads, &ws.syrk);
  if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
  cpu::grow(ws.pos, static_cast<size_t>(n));
  cpu::ward_from_gram(ws.Gm.data(), n, k, ws.pos.data(), ws);
  for (int64_t j = 0; j < n; ++j) labels[cols[j]] = ws.pos[j];
  return Status::Ok();
}

}  // namespace

// Ward linkage (nearest-neighbour chain, Lance-Williams on squared Euclidean distances) of n points
// given by their Gram matrix (n x n, row-major), cut into k clusters numbered by smallest member.
// Shared by the CPU path (ward_cluster) and the CUDA path (which computes the Gram matrix on the device).
void ward_from_gram(const double* gram, int64_t n, int32_t k, int32_t* labels) {
  cpu::WardScratch ws;
  cpu::ward_from_gram(gram, n, k, labels, ws);
}

void cpu::ward_from_gram(const double* gram, int64_t n, int32_t k, int32_t* labels, WardScratch& ws) {
  if (n == 1) {
    labels[0] = 0;
    return;
  }
  // Squared distances, full matrix (row i contiguous for the nearest-neighbour scans).
  grow(ws.Dm, static_cast<size_t>(n * n));
  double* const Dm = ws.Dm.data();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      Dm[i * n + j] = i == j ? 0.0 : std::max(0.0, gram[i * n + i] + gram[j * n + j] - 2.0 * gram[i * n + j]);

  ws.size.assign(static_cast<size_t>(n), 1);
  int64_t* const size = ws.size.data();
  std::vector<int32_t>& chain = ws.chain;
  chain.clear();
  chain.reserve(static_cast<size_t>(n));
  std::vector<WardMerge>& merges = ws.merges;
  merges.clear();
  merges.reserve(static_cast<size_t>(n - 1));
  for (int64_t step = 0; step < n - 1; ++step) {
    if (chain.empty()) {
      for (int32_t i = 0; i < n; ++i)
        if (size[i] > 0) {
          chain.push_back(i);
          break;
        }
    }
    int32_t x, y;
    for (;;) {
      x = chain.back();
      double best;
      if (chain.size() > 1) {
        y = chain[chain.size() - 2];
        best = Dm[x * n + y];
      } else {
        y = -1;
        best = HUGE_VAL;
      }
      const double* row = Dm + static_cast<int64_t>(x) * n;
      for (int32_t i = 0; i < n; ++i) {
        if (size[i] == 0 || i == x) continue;
        if (row[i] < best) {
          best = row[i];
          y = i;
        }
      }
      if (chain.size() > 1 && y == chain[chain.size() - 2]) break;
      chain.push_back(y);
    }
    chain.pop_back();
    chain.pop_back();
    if (x > y) std::swap(x, y);
    const double dxy = Dm[x * n + y];
    merges.push_back({x, y, dxy});
    // The new cluster lives in slot y; x is retired.
    const double sx = static_cast<double>(size[x]), sy = static_cast<double>(size[y]);
    for (int32_t i = 0; i < n; ++i) {
      if (size[i] == 0 || i == x || i == y) continue;
      const double si = static_cast<double>(size[i]);
      const double t = sx + sy + si;
      double v = ((sx + si) * Dm[x * n + i] + (sy + si) * Dm[y * n + i] - si * dxy) / t;
      Dm[y * n + i] = v;
      Dm[i * n + y] = v;
    }
    size[y] += size[x];
    size[x] = 0;
  }
  // Cut: apply the n - k lowest merges (ties in merge order, as scipy's stable sort of its linkage;
  // std::sort with the index as second key gives that order without stable_sort's temporary buffer).
  std::vector<int32_t>& order = ws.order;
  order.resize(merges.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return merges[a].dist < merges[b].dist || (merges[a].dist == merges[b].dist && a < b);
  });
  ws.parent.resize(static_cast<size_t>(n));
  int32_t* const parent = ws.parent.data();
  std::iota(parent, parent + n, 0);
  // The merge records slots; a slot stands for the cluster formed in it so far, and merges are
  // applied in the order they happened among the kept ones, so union-find over slots is exact.
  ws.keep.assign(merges.size(), 0);
  for (int64_t i = 0; i < n - k; ++i) ws.keep[order[i]] = 1;
  for (size_t m = 0; m < merges.size(); ++m)
    if (ws.keep[m]) {
      int32_t ra = find_root(parent, merges[m].a), rb = find_root(parent, merges[m].b);
      if (ra != rb) parent[ra] = rb;
    }
  // Number clusters by their smallest member column.
  ws.id.assign(static_cast<size_t>(n), -1);
  int32_t next = 0;
  for (int32_t j = 0; j < n; ++j) {
    int32_t r = find_root(parent, j);
    if (ws.id[r] < 0) ws.id[r] = next++;
    labels[j] = ws.id[r];
  }
}

Status ward_cluster(const float* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                    const Control& ctl) {
  cpu::WardScratch ws;
  return ward_impl(X, N, D, use, k, labels, ctl, ws, 0);
}
Status ward_cluster(const double* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                    const Control& ctl) {
  cpu::WardScratch ws;
  return ward_impl(X, N, D, use, k, labels, ctl, ws, 0);
}

namespace cpu {
Status ward_cluster(const float* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                    const Control& ctl, WardScratch& ws, int threads) {
  return ward_impl(X, N, D, use, k, labels, ctl, ws, threads);
}
Status ward_cluster(const double* X, int64_t N, int64_t D, const uint8_t* use, int32_t k, int32_t* labels,
                    const Control& ctl, WardScratch& ws, int threads) {
  return ward_impl(X, N, D, use, k, labels, ctl, ws, threads);
}
}  // namespace cpu

}  // namespace grokinfo
