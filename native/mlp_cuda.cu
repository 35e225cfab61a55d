// Training engine on CUDA (contract: native/mlp.h; the CPU reference is mlp_cpu.cpp). M models of one
// shape train together; every kernel is batched over models (blockIdx.z or a model-major grid).
//
// Inputs: pairs (modular arithmetic: layer 0 is a gather of W0 columns) or dense rows (layer 0 is a GEMM on
// the uploaded X); loss cross-entropy or MSE on one-hot targets; full batch or minibatches drawn by the
// host sampler of the CPU trainer (batch_permutation, mlp_init.h); any depth.
//
// Per step (one CUDA graph, replayed; the step's optimiser scalars come from a table indexed by a
// device-side step counter, so the graph never changes):
//   batch        minibatch only: every model's batch (rows of its epoch permutation at the position the
//                device step counter gives; permutations of the chunk's epochs uploaded by the host),
//                gathered into per-model rows; pairs: the batch's layer-0 scatter lists
//   gather0      pairs: H0[n][j] = ReLU(W0T[a_n][j] + W0T[p+b_n][j] + b0[j])   (layer 0 is a gather)
//   sgemm NT     dense: H0 = ReLU(X W0^T + b0); H_l = ReLU(H_{l-1} W_l^T + b_l), logits = H_L W_out^T (+ b_out)
//   loss         softmax_xent or mse: loss per row (double), dlogits in place (scaled by 1/batch rows)
//   loss_check   per-model loss sum; non-finite -> model failed at this step (frozen from then on)
//   sgemm TN     dW_l partials over 512-row slices, then slice_reduce (fixed order: deterministic)
//   colsum       db_l partials, slice_reduce
//   sgemm NN     dH_{l-1} = (dZ_l W_l) masked by H_{l-1} > 0, in place over H_{l-1}
//   layer 0      dense: dW0 = dZ0^T X (sgemm TN + slice_reduce); pairs: scatter0
//                dW0T[r][j] = sum over the rows whose a (r < p) or p+b (r >= p) is r, in row order (CSR
//                lists): deterministic, no atomics
//   optim        AdamW / Adam / SGD (PyTorch single-tensor semantics, adamw.h), ablation mask
//   norm         per-model weight norm (double); constant-norm factor
//   rescale      constant-norm rescale + non-finite parameter check
//   finish       failure flags, step counter
// Evaluation runs each split in chunks of rows (kEvalRows; a test set may be much larger than the
// training set). Parameters live on the device in the PyTorch layout of mlp.h except, for pairs, W0,
// stored transposed (2p x h0) so the gather reads rows; get/set_params convert. Results do not depend on
// how many models train together (no reduction order depends on M).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "adamw.h"
#include "cuda_api.h"
#include "cuda_util.cuh"
#include "mlp_init.h"

namespace grokinfo {

namespace {

using cu::DeviceBuffer;

constexpr int kSlice = 512;  // rows per split-K slice of the weight-gradient reductions
constexpr int kChunk = 256;  // steps per optimiser-table upload

// ------------------------------------------------------------------------------------------------
// Batched SGEMM: C(i, j) = sum_k A(i, k) B(k, j) over a k range, fp32 accumulate.
//   A(i, k) = A_KC ? A[i*lda + k] : A[k*lda + i]
//   B(k, j) = B_NC ? B[k*ldb + j] : B[j*ldb + k]
// z = blockIdx.z: batch = z / nslice, slice = z % nslice; slice s covers k in [s*kslice, ...).
// Epilogues: 0 plain store (into C + z*sC: split-K partials), 1 bias + optional ReLU (forward),
// 2 masked by C's old value > 0 (backward through a ReLU, in place).
// ------------------------------------------------------------------------------------------------
constexpr int BM = 64, BN = 64, BK = 16, GT = 256;

struct GemmArgs {
  int M, N, K;
  const float* A; int64_t lda, sA;
  const float* B; int64_t ldb, sB;
  float* C; int64_t ldc, sC;
  const float* bias; int64_t sBias;  // epilogue 1
  int relu;
  int nslice, kslice;
  const int* skip;                   // per batch: nonzero -> skip (failed models); may be null
};

template <bool A_KC, bool B_NC, int EPI>
__global__ void __launch_bounds__(GT) sgemm_kernel(GemmArgs g) {
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN + 4];
  const int z = blockIdx.z;
  const int batch = z / g.nslice, slice = z % g.nslice;
  if (g.skip && g.skip[batch]) return;
  const float* A = g.A + batch * g.sA;
  const float* B = g.B + batch * g.sB;
  const int k0 = slice * g.kslice;
  const int k1 = min(g.K, k0 + g.kslice);
  const int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
  const int t = threadIdx.x, tx = t & 15, ty = t >> 4;
  float acc[4][4];
#pragma unroll
  for (int a = 0; a < 4; ++a)
#pragma unroll
    for (int b = 0; b < 4; ++b) acc[a][b] = 0.f;

  for (int kb = k0; kb < k1; kb += BK) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      int i, k;
      if (A_KC) { k = t & 15; i = (t >> 4) + 16 * r; }
      else { i = t & 63; k = (t >> 6) + 4 * r; }
      const int gi = i0 + i, gk = kb + k;
      float v = 0.f;
      if (gi < g.M && gk < k1) v = A_KC ? A[static_cast<int64_t>(gi) * g.lda + gk] : A[static_cast<int64_t>(gk) * g.lda + gi];
      As[k][i] = v;
    }
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      int j, k;
      if (B_NC) { j = t & 63; k = (t >> 6) + 4 * r; }
      else { k = t & 15; j = (t >> 4) + 16 * r; }
      const int gj = j0 + j, gk = kb + k;
      float v = 0.f;
      if (gj < g.N && gk < k1) v = B_NC ? B[static_cast<int64_t>(gk) * g.ldb + gj] : B[static_cast<int64_t>(gj) * g.ldb + gk];
      Bs[k][j] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int q = 0; q < 4; ++q) { a[q] = As[kk][ty * 4 + q]; b[q] = Bs[kk][tx * 4 + q]; }
#pragma unroll
      for (int x = 0; x < 4; ++x)
#pragma unroll
        for (int y = 0; y < 4; ++y) acc[x][y] = fmaf(a[x], b[y], acc[x][y]);
    }
    __syncthreads();
  }
  float* C = g.C + (EPI == 0 ? static_cast<int64_t>(z) : static_cast<int64_t>(batch)) * g.sC;
#pragma unroll
  for (int x = 0; x < 4; ++x) {
    const int gi = i0 + ty * 4 + x;
    if (gi >= g.M) continue;
#pragma unroll
    for (int y = 0; y < 4; ++y) {
      const int gj = j0 + tx * 4 + y;
      if (gj >= g.N) continue;
      float v = acc[x][y];
      float* c = C + static_cast<int64_t>(gi) * g.ldc + gj;
      if (EPI == 1) {
        if (g.bias) v += g.bias[batch * g.sBias + gj];
        if (g.relu) v = fmaxf(v, 0.f);
      } else if (EPI == 2) {
        v = *c > 0.f ? v : 0.f;
      }
      *c = v;
    }
  }
}

template <bool A_KC, bool B_NC, int EPI>
Status gemm(const GemmArgs& g, int batches, cudaStream_t s) {
  dim3 grid(cu::div_up(g.N, BN), cu::div_up(g.M, BM), batches * g.nslice);
  if (grid.y > 65535 || grid.z > 65535) return Status::Error(Code::BACKEND_UNAVAILABLE, "sgemm: grid too large");
  sgemm_kernel<A_KC, B_NC, EPI><<<grid, GT, 0, s>>>(g);
  GK_LAUNCH("sgemm launch");
  return Status::Ok();
}

// ------------------------------------------------------------------------------------------------
// Elementwise / reduction kernels
// ------------------------------------------------------------------------------------------------
// H[m][n][j] = ReLU(W0T[ia[n]][j] + W0T[ib[n]][j] + b0[j]); the tokens of model m at ia + m*sI (sI = 0: shared)
__global__ void gather0_kernel(const float* P, int64_t np, int64_t w0, int64_t b0, int h0, const int* ia,
                               const int* ib, int64_t sI, int n, float* H, int64_t sH) {
  const int m = blockIdx.z;
  const int row = blockIdx.y;
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= h0 || row >= n) return;
  const float* p = P + m * np;
  const float* W = p + w0;
  ia += m * sI;
  ib += m * sI;
  float v = W[static_cast<int64_t>(ia[row]) * h0 + j] + W[static_cast<int64_t>(ib[row]) * h0 + j];
  if (b0 >= 0) v += p[b0 + j];
  H[m * sH + static_cast<int64_t>(row) * h0 + j] = fmaxf(v, 0.f);
}

// Rows of a minibatch beyond its live count (`live`, a device int; null: all n rows live): no loss, not
// correct, zero gradient, and the gradient scale is 1/live (the batch's mean). Labels of model m at y + m*sY.
__device__ __forceinline__ bool dead_row(const int* live, int row, float* scale) {
  if (!live) return false;
  const int nl = *live;
  *scale = 1.0f / static_cast<float>(nl);
  return row >= nl;
}

// Warp per row: loss (double), correct, and (grad) dlogits = (softmax - onehot) * scale in place.
__global__ void softmax_xent_kernel(float* L, int64_t sL, int O, const int* y, int64_t sY, const int* live, int n,
                                   int grad, float scale, double* loss, uint8_t* correct, int64_t sR) {
  const int m = blockIdx.y;
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= n) return;
  float* l = L + m * sL + static_cast<int64_t>(row) * O;
  if (dead_row(live, row, &scale)) {
    if (grad)
      for (int c = lane; c < O; c += 32) l[c] = 0.f;
    if (lane == 0) {
      loss[m * sR + row] = 0;
      if (correct) correct[m * sR + row] = 0;
    }
    return;
  }
  y += m * sY;
  float mx = -INFINITY;
  int arg = 0x7fffffff;
  for (int c = lane; c < O; c += 32) {
    const float v = l[c];
    if (v > mx) { mx = v; arg = c; }
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float om = __shfl_xor_sync(0xffffffffu, mx, o);
    const int oa = __shfl_xor_sync(0xffffffffu, arg, o);
    if (om > mx || (om == mx && oa < arg)) { mx = om; arg = oa; }
  }
  const int yr = y[row];
  const float ly = l[yr];
  __syncwarp();  // every lane has read the label's logit before any lane overwrites it
  // As gemm.cpp softmax_xent: the wrong classes' sum R on its own (no absorption into the ~1 of the
  // correct class), S = e_y + R in double, the correct class's gradient -R/S, the loss log1p(R) at the max.
  float restf = 0.f;
  for (int c = lane; c < O; c += 32) {
    const float e = expf(l[c] - mx);
    if (grad) l[c] = e;
    if (c != yr) restf += e;
  }
  const double rest = static_cast<double>(cu::warp_sumf(restf));
  const double sum = (ly == mx ? 1.0 : exp(static_cast<double>(ly) - static_cast<double>(mx))) + rest;
  if (grad) {
    const float f = static_cast<float>(static_cast<double>(scale) / sum);
    for (int c = lane; c < O; c += 32) l[c] *= f;
    __syncwarp();
    if (lane == 0) l[yr] = static_cast<float>(-static_cast<double>(scale) * rest / sum);
  }
  if (lane == 0) {
    loss[m * sR + row] = ly == mx ? log1p(rest) : log(sum) + static_cast<double>(mx) - static_cast<double>(ly);
    if (correct) correct[m * sR + row] = arg == yr;
  }
}

// MSE on one-hot targets, warp per row (as gemm.cpp mse_onehot): loss = mean over the O classes of
// (z - onehot)^2 (double), correct = first maximal logit is the label, dlogits = (z - onehot) * 2*scale/O.
__global__ void mse_kernel(float* L, int64_t sL, int O, const int* y, int64_t sY, const int* live, int n, int grad,
                           float scale, double* loss, uint8_t* correct, int64_t sR) {
  const int m = blockIdx.y;
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= n) return;
  float* l = L + m * sL + static_cast<int64_t>(row) * O;
  if (dead_row(live, row, &scale)) {
    if (grad)
      for (int c = lane; c < O; c += 32) l[c] = 0.f;
    if (lane == 0) {
      loss[m * sR + row] = 0;
      if (correct) correct[m * sR + row] = 0;
    }
    return;
  }
  const int yr = y[m * sY + row];
  const float f = static_cast<float>(2.0 * static_cast<double>(scale) / static_cast<double>(O));
  float mx = -INFINITY;
  int arg = 0x7fffffff;
  double s = 0;
  for (int c = lane; c < O; c += 32) {
    const float z = l[c];
    if (z > mx) { mx = z; arg = c; }
    const double d = static_cast<double>(z) - (c == yr ? 1.0 : 0.0);
    s += d * d;
    if (grad) l[c] = (z - (c == yr ? 1.0f : 0.0f)) * f;
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float om = __shfl_xor_sync(0xffffffffu, mx, o);
    const int oa = __shfl_xor_sync(0xffffffffu, arg, o);
    if (om > mx || (om == mx && oa < arg)) { mx = om; arg = oa; }
  }
  s = cu::warp_sum(s);
  if (lane == 0) {
    loss[m * sR + row] = s / static_cast<double>(O);
    if (correct) correct[m * sR + row] = arg == yr;
  }
}

// Block per model: sum of row losses (fixed tree) and correct counts.
__global__ void row_reduce_kernel(const double* loss, const uint8_t* correct, int64_t sR, int n, double* out_loss,
                                  double* out_correct) {
  __shared__ double red[32];
  const int m = blockIdx.x;
  double s = 0, c = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    s += loss[m * sR + i];
    if (correct) c += correct[m * sR + i];
  }
  s = cu::block_sum(s, red);
  c = cu::block_sum(c, red);
  if (threadIdx.x == 0) {
    out_loss[m] = s;
    if (out_correct) out_correct[m] = c;
  }
}

// Loss check of the step: non-finite -> failed (`code`: 1 training loss, 4 minibatch loss) at step `*stepno + 1`.
__global__ void loss_check_kernel(const double* loss_sum, int M, int code, int* failed, long long* fail_step,
                                  const long long* stepno) {
  const int m = blockIdx.x * blockDim.x + threadIdx.x;
  if (m >= M) return;
  if (failed[m] == 0 && !isfinite(loss_sum[m])) {
    failed[m] = code;
    fail_step[m] = *stepno + 1;
  }
}

// Partial column sums: part[(m*S + s)*O + o] = sum over rows of slice s of X[m][row][o].
__global__ void colsum_kernel(const float* X, int64_t sX, int n, int O, float* part, int S) {
  const int z = blockIdx.z, m = z / S, s = z % S;
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= O) return;
  const int r0 = s * kSlice, r1 = min(n, r0 + kSlice);
  const float* x = X + m * sX;
  float acc = 0.f;
  for (int r = r0; r < r1; ++r) acc += x[static_cast<int64_t>(r) * O + o];
  part[static_cast<int64_t>(z) * O + o] = acc;
}

// dst[m*np + off + i] = sum_{s} part[(m*S + s)*len + i]  (fixed order)
__global__ void slice_reduce_kernel(const float* part, int S, int64_t len, float* dst, int64_t np, int64_t off, int M) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= len * M) return;
  const int64_t m = idx / len, i = idx % len;
  float acc = 0.f;
  for (int s = 0; s < S; ++s) acc += part[(m * S + s) * len + i];
  dst[m * np + off + i] = acc;
}

// dW0T[r][j] = sum over the list rows[rptr[r] .. rptr[r+1]) of dZ0[row][j]; model m's lists at rptr + m*sRp,
// rows + m*sRows (0: shared)
__global__ void scatter0_kernel(const float* dZ, int64_t sZ, int h0, const int* rptr, const int* rows, int64_t sRp,
                                int64_t sRows, float* G, int64_t np, int64_t w0) {
  const int m = blockIdx.z, r = blockIdx.y;
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= h0) return;
  const float* z = dZ + m * sZ;
  rptr += m * sRp;
  rows += m * sRows;
  float acc = 0.f;
  for (int q = rptr[r]; q < rptr[r + 1]; ++q) acc += z[static_cast<int64_t>(rows[q]) * h0 + j];
  G[m * np + w0 + static_cast<int64_t>(r) * h0 + j] = acc;
}

// The minibatch sampler (mlp.h) on the device: step t = *stepno uses batch k = t % nb of epoch t / nb, whose
// permutation (batch_permutation, drawn on the host) is slot t / nb - *perm_base of perm (slots x M x n).
// Block (row r, model m) copies sample perm[..][k*B + r] of model m: its label, and its input row (dense)
// or tokens (pairs); rows past the batch's end (the last batch of an epoch is smaller) get label 0 and
// zero inputs / tokens (0, vocab), and are dead rows of the loss. Block (0, 0) writes the live count.
__global__ void batch_kernel(const int* perm, int n, int M, int B, int nb, const long long* stepno,
                             const long long* perm_base, const float* X, int D, const int* ia, const int* ib,
                             const int* y, int vocab, float* bX, int* bia, int* bib, int* by, int* live) {
  const int r = blockIdx.x, m = blockIdx.y;
  const long long t = *stepno;
  const long long k = t % nb;
  const long long slot = t / nb - *perm_base;
  const int bn = static_cast<int>(min(static_cast<long long>(B), n - k * B));
  const int64_t o = static_cast<int64_t>(m) * B + r;
  const int src = r < bn ? perm[(slot * M + m) * n + k * B + r] : -1;
  if (threadIdx.x == 0) {
    by[o] = src >= 0 ? y[src] : 0;
    if (bia) {
      bia[o] = src >= 0 ? ia[src] : 0;
      bib[o] = src >= 0 ? ib[src] : vocab;
    }
    if (r == 0 && m == 0) *live = bn;
  }
  if (X)
    for (int c = threadIdx.x; c < D; c += blockDim.x)
      bX[o * D + c] = src >= 0 ? X[static_cast<int64_t>(src) * D + c] : 0.f;
}

// Pairs, minibatch: the layer-0 scatter lists of every model's batch (as the full-batch lists the host
// builds: input column c -> the batch rows whose a or vocab+b is c, in row order). Thread per model
// (a counting sort, serial: deterministic). rptr: M x (in0 + 1), rows: M x 2B, cur: M x in0 scratch.
__global__ void batch_lists_kernel(const int* bia, const int* bib, int B, int M, int in0, const int* live, int* rptr,
                                   int* rows, int* cur) {
  const int m = blockIdx.x * blockDim.x + threadIdx.x;
  if (m >= M) return;
  const int bn = *live;
  const int* a = bia + static_cast<int64_t>(m) * B;
  const int* b = bib + static_cast<int64_t>(m) * B;
  int* rp = rptr + static_cast<int64_t>(m) * (in0 + 1);
  int* rw = rows + static_cast<int64_t>(m) * 2 * B;
  int* cu = cur + static_cast<int64_t>(m) * in0;
  for (int c = 0; c <= in0; ++c) rp[c] = 0;
  for (int q = 0; q < bn; ++q) { rp[a[q] + 1]++; rp[b[q] + 1]++; }
  for (int c = 0; c < in0; ++c) { rp[c + 1] += rp[c]; cu[c] = rp[c]; }
  for (int q = 0; q < bn; ++q) { rw[cu[a[q]]++] = q; rw[cu[b[q]]++] = q; }
}

struct OptimDev {
  int kind;  // 0 AdamW, 1 Adam, 2 SGD
  float lr, wd, decay, beta1, beta2, omb1, omb2, step_size, bc2_sqrt, eps;
};

struct LayoutDev {
  int64_t np;
  int64_t w0, b0;  // offsets (b0 < 0: none)
  int h0, in0;     // W0 is h0 x in0, stored transposed (in0 x h0) when w0t (pairs: the gather reads rows)
  int w0t;
};

// Hidden unit (row of W0) of W0 element i - w0.
__device__ __forceinline__ int w0_unit(const LayoutDev& lay, int64_t e) {
  return static_cast<int>(lay.w0t ? e % lay.h0 : e / lay.in0);
}

// One optimiser update of every live model, then the ablation mask.
__global__ void optim_kernel(float* P, float* Mv, float* Vv, const float* G, int M, LayoutDev lay,
                             const OptimDev* table, const int* rel, const int* failed, const uint8_t* keep,
                             const int* has_mask) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= lay.np * M) return;
  const int m = static_cast<int>(idx / lay.np);
  const int64_t i = idx - static_cast<int64_t>(m) * lay.np;
  if (failed[m]) return;
  const OptimDev s = table[static_cast<int64_t>(*rel) * M + m];
  float p = P[idx];
  float g = G[idx];
  if (s.kind == 2) {
    const float gi = s.wd != 0.0f ? g + s.wd * p : g;
    p = p - s.lr * gi;
  } else {
    if (s.kind == 0) p = p * s.decay;
    else if (s.wd != 0.0f) g = g + s.wd * p;
    const float w = s.omb1;
    const float mo = Mv[idx];
    const float mi = w < 0.5f ? mo + w * (g - mo) : g - (g - mo) * (1.0f - w);
    const float vi = Vv[idx] * s.beta2 + s.omb2 * g * g;
    const float denom = sqrtf(vi) / s.bc2_sqrt + s.eps;
    p = p + (-s.step_size) * (mi / denom);
    Mv[idx] = mi;
    Vv[idx] = vi;
  }
  const int hm = has_mask[m];
  if (hm) {
    if (i >= lay.w0 && i < lay.w0 + static_cast<int64_t>(lay.in0) * lay.h0) {
      const int j = w0_unit(lay, i - lay.w0);
      if (!keep[static_cast<int64_t>(m) * lay.h0 + j]) p = 0.f;
    } else if (hm == 2 && lay.b0 >= 0 && i >= lay.b0 && i < lay.b0 + lay.h0) {
      if (!keep[static_cast<int64_t>(m) * lay.h0 + (i - lay.b0)]) p = 0.f;
    }
  }
  P[idx] = p;
}

// Applies one model's mask now (set_mask / set_params).
__global__ void mask_kernel(float* p, LayoutDev lay, const uint8_t* keep, int mask_bias) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= lay.np) return;
  if (i >= lay.w0 && i < lay.w0 + static_cast<int64_t>(lay.in0) * lay.h0) {
    if (!keep[w0_unit(lay, i - lay.w0)]) p[i] = 0.f;
  } else if (mask_bias && lay.b0 >= 0 && i >= lay.b0 && i < lay.b0 + lay.h0) {
    if (!keep[i - lay.b0]) p[i] = 0.f;
  }
}

struct Region { int64_t off, size; int bias; };
constexpr int kMaxRegions = 40;
struct Regions { int n; Region r[kMaxRegions]; };

// Block per model: sqrt(sum of squares) of the weight matrices (and biases when per-model flag), double.
// mode 0: weights only (evaluate); mode 1: constant-norm factor for live constant-norm models.
__global__ void norm_kernel(const float* P, int64_t np, Regions regs, const uint8_t* with_bias, int mode,
                            double* norm, const double* target, const uint8_t* const_norm, float* factor,
                            int* failed, long long* fail_step, const long long* stepno) {
  __shared__ double red[32];
  const int m = blockIdx.x;
  if (mode == 1 && (failed[m] || !const_norm[m])) {
    if (threadIdx.x == 0) factor[m] = 1.0f;
    return;
  }
  const float* p = P + m * np;
  const bool wb = mode == 1 && with_bias[m];
  double s = 0;
  for (int q = 0; q < regs.n; ++q) {
    if (regs.r[q].bias && !wb) continue;
    const float* x = p + regs.r[q].off;
    for (int64_t i = threadIdx.x; i < regs.r[q].size; i += blockDim.x) s += static_cast<double>(x[i]) * x[i];
  }
  s = cu::block_sum(s, red);
  if (threadIdx.x == 0) {
    const double nrm = sqrt(s);
    if (norm) norm[m] = nrm;
    if (mode == 1) {
      const double f = target[m] / nrm;
      if (isfinite(f)) {
        factor[m] = static_cast<float>(f);
      } else {
        factor[m] = 1.0f;
        failed[m] = 2;
        fail_step[m] = *stepno + 1;
      }
    }
  }
}

// Constant-norm rescale (weights, biases when flagged) and the non-finite parameter check.
__global__ void rescale_kernel(float* P, int M, int64_t np, Regions regs,
                               const uint8_t* with_bias, const uint8_t* const_norm, const float* factor,
                               const int* failed, int* nonfinite) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= np * M) return;
  const int m = static_cast<int>(idx / np);
  if (failed[m]) return;
  const int64_t i = idx - static_cast<int64_t>(m) * np;
  float p = P[idx];
  if (const_norm[m]) {
    bool scale = false;
    for (int q = 0; q < regs.n; ++q)
      if (i >= regs.r[q].off && i < regs.r[q].off + regs.r[q].size) { scale = !regs.r[q].bias || with_bias[m]; break; }
    if (scale) { p *= factor[m]; P[idx] = p; }
  }
  if (!isfinite(p)) nonfinite[m] = 1;
}

// End of step (one block): non-finite parameters -> failed (code 3); advance the step counters.
__global__ void finish_kernel(int M, int* failed, long long* fail_step, int* nonfinite, int* rel, long long* stepno) {
  const long long sn = *stepno;
  for (int m = threadIdx.x; m < M; m += blockDim.x) {
    if (failed[m] == 0 && nonfinite[m]) {
      failed[m] = 3;
      fail_step[m] = sn + 1;
    }
    nonfinite[m] = 0;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    *rel += 1;
    *stepno = sn + 1;
  }
}

// ------------------------------------------------------------------------------------------------
// Host trainer
// ------------------------------------------------------------------------------------------------
struct DevSplit {
  int n = 0;
  DeviceBuffer<int> ia, ib, y;  // ia, ib: pairs (column a, column vocab+b)
  DeviceBuffer<float> x;        // dense: n x input_dim, row-major
};

// The samples of one forward (and backward) pass: a range of a split, shared by every model, or the
// per-model minibatches gathered by batch_kernel (model m's rows at x + m*sx, ia + m*si, y + m*sy).
struct Rows {
  int n = 0;                              // rows of the launches
  const float* x = nullptr; int64_t sx = 0;                          // dense
  const int* ia = nullptr; const int* ib = nullptr; int64_t si = 0;  // pairs
  const int* y = nullptr; int64_t sy = 0;
  const int* live = nullptr;              // minibatch: device count of live rows (the rest padding); null: all n
  const int* rptr = nullptr; const int* rows = nullptr; int64_t srp = 0, srows = 0;  // pairs: layer-0 scatter lists
};

// Test- and training-set evaluation runs in chunks of at most this many rows (never fewer than the training
// set's): the activation buffers hold models x max(training rows, chunk) rows. GROKINFO_CUDA_EVAL_ROWS
// overrides it (the emulation uses a small value to exercise the chunking).
constexpr int kEvalRows = 4096;
// Device memory for the minibatch permutations of the epochs a chunk of steps spans (at least one epoch).
constexpr int64_t kPermBytes = int64_t(256) << 20;

struct DeviceActivations final : ActivationBatch {
  ~DeviceActivations() override {
    if (data) cudaFree(data);
  }
};

class CudaTrainer final : public Trainer {
 public:
  CudaTrainer(const ArchSpec& arch, const std::vector<ModelHyper>& hyper)
      : arch_(arch), hyper_(hyper), L_(static_cast<int>(arch.hidden.size())) {}
  ~CudaTrainer() override {
    if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
  }

  Status init(const TaskData& data, const std::vector<float>& initial) {
    GK_TRY(cu::require_device());
    GK_TRY(stream_.create());
    cudaStream_t s = stream_.get();
    layout_ = mlp_param_layout(arch_);
    np_ = mlp_param_count(arch_);
    M_ = static_cast<int>(hyper_.size());
    w_off_.assign(L_ + 1, -1);
    b_off_.assign(L_ + 1, -1);
    for (const ParamTensor& t : layout_) (t.bias ? b_off_ : w_off_)[t.layer] = t.offset;
    regs_.n = 0;
    for (const ParamTensor& t : layout_) {
      if (regs_.n >= kMaxRegions) return Status::Error(Code::INVALID_ARGUMENT, "too many layers for the CUDA backend");
      regs_.r[regs_.n++] = {t.offset, t.size(), t.bias ? 1 : 0};
    }
    dense_ = arch_.input == InputKind::Dense;
    D_ = dense_ ? arch_.input_dim : 0;
    lay_.np = np_;
    lay_.w0 = w_off_[0];
    lay_.b0 = b_off_[0];
    lay_.h0 = arch_.hidden[0];
    lay_.in0 = static_cast<int>(input_width(arch_));
    lay_.w0t = dense_ ? 0 : 1;
    // splits
    GK_TRY(upload_split(data.train_a, data.train_b, data.train_y, data.train_x, train_));
    GK_TRY(upload_split(data.test_a, data.test_b, data.test_y, data.test_x, test_));
    int eval_rows = kEvalRows;
    if (const char* e = std::getenv("GROKINFO_CUDA_EVAL_ROWS")) eval_rows = std::max(1, std::atoi(e));
    nmax_ = std::max(train_.n, std::min(test_.n, eval_rows));
    if (!dense_ && (train_.n > 65535 || lay_.in0 > 65535))
      return Status::Error(Code::BACKEND_UNAVAILABLE,
                           "backend 'cuda': at most 65535 training rows and 2*vocab <= 65535 for pair inputs; use backend 'cpu'");
    full_batch_ = arch_.batch_size == 0 || arch_.batch_size >= train_.n;
    B_ = full_batch_ ? train_.n : arch_.batch_size;
    nb_ = cu::div_up(train_.n, B_);
    nslice_ = cu::div_up(train_.n, kSlice);
    if (static_cast<int64_t>(M_) * nslice_ > 65535)
      return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': at most " + std::to_string(65535 / nslice_) +
                                                          " models per trainer for this training set size; use several trainers");
    // CSR lists for the layer-0 scatter (pairs): input column r -> training rows in order
    if (!dense_) {
      const int in0 = lay_.in0;
      std::vector<int> cnt(in0 + 1, 0), rows;
      for (int n = 0; n < train_.n; ++n) { cnt[data.train_a[n] + 1]++; cnt[arch_.vocab + data.train_b[n] + 1]++; }
      for (int r = 0; r < in0; ++r) cnt[r + 1] += cnt[r];
      rows.assign(cnt[in0], 0);
      std::vector<int> fill(cnt.begin(), cnt.end() - 1);
      for (int n = 0; n < train_.n; ++n) {
        rows[fill[data.train_a[n]]++] = n;
        rows[fill[arch_.vocab + data.train_b[n]]++] = n;
      }
      GK_TRY(rptr_.upload(cnt.data(), cnt.size(), s, "scatter lists"));
      GK_TRY(rows_.upload(rows.data(), std::max<size_t>(rows.size(), 1), s, "scatter lists"));
    }
    // parameters (W0 transposed) and optimiser state
    std::vector<float> internal(initial.size());
    for (int m = 0; m < M_; ++m) to_internal(initial.data() + static_cast<int64_t>(m) * np_, internal.data() + static_cast<int64_t>(m) * np_);
    const size_t tot = static_cast<size_t>(np_) * M_;
    GK_TRY(P_.upload(internal.data(), tot, s, "parameters"));
    GK_TRY(G_.alloc(tot, "gradients"));
    GK_TRY(Mv_.alloc(tot, "Adam first moments"));
    GK_TRY(Vv_.alloc(tot, "Adam second moments"));
    GK_CUDA(cudaMemsetAsync(Mv_.get(), 0, tot * sizeof(float), s));
    GK_CUDA(cudaMemsetAsync(Vv_.get(), 0, tot * sizeof(float), s));
    GK_CUDA(cudaMemsetAsync(G_.get(), 0, tot * sizeof(float), s));
    // activations
    act_.resize(L_);
    for (int l = 0; l < L_; ++l) GK_TRY(act_[l].alloc(static_cast<size_t>(M_) * nmax_ * arch_.hidden[l], "activations"));
    GK_TRY(logits_.alloc(static_cast<size_t>(M_) * nmax_ * arch_.out, "logits"));
    GK_TRY(rowloss_.alloc(static_cast<size_t>(M_) * nmax_, "row losses"));
    GK_TRY(rowcorrect_.alloc(static_cast<size_t>(M_) * nmax_, "row accuracy"));
    int64_t part_len = 0;
    for (int l = 0; l <= L_; ++l) {
      const int64_t o = width(l), in = l == 0 ? lay_.in0 : arch_.hidden[l - 1];
      part_len = std::max(part_len, l == 0 && !dense_ ? o : o * in);
      part_len = std::max(part_len, o);
    }
    // minibatches: the batch rows of every model, the permutations of the epochs of a chunk of steps
    if (!full_batch_) {
      const size_t mb = static_cast<size_t>(M_) * B_;
      GK_TRY(by_.alloc(mb, "minibatch labels"));
      if (dense_) {
        GK_TRY(bx_.alloc(mb * D_, "minibatch inputs"));
      } else {
        GK_TRY(bia_.alloc(mb, "minibatch tokens"));
        GK_TRY(bib_.alloc(mb, "minibatch tokens"));
        GK_TRY(brptr_.alloc(static_cast<size_t>(M_) * (lay_.in0 + 1), "minibatch scatter lists"));
        GK_TRY(brows_.alloc(2 * mb, "minibatch scatter lists"));
        GK_TRY(bcur_.alloc(static_cast<size_t>(M_) * lay_.in0, "minibatch scatter lists"));
      }
      GK_TRY(live_.alloc(1, "minibatch size"));
      GK_TRY(perm_base_.alloc(1, "minibatch epoch"));
      const int64_t per_epoch = static_cast<int64_t>(M_) * train_.n * static_cast<int64_t>(sizeof(int));
      ecap_ = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(kPermBytes / per_epoch, kChunk / nb_ + 2)));
      GK_TRY(perm_.alloc(static_cast<size_t>(ecap_) * M_ * train_.n, "minibatch permutations"));
    }
    GK_TRY(part_.alloc(static_cast<size_t>(M_) * nslice_ * part_len, "gradient partials"));
    // per-model state
    std::vector<double> target(M_);
    std::vector<uint8_t> cn(M_), wb(M_);
    std::vector<float> tmp(np_);
    for (int m = 0; m < M_; ++m) {
      target[m] = mlp_init_params(arch_, hyper_[m], tmp.data());
      cn[m] = hyper_[m].constant_norm ? 1 : 0;
      wb[m] = hyper_[m].omnigrok_biases ? 1 : 0;
    }
    GK_TRY(target_.upload(target.data(), M_, s, "target norms"));
    GK_TRY(const_norm_.upload(cn.data(), M_, s, "flags"));
    GK_TRY(with_bias_.upload(wb.data(), M_, s, "flags"));
    GK_TRY(failed_.alloc(M_, "flags"));
    GK_TRY(fail_step_.alloc(M_, "flags"));
    GK_TRY(nonfinite_.alloc(M_, "flags"));
    GK_TRY(has_mask_.alloc(M_, "flags"));
    GK_TRY(keep_.alloc(static_cast<size_t>(M_) * lay_.h0, "masks"));
    GK_TRY(factor_.alloc(M_, "factors"));
    GK_TRY(norm_.alloc(M_, "norms"));
    GK_TRY(loss_sum_.alloc(M_, "losses"));
    GK_TRY(correct_sum_.alloc(M_, "accuracy"));
    GK_TRY(rel_.alloc(1, "step counter"));
    GK_TRY(stepno_.alloc(1, "step counter"));
    GK_CUDA(cudaMemsetAsync(failed_.get(), 0, M_ * sizeof(int), s));
    GK_CUDA(cudaMemsetAsync(fail_step_.get(), 0, M_ * sizeof(long long), s));
    GK_CUDA(cudaMemsetAsync(nonfinite_.get(), 0, M_ * sizeof(int), s));
    GK_CUDA(cudaMemsetAsync(has_mask_.get(), 0, M_ * sizeof(int), s));
    GK_CUDA(cudaMemsetAsync(keep_.get(), 1, static_cast<size_t>(M_) * lay_.h0, s));
    GK_CUDA(cudaMemsetAsync(rel_.get(), 0, sizeof(int), s));
    GK_CUDA(cudaMemsetAsync(stepno_.get(), 0, sizeof(long long), s));
    has_mask_host_.assign(M_, 0);
    GK_CUDA(cudaStreamSynchronize(s));
    const char* g = std::getenv("GROKINFO_CUDA_GRAPHS");
    use_graphs_ = !(g && std::string(g) == "0");
    return Status::Ok();
  }

  int32_t models() const override { return M_; }
  int64_t param_count() const override { return np_; }
  int64_t steps_done() const override { return steps_; }

  Status step(int32_t nsteps, const Control& ctl) override {
    if (nsteps < 0) return Status::Error(Code::INVALID_ARGUMENT, "steps must be >= 0");
    ctl.set_total(nsteps);
    cudaStream_t s = stream_.get();
    std::vector<OptimDev> table;
    GK_TRY(table_.alloc(static_cast<size_t>(kChunk) * M_, "optimiser table"));
    if (use_graphs_) GK_TRY(ensure_graph());
    for (int32_t done = 0; done < nsteps;) {
      if (ctl.cancelled())
        return Status::Error(Code::CANCELLED, "training cancelled after " + std::to_string(done) + " steps");
      int chunk = std::min(kChunk, nsteps - done);
      if (!full_batch_) GK_TRY(upload_epochs(&chunk));
      table.resize(static_cast<size_t>(chunk) * M_);
      for (int c = 0; c < chunk; ++c)
        for (int m = 0; m < M_; ++m) {
          const OptimStep o = optim_step(hyper_[m], steps_ + c + 1);
          OptimDev& d = table[static_cast<size_t>(c) * M_ + m];
          d.kind = o.kind == Optimizer::AdamW ? 0 : (o.kind == Optimizer::Adam ? 1 : 2);
          d.lr = o.lr; d.wd = o.wd; d.decay = o.decay; d.beta1 = o.beta1; d.beta2 = o.beta2;
          d.omb1 = o.one_minus_beta1; d.omb2 = o.one_minus_beta2; d.step_size = o.step_size;
          d.bc2_sqrt = o.bc2_sqrt; d.eps = o.eps;
        }
      GK_CUDA(cudaMemcpyAsync(table_.get(), table.data(), table.size() * sizeof(OptimDev), cudaMemcpyHostToDevice, s));
      GK_CUDA(cudaMemsetAsync(rel_.get(), 0, sizeof(int), s));
      const long long sn = steps_;
      GK_CUDA(cudaMemcpyAsync(stepno_.get(), &sn, sizeof(long long), cudaMemcpyHostToDevice, s));
      for (int c = 0; c < chunk; ++c) {
        if (use_graphs_) {
          GK_TRY(ensure_graph());
          GK_CUDA(cudaGraphLaunch(graph_exec_, s));
        } else {
          GK_TRY(enqueue_step());
        }
        if (ctl.cancelled()) {
          GK_CUDA(cudaStreamSynchronize(s));
          steps_ += c + 1;
          ctl.add_done(c + 1);
          return Status::Error(Code::CANCELLED,
                               "training cancelled after " + std::to_string(done + c + 1) + " steps");
        }
      }
      GK_CUDA(cudaStreamSynchronize(s));
      steps_ += chunk;
      done += chunk;
      ctl.add_done(chunk);
    }
    return Status::Ok();
  }

  Status evaluate(std::vector<EvalResult>& out) override {
    cudaStream_t s = stream_.get();
    out.assign(M_, EvalResult());
    std::vector<double> ls(M_), cs(M_), nrm(M_);
    std::vector<int> failed(M_);
    std::vector<long long> fstep(M_);
    GK_TRY(eval_split(train_, ls, cs));
    GK_CUDA(cudaMemcpyAsync(failed.data(), failed_.get(), M_ * sizeof(int), cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaStreamSynchronize(s));
    for (int m = 0; m < M_; ++m) {
      out[m].train_loss = ls[m] / train_.n;
      out[m].train_acc = cs[m] / train_.n;
      // as mlp_cpu.cpp: finite parameters can still overflow the logits; such a model fails here
      // (at the current step count) and is frozen from then on, not one step later
      if (failed[m] == 0 && !std::isfinite(out[m].train_loss)) {
        failed[m] = 1;
        fstep[m] = steps_;
        GK_CUDA(cudaMemcpyAsync(failed_.get() + m, &failed[m], sizeof(int), cudaMemcpyHostToDevice, s));
        GK_CUDA(cudaMemcpyAsync(fail_step_.get() + m, &fstep[m], sizeof(long long), cudaMemcpyHostToDevice, s));
      }
    }
    if (test_.n > 0) {
      GK_TRY(eval_split(test_, ls, cs));
      for (int m = 0; m < M_; ++m) {
        out[m].test_loss = ls[m] / test_.n;
        out[m].test_acc = cs[m] / test_.n;
      }
    } else {
      for (int m = 0; m < M_; ++m) out[m].test_loss = out[m].test_acc = std::nan("");
    }
    norm_kernel<<<M_, 256, 0, s>>>(P_.get(), np_, regs_, with_bias_.get(), 0, norm_.get(), nullptr, nullptr, nullptr,
                                   nullptr, nullptr, nullptr);
    GK_LAUNCH("norm_kernel");
    GK_CUDA(cudaMemcpyAsync(nrm.data(), norm_.get(), M_ * sizeof(double), cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaMemcpyAsync(failed.data(), failed_.get(), M_ * sizeof(int), cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaMemcpyAsync(fstep.data(), fail_step_.get(), M_ * sizeof(long long), cudaMemcpyDeviceToHost, s));
    GK_CUDA(cudaStreamSynchronize(s));
    for (int m = 0; m < M_; ++m) {
      out[m].weight_norm = nrm[m];
      out[m].failed = failed[m] != 0;
      if (failed[m]) {
        static const char* why[] = {"", "non-finite training loss", "constant-norm rescale by a non-finite factor",
                                    "non-finite parameters", "non-finite minibatch loss"};
        out[m].failure = std::string(why[std::min(failed[m], 4)]) + " at step " + std::to_string(fstep[m]);
        if (static_cast<size_t>(m) < failure_override_.size() && !failure_override_[m].empty())
          out[m].failure = failure_override_[m];
      }
    }
    return Status::Ok();
  }

  Status hidden(int32_t model, int32_t layer, float* out) override {
    GK_TRY(check_model_layer(model, layer));
    GK_TRY(forward(train_rows(), model, 1, layer + 1, false));
    GK_CUDA(cudaMemcpyAsync(out, act_[layer].get() + static_cast<int64_t>(model) * nmax_ * arch_.hidden[layer],
                            sizeof(float) * train_.n * arch_.hidden[layer], cudaMemcpyDeviceToHost, stream_.get()));
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    return Status::Ok();
  }

  Status get_params(int32_t model, float* out) override {
    if (model < 0 || model >= M_) return bad_model(model);
    std::vector<float> tmp(np_);
    GK_CUDA(cudaMemcpyAsync(tmp.data(), P_.get() + static_cast<int64_t>(model) * np_, sizeof(float) * np_,
                            cudaMemcpyDeviceToHost, stream_.get()));
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    from_internal(tmp.data(), out);
    return Status::Ok();
  }

  Status set_params(int32_t model, const float* in) override {
    if (model < 0 || model >= M_) return bad_model(model);
    if (!all_finite(in, np_)) return Status::Error(Code::INVALID_DATA, "setParams: parameters must be finite");
    std::vector<float> tmp(np_);
    to_internal(in, tmp.data());
    float* p = P_.get() + static_cast<int64_t>(model) * np_;
    GK_CUDA(cudaMemcpyAsync(p, tmp.data(), sizeof(float) * np_, cudaMemcpyHostToDevice, stream_.get()));
    if (has_mask_host_[model]) {
      mask_kernel<<<cu::div_up(np_, 256), 256, 0, stream_.get()>>>(p, lay_, keep_.get() + static_cast<int64_t>(model) * lay_.h0,
                                                                  has_mask_host_[model] == 2);
      GK_LAUNCH("mask_kernel");
    }
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    return Status::Ok();
  }

  Status get_moments(int32_t model, float* m, float* v) override {
    if (model < 0 || model >= M_) return bad_model(model);
    std::vector<float> tm(np_), tv(np_);
    GK_CUDA(cudaMemcpyAsync(tm.data(), Mv_.get() + static_cast<int64_t>(model) * np_, sizeof(float) * np_,
                            cudaMemcpyDeviceToHost, stream_.get()));
    GK_CUDA(cudaMemcpyAsync(tv.data(), Vv_.get() + static_cast<int64_t>(model) * np_, sizeof(float) * np_,
                            cudaMemcpyDeviceToHost, stream_.get()));
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    from_internal(tm.data(), m);
    from_internal(tv.data(), v);
    return Status::Ok();
  }

  Status set_moments(int32_t model, const float* m, const float* v) override {
    if (model < 0 || model >= M_) return bad_model(model);
    std::vector<float> tm(np_), tv(np_);
    to_internal(m, tm.data());
    to_internal(v, tv.data());
    GK_CUDA(cudaMemcpyAsync(Mv_.get() + static_cast<int64_t>(model) * np_, tm.data(), sizeof(float) * np_,
                            cudaMemcpyHostToDevice, stream_.get()));
    GK_CUDA(cudaMemcpyAsync(Vv_.get() + static_cast<int64_t>(model) * np_, tv.data(), sizeof(float) * np_,
                            cudaMemcpyHostToDevice, stream_.get()));
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    return Status::Ok();
  }

  Status set_steps_done(int64_t steps) override {
    if (steps < 0) return Status::Error(Code::INVALID_ARGUMENT, "steps done must be >= 0");
    steps_ = steps;
    return Status::Ok();
  }

  Status set_failed(int32_t model, const std::string& why) override {
    if (model < 0 || model >= M_) return bad_model(model);
    const int code = 1;
    GK_CUDA(cudaMemcpyAsync(failed_.get() + model, &code, sizeof(int), cudaMemcpyHostToDevice, stream_.get()));
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    if (failure_override_.size() != static_cast<size_t>(M_)) failure_override_.resize(M_);
    failure_override_[model] = why;
    return Status::Ok();
  }

  Status set_mask(int32_t model, const uint8_t* keep, bool mask_bias) override {
    if (model < 0 || model >= M_) return bad_model(model);
    cudaStream_t s = stream_.get();
    uint8_t* k = keep_.get() + static_cast<int64_t>(model) * lay_.h0;
    int hm = 0;
    if (!keep) {
      GK_CUDA(cudaMemsetAsync(k, 1, lay_.h0, s));
    } else {
      std::vector<uint8_t> kk(lay_.h0);
      for (int j = 0; j < lay_.h0; ++j) kk[j] = keep[j] ? 1 : 0;
      GK_CUDA(cudaMemcpyAsync(k, kk.data(), lay_.h0, cudaMemcpyHostToDevice, s));
      hm = mask_bias ? 2 : 1;
      mask_kernel<<<cu::div_up(np_, 256), 256, 0, s>>>(P_.get() + static_cast<int64_t>(model) * np_, lay_, k, mask_bias);
      GK_LAUNCH("mask_kernel");
    }
    has_mask_host_[model] = hm;
    GK_CUDA(cudaMemcpyAsync(has_mask_.get() + model, &has_mask_host_[model], sizeof(int), cudaMemcpyHostToDevice, s));
    GK_CUDA(cudaStreamSynchronize(s));
    return Status::Ok();
  }

  Status snapshot_hidden(const std::vector<int32_t>& models, int32_t layer,
                         std::shared_ptr<ActivationBatch>* out) override {
    for (int32_t m : models) GK_TRY(check_model_layer(m, layer));
    auto b = std::make_shared<DeviceActivations>();
    b->backend = Backend::CUDA;
    b->batch = static_cast<int64_t>(models.size());
    b->rows = train_.n;
    b->width = arch_.hidden[layer];
    const size_t per = static_cast<size_t>(b->rows) * b->width;
    if (per * models.size() > 0) {
      void* p = nullptr;
      GK_CUDA(cudaMalloc(&p, sizeof(float) * per * models.size()));
      b->data = static_cast<float*>(p);
    }
    for (size_t i = 0; i < models.size(); ++i) {
      GK_TRY(forward(train_rows(), models[i], 1, layer + 1, false));
      GK_CUDA(cudaMemcpyAsync(b->data + i * per, act_[layer].get() + static_cast<int64_t>(models[i]) * nmax_ * b->width,
                              sizeof(float) * per, cudaMemcpyDeviceToDevice, stream_.get()));
    }
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    *out = b;
    return Status::Ok();
  }

  Status gradients(int32_t model, float* out) override {
    if (model < 0 || model >= M_) return bad_model(model);
    GK_TRY(forward(train_rows(), model, 1, L_ + 1, true));
    GK_TRY(backward(train_rows(), model, 1));
    std::vector<float> tmp(np_);
    GK_CUDA(cudaMemcpyAsync(tmp.data(), G_.get() + static_cast<int64_t>(model) * np_, sizeof(float) * np_,
                            cudaMemcpyDeviceToHost, stream_.get()));
    GK_CUDA(cudaStreamSynchronize(stream_.get()));
    from_internal(tmp.data(), out);
    return Status::Ok();
  }

 private:
  static Status bad_model(int32_t m) {
    return Status::Error(Code::INVALID_ARGUMENT, "model index " + std::to_string(m) + " out of range");
  }
  Status check_model_layer(int32_t model, int32_t layer) const {
    if (model < 0 || model >= M_) return bad_model(model);
    if (layer < 0 || layer >= L_)
      return Status::Error(Code::INVALID_ARGUMENT, "layer must be in [0, " + std::to_string(L_ - 1) + "]");
    return Status::Ok();
  }
  int64_t width(int l) const { return l < L_ ? arch_.hidden[l] : arch_.out; }

  // Parameters on the device: the layout of mlp.h, W0 transposed for pair inputs (to_internal / from_internal).
  void to_internal(const float* in, float* out) const {
    std::memcpy(out, in, sizeof(float) * np_);
    if (dense_) return;
    const int h0 = lay_.h0, in0 = lay_.in0;
    for (int j = 0; j < h0; ++j)
      for (int r = 0; r < in0; ++r) out[lay_.w0 + static_cast<int64_t>(r) * h0 + j] = in[lay_.w0 + static_cast<int64_t>(j) * in0 + r];
  }
  void from_internal(const float* in, float* out) const {
    std::memcpy(out, in, sizeof(float) * np_);
    if (dense_) return;
    const int h0 = lay_.h0, in0 = lay_.in0;
    for (int j = 0; j < h0; ++j)
      for (int r = 0; r < in0; ++r) out[lay_.w0 + static_cast<int64_t>(j) * in0 + r] = in[lay_.w0 + static_cast<int64_t>(r) * h0 + j];
  }

  Status upload_split(const std::vector<int32_t>& a, const std::vector<int32_t>& b, const std::vector<int32_t>& y,
                      const std::vector<float>& x, DevSplit& sp) {
    sp.n = static_cast<int>(y.size());
    std::vector<int> yy(std::max<size_t>(y.size(), 1), 0);
    std::copy(y.begin(), y.end(), yy.begin());
    GK_TRY(sp.y.upload(yy.data(), yy.size(), stream_.get(), "labels"));
    if (dense_) {
      if (!x.empty()) GK_TRY(sp.x.upload(x.data(), x.size(), stream_.get(), "inputs"));
    } else {
      std::vector<int> ia(yy.size(), 0), ib(yy.size(), arch_.vocab);
      for (size_t i = 0; i < a.size(); ++i) {
        ia[i] = a[i];
        ib[i] = arch_.vocab + b[i];
      }
      GK_TRY(sp.ia.upload(ia.data(), ia.size(), stream_.get(), "tokens"));
      GK_TRY(sp.ib.upload(ib.data(), ib.size(), stream_.get(), "tokens"));
    }
    GK_CUDA(cudaStreamSynchronize(stream_.get()));  // the host vectors go out of scope
    return Status::Ok();
  }

  // Rows [r0, r0 + n) of a split (shared by every model); the training set's also carries its scatter lists.
  Rows split_rows(const DevSplit& sp, int r0, int n) const {
    Rows r;
    r.n = n;
    r.y = sp.y.get() + r0;
    if (dense_) r.x = sp.x.get() + static_cast<int64_t>(r0) * D_;
    else { r.ia = sp.ia.get() + r0; r.ib = sp.ib.get() + r0; }
    return r;
  }
  Rows train_rows() const {
    Rows r = split_rows(train_, 0, train_.n);
    r.rptr = rptr_.get();
    r.rows = rows_.get();
    return r;
  }
  // The minibatch of the current step of every model (gathered by batch_kernel).
  Rows batch_rows() const {
    Rows r;
    r.n = B_;
    r.y = by_.get(); r.sy = B_;
    if (dense_) { r.x = bx_.get(); r.sx = static_cast<int64_t>(B_) * D_; }
    else {
      r.ia = bia_.get(); r.ib = bib_.get(); r.si = B_;
      r.rptr = brptr_.get(); r.srp = lay_.in0 + 1;
      r.rows = brows_.get(); r.srows = 2 * static_cast<int64_t>(B_);
    }
    r.live = live_.get();
    return r;
  }

  // Minibatches: the permutations of the epochs steps [steps_, steps_ + *chunk) use, on the device (perm_,
  // slot = epoch - perm_base_); *chunk shrinks to the steps of at most ecap_ epochs. Drawn on the host by
  // batch_permutation (mlp_init.h), the CPU trainer's sampler.
  Status upload_epochs(int* chunk) {
    const int64_t n = train_.n;
    const int64_t e0 = steps_ / nb_;
    int64_t e1 = (steps_ + *chunk - 1) / nb_;
    if (e1 - e0 + 1 > ecap_) {
      e1 = e0 + ecap_ - 1;
      *chunk = static_cast<int>((e1 + 1) * nb_ - steps_);
    }
    if (up_lo_ <= e0 && e1 <= up_hi_) return Status::Ok();  // already there
    const int64_t ne = e1 - e0 + 1;
    perm_host_.resize(static_cast<size_t>(ne * M_ * n));
    for (int64_t e = 0; e < ne; ++e)
      for (int m = 0; m < M_; ++m)
        batch_permutation(hyper_[m].batch_seed, e0 + e, n, perm_host_.data() + (e * M_ + m) * n);
    cudaStream_t s = stream_.get();
    GK_CUDA(cudaMemcpyAsync(perm_.get(), perm_host_.data(), perm_host_.size() * sizeof(int), cudaMemcpyHostToDevice, s));
    const long long base = e0;
    GK_CUDA(cudaMemcpyAsync(perm_base_.get(), &base, sizeof(long long), cudaMemcpyHostToDevice, s));
    GK_CUDA(cudaStreamSynchronize(s));
    up_lo_ = e0;
    up_hi_ = e1;
    return Status::Ok();
  }

  // Loss and correct-count sums of every model over a split, in chunks of nmax_ rows (host, double).
  Status eval_split(const DevSplit& sp, std::vector<double>& ls, std::vector<double>& cs) {
    cudaStream_t s = stream_.get();
    std::fill(ls.begin(), ls.end(), 0.0);
    std::fill(cs.begin(), cs.end(), 0.0);
    std::vector<double> l(M_), c(M_);
    for (int r0 = 0; r0 < sp.n; r0 += nmax_) {
      const int n = std::min(nmax_, sp.n - r0);
      GK_TRY(forward(split_rows(sp, r0, n), 0, M_, L_ + 1, false));
      GK_TRY(reduce_rows(n, 0, M_));
      GK_CUDA(cudaMemcpyAsync(l.data(), loss_sum_.get(), M_ * sizeof(double), cudaMemcpyDeviceToHost, s));
      GK_CUDA(cudaMemcpyAsync(c.data(), correct_sum_.get(), M_ * sizeof(double), cudaMemcpyDeviceToHost, s));
      GK_CUDA(cudaStreamSynchronize(s));
      for (int m = 0; m < M_; ++m) { ls[m] += l[m]; cs[m] += c[m]; }
    }
    return Status::Ok();
  }

  // Forward of models [m0, m0 + cnt) on rows r, layers [0, upto); upto = L+1: logits and loss rows.
  Status forward(const Rows& r, int m0, int cnt, int upto, bool grad, const int* skip = nullptr) {
    cudaStream_t s = stream_.get();
    const int n = r.n;
    if (n == 0) return Status::Ok();
    const int h0 = lay_.h0;
    if (dense_) {
      // H0 = ReLU(X W0^T + b0): the NT GEMM of the hidden layers with X as the left operand
      GemmArgs g{};
      g.M = n; g.N = h0; g.K = D_;
      g.A = r.x + static_cast<int64_t>(m0) * r.sx; g.lda = D_; g.sA = r.sx;
      g.B = P_.get() + static_cast<int64_t>(m0) * np_ + w_off_[0]; g.ldb = D_; g.sB = np_;
      g.C = act_[0].get() + static_cast<int64_t>(m0) * nmax_ * h0; g.ldc = h0; g.sC = static_cast<int64_t>(nmax_) * h0;
      g.bias = b_off_[0] >= 0 ? P_.get() + static_cast<int64_t>(m0) * np_ + b_off_[0] : nullptr; g.sBias = np_;
      g.relu = 1;
      g.nslice = 1; g.kslice = D_;
      g.skip = skip;
      GK_TRY((gemm<true, false, 1>(g, cnt, s)));
    } else {
      dim3 grid(cu::div_up(h0, 128), n, cnt);
      if (n > 65535) return Status::Error(Code::BACKEND_UNAVAILABLE, "CUDA trainer: at most 65535 rows per pass");
      gather0_kernel<<<grid, 128, 0, s>>>(P_.get() + static_cast<int64_t>(m0) * np_, np_, lay_.w0, lay_.b0, h0,
                                         r.ia + static_cast<int64_t>(m0) * r.si, r.ib + static_cast<int64_t>(m0) * r.si,
                                         r.si, n, act_[0].get() + static_cast<int64_t>(m0) * nmax_ * h0,
                                         static_cast<int64_t>(nmax_) * h0);
      GK_LAUNCH("gather0_kernel");
    }
    for (int l = 1; l < upto && l <= L_; ++l) {
      const int64_t o = width(l), in = arch_.hidden[l - 1];
      GemmArgs g{};
      g.M = n; g.N = static_cast<int>(o); g.K = static_cast<int>(in);
      g.A = act_[l - 1].get() + static_cast<int64_t>(m0) * nmax_ * in; g.lda = in; g.sA = static_cast<int64_t>(nmax_) * in;
      g.B = P_.get() + static_cast<int64_t>(m0) * np_ + w_off_[l]; g.ldb = in; g.sB = np_;
      float* C = l < L_ ? act_[l].get() : logits_.get();
      g.C = C + static_cast<int64_t>(m0) * nmax_ * o; g.ldc = o; g.sC = static_cast<int64_t>(nmax_) * o;
      g.bias = b_off_[l] >= 0 ? P_.get() + static_cast<int64_t>(m0) * np_ + b_off_[l] : nullptr; g.sBias = np_;
      g.relu = l < L_ ? 1 : 0;
      g.nslice = 1; g.kslice = static_cast<int>(in);
      g.skip = skip;
      GK_TRY((gemm<true, false, 1>(g, cnt, s)));
    }
    if (upto > L_) {
      const int O = arch_.out;
      dim3 grid(cu::div_up(n, 8), cnt);
      float* L = logits_.get() + static_cast<int64_t>(m0) * nmax_ * O;
      const int* y = r.y + static_cast<int64_t>(m0) * r.sy;
      double* rl = rowloss_.get() + static_cast<int64_t>(m0) * nmax_;
      uint8_t* rc = rowcorrect_.get() + static_cast<int64_t>(m0) * nmax_;
      const float scale = 1.0f / static_cast<float>(n);  // (minibatch: 1 / the live rows, on the device)
      if (arch_.loss == Loss::MSE) {
        mse_kernel<<<grid, 256, 0, s>>>(L, static_cast<int64_t>(nmax_) * O, O, y, r.sy, r.live, n, grad ? 1 : 0, scale,
                                        rl, rc, nmax_);
        GK_LAUNCH("mse_kernel");
      } else {
        softmax_xent_kernel<<<grid, 256, 0, s>>>(L, static_cast<int64_t>(nmax_) * O, O, y, r.sy, r.live, n, grad ? 1 : 0,
                                                 scale, rl, rc, nmax_);
        GK_LAUNCH("softmax_xent_kernel");
      }
    }
    return Status::Ok();
  }

  Status reduce_rows(int n, int m0, int cnt) {
    row_reduce_kernel<<<cnt, 256, 0, stream_.get()>>>(rowloss_.get() + static_cast<int64_t>(m0) * nmax_,
                                                      rowcorrect_.get() + static_cast<int64_t>(m0) * nmax_, nmax_, n,
                                                      loss_sum_.get() + m0, correct_sum_.get() + m0);
    GK_LAUNCH("row_reduce_kernel");
    return Status::Ok();
  }

  // Gradient of models [m0, m0 + cnt) into G_ (after forward(r, grad = true)).
  Status backward(const Rows& r, int m0, int cnt) {
    cudaStream_t s = stream_.get();
    const int n = r.n, S = cu::div_up(n, kSlice);
    float* G = G_.get() + static_cast<int64_t>(m0) * np_;
    const float* P = P_.get() + static_cast<int64_t>(m0) * np_;
    for (int l = L_; l >= 1; --l) {
      const int64_t o = width(l), in = arch_.hidden[l - 1];
      const float* dZ = (l == L_ ? logits_.get() : act_[l].get()) + static_cast<int64_t>(m0) * nmax_ * o;
      float* H = act_[l - 1].get() + static_cast<int64_t>(m0) * nmax_ * in;
      // dW_l (o x in) = dZ^T H over row slices
      GemmArgs g{};
      g.M = static_cast<int>(o); g.N = static_cast<int>(in); g.K = n;
      g.A = dZ; g.lda = o; g.sA = static_cast<int64_t>(nmax_) * o;
      g.B = H; g.ldb = in; g.sB = static_cast<int64_t>(nmax_) * in;
      g.C = part_.get(); g.ldc = in; g.sC = o * in;
      g.nslice = S; g.kslice = kSlice;
      GK_TRY((gemm<false, true, 0>(g, cnt, s)));
      slice_reduce_kernel<<<cu::div_up(o * in * cnt, 256), 256, 0, s>>>(part_.get(), S, o * in, G, np_, w_off_[l], cnt);
      GK_LAUNCH("slice_reduce_kernel");
      if (b_off_[l] >= 0) {
        colsum_kernel<<<dim3(cu::div_up(o, 128), 1, cnt * S), 128, 0, s>>>(dZ, static_cast<int64_t>(nmax_) * o, n,
                                                                            static_cast<int>(o), part_.get(), S);
        GK_LAUNCH("colsum_kernel");
        slice_reduce_kernel<<<cu::div_up(o * cnt, 256), 256, 0, s>>>(part_.get(), S, o, G, np_, b_off_[l], cnt);
        GK_LAUNCH("slice_reduce_kernel");
      }
      // dH_{l-1} (n x in) = dZ (n x o) W_l (o x in), masked by H > 0, in place
      GemmArgs h{};
      h.M = n; h.N = static_cast<int>(in); h.K = static_cast<int>(o);
      h.A = dZ; h.lda = o; h.sA = static_cast<int64_t>(nmax_) * o;
      h.B = P + w_off_[l]; h.ldb = in; h.sB = np_;
      h.C = H; h.ldc = in; h.sC = static_cast<int64_t>(nmax_) * in;
      h.nslice = 1; h.kslice = static_cast<int>(o);
      GK_TRY((gemm<true, true, 2>(h, cnt, s)));
    }
    const int h0 = lay_.h0;
    const float* dZ0 = act_[0].get() + static_cast<int64_t>(m0) * nmax_ * h0;
    if (dense_) {
      // dW0 (h0 x D) = dZ0^T X over row slices
      GemmArgs g{};
      g.M = h0; g.N = D_; g.K = n;
      g.A = dZ0; g.lda = h0; g.sA = static_cast<int64_t>(nmax_) * h0;
      g.B = r.x + static_cast<int64_t>(m0) * r.sx; g.ldb = D_; g.sB = r.sx;
      g.C = part_.get(); g.ldc = D_; g.sC = static_cast<int64_t>(h0) * D_;
      g.nslice = S; g.kslice = kSlice;
      GK_TRY((gemm<false, true, 0>(g, cnt, s)));
      const int64_t len = static_cast<int64_t>(h0) * D_;
      slice_reduce_kernel<<<cu::div_up(len * cnt, 256), 256, 0, s>>>(part_.get(), S, len, G, np_, lay_.w0, cnt);
      GK_LAUNCH("slice_reduce_kernel");
    } else {
      scatter0_kernel<<<dim3(cu::div_up(h0, 128), lay_.in0, cnt), 128, 0, s>>>(
          dZ0, static_cast<int64_t>(nmax_) * h0, h0, r.rptr + static_cast<int64_t>(m0) * r.srp,
          r.rows + static_cast<int64_t>(m0) * r.srows, r.srp, r.srows, G, np_, lay_.w0);
      GK_LAUNCH("scatter0_kernel");
    }
    if (lay_.b0 >= 0) {
      colsum_kernel<<<dim3(cu::div_up(h0, 128), 1, cnt * S), 128, 0, s>>>(dZ0, static_cast<int64_t>(nmax_) * h0, n, h0,
                                                                           part_.get(), S);
      GK_LAUNCH("colsum_kernel");
      slice_reduce_kernel<<<cu::div_up(static_cast<int64_t>(h0) * cnt, 256), 256, 0, s>>>(part_.get(), S, h0, G, np_,
                                                                                          lay_.b0, cnt);
      GK_LAUNCH("slice_reduce_kernel");
    }
    return Status::Ok();
  }

  // One training step of every model (stream-ordered; captured into the graph).
  Status enqueue_step() {
    cudaStream_t s = stream_.get();
    Rows r = train_rows();
    if (!full_batch_) {
      // this step's minibatch of every model (its position from the device step counter)
      r = batch_rows();
      batch_kernel<<<dim3(B_, M_), 128, 0, s>>>(perm_.get(), train_.n, M_, B_, nb_, stepno_.get(), perm_base_.get(),
                                               dense_ ? train_.x.get() : nullptr, D_, train_.ia.get(), train_.ib.get(),
                                               train_.y.get(), arch_.vocab, bx_.get(), bia_.get(), bib_.get(), by_.get(),
                                               live_.get());
      GK_LAUNCH("batch_kernel");
      if (!dense_) {
        batch_lists_kernel<<<cu::div_up(M_, 64), 64, 0, s>>>(bia_.get(), bib_.get(), B_, M_, lay_.in0, live_.get(),
                                                            brptr_.get(), brows_.get(), bcur_.get());
        GK_LAUNCH("batch_lists_kernel");
      }
    }
    GK_TRY(forward(r, 0, M_, L_ + 1, true));
    row_reduce_kernel<<<M_, 256, 0, s>>>(rowloss_.get(), nullptr, nmax_, r.n, loss_sum_.get(), nullptr);
    GK_LAUNCH("row_reduce_kernel");
    loss_check_kernel<<<cu::div_up(M_, 128), 128, 0, s>>>(loss_sum_.get(), M_, full_batch_ ? 1 : 4, failed_.get(),
                                                         fail_step_.get(), stepno_.get());
    GK_LAUNCH("loss_check_kernel");
    GK_TRY(backward(r, 0, M_));
    const int64_t tot = np_ * M_;
    optim_kernel<<<cu::div_up(tot, 256), 256, 0, s>>>(P_.get(), Mv_.get(), Vv_.get(), G_.get(), M_, lay_, table_.get(),
                                                     rel_.get(), failed_.get(), keep_.get(), has_mask_.get());
    GK_LAUNCH("optim_kernel");
    norm_kernel<<<M_, 256, 0, s>>>(P_.get(), np_, regs_, with_bias_.get(), 1, nullptr, target_.get(),
                                   const_norm_.get(), factor_.get(), failed_.get(), fail_step_.get(), stepno_.get());
    GK_LAUNCH("norm_kernel");
    rescale_kernel<<<cu::div_up(tot, 256), 256, 0, s>>>(P_.get(), M_, np_, regs_, with_bias_.get(),
                                                       const_norm_.get(), factor_.get(), failed_.get(), nonfinite_.get());
    GK_LAUNCH("rescale_kernel");
    finish_kernel<<<1, 256, 0, s>>>(M_, failed_.get(), fail_step_.get(), nonfinite_.get(), rel_.get(),
                                                     stepno_.get());
    GK_LAUNCH("finish_kernel");
    return Status::Ok();
  }

  Status ensure_graph() {
    if (graph_exec_) return Status::Ok();
    // the optimiser table must exist before capture (its pointer is baked in): allocate the largest
    GK_TRY(table_.alloc(static_cast<size_t>(kChunk) * M_, "optimiser table"));
    cudaStream_t s = stream_.get();
    cudaGraph_t graph = nullptr;
    GK_CUDA(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    Status st = enqueue_step();
    cudaError_t e = cudaStreamEndCapture(s, &graph);
    if (!st.ok()) {
      if (graph) cudaGraphDestroy(graph);
      return st;
    }
    if (e != cudaSuccess) return cu::cuda_status(e, "cudaStreamEndCapture");
    e = cudaGraphInstantiate(&graph_exec_, graph, 0);
    cudaGraphDestroy(graph);
    if (e != cudaSuccess) {
      graph_exec_ = nullptr;
      return cu::cuda_status(e, "cudaGraphInstantiate");
    }
    return Status::Ok();
  }

  ArchSpec arch_;
  std::vector<ModelHyper> hyper_;
  int L_;
  std::vector<ParamTensor> layout_;
  int64_t np_ = 0;
  int M_ = 0;
  std::vector<int64_t> w_off_, b_off_;
  Regions regs_{};
  LayoutDev lay_{};
  DevSplit train_, test_;
  bool dense_ = false, full_batch_ = true;
  int D_ = 0;                 // dense: features per sample
  int nmax_ = 0, nslice_ = 1; // rows of the activation buffers (per model); split-K slices of the training set
  int B_ = 0, nb_ = 1;        // samples per step, batches per epoch
  // minibatches: the batch rows (M x B), scatter lists (pairs), live count, permutations of epochs
  // [up_lo_, up_hi_] (ecap_ slots, perm_base_ = up_lo_ on the device)
  DeviceBuffer<float> bx_;
  DeviceBuffer<int> by_, bia_, bib_, brptr_, brows_, bcur_, live_, perm_;
  DeviceBuffer<long long> perm_base_;
  std::vector<int32_t> perm_host_;
  int ecap_ = 1;
  int64_t up_lo_ = 1, up_hi_ = 0;
  cu::Stream stream_;
  DeviceBuffer<int> rptr_, rows_;
  DeviceBuffer<float> P_, G_, Mv_, Vv_, logits_, part_, factor_;
  std::vector<DeviceBuffer<float>> act_;
  DeviceBuffer<double> rowloss_, target_, norm_, loss_sum_, correct_sum_;
  DeviceBuffer<uint8_t> rowcorrect_, const_norm_, with_bias_, keep_;
  DeviceBuffer<int> failed_, nonfinite_, has_mask_, rel_;
  DeviceBuffer<long long> fail_step_, stepno_;
  DeviceBuffer<OptimDev> table_;
  std::vector<int> has_mask_host_;
  std::vector<std::string> failure_override_;  // set_failed: the reason recorded before a resume
  cudaGraphExec_t graph_exec_ = nullptr;
  bool use_graphs_ = true;
  int64_t steps_ = 0;
};

}  // namespace

Status trainer_create_cuda(const ArchSpec& arch, const TaskData& data, const std::vector<ModelHyper>& models,
                           const std::vector<float>& initial, std::unique_ptr<Trainer>* out) {
  const int64_t np = mlp_param_count(arch);
  if (static_cast<int64_t>(initial.size()) != np * static_cast<int64_t>(models.size()))
    return Status::Error(Code::INTERNAL, "trainer_create_cuda: initial parameters have the wrong size");
  auto t = std::make_unique<CudaTrainer>(arch, models);
  GK_TRY(t->init(data, initial));
  *out = std::move(t);
  return Status::Ok();
}

}  // namespace grokinfo
