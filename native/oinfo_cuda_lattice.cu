// The multiplet lattice on CUDA (what the files share: oinfo_cuda.cuh). float64 throughout.
// Two multiplet kernels:
//
//  * var_kernel<K> (every unit is one variable): one thread per chunk of the C(U, K) K-subsets in
//    lexicographic order (combinatorial number system: a thread unranks its first subset). The thread
//    keeps, in registers, the rows of L^-1 (L the Cholesky factor of C_S, S in walk order) for the
//    current subset; the next subset in lex order shares a prefix with the current one, so only the
//    rows from the first changed position on are recomputed (each row: l = L^-1 c, d^2 = c_tt - |l|^2,
//    new row = [-(l^T L^-1)/d, 1/d]) - the depth-first walk of the lattice restricted to one level.
//    diag(P) = squared column norms of L^-1. Per-thread min/max (ties: lower preorder rank, see
//    oinfo_detail.h) go to global memory and are merged on the host; top-k uses a second pass that
//    collects every multiplet at or below the k-th best per-thread extreme (provably <= k chunks).
//
//  * unit_kernel (units of several variables: bins, groups): persistent blocks take tasks = (batch
//    item, first unit i, second unit j) from an atomic counter, largest subtrees first, and walk the
//    subtree depth-first; each child extends the parent's L^-1 by a whole unit, 32 variables (a panel)
//    at a time: W = L^-1 C_{S,B}, Schur S = C_BB - W^T W, its Cholesky Lb and Lb^-1 (one warp),
//    X = Lb^-1 W^T, new rows R = -X L^-1. L^-1 lives in global scratch (one slot per block), panels in
//    shared memory. Each node's value (individual: Omega in nats; grouped: ln|C_S|) is written to a
//    table indexed by (batch, unit bitmask); the host applies bias/scale and reduces.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "oinfo_cuda.cuh"
#include "oinfo_detail.h"

namespace grokinfo::oinfo_cuda {

namespace {

constexpr int kBinomCols = 33;  // binomial table: C(n, s) for s in [0, 32]
constexpr int kMaxVarK = 32;    // largest multiplet size of the variables kernel
constexpr double kPivotTol = 1e-13;  // as oinfo_cpu.cpp: a Schur pivot below this fraction of the variance is singular

// ------------------------------------------------------------------------------------------------
// Variables kernel
// ------------------------------------------------------------------------------------------------
struct VarParams {
  const double* C;       // D x D (one batch item)
  int64_t D;
  const int32_t* var;    // U: unit -> variable
  const double* lnc;     // U: ln C_vv of each unit's variable
  int U, k, maxd;
  u64 total;             // C(U, k)
  u64 per;               // subsets per chunk
  int64_t nchunks;
  u64 s0, s1;            // this launch: subsets [s0, s1) of every chunk; s0 > 0 continues the chunk's extremes
  const u64* binom;      // (U + 1) x kBinomCols
  const u64* pre;        // maxd x (U + 1): pre[d][x] = sum_{e < x} subtree(depth d + 1, last e)
  double offset, scale;  // value = (omega + offset) * scale
  // pass 1 outputs, per chunk
  double* tmin_v; u64* tmin_r; double* tmax_v; u64* tmax_r;
  // pass 2 (collect != 0)
  int collect;
  double lo_v; u64 lo_r; double hi_v; u64 hi_r;  // thresholds (inclusive, lexicographic on (v, rank))
  double* clo_v; u64* clo_r; u64* clo_n;
  double* chi_v; u64* chi_r; u64* chi_n;
  u64 cap;
  u64* err_rank;         // lowest preorder rank of a non positive-definite multiplet
};

__device__ __forceinline__ u64 preorder_rank(const int* c, int k, const VarParams& p) {
  u64 r = static_cast<u64>(k - 1);
  int start = 0;
  const int W = p.U + 1;
  for (int d = 0; d < k; ++d) {
    r += p.pre[d * W + c[d]] - p.pre[d * W + start];
    start = c[d] + 1;
  }
  return r;
}

// KT > 0: compile-time size (registers); KT == 0: run-time size <= kMaxVarK (local memory).
template <int KT>
__global__ void __launch_bounds__(128) var_kernel(VarParams p) {
  constexpr int KA = KT > 0 ? KT : kMaxVarK;
  const int k = KT > 0 ? KT : p.k;
  const int64_t chunk = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (chunk >= p.nchunks) return;
  const u64 cfirst = static_cast<u64>(chunk) * p.per;
  if (cfirst >= p.total) return;
  const u64 clast = min(p.total, cfirst + p.per);
  const u64 first = cfirst + p.s0;
  if (first >= clast) return;
  const u64 last = min(clast, cfirst + p.s1);

  int c[KA];
  double Li[KA * (KA + 1) / 2];  // packed rows of L^-1: row t at t*(t+1)/2
  double lnd2[KA];               // ln d_t^2
  // unrank `first` (lex order)
  {
    u64 r = first;
    int e = 0;
    const int U = p.U;
#pragma unroll
    for (int i = 0; i < KA; ++i) {
      if (i < k) {
        for (;; ++e) {
          u64 t = p.binom[(U - 1 - e) * kBinomCols + (k - 1 - i)];
          if (r < t) break;
          r -= t;
        }
        c[i] = e++;
      }
    }
  }
  double bmin = INFINITY, bmax = -INFINITY;
  u64 rmin = kNoRank, rmax = kNoRank;
  if (!p.collect && p.s0 > 0) {  // the chunk's extremes so far (earlier launches, lower ranks)
    bmin = p.tmin_v[chunk]; rmin = p.tmin_r[chunk];
    bmax = p.tmax_v[chunk]; rmax = p.tmax_r[chunk];
  }
  int from = 0;  // first row to recompute
  const double* C = p.C;
  const int64_t D = p.D;
  for (u64 it = first; it < last; ++it) {
    // rows from..k-1
    bool bad = false;
#pragma unroll
    for (int t = 0; t < KA; ++t) {
      if (t < k && t >= from) {
        const int vt = p.var[c[t]];
        const double* Crow = C + static_cast<int64_t>(vt) * D;
        double l[KA];
        double s2 = 0;
#pragma unroll
        for (int s = 0; s < KA; ++s) {
          if (s < t) {
            double acc = 0;
#pragma unroll
            for (int q = 0; q < KA; ++q)
              if (q <= s) acc += Li[s * (s + 1) / 2 + q] * __ldg(Crow + p.var[c[q]]);
            l[s] = acc;
            s2 += acc * acc;
          }
        }
        const double cvv = __ldg(Crow + vt);
        const double d2 = cvv - s2;
        if (!(d2 > kPivotTol * cvv) || !isfinite(d2)) bad = true;
        const double dinv = rsqrt(d2);
        lnd2[t] = log(d2);
#pragma unroll
        for (int j = 0; j < KA; ++j) {
          if (j < t) {
            double acc = 0;
#pragma unroll
            for (int s = 0; s < KA; ++s)
              if (s >= j && s < t) acc += l[s] * Li[s * (s + 1) / 2 + j];
            Li[t * (t + 1) / 2 + j] = -acc * dinv;
          }
        }
        Li[t * (t + 1) / 2 + t] = dinv;
      }
    }
    if (bad) {
      atomicMin(p.err_rank, preorder_rank(c, k, p));
      return;
    }
    // Omega = -sum ln d^2 + 1/2 sum ln C_jj - 1/2 sum ln P_jj, P_jj = sum_{i >= j} Li[i][j]^2
    double sl = 0, slc = 0, mant = 1.0;
    int ex = 0;
#pragma unroll
    for (int j = 0; j < KA; ++j) {
      if (j < k) {
        double pj = 0;
#pragma unroll
        for (int i = 0; i < KA; ++i)
          if (i >= j && i < k) pj += Li[i * (i + 1) / 2 + j] * Li[i * (i + 1) / 2 + j];
        int e;
        mant *= frexp(pj, &e);
        ex += e;
        sl += lnd2[j];
        slc += p.lnc[c[j]];
      }
    }
    const double slp = log(mant) + static_cast<double>(ex) * 0.69314718055994530942;
    const double omega = -sl + 0.5 * slc - 0.5 * slp;
    const double v = (omega + p.offset) * p.scale;
    if (!p.collect) {
      // lex order == preorder within one size: a later subset never wins a tie
      if (v < bmin) { bmin = v; rmin = preorder_rank(c, k, p); }
      if (v > bmax) { bmax = v; rmax = preorder_rank(c, k, p); }
    } else {
      if (v <= p.lo_v) {
        u64 r = preorder_rank(c, k, p);
        if (v < p.lo_v || r <= p.lo_r) {
          u64 i = atomicAdd(p.clo_n, 1ull);
          if (i < p.cap) { p.clo_v[i] = v; p.clo_r[i] = r; }
        }
      }
      if (v >= p.hi_v) {
        u64 r = preorder_rank(c, k, p);
        if (v > p.hi_v || r <= p.hi_r) {
          u64 i = atomicAdd(p.chi_n, 1ull);
          if (i < p.cap) { p.chi_v[i] = v; p.chi_r[i] = r; }
        }
      }
    }
    // next subset in lex order
    if (it + 1 < last) {
      int pos = -1;
#pragma unroll
      for (int t = 0; t < KA; ++t)
        if (t < k && c[t] != p.U - k + t) pos = t;
#pragma unroll
      for (int t = 0; t < KA; ++t) {
        if (t < k) {
          if (t == pos) c[t] += 1;
          else if (t > pos && t > 0) c[t] = c[t - 1] + 1;
        }
      }
      from = pos;
    }
  }
  if (!p.collect) {
    p.tmin_v[chunk] = bmin; p.tmin_r[chunk] = rmin;
    p.tmax_v[chunk] = bmax; p.tmax_r[chunk] = rmax;
  }
}

// ------------------------------------------------------------------------------------------------
// Units kernel (bins / groups)
// ------------------------------------------------------------------------------------------------
constexpr int kPanel = 32;
constexpr int kMaxDepth = 32;
constexpr int kUnitThreads = 256;

struct UnitParams {
  const double* C;        // batch x Dc x Dc, units contiguous: unit u = [uoff[u], uoff[u+1])
  int64_t Dc;
  const int32_t* uoff;    // batch x (U + 1)
  const int32_t* cidx;    // batch: which covariance of C (null: the batch index itself)
  int U, min_size, max_size;
  int grouped;
  const int32_t* tasks;   // ntasks x 3: (batch, i, j); j < 0: the singleton {i}
  int ntasks;
  unsigned int* next_task;
  double* scratch;        // per block: Linv (nmax x ld)
  int64_t ld, slot;       // row stride of Linv, doubles per slot
  int nmaxp;              // max union size rounded up to kPanel (rows of the shared panels)
  double* gpanels;        // when panels do not fit shared memory: per block 2 * nmaxp * kPanel doubles
  double* out;            // batch x 2^U
  u64* err;               // (batch << 32 | mask) + 1 of a non positive-definite union, min
};

struct UnitShared {
  double* Cs;   // nmaxp x 32: gathered C_{S,B}, later X
  double* W;    // nmaxp x 32
  double* Sm;   // 32 x 33: Schur complement -> its Cholesky factor
  double* Xb;   // 32 x 33: inverse of that factor
  double* red;  // 32
  int* svar;    // nmaxp: variable of each Linv position
};

// Extends Linv (n x n) by the m <= 32 variables v0..v0+m-1 of C. Returns false (uniformly across the
// block) when the Schur complement is not positive definite. logdet/sumlnc in shared scalars.
__device__ bool extend_panel(const UnitParams& p, const double* C, double* Li, const UnitShared& sh,
                             int n, int v0, int m, double* s_logdet, double* s_lnc, int* s_bad) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, nw = blockDim.x >> 5;
  const int64_t Dc = p.Dc, ld = p.ld;
  const int nr = (n + 31) & ~31;
  // gather C_{S,B} (zero padded to nr rows and 32 columns)
  for (int idx = tid; idx < nr * kPanel; idx += blockDim.x) {
    const int kk = idx >> 5, c = idx & 31;
    double v = 0;
    if (kk < n && c < m) v = C[static_cast<int64_t>(sh.svar[kk]) * Dc + v0 + c];
    sh.Cs[idx] = v;
  }
  __syncthreads();
  // W = Linv C_{S,B}: warp per row i, lane = column
  for (int i = warp; i < n; i += nw) {
    const double* Lrow = Li + static_cast<int64_t>(i) * ld;
    double acc = 0;
    for (int k0 = 0; k0 <= i; k0 += 32) {
      const double lv = (k0 + lane <= i) ? Lrow[k0 + lane] : 0.0;
#pragma unroll
      for (int q = 0; q < 32; ++q) acc += __shfl_sync(0xffffffffu, lv, q) * sh.Cs[(k0 + q) * kPanel + lane];
    }
    sh.W[i * kPanel + lane] = acc;
  }
  __syncthreads();
  // Schur complement (lower triangle incl. diagonal)
  for (int idx = tid; idx < kPanel * kPanel; idx += blockDim.x) {
    const int c = idx >> 5, d = idx & 31;
    if (c < m && d <= c) {
      double acc = C[static_cast<int64_t>(v0 + c) * Dc + v0 + d];
      for (int i = 0; i < n; ++i) acc -= sh.W[i * kPanel + c] * sh.W[i * kPanel + d];
      sh.Sm[c * 33 + d] = acc;
    }
  }
  __syncthreads();
  if (warp == 0) {
    bool bad = false;
    for (int c = 0; c < m; ++c) {
      const double piv = sh.Sm[c * 33 + c];
      const double var = C[static_cast<int64_t>(v0 + c) * Dc + v0 + c];
      if (!(piv > kPivotTol * var) || !isfinite(piv)) { bad = true; break; }
      const double dc = sqrt(piv);
      __syncwarp();
      if (lane > c && lane < m) sh.Sm[lane * 33 + c] /= dc;
      __syncwarp();
      if (lane == c) sh.Sm[c * 33 + c] = dc;
      if (lane > c && lane < m) {
        const double lrc = sh.Sm[lane * 33 + c];
        for (int q = c + 1; q <= lane; ++q) sh.Sm[lane * 33 + q] -= lrc * sh.Sm[q * 33 + c];
      }
      __syncwarp();
    }
    if (!bad) {
      // inverse of the factor, column `lane`
      for (int r = 0; r < kPanel; ++r) {
        double x = 0;
        if (lane < m && r < m && r >= lane) {
          x = (r == lane) ? 1.0 : 0.0;
          for (int q = lane; q < r; ++q) x -= sh.Sm[r * 33 + q] * sh.Xb[q * 33 + lane];
          x /= sh.Sm[r * 33 + r];
        }
        sh.Xb[r * 33 + lane] = x;
      }
      double ldv = lane < m ? 2.0 * log(sh.Sm[lane * 33 + lane]) : 0.0;
      double lcv = lane < m ? log(C[static_cast<int64_t>(v0 + lane) * Dc + v0 + lane]) : 0.0;
      ldv = cu::warp_sum(ldv);
      lcv = cu::warp_sum(lcv);
      if (lane == 0) { *s_logdet += ldv; *s_lnc += lcv; }
    }
    if (lane == 0) *s_bad = bad ? 1 : 0;
  }
  __syncthreads();
  if (*s_bad) return false;
  // X[i][r] = sum_{c <= r} Xb[r][c] W[i][c]  (into Cs)
  for (int i = warp; i < n; i += nw) {
    double acc = 0;
    for (int c = 0; c <= lane && c < m; ++c) acc += sh.Xb[lane * 33 + c] * sh.W[i * kPanel + c];
    sh.Cs[i * kPanel + lane] = (lane < m) ? acc : 0.0;
  }
  __syncthreads();
  // new rows: Li[n + r][j] = -sum_{i >= j} X[i][r] Li[i][j]; warp per 32-column tile, lane = column
  const int tiles = (n + 31) >> 5;
  for (int jt = warp; jt < tiles; jt += nw) {
    const int j = jt * 32 + lane;
    double acc[kPanel];
#pragma unroll
    for (int r = 0; r < kPanel; ++r) acc[r] = 0;
    for (int i = jt * 32; i < n; ++i) {
      const double l = (j < n && i >= j) ? Li[static_cast<int64_t>(i) * ld + j] : 0.0;
      const double* xr = sh.Cs + i * kPanel;
#pragma unroll
      for (int r = 0; r < kPanel; ++r) acc[r] += xr[r] * l;
    }
    if (j < n) {
#pragma unroll
      for (int r = 0; r < kPanel; ++r)
        if (r < m) Li[static_cast<int64_t>(n + r) * ld + j] = -acc[r];
    }
  }
  for (int idx = tid; idx < kPanel * kPanel; idx += blockDim.x) {
    const int r = idx >> 5, c = idx & 31;
    if (r < m && c < m) Li[static_cast<int64_t>(n + r) * ld + n + c] = c <= r ? sh.Xb[r * 33 + c] : 0.0;
  }
  for (int c = tid; c < m; c += blockDim.x) sh.svar[n + c] = v0 + c;
  __syncthreads();
  return true;
}

__global__ void __launch_bounds__(kUnitThreads) unit_kernel(UnitParams p) {
  extern __shared__ double smem[];
  __shared__ double s_red[32];
  __shared__ double s_logdet, s_lnc;
  __shared__ int s_bad, s_task;
  UnitShared sh;
  const int nmaxp = p.nmaxp;
  if (p.gpanels) {
    sh.Cs = p.gpanels + static_cast<int64_t>(blockIdx.x) * 2 * nmaxp * kPanel;
    sh.W = sh.Cs + static_cast<int64_t>(nmaxp) * kPanel;
    sh.Sm = smem;
  } else {
    sh.Cs = smem;
    sh.W = sh.Cs + nmaxp * kPanel;
    sh.Sm = sh.W + nmaxp * kPanel;
  }
  sh.Xb = sh.Sm + 32 * 33;
  sh.red = s_red;
  sh.svar = reinterpret_cast<int*>(sh.Xb + 32 * 33);
  double* Li = p.scratch + static_cast<int64_t>(blockIdx.x) * p.slot;
  const int tid = threadIdx.x;
  const int U = p.U;
  const u64 nodes = 1ull << U;

  for (;;) {
    if (tid == 0) s_task = static_cast<int>(atomicAdd(p.next_task, 1u));
    __syncthreads();
    const int task = s_task;
    if (task >= p.ntasks) return;
    const int b = p.tasks[3 * task], ui = p.tasks[3 * task + 1], uj = p.tasks[3 * task + 2];
    const double* C = p.C + static_cast<int64_t>(p.cidx ? p.cidx[b] : b) * p.Dc * p.Dc;
    const int32_t* uoff = p.uoff + static_cast<int64_t>(b) * (U + 1);
    // depth-indexed state (identical in every thread)
    int nv[kMaxDepth + 1];
    double ldet[kMaxDepth + 1], lnc[kMaxDepth + 1];
    u64 mask[kMaxDepth + 1];
    int nextu[kMaxDepth + 1];
    nv[0] = 0; ldet[0] = 0; lnc[0] = 0; mask[0] = 0;
    if (tid == 0) { s_logdet = 0; s_lnc = 0; }
    __syncthreads();
    bool ok = true;
    int depth = 0;
    auto push = [&](int u) -> bool {
      int n = nv[depth];
      for (int v0 = uoff[u]; v0 < uoff[u + 1]; v0 += kPanel) {
        const int m = min(kPanel, uoff[u + 1] - v0);
        if (!extend_panel(p, C, Li, sh, n, v0, m, &s_logdet, &s_lnc, &s_bad)) return false;
        n += m;
      }
      ++depth;
      nv[depth] = n;
      ldet[depth] = s_logdet;
      lnc[depth] = s_lnc;
      mask[depth] = mask[depth - 1] | (1ull << u);
      return true;
    };
    auto evaluate = [&]() {
      const int n = nv[depth];
      double v = 0;
      if (!p.grouped) {
        double sl = 0;
        for (int j = tid; j < n; j += blockDim.x) {
          double pj = 0;
          for (int i = j; i < n; ++i) {
            const double x = Li[static_cast<int64_t>(i) * p.ld + j];
            pj += x * x;
          }
          sl += log(pj);
        }
        sl = cu::block_sum(sl, sh.red);
        v = -ldet[depth] + 0.5 * lnc[depth] - 0.5 * sl;
      } else {
        v = ldet[depth];
      }
      if (tid == 0) p.out[static_cast<int64_t>(b) * nodes + mask[depth]] = v;
    };
    auto report_bad = [&](int u) {
      if (tid == 0) atomicMin(p.err, ((static_cast<u64>(b) << 32) | (mask[depth] | (1ull << u))) + 1ull);
    };
    ok = push(ui);
    if (!ok) { report_bad(ui); __syncthreads(); continue; }
    if (uj < 0) {  // singleton (grouped mode needs ln|C_g|)
      evaluate();
      __syncthreads();
      continue;
    }
    ok = push(uj);
    if (!ok) { report_bad(uj); __syncthreads(); continue; }
    if (p.grouped || depth >= p.min_size) evaluate();
    nextu[depth] = uj + 1;
    while (depth >= 2) {
      if (depth < p.max_size && nextu[depth] < U) {
        const int v = nextu[depth]++;
        // truncate to this depth
        __syncthreads();
        if (tid == 0) { s_logdet = ldet[depth]; s_lnc = lnc[depth]; }
        __syncthreads();
        if (!push(v)) { report_bad(v); ok = false; break; }
        nextu[depth] = v + 1;
        if (p.grouped || depth >= p.min_size) evaluate();
      } else {
        --depth;
      }
    }
    __syncthreads();
  }
}

// ------------------------------------------------------------------------------------------------
// Host side
// ------------------------------------------------------------------------------------------------
Multiplet make_multiplet(const detail::Cand& c, int32_t U, int32_t maxd) {
  Multiplet m;
  m.value = c.value;
  if (c.valid()) {
    std::vector<int32_t> path(static_cast<size_t>(maxd) + 1);
    int32_t depth = detail::lattice_unrank(c.rank, U, maxd, path.data());
    m.members.assign(path.begin(), path.begin() + depth);
  }
  return m;
}

// Host accumulation of one batch item's result.
struct Accum {
  int32_t U = 0, maxd = 0, min_size = 0;
  std::vector<detail::Cand> mins, maxs;  // per size
  std::vector<uint64_t> counts;
  detail::TopK<true> lo;
  detail::TopK<false> hi;
  void init(int32_t units, const OInfoOptions& opt) {
    U = units;
    maxd = opt.max_size;
    min_size = opt.min_size;
    const size_t ns = static_cast<size_t>(opt.max_size - opt.min_size + 1);
    mins.assign(ns, {});
    maxs.assign(ns, {});
    counts.assign(ns, 0);
    lo.k = opt.top_k;
    hi.k = opt.top_k;
  }
  void add(int32_t size, const detail::Cand& c) {
    const size_t s = static_cast<size_t>(size - min_size);
    counts[s]++;
    if (detail::less_min(c, mins[s])) mins[s] = c;
    if (detail::greater_max(c, maxs[s])) maxs[s] = c;
    lo.push(c);
    hi.push(c);
  }
  void finish(OInfoResult& r) const {
    r = OInfoResult();
    detail::Cand gmin, gmax;
    for (size_t s = 0; s < counts.size(); ++s) {
      SizeExtremes e;
      e.size = min_size + static_cast<int32_t>(s);
      e.count = counts[s];
      e.min = make_multiplet(mins[s], U, maxd);
      e.max = make_multiplet(maxs[s], U, maxd);
      r.count += counts[s];
      if (detail::less_min(mins[s], gmin)) gmin = mins[s];
      if (detail::greater_max(maxs[s], gmax)) gmax = maxs[s];
      r.by_size.push_back(std::move(e));
    }
    r.min = make_multiplet(gmin, U, maxd);
    r.max = make_multiplet(gmax, U, maxd);
    for (const auto& c : lo.sorted()) r.top_synergy.push_back(make_multiplet(c, U, maxd));
    for (const auto& c : hi.sorted()) r.top_redundancy.push_back(make_multiplet(c, U, maxd));
  }
};

Status launch_var(int K, int grid, int threads, const VarParams& vp, cudaStream_t s) {
  switch (K) {
    case 2: var_kernel<2><<<grid, threads, 0, s>>>(vp); break;
    case 3: var_kernel<3><<<grid, threads, 0, s>>>(vp); break;
    case 4: var_kernel<4><<<grid, threads, 0, s>>>(vp); break;
    case 5: var_kernel<5><<<grid, threads, 0, s>>>(vp); break;
    case 6: var_kernel<6><<<grid, threads, 0, s>>>(vp); break;
    case 7: var_kernel<7><<<grid, threads, 0, s>>>(vp); break;
    case 8: var_kernel<8><<<grid, threads, 0, s>>>(vp); break;
    default: var_kernel<0><<<grid, threads, 0, s>>>(vp); break;
  }
  GK_LAUNCH("var_kernel launch");
  return Status::Ok();
}

// Launches are bounded so that long work can be cancelled and shows progress: the host splits each
// kernel's work into launches of about kSliceSeconds, waits for each one, then reports progress and checks
// the cancel flag, so a cancel takes effect within about one launch (a unit_kernel task, one subtree, is
// never split: its size bounds the wait on the units path). The budget (multiplets per var_kernel launch,
// lattice nodes per unit_kernel launch) starts small and follows the measured launch times;
// GROKINFO_CUDA_SLICE=n fixes it to n (tests: many launches on small problems). Results do not depend on it.
constexpr double kSliceSeconds = 0.1;
constexpr u64 kFirstVarLaunch = 1ull << 22;   // multiplets
constexpr u64 kFirstUnitLaunch = 1ull << 15;  // lattice nodes

class SliceBudget {
 public:
  explicit SliceBudget(u64 first) : work_(first) {
    const char* e = std::getenv("GROKINFO_CUDA_SLICE");
    if (e && *e) {
      fixed_ = true;
      work_ = std::max<u64>(1, std::strtoull(e, nullptr, 10));
    }
  }
  u64 work() const { return work_; }
  // After a launch of work() that took `seconds`: aim the next one at kSliceSeconds (at most x4 / 16 per step).
  void launched(double seconds) {
    if (fixed_ || (seconds >= 0.5 * kSliceSeconds && seconds <= 2 * kSliceSeconds)) return;
    const double f = std::clamp(kSliceSeconds / std::max(seconds, 1e-6), 1.0 / 16, 4.0);
    work_ = static_cast<u64>(std::clamp(static_cast<double>(work_) * f, 1.0, 0x1p60));
  }

 private:
  u64 work_;
  bool fixed_ = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The subsets one launch over [s0, s1) of every chunk evaluates (chunks of `per`, the last one shorter).
u64 slice_subsets(u64 total, u64 per, u64 s0, u64 s1) {
  if (total == 0) return 0;
  const u64 nchunks = (total + per - 1) / per;
  const u64 lastn = total - (nchunks - 1) * per;
  auto part = [&](u64 n) { return n > s0 ? std::min(n, s1) - s0 : 0; };
  return (nchunks - 1) * part(per) + part(lastn);
}

// One size's chunk layout: C(U, k) subsets in nchunks chunks of `per` (one thread each).
struct SizeRun { int k; u64 total, per; int64_t nchunks; double offset; };

// One pass of var_kernel (extremes, or with vp.collect the top-k candidates) over every chunk of one size,
// in bounded launches; the extremes pass reports its multiplets as progress.
Status var_pass(VarParams vp, const SizeRun& r, int threads, SliceBudget& budget, cudaStream_t s, const Control& ctl) {
  vp.k = r.k; vp.total = r.total; vp.per = r.per; vp.nchunks = r.nchunks; vp.offset = r.offset;
  const int grid = cu::div_up(r.nchunks, threads);
  for (u64 s0 = 0; s0 < r.per;) {
    const u64 step = std::max<u64>(1, budget.work() / static_cast<u64>(r.nchunks));
    const u64 s1 = step >= r.per - s0 ? r.per : s0 + step;
    vp.s0 = s0;
    vp.s1 = s1;
    const auto t0 = std::chrono::steady_clock::now();
    GK_TRY(launch_var(r.k, grid, threads, vp, s));
    GK_CUDA(cudaStreamSynchronize(s));
    budget.launched(seconds_since(t0));
    if (!vp.collect) ctl.add_done(static_cast<double>(slice_subsets(r.total, r.per, s0, s1)));
    if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
    s0 = s1;
  }
  return Status::Ok();
}

}  // namespace

// Variables mode: every unit is one variable. cov is host memory (batch x D x D).
Status run_variables(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                     std::vector<OInfoResult>& results, const Control& ctl) {
  DeviceInfo di;
  GK_TRY(device_info(&di));
  const int U = units.count;
  const int maxd = opt.max_size;
  if (maxd > kMaxVarK)
    return Status::Error(Code::BACKEND_UNAVAILABLE,
                         "backend 'cuda': multiplets of more than " + std::to_string(kMaxVarK) +
                             " variables are not supported on the GPU; use backend 'cpu'");
  cu::Stream stream;
  GK_TRY(stream.create());
  cudaStream_t s = stream.get();
  // tables
  std::vector<u64> binom(static_cast<size_t>(U + 1) * kBinomCols);
  for (int n = 0; n <= U; ++n)
    for (int k = 0; k < kBinomCols; ++k) binom[static_cast<size_t>(n) * kBinomCols + k] = detail::binom(n, k);
  std::vector<u64> pre(static_cast<size_t>(maxd) * (U + 1), 0);
  for (int d = 0; d < maxd; ++d) {
    u64 acc = 0;
    for (int x = 0; x <= U; ++x) {
      pre[static_cast<size_t>(d) * (U + 1) + x] = acc;
      if (x < U) acc = detail::sat_add(acc, detail::lattice_subtree(U, maxd, d + 1, x));
    }
  }
  std::vector<int32_t> var(static_cast<size_t>(U));
  for (int u = 0; u < U; ++u) var[u] = units.members[units.offsets[u]];
  std::vector<double> bias;
  if (opt.bias_samples > 0) bias = detail::bias_table(opt.bias_samples, std::max(maxd, 1));

  DeviceBuffer<u64> d_binom, d_pre, d_err, d_cnt;
  DeviceBuffer<int32_t> d_var;
  DeviceBuffer<double> d_C, d_lnc;
  GK_TRY(d_binom.upload(binom.data(), binom.size(), s, "binomials"));
  GK_TRY(d_pre.upload(pre.data(), pre.size(), s, "rank table"));
  GK_TRY(d_var.upload(var.data(), var.size(), s, "unit variables"));
  GK_TRY(d_C.alloc(static_cast<size_t>(D * D), "covariance"));
  GK_TRY(d_lnc.alloc(static_cast<size_t>(U), "log variances"));
  GK_TRY(d_err.alloc(1, "error flag"));
  GK_TRY(d_cnt.alloc(2, "counters"));

  const int threads = 128;
  const int64_t target_threads = static_cast<int64_t>(di.sms) * 1024;
  // chunk layout per size
  std::vector<SizeRun> runs;
  int64_t all_chunks = 0;
  for (int k = opt.min_size; k <= opt.max_size; ++k) {
    SizeRun r;
    r.k = k;
    r.total = detail::binom(U, k);
    if (r.total == detail::kSaturated) return Status::Error(Code::INVALID_ARGUMENT, "too many multiplets");
    u64 per = std::max<u64>(8, (r.total + target_threads - 1) / static_cast<u64>(target_threads));
    r.per = per;
    r.nchunks = r.total == 0 ? 0 : static_cast<int64_t>((r.total + per - 1) / per);
    r.offset = bias.empty() ? 0.0 : -detail::bias_individual(bias.data(), k);
    all_chunks += r.nchunks;
    runs.push_back(r);
  }
  DeviceBuffer<double> d_tmin_v, d_tmax_v;
  DeviceBuffer<u64> d_tmin_r, d_tmax_r;
  GK_TRY(d_tmin_v.alloc(std::max<int64_t>(all_chunks, 1), "chunk minima"));
  GK_TRY(d_tmax_v.alloc(std::max<int64_t>(all_chunks, 1), "chunk maxima"));
  GK_TRY(d_tmin_r.alloc(std::max<int64_t>(all_chunks, 1), "chunk minima"));
  GK_TRY(d_tmax_r.alloc(std::max<int64_t>(all_chunks, 1), "chunk maxima"));
  std::vector<double> tmin_v(all_chunks), tmax_v(all_chunks);
  std::vector<u64> tmin_r(all_chunks), tmax_r(all_chunks);
  SliceBudget budget(kFirstVarLaunch);

  results.assign(static_cast<size_t>(batch), OInfoResult());
  std::vector<double> lnc(static_cast<size_t>(U));
  for (int64_t b = 0; b < batch; ++b) {
    if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
    const double* Cb = cov + b * D * D;
    for (int u = 0; u < U; ++u) {
      const double cvv = Cb[static_cast<int64_t>(var[u]) * D + var[u]];
      if (!(cvv > 0.0))
        return Status::Error(Code::INVALID_DATA, "covariance " + std::to_string(b) + ": variable " +
                                                     std::to_string(var[u]) + " has a non-positive variance");
      lnc[u] = std::log(cvv);
    }
    GK_CUDA(cudaMemcpyAsync(d_C.get(), Cb, sizeof(double) * D * D, cudaMemcpyHostToDevice, s));
    GK_CUDA(cudaMemcpyAsync(d_lnc.get(), lnc.data(), sizeof(double) * U, cudaMemcpyHostToDevice, s));
    const u64 noerr = kNoRank;
    GK_CUDA(cudaMemcpyAsync(d_err.get(), &noerr, sizeof(u64), cudaMemcpyHostToDevice, s));
    VarParams vp{};
    vp.C = d_C.get(); vp.D = D; vp.var = d_var.get(); vp.lnc = d_lnc.get();
    vp.U = U; vp.maxd = maxd; vp.binom = d_binom.get(); vp.pre = d_pre.get();
    vp.scale = opt.scale; vp.err_rank = d_err.get();
    int64_t off = 0;
    for (const SizeRun& r : runs) {
      if (r.nchunks == 0) continue;
      vp.tmin_v = d_tmin_v.get() + off; vp.tmin_r = d_tmin_r.get() + off;
      vp.tmax_v = d_tmax_v.get() + off; vp.tmax_r = d_tmax_r.get() + off;
      vp.collect = 0;
      GK_TRY(var_pass(vp, r, threads, budget, s, ctl));
      off += r.nchunks;
    }
    GK_CUDA(cudaMemcpyAsync(tmin_v.data(), d_tmin_v.get(), sizeof(double) * all_chunks, cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaMemcpyAsync(tmin_r.data(), d_tmin_r.get(), sizeof(u64) * all_chunks, cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaMemcpyAsync(tmax_v.data(), d_tmax_v.get(), sizeof(double) * all_chunks, cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaMemcpyAsync(tmax_r.data(), d_tmax_r.get(), sizeof(u64) * all_chunks, cudaMemcpyDeviceToHost, s));
    u64 err = 0;
    GK_CUDA(cudaMemcpyAsync(&err, d_err.get(), sizeof(u64), cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaStreamSynchronize(s));
    if (err != kNoRank) {
      Multiplet m = make_multiplet({0.0, err}, U, maxd);
      return singular_error(batch > 1 ? static_cast<int64_t>(b) : -1, m.members);
    }
    // per-size extremes
    OInfoResult& res = results[static_cast<size_t>(b)];
    res = OInfoResult();
    detail::Cand gmin, gmax;
    std::vector<detail::Cand> cmin, cmax;  // all chunk extremes (top-k thresholds)
    off = 0;
    for (const SizeRun& r : runs) {
      detail::Cand smin, smax;
      for (int64_t t = 0; t < r.nchunks; ++t) {
        detail::Cand a{tmin_v[off + t], tmin_r[off + t]}, z{tmax_v[off + t], tmax_r[off + t]};
        if (detail::less_min(a, smin)) smin = a;
        if (detail::greater_max(z, smax)) smax = z;
        if (opt.top_k > 0) {
          if (a.valid()) cmin.push_back(a);
          if (z.valid()) cmax.push_back(z);
        }
      }
      off += r.nchunks;
      SizeExtremes e;
      e.size = r.k;
      e.count = r.total;
      e.min = make_multiplet(smin, U, maxd);
      e.max = make_multiplet(smax, U, maxd);
      res.count += r.total;
      if (detail::less_min(smin, gmin)) gmin = smin;
      if (detail::greater_max(smax, gmax)) gmax = smax;
      res.by_size.push_back(std::move(e));
    }
    res.min = make_multiplet(gmin, U, maxd);
    res.max = make_multiplet(gmax, U, maxd);
    if (opt.top_k > 0 && !cmin.empty() && !cmax.empty()) {
      // threshold: the k-th best chunk extreme; every multiplet at or better than it lies in at most
      // k chunks, so at most k * per of them are collected. With fewer than k chunks the k-th best
      // chunk extreme does not bound the k-th best multiplet (a chunk holds up to `per` of the top
      // k): then every multiplet is collected (threshold +inf / -inf), at most the total count.
      const size_t K = static_cast<size_t>(opt.top_k);
      detail::Cand tlo{INFINITY, kNoRank}, thi{-INFINITY, kNoRank};
      if (cmin.size() >= K) {
        std::nth_element(cmin.begin(), cmin.begin() + (K - 1), cmin.end(), detail::less_min);
        tlo = cmin[K - 1];
      }
      if (cmax.size() >= K) {
        std::nth_element(cmax.begin(), cmax.begin() + (K - 1), cmax.end(), detail::greater_max);
        thi = cmax[K - 1];
      }
      u64 maxper = 0, total = 0;
      for (const SizeRun& r : runs) { maxper = std::max(maxper, r.per); total += r.total; }
      const u64 cap = (cmin.size() >= K && cmax.size() >= K) ? static_cast<u64>(K) * maxper + 1 : total + 1;
      DeviceBuffer<double> d_lo_v, d_hi_v;
      DeviceBuffer<u64> d_lo_r, d_hi_r;
      GK_TRY(d_lo_v.alloc(cap, "top-k candidates"));
      GK_TRY(d_hi_v.alloc(cap, "top-k candidates"));
      GK_TRY(d_lo_r.alloc(cap, "top-k candidates"));
      GK_TRY(d_hi_r.alloc(cap, "top-k candidates"));
      GK_CUDA(cudaMemsetAsync(d_cnt.get(), 0, 2 * sizeof(u64), s));
      vp.collect = 1;
      vp.lo_v = tlo.value; vp.lo_r = tlo.rank; vp.hi_v = thi.value; vp.hi_r = thi.rank;
      vp.clo_v = d_lo_v.get(); vp.clo_r = d_lo_r.get(); vp.clo_n = d_cnt.get();
      vp.chi_v = d_hi_v.get(); vp.chi_r = d_hi_r.get(); vp.chi_n = d_cnt.get() + 1;
      vp.cap = cap;
      for (const SizeRun& r : runs) {
        if (r.nchunks == 0) continue;
        GK_TRY(var_pass(vp, r, threads, budget, s, ctl));
      }
      u64 cnt[2];
      GK_CUDA(cudaMemcpyAsync(cnt, d_cnt.get(), 2 * sizeof(u64), cudaMemcpyDeviceToHost, s));
      GK_CUDA(cudaStreamSynchronize(s));
      if (cnt[0] > cap || cnt[1] > cap)
        return Status::Error(Code::INTERNAL, "top-k collection overflowed its bound (" + std::to_string(cnt[0]) + ", " +
                                                 std::to_string(cnt[1]) + " > " + std::to_string(cap) + ")");
      std::vector<double> lv(cnt[0]), hv(cnt[1]);
      std::vector<u64> lr(cnt[0]), hr(cnt[1]);
      GK_CUDA(cudaMemcpy(lv.data(), d_lo_v.get(), sizeof(double) * cnt[0], cudaMemcpyDeviceToHost));
      GK_CUDA(cudaMemcpy(lr.data(), d_lo_r.get(), sizeof(u64) * cnt[0], cudaMemcpyDeviceToHost));
      GK_CUDA(cudaMemcpy(hv.data(), d_hi_v.get(), sizeof(double) * cnt[1], cudaMemcpyDeviceToHost));
      GK_CUDA(cudaMemcpy(hr.data(), d_hi_r.get(), sizeof(u64) * cnt[1], cudaMemcpyDeviceToHost));
      detail::TopK<true> lo;
      detail::TopK<false> hi;
      lo.k = opt.top_k;
      hi.k = opt.top_k;
      for (u64 i = 0; i < cnt[0]; ++i) lo.push({lv[i], lr[i]});
      for (u64 i = 0; i < cnt[1]; ++i) hi.push({hv[i], hr[i]});
      for (const auto& c : lo.sorted()) res.top_synergy.push_back(make_multiplet(c, U, maxd));
      for (const auto& c : hi.sorted()) res.top_redundancy.push_back(make_multiplet(c, U, maxd));
    }
  }
  return Status::Ok();
}

// Units mode: device covariances already permuted so that each unit is contiguous (oinfo_cuda.cuh).
Status run_units_device(const double* d_C, int64_t batch, int64_t Dc, const std::vector<int32_t>& uoff, int U,
                        const OInfoOptions& opt, bool grouped, cudaStream_t s, std::vector<double>& table,
                        u64* err_out, const Control& ctl, const std::vector<int32_t>* cidx) {
  DeviceInfo di;
  GK_TRY(device_info(&di));
  if (U > kMaxUnitsTable)
    return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': at most " + std::to_string(kMaxUnitsTable) +
                                                        " units of several variables are supported on the GPU; use backend 'cpu'");
  if (opt.max_size > kMaxDepth)
    return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': multiplets of more than " +
                                                        std::to_string(kMaxDepth) + " units are not supported on the GPU");
  // largest union: the max_size largest units of any batch item
  int nmax = 1;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int> sz(static_cast<size_t>(U));
    for (int u = 0; u < U; ++u) sz[u] = uoff[b * (U + 1) + u + 1] - uoff[b * (U + 1) + u];
    std::sort(sz.begin(), sz.end(), std::greater<int>());
    int t = 0;
    for (int i = 0; i < std::min(U, opt.max_size); ++i) t += sz[i];
    nmax = std::max(nmax, t);
  }
  const int nmaxp = (nmax + 31) & ~31;
  const int64_t ld = nmaxp;
  const int64_t slot = static_cast<int64_t>(nmax + kPanel) * ld;
  // tasks: (b, i, j), largest subtree first
  struct Task { int b, i, j; u64 size; };
  std::vector<Task> tv;
  for (int64_t b = 0; b < batch; ++b)
    for (int i = 0; i < U; ++i) {
      if (grouped || opt.min_size <= 1) tv.push_back({static_cast<int>(b), i, -1, 1});
      if (opt.max_size >= 2)
        for (int j = i + 1; j < U; ++j)
          tv.push_back({static_cast<int>(b), i, j, detail::binom_sum(U - 1 - j, 0, opt.max_size - 2)});
    }
  std::stable_sort(tv.begin(), tv.end(), [](const Task& a, const Task& z) { return a.size > z.size; });
  std::vector<int32_t> tasks;
  for (const Task& t : tv) { tasks.push_back(t.b); tasks.push_back(t.i); tasks.push_back(t.j); }
  const int ntasks = static_cast<int>(tv.size());
  const size_t smem_small = (2 * 32 * 33) * sizeof(double) + static_cast<size_t>(nmaxp) * sizeof(int);
  const size_t smem_big = smem_small + static_cast<size_t>(2) * nmaxp * kPanel * sizeof(double);
  const bool panels_in_smem = smem_big <= static_cast<size_t>(di.smem_optin) - 2048;
  const size_t smem = panels_in_smem ? smem_big : smem_small;
  GK_CUDA(cudaFuncSetAttribute(unit_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  int per_sm = 0;
  GK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, unit_kernel, kUnitThreads, smem));
  if (per_sm < 1) per_sm = 1;
  const int grid = std::max(1, std::min(ntasks, di.sms * per_sm));

  DeviceBuffer<double> d_scratch, d_panels, d_out;
  DeviceBuffer<int32_t> d_uoff, d_tasks, d_cidx;
  DeviceBuffer<unsigned int> d_next;
  if (cidx) GK_TRY(d_cidx.upload(cidx->data(), cidx->size(), s, "covariance index"));
  DeviceBuffer<u64> d_err;
  const u64 nodes = 1ull << U;
  GK_TRY(d_scratch.alloc(static_cast<size_t>(grid) * slot, "factor scratch"));
  if (!panels_in_smem) GK_TRY(d_panels.alloc(static_cast<size_t>(grid) * 2 * nmaxp * kPanel, "panel scratch"));
  GK_TRY(d_out.alloc(static_cast<size_t>(batch) * nodes, "node table"));
  GK_TRY(d_uoff.upload(uoff.data(), uoff.size(), s, "unit offsets"));
  GK_TRY(d_tasks.upload(tasks.data(), tasks.size(), s, "tasks"));
  GK_TRY(d_next.alloc(1, "task counter"));
  GK_TRY(d_err.alloc(1, "error flag"));
  const u64 noerr = kNoRank;
  GK_CUDA(cudaMemcpyAsync(d_err.get(), &noerr, sizeof(u64), cudaMemcpyHostToDevice, s));
  // poison: every node the walk reaches must be written (checked by NaN on the host)
  GK_CUDA(cudaMemsetAsync(d_out.get(), 0xff, sizeof(double) * batch * nodes, s));
  UnitParams up{};
  up.C = d_C; up.Dc = Dc; up.uoff = d_uoff.get(); up.cidx = cidx ? d_cidx.get() : nullptr; up.U = U; up.min_size = opt.min_size; up.max_size = opt.max_size;
  up.grouped = grouped ? 1 : 0; up.next_task = d_next.get();
  up.scratch = d_scratch.get(); up.ld = ld; up.slot = slot; up.nmaxp = nmaxp;
  up.gpanels = panels_in_smem ? nullptr : d_panels.get();
  up.out = d_out.get(); up.err = d_err.get();
  // bounded launches: tasks [t0, t1) of about budget.work() nodes (at least one task), largest first
  SliceBudget budget(kFirstUnitLaunch);
  for (int t0 = 0; t0 < ntasks;) {
    u64 work = tv[t0].size;
    int t1 = t0 + 1;
    while (t1 < ntasks && work + tv[t1].size <= budget.work()) work += tv[t1++].size;
    GK_CUDA(cudaMemsetAsync(d_next.get(), 0, sizeof(unsigned int), s));
    up.tasks = d_tasks.get() + 3 * static_cast<int64_t>(t0);
    up.ntasks = t1 - t0;
    const auto start = std::chrono::steady_clock::now();
    unit_kernel<<<grid, kUnitThreads, smem, s>>>(up);
    GK_LAUNCH("unit_kernel launch");
    GK_CUDA(cudaStreamSynchronize(s));
    budget.launched(seconds_since(start));
    if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
    t0 = t1;
  }
  table.resize(static_cast<size_t>(batch) * nodes);
  GK_CUDA(cudaMemcpyAsync(table.data(), d_out.get(), sizeof(double) * table.size(), cudaMemcpyDeviceToHost, s));
  GK_CUDA(cudaMemcpyAsync(err_out, d_err.get(), sizeof(u64), cudaMemcpyDeviceToHost, s));
  GK_CUDA(cudaStreamSynchronize(s));
  return Status::Ok();
}

// Reduces one batch item's node table into an OInfoResult (bias, scale, extremes, top-k), walking
// the lattice in preorder so ranks are the walk counter.
Status reduce_table(const double* tab, const int32_t* uoff, int U, const OInfoOptions& opt, bool grouped,
                    const std::vector<double>& bias, OInfoResult& res) {
  const int maxd = opt.max_size;
  Accum acc;
  acc.init(U, opt);
  std::vector<int32_t> path(static_cast<size_t>(maxd) + 1);
  std::vector<int32_t> dims(static_cast<size_t>(maxd) + 1);
  if (U == 0) { acc.finish(res); return Status::Ok(); }
  int32_t depth = 1;
  path[0] = 0;
  u64 rank = 0;
  std::vector<double> lng(static_cast<size_t>(U));
  if (grouped)
    for (int u = 0; u < U; ++u) lng[u] = tab[1ull << u];
  while (depth > 0) {
    if (depth >= opt.min_size) {
      u64 mask = 0;
      int nvar = 0;
      for (int d = 0; d < depth; ++d) {
        mask |= 1ull << path[d];
        dims[d] = uoff[path[d] + 1] - uoff[path[d]];
        nvar += dims[d];
      }
      double v;
      if (!grouped) {
        v = tab[mask];
        if (!bias.empty()) v -= detail::bias_individual(bias.data(), nvar);
      } else {
        const double lS = tab[mask];
        double sg = 0, sc = 0;
        for (int d = 0; d < depth; ++d) {
          sg += lng[path[d]];
          sc += tab[mask & ~(1ull << path[d])] - lS;
        }
        v = -lS + 0.5 * sg - 0.5 * sc;
        if (!bias.empty()) v -= detail::bias_grouped(bias.data(), dims.data(), depth);
      }
      v *= opt.scale;
      if (std::isnan(v))
        return Status::Error(Code::INTERNAL, "CUDA units kernel left a multiplet unevaluated");
      acc.add(depth, {v, rank});
    }
    depth = detail::lattice_next(path.data(), depth, U, maxd);
    ++rank;
  }
  acc.finish(res);
  return Status::Ok();
}

// Units mode from host covariances.
Status run_units_host(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                      std::vector<OInfoResult>& results, const Control& ctl) {
  const int U = units.count;
  std::vector<int32_t> order;  // permuted position -> original variable
  for (int u = 0; u < U; ++u)
    for (int32_t t = units.offsets[u]; t < units.offsets[u + 1]; ++t) order.push_back(units.members[t]);
  const int64_t Dc = static_cast<int64_t>(order.size());
  std::vector<double> Cp(static_cast<size_t>(batch * Dc * Dc));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < Dc; ++i)
      for (int64_t j = 0; j < Dc; ++j)
        Cp[(b * Dc + i) * Dc + j] = cov[(b * D + order[i]) * D + order[j]];
  std::vector<int32_t> uoff;
  for (int64_t b = 0; b < batch; ++b) uoff.insert(uoff.end(), units.offsets.begin(), units.offsets.end());
  cu::Stream stream;
  GK_TRY(stream.create());
  DeviceBuffer<double> d_C;
  GK_TRY(d_C.upload(Cp.data(), Cp.size(), stream.get(), "covariances"));
  std::vector<double> table;
  u64 err = kNoRank;
  if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
  GK_TRY(run_units_device(d_C.get(), batch, Dc, uoff, U, opt, opt.grouped, stream.get(), table, &err, ctl));
  if (err != kNoRank) {
    const u64 e = err - 1;
    std::vector<int32_t> mem;
    for (int u = 0; u < U; ++u)
      if ((e & 0xffffffffull) >> u & 1) mem.push_back(u);
    return singular_error(batch > 1 ? static_cast<int64_t>(e >> 32) : -1, mem);
  }
  std::vector<double> bias;
  if (opt.bias_samples > 0)
    bias = detail::bias_table(opt.bias_samples, static_cast<int32_t>(std::min<int64_t>(Dc, opt.bias_samples - 1)));
  results.assign(static_cast<size_t>(batch), OInfoResult());
  for (int64_t b = 0; b < batch; ++b) {
    GK_TRY(reduce_table(table.data() + b * (1ull << U), units.offsets.data(), U, opt, opt.grouped, bias,
                        results[static_cast<size_t>(b)]));
    ctl.add_done(static_cast<double>(results[static_cast<size_t>(b)].count));
  }
  return Status::Ok();
}

}  // namespace grokinfo::oinfo_cuda
