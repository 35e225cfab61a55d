// Small helpers shared by the CUDA engines (oinfo_cuda.cu, mlp_cuda.cu): error mapping to Status,
// an owning device buffer, and warp/block reductions. Nothing here aborts the process: every CUDA
// error becomes a Status (BACKEND_UNAVAILABLE for runtime failures, with cudaGetErrorString).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <utility>

#include "common.h"

namespace grokinfo::cu {

inline Status cuda_status(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status::Ok();
  cudaGetLastError();  // clear a sticky-free error so later calls can proceed
  return Status::Error(Code::BACKEND_UNAVAILABLE,
                       std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

// Evaluates a CUDA runtime call; returns the Status from the enclosing function on failure.
#define GK_CUDA(call)                                                              \
  do {                                                                             \
    cudaError_t gk_e_ = (call);                                                    \
    if (gk_e_ != cudaSuccess) return ::grokinfo::cu::cuda_status(gk_e_, #call);    \
  } while (0)

// After a kernel launch: the launch error (bad configuration, missing image for this GPU).
#define GK_LAUNCH(what)                                                            \
  do {                                                                             \
    cudaError_t gk_e_ = cudaGetLastError();                                        \
    if (gk_e_ != cudaSuccess) return ::grokinfo::cu::cuda_status(gk_e_, what);     \
  } while (0)

#define GK_TRY(expr)                      \
  do {                                    \
    ::grokinfo::Status gk_s_ = (expr);    \
    if (!gk_s_.ok()) return gk_s_;        \
  } while (0)

// Owning device allocation (cudaMalloc / cudaFree). Move-only.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) { reset(); p_ = o.p_; n_ = o.n_; o.p_ = nullptr; o.n_ = 0; }
    return *this;
  }
  // Allocates n elements (no initialisation); keeps the current block when it is large enough.
  Status alloc(size_t n, const char* what) {
    if (n <= n_ && p_) return Status::Ok();
    reset();
    if (n == 0) return Status::Ok();
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, n * sizeof(T));
    if (e != cudaSuccess) {
      cudaGetLastError();
      return Status::Error(Code::BACKEND_UNAVAILABLE, std::string("cudaMalloc of ") + std::to_string(n * sizeof(T)) +
                                                           " bytes for " + what + " failed: " + cudaGetErrorString(e));
    }
    p_ = static_cast<T*>(p);
    n_ = n;
    return Status::Ok();
  }
  Status upload(const T* host, size_t n, cudaStream_t s, const char* what) {
    GK_TRY(alloc(n, what));
    if (n) GK_CUDA(cudaMemcpyAsync(p_, host, n * sizeof(T), cudaMemcpyHostToDevice, s));
    return Status::Ok();
  }
  void reset() {
    if (p_) cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

// RAII stream.
class Stream {
 public:
  Stream() = default;
  ~Stream() { if (s_) cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Status create() {
    if (s_) return Status::Ok();
    GK_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking));
    return Status::Ok();
  }
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

// The device must exist and be usable; a friendly BACKEND_UNAVAILABLE otherwise.
inline Status require_device() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) return cuda_status(e, "cudaGetDeviceCount");
  if (n == 0) return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': no CUDA device found");
  return Status::Ok();
}

inline int div_up(int64_t a, int64_t b) { return static_cast<int>((a + b - 1) / b); }

#ifdef __CUDACC__
__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_sumf(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_maxf(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// Deterministic block sum (fixed tree); every thread gets the result. `red` holds >= 32 doubles.
// Must be called by all threads of the block.
__device__ __forceinline__ double block_sum(double v, double* red) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_sum(v);
  __syncthreads();  // red may be in use by a previous call
  if (lane == 0) red[warp] = v;
  __syncthreads();
  double t = lane < nw ? red[lane] : 0.0;
  t = warp_sum(t);
  return t;
}
#endif

}  // namespace grokinfo::cu
