// The Gaussian copula on CUDA (what the files share: oinfo_cuda.cuh): per (item, alive column), ranks with
// the tie policy of copula.cpp (bitonic sort in shared memory of (value bits, tie key, row)), mid-ranks,
// the normal score of each rank (the CPU's ndtri, tabulated on the host), demeaned.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "oinfo_cuda.cuh"

namespace grokinfo::oinfo_cuda {

namespace {

// ------------------------------------------------------------------------------------------------
// Copula kernels
// ------------------------------------------------------------------------------------------------
__device__ __forceinline__ u64 splitmix64_dev(u64 x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

constexpr int kCopulaThreads = 512;
constexpr int kMaxEpt = 16;  // elements per thread: N <= 8192

// One block per (item, alive column j): ranks with the tie policy (bitonic sort of (value, tie key, row)),
// normal scores score[h] (h = twice the 0-based mid-rank), demeaned, written to G[b][row][dest[j]].
__global__ void __launch_bounds__(kCopulaThreads) copula_kernel(const float* Z, int64_t N, int64_t H, const int32_t* alive_idx,
                                                                const int32_t* dest, int64_t ldidx, const int32_t* nalive,
                                                                int ties, u64 seed, const double* score, int npad,
                                                                double* G, int64_t ldg, int64_t sG) {
  extern __shared__ __align__(16) unsigned char sm_raw[];
  u64* key = reinterpret_cast<u64*>(sm_raw);
  int* row = reinterpret_cast<int*>(key + npad);
  int* sa = row + npad;
  int* sb = sa + npad;
  __shared__ double red[32];
  const int b = blockIdx.y, j = blockIdx.x;
  if (j >= nalive[b]) return;
  const int col = alive_idx[b * ldidx + j];
  const float* X = Z + static_cast<int64_t>(b) * N * H;
  const int tid = threadIdx.x, nt = blockDim.x;
  for (int p = tid; p < npad; p += nt) {
    if (p < N) {
      // order-preserving key of the float, on the bits: -0 ties with +0, and no comparison of the
      // value itself (this file is built with --use_fast_math, i.e. -ftz=true: a float compare would
      // see a subnormal as 0 where the CPU does not)
      unsigned int u = __float_as_uint(X[static_cast<int64_t>(p) * H + col]);
      if ((u & 0x7fffffffu) == 0u) u = 0u;
      u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
      unsigned int tb = 0, tl = 0;
      if (ties == 1) {
        // the CPU sorts a run of ties by the full 64-bit hash: high word here, low word in sa
        const u64 hsh = splitmix64_dev(seed ^ splitmix64_dev(static_cast<u64>(j) * 0x100000001B3ULL + static_cast<u64>(p)));
        tb = static_cast<unsigned int>(hsh >> 32);
        tl = static_cast<unsigned int>(hsh);
      }
      key[p] = (static_cast<u64>(u) << 32) | tb;
      row[p] = p;
      sa[p] = static_cast<int>(tl);
    } else {
      key[p] = ~0ull;
      row[p] = 0x7fffffff;
      sa[p] = -1;  // 0xffffffff as unsigned: padding sorts last
    }
  }
  __syncthreads();
  // bitonic sort ascending on (key, low hash word (random ties only; 0 otherwise), row)
  for (int k = 2; k <= npad; k <<= 1) {
    for (int jj = k >> 1; jj > 0; jj >>= 1) {
      for (int i = tid; i < npad; i += nt) {
        const int ixj = i ^ jj;
        if (ixj > i) {
          const u64 ka = key[i], kb = key[ixj];
          const int ra = row[i], rb = row[ixj];
          bool gt;
          if (ties == 1) {
            const unsigned int la = static_cast<unsigned int>(sa[i]), lb = static_cast<unsigned int>(sa[ixj]);
            gt = ka > kb || (ka == kb && (la > lb || (la == lb && ra > rb)));
          } else {
            gt = ka > kb || (ka == kb && ra > rb);
          }
          const bool up = (i & k) == 0;
          if (up == gt) {
            key[i] = kb; key[ixj] = ka;
            row[i] = rb; row[ixj] = ra;
            if (ties == 1) { const int t = sa[i]; sa[i] = sa[ixj]; sa[ixj] = t; }
          }
        }
      }
      __syncthreads();
    }
  }
  const int ept = npad / nt;
  int h[kMaxEpt];
  if (ties == 0) {
    // run starts (inclusive max-scan) and run ends (inclusive suffix min-scan) over equal values
    for (int p = tid; p < npad; p += nt) {
      const unsigned int v = static_cast<unsigned int>(key[p] >> 32);
      const bool first = p == 0 || (p < N && v != static_cast<unsigned int>(key[p - 1] >> 32));
      const bool last = p < N && (p == N - 1 || v != static_cast<unsigned int>(key[p + 1] >> 32));
      sa[p] = (p < N && first) ? p : 0;
      sb[p] = (p < N && last) ? p : 0x7fffffff;
    }
    __syncthreads();
    for (int off = 1; off < npad; off <<= 1) {
      int va[kMaxEpt], vb[kMaxEpt];
#pragma unroll
      for (int q = 0; q < kMaxEpt; ++q) {
        if (q < ept) {
          const int p = tid + q * nt;
          va[q] = p >= off ? sa[p - off] : 0;
          vb[q] = p + off < npad ? sb[p + off] : 0x7fffffff;
        }
      }
      __syncthreads();
#pragma unroll
      for (int q = 0; q < kMaxEpt; ++q) {
        if (q < ept) {
          const int p = tid + q * nt;
          sa[p] = max(sa[p], va[q]);
          sb[p] = min(sb[p], vb[q]);
        }
      }
      __syncthreads();
    }
#pragma unroll
    for (int q = 0; q < kMaxEpt; ++q)
      if (q < ept) {
        const int p = tid + q * nt;
        h[q] = p < N ? sa[p] + sb[p] : 0;
      }
  } else {
#pragma unroll
    for (int q = 0; q < kMaxEpt; ++q)
      if (q < ept) h[q] = 2 * (tid + q * nt);
  }
  double sum = 0;
  double g[kMaxEpt];
#pragma unroll
  for (int q = 0; q < kMaxEpt; ++q) {
    if (q < ept) {
      const int p = tid + q * nt;
      g[q] = p < N ? score[h[q]] : 0.0;
      sum += g[q];
    }
  }
  sum = cu::block_sum(sum, red);
  const double mean = sum / static_cast<double>(N);
  const int dcol = dest[b * ldidx + j];
  double* Gb = G + static_cast<int64_t>(b) * sG;
#pragma unroll
  for (int q = 0; q < kMaxEpt; ++q) {
    if (q < ept) {
      const int p = tid + q * nt;
      if (p < N) Gb[static_cast<int64_t>(row[p]) * ldg + dcol] = g[q] - mean;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Host side
// ------------------------------------------------------------------------------------------------
}  // namespace

Status copula_score_table(int64_t N, cudaStream_t s, DeviceBuffer<double>* d_score) {
  std::vector<double> score(static_cast<size_t>(2 * N - 1));
  for (int64_t h = 0; h < 2 * N - 1; ++h)
    score[h] = ndtri(static_cast<double>(h + 2) / static_cast<double>(2 * (N + 1)));
  return d_score->upload(score.data(), score.size(), s, "normal scores");
}

Status copula_scores(const float* d_Z, int64_t N, int64_t H, const int32_t* d_alive_idx, const int32_t* d_dest,
                     const int32_t* d_nalive, int64_t nitems, int32_t amax, TiePolicy ties, uint64_t seed,
                     const DeviceBuffer<double>& d_score, int smem_optin, cudaStream_t s, DeviceBuffer<double>* d_G) {
  int npad = 1;
  while (npad < N) npad <<= 1;
  npad = std::max(npad, kCopulaThreads);
  if (npad > kCopulaThreads * kMaxEpt)
    return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': measuring more than " +
                                                        std::to_string(kCopulaThreads * kMaxEpt) +
                                                        " samples is not supported on the GPU; use backend 'cpu'");
  const size_t csm = static_cast<size_t>(npad) * (sizeof(u64) + 3 * sizeof(int));
  if (csm > static_cast<size_t>(smem_optin) - 1024)
    return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': too many samples for the copula kernel");
  GK_CUDA(cudaFuncSetAttribute(copula_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(csm)));
  const int64_t sG = N * amax;
  GK_TRY(d_G->alloc(static_cast<size_t>(nitems * sG), "normal scores"));
  copula_kernel<<<dim3(amax, static_cast<unsigned>(nitems)), kCopulaThreads, csm, s>>>(
      d_Z, N, H, d_alive_idx, d_dest, amax, d_nalive, static_cast<int>(ties), seed, d_score.get(), npad,
      d_G->get(), amax, sG);
  GK_LAUNCH("copula_kernel");
  return Status::Ok();
}

}  // namespace grokinfo::oinfo_cuda
