// Gram and covariance matrices on CUDA (what the files share: oinfo_cuda.cuh).
//  * scan_columns_kernel: per activation column, alive (not constant) and the first non-finite value.
//  * gram_kernel<T>: out = alpha X_S^T X_S over a column selection S, float64 accumulation: the Gram matrix
//    of the alive float32 activations (Ward's distances) and, from the float64 normal scores, the copula
//    covariance (alpha = 1 / (N - 1)).
#include <cuda_runtime.h>

#include <cstdint>

#include "oinfo_cuda.cuh"

namespace grokinfo::oinfo_cuda {

namespace {

// ------------------------------------------------------------------------------------------------
// Gram and covariance kernels
// ------------------------------------------------------------------------------------------------
// Per column: alive (not constant) and the first non-finite value (row-major index, per item).
__global__ void scan_columns_kernel(const float* Z, int64_t N, int64_t H, uint8_t* alive, u64* bad) {
  const int b = blockIdx.y;
  const int64_t h = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (h >= H) return;
  const float* X = Z + static_cast<int64_t>(b) * N * H;
  // compared on the bits with -0 == +0 (as the CPU's float compare): under --use_fast_math (-ftz=true)
  // a float compare would treat a subnormal as 0 and call a column dead that the CPU keeps
  auto zbits = [](float x) {
    const unsigned int u = __float_as_uint(x);
    return (u & 0x7fffffffu) == 0u ? 0u : u;
  };
  const unsigned int v0 = zbits(X[h]);
  bool al = false;
  for (int64_t t = 0; t < N; ++t) {
    const float v = X[t * H + h];
    if (!isfinite(v)) {
      atomicMin(bad + b, static_cast<u64>(t * H + h));
      break;
    }
    al |= zbits(v) != v0;
  }
  alive[static_cast<int64_t>(b) * H + h] = al ? 1 : 0;
}

// out[b][i][j] = alpha * sum_t X[b][t][col(i)] X[b][t][col(j)] for i, j < ncols[b] (float64 accumulate).
// col(i) = cols[b*ldcols + i], or i when cols is null. 64 x 64 tiles, 16 rows per stage, 4 x 4 per thread.
template <typename T>
__global__ void __launch_bounds__(256) gram_kernel(const T* X, int64_t ldx, int64_t sX, const int32_t* cols,
                                                   int64_t ldcols, const int32_t* ncols, int64_t N, double alpha,
                                                   double* out, int64_t ldo, int64_t sO) {
  __shared__ double As[16][64 + 1];
  __shared__ double Bs[16][64 + 1];
  const int b = blockIdx.z;
  const int n = ncols[b];
  const int i0 = blockIdx.y * 64, j0 = blockIdx.x * 64;
  if (i0 >= n || j0 >= n) return;
  const T* Xb = X + b * sX;
  const int32_t* cb = cols ? cols + b * ldcols : nullptr;
  const int t = threadIdx.x, tx = t & 15, ty = t >> 4;
  double acc[4][4] = {};
  for (int64_t k0 = 0; k0 < N; k0 += 16) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int i = t & 63, k = (t >> 6) + 4 * r;
      const int64_t gk = k0 + k;
      const int gi = i0 + i, gj = j0 + i;
      double a = 0, c = 0;
      if (gk < N) {
        if (gi < n) a = static_cast<double>(Xb[gk * ldx + (cb ? cb[gi] : gi)]);
        if (gj < n) c = static_cast<double>(Xb[gk * ldx + (cb ? cb[gj] : gj)]);
      }
      As[k][i] = a;
      Bs[k][i] = c;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < 16; ++kk) {
      double a[4], c[4];
#pragma unroll
      for (int q = 0; q < 4; ++q) { a[q] = As[kk][ty * 4 + q]; c[q] = Bs[kk][tx * 4 + q]; }
#pragma unroll
      for (int x = 0; x < 4; ++x)
#pragma unroll
        for (int y = 0; y < 4; ++y) acc[x][y] = fma(a[x], c[y], acc[x][y]);
    }
    __syncthreads();
  }
  double* o = out + b * sO;
#pragma unroll
  for (int x = 0; x < 4; ++x) {
    const int gi = i0 + ty * 4 + x;
    if (gi >= n) continue;
#pragma unroll
    for (int y = 0; y < 4; ++y) {
      const int gj = j0 + tx * 4 + y;
      if (gj < n) o[static_cast<int64_t>(gi) * ldo + gj] = alpha * acc[x][y];
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Host side
// ------------------------------------------------------------------------------------------------
}  // namespace

Status scan_columns(const float* d_Z, int64_t nb, int64_t N, int64_t H, uint8_t* d_alive, u64* d_bad, cudaStream_t s) {
  scan_columns_kernel<<<dim3(cu::div_up(H, 128), static_cast<unsigned>(nb)), 128, 0, s>>>(d_Z, N, H, d_alive, d_bad);
  GK_LAUNCH("scan_columns_kernel");
  return Status::Ok();
}

template <typename T>
Status gram_matrices(const T* d_X, int64_t ldx, int64_t sX, const int32_t* d_cols, int64_t ldcols,
                     const int32_t* d_ncols, int64_t N, int64_t nitems, int32_t nmax, double alpha, double* d_out,
                     int64_t ldo, int64_t sO, cudaStream_t s) {
  const dim3 grid(cu::div_up(nmax, 64), cu::div_up(nmax, 64), static_cast<unsigned>(nitems));
  gram_kernel<T><<<grid, 256, 0, s>>>(d_X, ldx, sX, d_cols, ldcols, d_ncols, N, alpha, d_out, ldo, sO);
  GK_LAUNCH(sizeof(T) == sizeof(float) ? "gram_kernel<float>" : "gram_kernel<double>");
  return Status::Ok();
}

template Status gram_matrices<float>(const float*, int64_t, int64_t, const int32_t*, int64_t, const int32_t*, int64_t, int64_t,
                            int32_t, double, double*, int64_t, int64_t, cudaStream_t);
template Status gram_matrices<double>(const double*, int64_t, int64_t, const int32_t*, int64_t, const int32_t*, int64_t, int64_t,
                             int32_t, double, double*, int64_t, int64_t, cudaStream_t);

}  // namespace grokinfo::oinfo_cuda
