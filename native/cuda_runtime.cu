// CUDA device discovery for the CUDA build.
#include <cuda_runtime.h>

#include <string>

#include "common.h"

namespace grokinfo {

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
  if (why) *why = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
  return true;
}

}  // namespace grokinfo
