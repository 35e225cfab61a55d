// CUDA device discovery for the CUDA build.
#include <cuda_runtime.h>

#include <string>

#include "common.h"

namespace grokinfo {

namespace {
__global__ void probe_kernel() {}
}  // namespace

bool cuda_available(std::string* why) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) *why = std::string("no usable CUDA device: ") + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  }
  if (n == 0) {
    if (why) *why = "no CUDA device found";
    return false;
  }
  cudaDeviceProp prop{};
  e = cudaGetDeviceProperties(&prop, 0);
  if (e != cudaSuccess) {
    if (why) *why = std::string("CUDA device 0 is not usable: ") + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  }
  const std::string sm = "sm_" + std::to_string(prop.major) + std::to_string(prop.minor);
  // A device the build has neither machine code (sm_XX) nor PTX for cannot run any kernel: say so
  // (the loader then falls back to a CPU build with this reason).
  cudaFuncAttributes attr{};
  e = cudaFuncGetAttributes(&attr, probe_kernel);
  if (e != cudaSuccess) {
    if (why)
      *why = std::string(prop.name) + " (" + sm + ", compute capability " + std::to_string(prop.major) + "." +
             std::to_string(prop.minor) + ") is not supported by this build (CUDA architectures " GROKINFO_CUDA_ARCHS
             "): " + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  }
  if (why) *why = std::string(prop.name) + " (" + sm + ")";
  return true;
}

}  // namespace grokinfo
