// Small pure helpers of the O-information engine, shared by the CPU engine (oinfo_cpu.cpp) and usable
// host-side by the CUDA engine: binomials, the subset lattice and its ranks, the bias-correction table,
// and the bounded top-k / extreme records with their deterministic tie-break. No allocation in the
// per-multiplet helpers; nothing here knows about threads or Node.
//
// THE SUBSET LATTICE AND ITS WALK ORDER
// Units are numbered 0..U-1. The lattice holds every subset of 1..maxd units, written as an ascending
// sequence (u_0 < u_1 < ... < u_{s-1}). A node's children extend it by one unit greater than its last
// one, so the lattice is a tree rooted at the empty set, and the engine walks it depth-first in
// PREORDER, which is the lexicographic order of the sequences (a prefix comes before its extensions):
//   {0} {0,1} {0,1,2} ... {0,1,U-1} {0,2} {0,2,3} ... {1} {1,2} ...
// Every node, including those smaller than min_size (which are walked but not reported), has a
// preorder rank in [0, lattice_nodes(U, maxd)). A chunk of work is a rank range [r0, r1): the walker
// unranks r0 into its path, rebuilds the factors of the path's ancestors by the same incremental
// extensions as the walk (so values do not depend on where chunks start), then walks r1 - r0 nodes.
// Ranks also identify multiplets in the extremes and top-k records (members are recovered by
// lattice_unrank at the end), and break ties: among equal values, the lower rank (lexicographically
// first member list) wins, whatever the chunking and thread count.
// The CPU engine walks bins/groups in descending unit size (stable), i.e. it renumbers the units
// before walking (big units early keep the parents of costly extensions small) and maps members back;
// its exact-tie order is then that of the renumbered units. Variables mode keeps the caller's order.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace grokinfo::detail {

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

// C(n, k), saturating at kSaturated on overflow.
inline uint64_t binom(int64_t n, int64_t k) {
  if (k < 0 || n < 0 || k > n) return 0;
  k = std::min(k, n - k);
  unsigned __int128 r = 1;
  for (int64_t i = 1; i <= k; ++i) {
    r = r * static_cast<unsigned __int128>(n - k + i) / static_cast<unsigned __int128>(i);
    if (r > kSaturated) return kSaturated;
  }
  return static_cast<uint64_t>(r);
}

inline uint64_t sat_add(uint64_t a, uint64_t b) { return a > kSaturated - b ? kSaturated : a + b; }

// sum_{s=lo..hi} C(n, s), saturating.
inline uint64_t binom_sum(int64_t n, int64_t lo, int64_t hi) {
  uint64_t t = 0;
  for (int64_t s = std::max<int64_t>(lo, 0); s <= hi; ++s) t = sat_add(t, binom(n, s));
  return t;
}

// Number of lattice nodes (subsets of 1..maxd of U units).
inline uint64_t lattice_nodes(int32_t U, int32_t maxd) { return binom_sum(U, 1, maxd); }

// Size of the subtree (the node itself included) under a node at `depth` (>= 1) whose last unit is
// `last`: the node plus every extension by up to maxd - depth units greater than `last`.
inline uint64_t lattice_subtree(int32_t U, int32_t maxd, int32_t depth, int32_t last) {
  return binom_sum(U - 1 - last, 0, maxd - depth);
}

// Preorder rank -> path (ascending units). Returns the depth (>= 1). O(U * maxd).
inline int32_t lattice_unrank(uint64_t r, int32_t U, int32_t maxd, int32_t* path) {
  int32_t depth = 0, start = 0;
  for (;;) {
    for (int32_t e = start; e < U; ++e) {
      uint64_t t = lattice_subtree(U, maxd, depth + 1, e);
      if (r < t) {
        path[depth++] = e;
        if (r == 0) return depth;
        r -= 1;
        start = e + 1;
        break;
      }
      r -= t;
    }
  }
}

// Path -> preorder rank (inverse of lattice_unrank).
inline uint64_t lattice_rank(const int32_t* path, int32_t depth, int32_t U, int32_t maxd) {
  uint64_t r = 0;
  int32_t start = 0;
  for (int32_t d = 0; d < depth; ++d) {
    for (int32_t e = start; e < path[d]; ++e) r += lattice_subtree(U, maxd, d + 1, e);
    if (d + 1 < depth) r += 1;  // the node path[0..d] itself precedes its descendants
    start = path[d] + 1;
  }
  return r;
}

// Preorder successor of a node (path, depth); returns the new depth, 0 when the walk is over.
inline int32_t lattice_next(int32_t* path, int32_t depth, int32_t U, int32_t maxd) {
  if (depth < maxd && path[depth - 1] < U - 1) {
    path[depth] = path[depth - 1] + 1;
    return depth + 1;
  }
  while (depth > 0) {
    if (path[depth - 1] < U - 1) {
      ++path[depth - 1];
      return depth;
    }
    --depth;
  }
  return 0;
}

// Fixed-size combinations in lexicographic order (combinatorial number system), for engines that
// enumerate one size at a time (e.g. one GPU thread per multiplet): rank of c[0] < ... < c[s-1] among
// the C(n, s) s-subsets of 0..n-1, and its inverse.
inline uint64_t comb_rank_lex(const int32_t* c, int32_t s, int32_t n) {
  uint64_t r = 0;
  int32_t prev = -1;
  for (int32_t i = 0; i < s; ++i) {
    for (int32_t e = prev + 1; e < c[i]; ++e) r += binom(n - 1 - e, s - 1 - i);
    prev = c[i];
  }
  return r;
}

inline void comb_unrank_lex(uint64_t r, int32_t s, int32_t n, int32_t* c) {
  int32_t e = 0;
  for (int32_t i = 0; i < s; ++i) {
    for (;; ++e) {
      uint64_t t = binom(n - 1 - e, s - 1 - i);
      if (r < t) break;
      r -= t;
    }
    c[i] = e++;
  }
}

// Digamma for x > 0 (recurrence up to x >= 10, then the asymptotic series; ~1e-15 relative).
inline double digamma(double x) {
  double acc = 0;
  while (x < 10) {
    acc -= 1.0 / x;
    x += 1;
  }
  double x2 = 1.0 / (x * x);
  double series = x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 * (1.0 / 132)))));
  return acc + std::log(x) - 0.5 / x - series;
}

// Ince et al. (2017) bias term of a d-dimensional Gaussian entropy from N samples (nats):
// b(d) = 1/2 [d ln(2/(N-1)) + sum_{i=1..d} psi((N-i)/2)]. table[d] for d = 0..dmax (dmax < N).
// bias_table_into fills a caller-kept vector (no allocation within its capacity).
inline void bias_table_into(int64_t N, int32_t dmax, std::vector<double>& t) {
  t.assign(static_cast<size_t>(dmax) + 1, 0.0);
  double dterm = std::log(2.0 / static_cast<double>(N - 1));
  double psisum = 0;
  for (int32_t d = 1; d <= dmax; ++d) {
    psisum += digamma(static_cast<double>(N - d) / 2.0);
    t[d] = 0.5 * (d * dterm + psisum);
  }
}
inline std::vector<double> bias_table(int64_t N, int32_t dmax) {
  std::vector<double> t(static_cast<size_t>(dmax) + 1, 0.0);
  double dterm = std::log(2.0 / static_cast<double>(N - 1));
  double psisum = 0;
  for (int32_t d = 1; d <= dmax; ++d) {
    psisum += digamma(static_cast<double>(N - d) / 2.0);
    t[d] = 0.5 * (d * dterm + psisum);
  }
  return t;
}

// Correction subtracted from Omega over n individual variables: (n-2) b(n) + n b(1) - n b(n-1).
inline double bias_individual(const double* b, int32_t n) {
  return (n - 2) * b[n] + n * b[1] - n * b[n - 1];
}

// Grouped: m groups of sizes d_g, D_S = sum d_g: (m-2) b(D_S) + sum_g [b(d_g) - b(D_S - d_g)].
inline double bias_grouped(const double* b, const int32_t* dims, int32_t m) {
  int32_t DS = 0;
  for (int32_t g = 0; g < m; ++g) DS += dims[g];
  double c = (m - 2) * b[DS];
  for (int32_t g = 0; g < m; ++g) c += b[dims[g]] - b[DS - dims[g]];
  return c;
}

// A multiplet identified by its preorder rank, with its value.
struct Cand {
  double value = std::numeric_limits<double>::quiet_NaN();
  uint64_t rank = kSaturated;
  bool valid() const { return rank != kSaturated; }
};
// a is strictly better than b as a minimum (ties -> lower rank).
inline bool less_min(const Cand& a, const Cand& b) {
  if (!b.valid()) return a.valid();
  return a.value < b.value || (a.value == b.value && a.rank < b.rank);
}
inline bool greater_max(const Cand& a, const Cand& b) {
  if (!b.valid()) return a.valid();
  return a.value > b.value || (a.value == b.value && a.rank < b.rank);
}

// The k best candidates (lowest values when Lowest, else highest) as a heap whose top is the worst kept.
template <bool Lowest>
struct TopK {
  int32_t k = 0;
  std::vector<Cand> heap;
  static bool better(const Cand& a, const Cand& b) { return Lowest ? less_min(a, b) : greater_max(a, b); }
  static bool heap_cmp(const Cand& a, const Cand& b) { return better(a, b); }  // max-heap of "worse"
  bool full() const { return static_cast<int32_t>(heap.size()) >= k; }
  // The worst kept value (only meaningful when full()).
  double threshold() const { return heap.front().value; }
  void push(const Cand& c) {
    if (k <= 0) return;
    if (!full()) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), heap_cmp);
    } else if (better(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), heap_cmp);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), heap_cmp);
    }
  }
  void merge(const TopK& o) {
    for (const Cand& c : o.heap) push(c);
  }
  // Best first, into a caller-kept vector.
  void sorted_into(std::vector<Cand>& v) const {
    v.assign(heap.begin(), heap.end());
    std::sort(v.begin(), v.end(), better);
  }
  // Best first.
  std::vector<Cand> sorted() const {
    std::vector<Cand> v = heap;
    std::sort(v.begin(), v.end(), better);
    return v;
  }
};

}  // namespace grokinfo::detail
